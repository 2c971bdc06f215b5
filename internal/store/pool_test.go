package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestWorkCalendarFullPool: as many write transactions as the pool has
// connections (case actions under load, with the alerts job) all reach
// the point where they read the working calendar, whose cache is due for
// its check. On PostgreSQL the check read through the pool, so it needed a
// connection that only one of those transactions could give back, and
// they all waited on it for ever: a server that hung under load. Every
// transaction must finish.
func TestWorkCalendarFullPool(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		n := s.MaxConnsForTest()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var inside, wg sync.WaitGroup
		inside.Add(n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.WorkCalendarInTxForTest(ctx, func() {
					inside.Done()
					inside.Wait() // every connection is held by a transaction
				})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("transaction %d of %d: %v", i, n, err)
			}
		}
	})
}
