// Package vault seals personal data at rest: ID and phone numbers are
// encrypted with AES-256-GCM under a versioned key, so that keys can be
// rotated without a flag day, and indexed by a keyed hash (HMAC-SHA-256) so
// that an exact value can be found without decrypting every row.
//
// The lookup key is separate from the encryption keys: rotating an
// encryption key re-encrypts rows but leaves every lookup hash valid.
package vault
