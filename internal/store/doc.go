// Package store keeps civicgrid's records in SQLite (embedded default) or
// PostgreSQL with the same hand-written SQL. Every exported method takes the
// acting user and enforces role and scope itself, so no caller can forget to.
// Every write appends an audit entry in the same transaction.
package store
