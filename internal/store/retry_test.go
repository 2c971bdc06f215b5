package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// raiseSerializationFailure makes PostgreSQL fail the statement with
// SQLSTATE 40001, as it does a transaction that cannot be serialised.
const raiseSerializationFailure = `DO $$ BEGIN RAISE EXCEPTION 'provoked by the test' USING ERRCODE = 'serialization_failure'; END $$`

// MustPostgres opens a migrated store on a fresh PostgreSQL database, or
// skips the test when none is configured.
func MustPostgres(t *testing.T) *store.Store {
	t.Helper()
	for _, e := range testdb.Engines(t) {
		if e == store.Postgres {
			return testdb.MustOpen(t, e, nil)
		}
	}
	t.Skip("no PostgreSQL configured (CIVICGRID_TEST_PG)")
	return nil
}

// MustRetryRows makes a table of two rows, 1 and 2, each with n = 0.
func MustRetryRows(tb testing.TB, s *store.Store) {
	tb.Helper()
	err := s.WriteForTest(context.Background(), func(exec func(string, ...any) error) error {
		if err := exec(`CREATE TABLE retry_rows (id integer PRIMARY KEY, n integer NOT NULL)`); err != nil {
			return err
		}
		return exec(`INSERT INTO retry_rows (id, n) VALUES (1, 0), (2, 0)`)
	})
	if err != nil {
		tb.Fatalf("make retry_rows: %v", err)
	}
}

// MustRowCounts reads n of rows 1 and 2.
func MustRowCounts(tb testing.TB, s *store.Store) [2]int {
	tb.Helper()
	var n [2]int
	for i := range n {
		if err := s.QueryRowForTest(context.Background(), `SELECT n FROM retry_rows WHERE id = ?`, i+1).Scan(&n[i]); err != nil {
			tb.Fatalf("read row %d: %v", i+1, err)
		}
	}
	return n
}

