package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// eachTwoServers runs fn per engine with two stores on one database, as
// two servers behind a load balancer, sharing one clock.
func eachTwoServers(t *testing.T, fn func(t *testing.T, a, b *store.Store, clock *testdb.Clock)) {
	t.Helper()
	for _, e := range testdb.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			clock := testdb.NewClock()
			dsn := testdb.DSN(t, e)
			fn(t, testdb.MustOpenDSN(t, dsn, clock), testdb.MustOpenDSN(t, dsn, clock), clock)
		})
	}
}

// mustQueueTriage queues a training from closed cases.
func mustQueueTriage(t *testing.T, s *store.Store) civic.TriageModel {
	t.Helper()
	q, err := s.QueueTriageModel(context.Background(), civic.System, civic.TriageFromCases, store.TriageUpload{})
	if err != nil {
		t.Fatalf("queue: %v", err)
	}
	return q
}

// TestTriageShutdownHandsBack: a server shutting down in the middle of a
// training stops it (the training itself, not only the save after it)
// and hands the model back to the queue at once, so that another server
// trains it without waiting for the claim to go stale.
func TestTriageShutdownHandsBack(t *testing.T) {
	eachTwoServers(t, func(t *testing.T, a, b *store.Store, _ *testdb.Clock) {
		mustTriageWorld(t, a, 12)
		q := mustQueueTriage(t, a)
		ctx, shutdown := context.WithCancel(context.Background())
		a.OnTriageTrainForTest(func(context.Context, int64) { shutdown() })
		id, err := a.TrainNextTriage(ctx)
		if id != q.ID || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "training stopped") {
			t.Fatalf("shut down in training: %d %v", id, err)
		}
		back, err := b.GetTriageModel(context.Background(), civic.System, q.ID)
		if err != nil || back.Status != civic.TriageQueued || back.StartedAt != nil || back.Error != "" {
			t.Fatalf("after the shutdown %+v %v", back, err)
		}
		// The other server, at the same moment.
		if id, err := b.TrainNextTriage(context.Background()); id != q.ID || err != nil {
			t.Fatalf("the other server trained %d: %v", id, err)
		}
		done, err := b.GetTriageModel(context.Background(), civic.System, q.ID)
		if err != nil || done.Status != civic.TriageDone || !done.Active {
			t.Fatalf("trained by the other server %+v %v", done, err)
		}
	})
}
