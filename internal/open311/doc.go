// Package open311 serves Open311 GeoReport v2 under /open311/v2: the
// category catalogue as services, cases as service requests. It is a thin
// translation: every read and write goes through the same store calls as
// the JSON API (the intake for POST, the scoped case reads for GET), with
// the same api tokens, so roles, scope and masking are the store's.
// Browser apps of the configured origins may call it (cors.go), with their
// key and never with the session cookie.
// docs/OPEN311.md describes the mapping and where it departs from the
// specification.
package open311
