package store

import (
	"context"
	"database/sql"
)

// ExecForTest runs a statement outside the store's calls, for tests that
// stand for data arriving some other way (an import).
func (s *Store) ExecForTest(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return s.w.ExecContext(ctx, s.rebind(q), args...)
}
