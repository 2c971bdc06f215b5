package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/civicgrid/civicgrid/internal/password"
)

// bulkEvery is how many writes a Bulk run puts in one commit.
const bulkEvery = 500

// bulkRun is the shared transaction of a Bulk run.
type bulkRun struct {
	stx    *sql.Tx
	writes int
	total  int                     // writes over the whole run
	bound  map[*sql.Stmt]*sql.Stmt // statements bound to stx
	// hashes keeps the hash of each password accounts were created with
	// during the run: a generated population shares one password, and
	// hashing it again for every account (argon2id, by design slow) was
	// a tenth of the demo's loading.
	hashes map[string]string
	// rules keeps each category's rules as read during the run: every
	// case action reads them, and a loading run does not change the
	// catalogue (a category written during the run empties it).
	rules map[string]caseRules
}

// Bulk runs fn with every write of the store sharing one database
// transaction, committed every bulkEvery writes and when fn returns, and
// every read going through that transaction so that it sees what was
// written. Each write still runs all or nothing, in its own savepoint, and
// stays written when a later one fails; so does everything written before
// an error fn returns. One commit per few hundred writes instead of one per
// write is what lets the demo load two months of case history (tens of
// thousands of case actions) in seconds.
//
// Roll-ups are not kept event by event during a run: when it ends they are
// rebuilt once from the events (RebuildRollups), which for a history of
// tens of thousands of events costs a fraction of keeping them — a sixth of
// the demo's loading time. A run is for loading; the rebuild reads the
// whole event log.
//
// Nothing else may use the store meanwhile: fn and the store calls it makes
// must run on one goroutine, as the demo loader does before any server
// starts. The same holds on PostgreSQL, where it saves a commit (and its
// wait for the log) per write: the demo loads there in about 55 s instead
// of 100.
func (s *Store) Bulk(ctx context.Context, fn func() error) error {
	if s.bulk.Load() != nil {
		return fn()
	}
	stx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin bulk: %w", err)
	}
	b := &bulkRun{stx: stx, bound: map[*sql.Stmt]*sql.Stmt{}, hashes: map[string]string{}, rules: map[string]caseRules{}}
	s.bulk.Store(b)
	ferr := fn()
	s.bulk.Store(nil)
	if err := b.stx.Commit(); err != nil {
		return errors.Join(ferr, fmt.Errorf("commit bulk: %w", err))
	}
	s.wstmts.preparePending(ctx, s.w)
	if b.total > 0 {
		if _, err := s.RebuildRollups(ctx); err != nil {
			return errors.Join(ferr, fmt.Errorf("rebuild roll-ups after bulk: %w", err))
		}
	}
	return ferr
}

// bulkWrite is write inside a Bulk run.
func (s *Store) bulkWrite(ctx context.Context, b *bulkRun, fn func(tx *Tx) error) error {
	tx := &Tx{tx: b.stx, s: s, now: s.Now(), bound: b.bound, noRollups: true}
	// Through tx.exec, so that the two statements every write adds stay
	// prepared.
	if _, err := tx.exec(ctx, "SAVEPOINT bulk_write"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	// No roll-ups to flush: the run rebuilds them when it ends.
	err := fn(tx)
	if err != nil {
		// What the write read may have been rolled back with it.
		clear(b.rules)
		if _, rerr := tx.exec(context.Background(), "ROLLBACK TO SAVEPOINT bulk_write"); rerr != nil {
			return errors.Join(err, fmt.Errorf("roll back write: %w", rerr))
		}
		if _, rerr := tx.exec(context.Background(), "RELEASE SAVEPOINT bulk_write"); rerr != nil {
			return errors.Join(err, fmt.Errorf("release savepoint: %w", rerr))
		}
		return err
	}
	if _, err := tx.exec(ctx, "RELEASE SAVEPOINT bulk_write"); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	b.total++
	if b.writes++; b.writes < bulkEvery {
		return nil
	}
	if err := b.stx.Commit(); err != nil {
		return fmt.Errorf("commit bulk: %w", err)
	}
	s.wstmts.preparePending(ctx, s.w)
	stx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin bulk: %w", err)
	}
	b.stx, b.writes, b.bound = stx, 0, map[*sql.Stmt]*sql.Stmt{}
	return nil
}

// bulkTx is the Bulk run's transaction for reads, or nil outside a run.
func (s *Store) bulkTx() *Tx {
	if b := s.bulk.Load(); b != nil {
		return &Tx{tx: b.stx, s: s, bound: b.bound}
	}
	return nil
}

// hashPassword hashes a new account's password; inside a Bulk run a
// password hashed before is not hashed again, its accounts share the hash
// (and its salt), which verifies the same.
func (s *Store) hashPassword(pw string) (string, error) {
	b := s.bulk.Load()
	if b == nil {
		return password.Hash(pw, s.pw)
	}
	if h, ok := b.hashes[pw]; ok {
		return h, nil
	}
	h, err := password.Hash(pw, s.pw)
	if err == nil {
		b.hashes[pw] = h
	}
	return h, err
}

// bulkOf is the Bulk run q reads in, or nil.
func bulkOf(q querier) *bulkRun {
	switch q := q.(type) {
	case *Tx:
		return q.s.bulk.Load()
	case *Store:
		return q.bulk.Load()
	}
	return nil
}

func (b *bulkRun) rulesOf(code string) (caseRules, bool) {
	if b == nil {
		return caseRules{}, false
	}
	r, ok := b.rules[code]
	return r, ok
}

func (b *bulkRun) keepRules(code string, r caseRules) {
	if b != nil {
		b.rules[code] = r
	}
}

// forgetRules empties the run's rules after a category was written.
func (tx *Tx) forgetRules() {
	if b := tx.s.bulk.Load(); b != nil {
		clear(b.rules)
	}
}
