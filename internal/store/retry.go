package store

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// A write transaction that PostgreSQL aborts as a deadlock's victim
// (SQLSTATE 40P01) or as a serialization failure (40001) did nothing: the
// other transaction goes on, and the same work run again a moment later
// succeeds. write does that itself rather than showing a user a server
// error for a collision they did not cause. Its closures must therefore be
// safe to run again: everything they change outside the transaction —
// counters, results, the caller's structs — is set afresh by every attempt
// (the README says so beside the database settings).
//
// SQLite is not retried: its writes go through one connection of this
// process and start IMMEDIATE, so they queue here, and a writer of another
// process (a second civicgrid on the file, `civicgrid user add`) is waited
// for by the busy timeout (10 s) before the transaction starts. A busy
// error is thus what is left after ten seconds of waiting; trying again
// would only make the user wait longer.

// txRetry is how often and after how long a write is tried again.
type txRetry struct {
	// attempts counts the first run too.
	attempts int
	// backoff is the longest wait before the second attempt (the
	// shortest is half of it); it doubles before each next one.
	backoff time.Duration

	mu  sync.Mutex
	rnd *rand.Rand

	// retried counts the attempts run again since start, busy the writes
	// given up after the last (WriteRetries, for /metrics).
	retried, busy atomic.Int64
}

// WriteRetries are the write transactions run again after PostgreSQL
// aborted them (a deadlock's victim, a serialization failure) since the
// store opened, and those given up after the last attempt (the users got
// "busy"). Deadlocks that recur mean two code paths lock rows in different
// orders: /metrics shows both counts for an operator to watch.
func (s *Store) WriteRetries() (retried, busy int64) {
	return s.retry.retried.Load(), s.retry.busy.Load()
}

// Four attempts a few tens of milliseconds apart: once PostgreSQL has
// aborted a deadlock's victim, the other transaction takes the lock it was
// waiting for and goes on, and the victim's second run waits behind it on
// that lock rather than meeting it again.
const (
	txAttempts = 4
	txBackoff  = 20 * time.Millisecond
)

func newTxRetry() *txRetry {
	var seed [32]byte
	_, _ = crand.Read(seed[:]) // never fails (crypto/rand panics instead)
	return &txRetry{attempts: txAttempts, backoff: txBackoff, rnd: rand.New(rand.NewChaCha8(seed))}
}

// wait sleeps before attempt n+1 (n ≥ 1): backoff·2ⁿ⁻¹ with the upper
// half drawn at random, so that two victims of one deadlock do not meet
// again at the same moment. It returns ctx's error if ctx ends first.
func (r *txRetry) wait(ctx context.Context, n int) error {
	d := r.backoff << (n - 1)
	r.mu.Lock()
	d = d/2 + time.Duration(r.rnd.Int64N(int64(d/2)+1))
	r.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryable reports whether err means the transaction was aborted only
// to let another one through: PostgreSQL's deadlock_detected and
// serialization_failure.
func retryable(err error) (code string, ok bool) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return "", false
	}
	switch pe.Code {
	case "40P01", "40001":
		return pe.Code, true
	}
	return "", false
}

// write runs fn in a write transaction and commits it if fn returns nil.
// A transaction PostgreSQL aborted as a deadlock's victim or a
// serialization failure is run again, fn included, up to
// txRetry.attempts times in all; the error of the last attempt says it
// was retried. Inside a Bulk run nothing is retried (one goroutine writes,
// so nothing collides).
func (s *Store) write(ctx context.Context, fn func(tx *Tx) error) error {
	if b := s.bulk.Load(); b != nil {
		return s.bulkWrite(ctx, b, fn)
	}
	for n := 1; ; n++ {
		err := s.writeOnce(ctx, fn)
		code, again := retryable(err)
		if !again {
			return err
		}
		if n >= s.retry.attempts {
			// The user is told to try again (503 with Retry-After), not
			// shown an internal error: nothing was kept, and the same
			// request is likely to go through in a moment.
			s.retry.busy.Add(1)
			return civic.Busy(fmt.Errorf("write transaction tried %d times, aborted each time by PostgreSQL (SQLSTATE %s the last): %w", n, code, err))
		}
		// A warning, not information: deadlocks that recur mean two code
		// paths take the same rows in different orders, which is worth
		// an operator's look even though the retry hides it from users.
		s.retry.retried.Add(1)
		s.log.Warn("write transaction aborted by PostgreSQL; trying again", "sqlstate", code, "attempt", n, "err", err)
		if werr := s.retry.wait(ctx, n); werr != nil {
			return fmt.Errorf("write transaction aborted by PostgreSQL (SQLSTATE %s) on attempt %d, not retried: %w while waiting (%w)", code, n, werr, err)
		}
	}
}

// writeOnce is one attempt of write.
func (s *Store) writeOnce(ctx context.Context, fn func(tx *Tx) error) error {
	stx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{tx: stx, s: s, now: s.Now()}
	if err := fn(tx); err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := tx.flushRollups(ctx); err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	// The writer connection is free again: prepare what the transaction
	// ran unprepared, for next time.
	s.wstmts.preparePending(ctx, s.w)
	return nil
}

// retryableIn is retryable for a closure that keeps going after a
// statement fails (a batch's savepoints): such an error must end the
// whole attempt, so that write runs it again, rather than fail one item.
func retryableIn(err error) bool {
	_, ok := retryable(err)
	return ok
}
