package store

import (
	"context"
	"database/sql"
	"time"
)

// QueryRowForTest lets the package's external tests look at raw rows, e.g.
// to prove that personal data is not stored in clear.
func (s *Store) QueryRowForTest(ctx context.Context, q string, args ...any) *sql.Row {
	return s.queryRow(ctx, q, args...)
}

// ExecThenFailForTest runs q in a write and then fails it, to show that a
// failed write leaves nothing behind.
func (s *Store) ExecThenFailForTest(ctx context.Context, fail error, q string, args ...any) error {
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return err
		}
		return fail
	})
}

// WriteForTest runs fn through write, the store's transaction helper, with
// exec running a statement in the transaction.
func (s *Store) WriteForTest(ctx context.Context, fn func(exec func(q string, args ...any) error) error) error {
	return s.write(ctx, func(tx *Tx) error {
		return fn(func(q string, args ...any) error {
			_, err := tx.exec(ctx, q, args...)
			return err
		})
	})
}

// SetRetryForTest changes how often and after how long write tries again.
func (s *Store) SetRetryForTest(attempts int, backoff time.Duration) {
	s.retry.attempts, s.retry.backoff = attempts, backoff
}

// CoReporterCommentsForTest returns the data of the case's comment events
// that the metrics read as co-reporters' ratings.
func (s *Store) CoReporterCommentsForTest(ctx context.Context, caseID int64) ([]string, error) {
	rows, err := s.query(ctx, `SELECT e.data FROM case_events e WHERE e.case_id = ? AND e.action = 'comment' AND `+coReporterComment+` ORDER BY e.id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