// TestWriteRetriesDeadlock: two transactions lock rows 1 and 2 in
// opposite orders, each holding its first row when it asks for its
// second. PostgreSQL aborts one of them (SQLSTATE 40P01); write runs that
// one again, and both commit. The victim's first run left nothing: each
// row is counted once per transaction.
func TestWriteRetriesDeadlock(t *testing.T) {
	s := MustPostgres(t)
	MustRetryRows(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	holding := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	var runs [2]atomic.Int32
	var errs [2]error
	var wg sync.WaitGroup
	for i := range 2 {
		first, second := 1+i, 2-i // transaction 0 locks 1 then 2, transaction 1 locks 2 then 1
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.WriteForTest(ctx, func(exec func(string, ...any) error) error {
				run := runs[i].Add(1)
				if err := exec(`UPDATE retry_rows SET n = n + 1 WHERE id = ?`, first); err != nil {
					return err
				}
				if run == 1 {
					close(holding[i])
					select {
					case <-holding[1-i]:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				return exec(`UPDATE retry_rows SET n = n + 1 WHERE id = ?`, second)
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("transaction %d: %v", i, err)
		}
	}
	got := [2]int32{runs[0].Load(), runs[1].Load()}
	if got != [2]int32{1, 2} && got != [2]int32{2, 1} {
		t.Errorf("closure runs = %v, want one transaction run once and the deadlock's victim twice", got)
	}
	if n := MustRowCounts(t, s); n != [2]int{2, 2} {
		t.Errorf("row counts = %v, want [2 2]: each transaction once", n)
	}
}

// TestWriteRetryLimits: what write tries again and what it does not.
func TestWriteRetryLimits(t *testing.T) {
	s := MustPostgres(t)
	MustRetryRows(t, s)
	s.SetRetryForTest(3, time.Millisecond)
	refused := civic.Errorf(civic.EConflict, "不行", "no")
	for _, tc := range []struct {
		name string
		// fail says what the closure does on its run-th run; nil lets it
		// commit.
		fail     func(exec func(string, ...any) error, run int32) error
		runs     int32
		sqlstate string // of the error write returns, "" for none or not PostgreSQL's
		retried  bool   // the error says it was tried again
		app      bool   // the error is refused
	}{
		{
			name: "a unique violation is not retried",
			fail: func(exec func(string, ...any) error, _ int32) error {
				return exec(`INSERT INTO retry_rows (id, n) VALUES (1, 0)`)
			},
			runs: 1, sqlstate: "23505",
		},
		{
			name: "an application error is not retried",
			fail: func(exec func(string, ...any) error, _ int32) error {
				if err := exec(`UPDATE retry_rows SET n = n + 1 WHERE id = 1`); err != nil {
					return err
				}
				return refused
			},
			runs: 1, app: true,
		},
		{
			name: "a serialization failure is retried until it goes through",
			fail: func(exec func(string, ...any) error, run int32) error {
				if run == 1 {
					return exec(raiseSerializationFailure)
				}
				return nil
			},
			runs: 2,
		},
		{
			name: "a serialization failure every time gives up after the last attempt",
			fail: func(exec func(string, ...any) error, _ int32) error {
				return exec(raiseSerializationFailure)
			},
			runs: 3, sqlstate: "40001", retried: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := MustRowCounts(t, s)
			retried0, busy0 := s.WriteRetries()
			var runs atomic.Int32
			err := s.WriteForTest(context.Background(), func(exec func(string, ...any) error) error {
				return tc.fail(exec, runs.Add(1))
			})
			if got := runs.Load(); got != tc.runs {
				t.Errorf("closure ran %d times, want %d (err %v)", got, tc.runs, err)
			}
			var pe *pgconn.PgError
			switch {
			case tc.sqlstate != "":
				if !errors.As(err, &pe) || pe.Code != tc.sqlstate {
					t.Errorf("err = %v, want SQLSTATE %s", err, tc.sqlstate)
				}
			case tc.app:
				if !errors.Is(err, refused) {
					t.Errorf("err = %v, want the closure's own", err)
				}
			case err != nil:
				t.Errorf("err = %v, want none", err)
			}
			if said := err != nil && strings.Contains(err.Error(), "tried 3 times"); said != tc.retried {
				t.Errorf("err = %v: says it was retried = %t, want %t", err, said, tc.retried)
			}
			// Given up, the write asks the user to try again rather than
			// failing as an internal error.
			if busy := civic.ErrorCodeOf(err) == civic.EBusy; busy != tc.retried {
				t.Errorf("err = %v: busy = %t, want %t", err, busy, tc.retried)
			}
			if tc.retried && civic.AsError(err).RetryAfter != time.Second {
				t.Errorf("err = %v: retry after %v, want 1s", err, civic.AsError(err).RetryAfter)
			}
			// /metrics counts every run again and every write given up.
			retried, busy := s.WriteRetries()
			wantBusy := int64(0)
			if tc.retried {
				wantBusy = 1
			}
			if retried-retried0 != int64(tc.runs-1) || busy-busy0 != wantBusy {
				t.Errorf("counted %d retries and %d given up, want %d and %d", retried-retried0, busy-busy0, tc.runs-1, wantBusy)
			}
			if after := MustRowCounts(t, s); after != before {
				t.Errorf("rows went from %v to %v: a failed write left something", before, after)
			}
		})
	}
}

// TestWriteRetryStopsWithContext: a context cancelled while write waits to
// try again ends the wait at once, with both the context's error and the
// one that made it wait.
func TestWriteRetryStopsWithContext(t *testing.T) {
	s := MustPostgres(t)
	s.SetRetryForTest(4, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	failed := make(chan struct{})
	go func() {
		<-failed
		cancel()
	}()
	var runs atomic.Int32
	start := time.Now()
	err := s.WriteForTest(ctx, func(exec func(string, ...any) error) error {
		err := exec(raiseSerializationFailure)
		if runs.Add(1) == 1 {
			close(failed)
		}
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "40001" {
		t.Errorf("err = %v, want it to carry SQLSTATE 40001 too", err)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("closure ran %d times, want 1", n)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("write returned after %v: it waited out the backoff", d)
	}
}

// TestWriteTwoWriters: two stores on one database (two servers, or a
// server and `civicgrid user add` on a SQLite file) write the same row
// at once. The second waits for the first — on SQLite for the write lock,
// within the busy timeout, on PostgreSQL for the row lock — and then
// commits: no busy error, its closure run once.
func TestWriteTwoWriters(t *testing.T) {
	testdb.EachPair(t, func(t *testing.T, a, b *store.Store, _ *testdb.Clock) {
		MustRetryRows(t, a)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		holding, release := make(chan struct{}), make(chan struct{})
		aDone, bDone := make(chan error, 1), make(chan error, 1)
		go func() {
			aDone <- a.WriteForTest(ctx, func(exec func(string, ...any) error) error {
				if err := exec(`UPDATE retry_rows SET n = n + 1 WHERE id = 1`); err != nil {
					return err
				}
				close(holding)
				<-release
				return nil
			})
		}()
		<-holding
		var bRuns atomic.Int32
		go func() {
			bDone <- b.WriteForTest(ctx, func(exec func(string, ...any) error) error {
				bRuns.Add(1)
				return exec(`UPDATE retry_rows SET n = n + 1 WHERE id = 1`)
			})
		}()
		select {
		case err := <-bDone:
			t.Fatalf("the second writer finished while the first held its transaction: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		close(release)
		if err := <-aDone; err != nil {
			t.Fatalf("first writer: %v", err)
		}
		if err := <-bDone; err != nil {
			t.Fatalf("second writer: %v", err)
		}
		if n := bRuns.Load(); n != 1 {
			t.Errorf("second writer's closure ran %d times, want 1", n)
		}
		if n := MustRowCounts(t, a); n[0] != 2 {
			t.Errorf("row 1 counted %d, want 2", n[0])
		}
	})
}
