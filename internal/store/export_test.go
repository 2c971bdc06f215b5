package store

import (
	"context"
	"database/sql"
)

// QueryRowForTest lets the package's external tests look at raw rows, e.g.
// to prove that personal data is not stored in clear.
func (s *Store) QueryRowForTest(ctx context.Context, q string, args ...any) *sql.Row {
	return s.queryRow(ctx, q, args...)
}
