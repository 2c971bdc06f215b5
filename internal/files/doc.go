// Package files keeps uploaded photos on local disk, content-addressed.
//
// Every accepted upload is checked (size, type sniffed from the content,
// structure), its EXIF location read, and stored twice: the original as
// received, which staff may need as evidence, and a public copy with all
// metadata removed, which is all that residents are ever served. Both are
// named by their SHA-256, so the same photo uploaded twice is one file, and
// a file is written to a temporary name, synced and renamed, so that a
// photo once acknowledged survives a crash.
//
// The package imports only the standard library: JPEG, PNG and WebP are
// walked byte-wise here rather than decoded and re-encoded, which keeps the
// image data exactly as the camera wrote it.
package files
