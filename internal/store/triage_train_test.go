package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/internal/triage"
)

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
	testdb.EachPair(t, func(t *testing.T, a, b *store.Store, _ *testdb.Clock) {
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

// TestTriageAttempts: a model whose servers vanish in the middle of its
// training (died, killed, hung) is taken again once the claim is stale,
// but not for ever: after store.MaxTriageAttempts such claims it is
// failed with the reason in both languages, listed with its attempts, and
// the queue goes on; a shutdown's hand-back does not count.
func TestTriageAttempts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		mustTriageWorld(t, s, 12)
		q := mustQueueTriage(t, s)
		attempts := func() civic.TriageModel {
			t.Helper()
			m, err := s.GetTriageModel(ctx, civic.System, q.ID)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		// A shutdown hands the model back uncounted.
		sctx, shutdown := context.WithCancel(ctx)
		s.OnTriageTrainForTest(func(context.Context, int64) { shutdown() })
		if _, err := s.TrainNextTriage(sctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("shut down: %v", err)
		}
		s.OnTriageTrainForTest(nil)
		if m := attempts(); m.Status != civic.TriageQueued || m.Attempts != 0 {
			t.Fatalf("after a shutdown %+v", m)
		}
		for i := 1; i <= store.MaxTriageAttempts; i++ {
			if id, err := s.ClaimTriageForTest(ctx); id != q.ID || err != nil {
				t.Fatalf("claim %d: %d %v", i, id, err)
			}
			if m := attempts(); m.Status != civic.TriageRunning || m.Attempts != i {
				t.Fatalf("claim %d: %+v", i, m)
			}
			// Not taken again while the claim holds.
			if id, err := s.TrainNextTriage(ctx); id != 0 || err != nil {
				t.Fatalf("claim %d holds, yet trained %d %v", i, id, err)
			}
			clock.Advance(time.Hour + time.Minute)
		}
		next := mustQueueTriage(t, s)
		if id, err := s.TrainNextTriage(ctx); id != next.ID || err != nil {
			t.Fatalf("after giving up, trained %d %v, want the next model %d", id, err, next.ID)
		}
		m := attempts()
		if m.Status != civic.TriageFailed || m.Attempts != store.MaxTriageAttempts || m.FinishedAt == nil || m.Active ||
			!strings.Contains(m.Error, "训练已开始3次，均未完成") || !strings.Contains(m.Error, "started 3 times and never finished") {
			t.Fatalf("given up %+v", m)
		}
		models, err := s.TriageModels(ctx, civic.System)
		if err != nil || len(models) != 2 || models[1].ID != q.ID || models[1].Attempts != 3 || models[0].Attempts != 1 || models[0].Status != civic.TriageDone {
			t.Fatalf("models %+v %v", models, err)
		}
		clock.Advance(2 * time.Hour)
		if id, err := s.TrainNextTriage(ctx); id != 0 || err != nil {
			t.Fatalf("a failed model taken again: %d %v", id, err)
		}
	})
}

// TestTriagePanicFails: a training that panics on the job's goroutine (a
// panic in the classifier's own goroutines comes back the same way, as a
// triage.PanicError) fails its model at once with the reason, instead of
// ending the server or leaving the model running to be taken again.
func TestTriagePanicFails(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		mustTriageWorld(t, s, 12)
		q := mustQueueTriage(t, s)
		s.OnTriageTrainForTest(func(context.Context, int64) { panic("out of bounds") })
		id, err := s.TrainNextTriage(ctx)
		var pe *triage.PanicError
		if id != q.ID || !errors.As(err, &pe) {
			t.Fatalf("panicked training: %d %v", id, err)
		}
		m, err := s.GetTriageModel(ctx, civic.System, q.ID)
		if err != nil || m.Status != civic.TriageFailed || m.Attempts != 1 || m.Error != "训练程序出错：out of bounds / the training crashed: out of bounds" {
			t.Fatalf("failed model %+v %v", m, err)
		}
		s.OnTriageTrainForTest(nil)
		clock.Advance(2 * time.Hour)
		if id, err := s.TrainNextTriage(ctx); id != 0 || err != nil {
			t.Fatalf("the failed model taken again: %d %v", id, err)
		}
	})
}

// TestTriageLeaseTakeover: a training whose lease lapsed (not renewed for
// an hour: the database refused the renewals, or the server hung) and
// whose model another server took over writes nothing of its outcome once
// it is no longer the model's holder — not a second model over the one
// the other server saved, not a model while the other still trains, not
// a failure, not a hand-back on shutdown.
func TestTriageLeaseTakeover(t *testing.T) {
	ctx := context.Background()
	// The first server's training outlasts its claim; in the meantime
	// the second does what takeover says, then the first goes on.
	slow := func(t *testing.T, a *store.Store, clock *testdb.Clock, meanwhile func()) {
		t.Helper()
		a.OnTriageTrainForTest(func(context.Context, int64) {
			clock.Advance(time.Hour + time.Minute)
			meanwhile()
		})
		t.Cleanup(func() { a.OnTriageTrainForTest(nil) })
	}
	model := func(t *testing.T, s *store.Store, id int64) civic.TriageModel {
		t.Helper()
		m, err := s.GetTriageModel(ctx, civic.System, id)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	t.Run("the other server saved first", func(t *testing.T) {
		testdb.EachPair(t, func(t *testing.T, a, b *store.Store, clock *testdb.Clock) {
			mustTriageWorld(t, a, 12)
			q := mustQueueTriage(t, a)
			var saved civic.TriageModel
			slow(t, a, clock, func() {
				if id, err := b.TrainNextTriage(ctx); id != q.ID || err != nil {
					t.Errorf("takeover trained %d %v", id, err)
				}
				saved = model(t, b, q.ID)
			})
			if id, err := a.TrainNextTriage(ctx); id != q.ID || err == nil || !strings.Contains(err.Error(), "discarded") {
				t.Fatalf("the first server's late outcome: %d %v", id, err)
			}
			m := model(t, a, q.ID)
			if m.Status != civic.TriageDone || !m.Active || m.Error != "" || m.Attempts != 2 || !m.FinishedAt.Equal(*saved.FinishedAt) || m.Note != saved.Note {
				t.Fatalf("the other server's model was overwritten: %+v, saved %+v", m, saved)
			}
			entries, _, err := a.ListAudit(ctx, civic.System, store.AuditFilter{Action: "triage.activate"})
			if err != nil || len(entries) != 1 {
				t.Fatalf("activated %d times %v", len(entries), err)
			}
		})
	})
	t.Run("the other server still trains", func(t *testing.T) {
		testdb.EachPair(t, func(t *testing.T, a, b *store.Store, clock *testdb.Clock) {
			mustTriageWorld(t, a, 12)
			q := mustQueueTriage(t, a)
			slow(t, a, clock, func() {
				if id, err := b.ClaimTriageForTest(ctx); id != q.ID || err != nil {
					t.Errorf("takeover claimed %d %v", id, err)
				}
			})
			if id, err := a.TrainNextTriage(ctx); id != q.ID || err == nil {
				t.Fatalf("the first server's late outcome: %d %v", id, err)
			}
			if m := model(t, a, q.ID); m.Status != civic.TriageRunning || m.Active || m.Attempts != 2 {
				t.Fatalf("saved under the other server's claim: %+v", m)
			}
		})
	})
	t.Run("a late shutdown", func(t *testing.T) {
		testdb.EachPair(t, func(t *testing.T, a, b *store.Store, clock *testdb.Clock) {
			mustTriageWorld(t, a, 12)
			q := mustQueueTriage(t, a)
			sctx, shutdown := context.WithCancel(ctx)
			slow(t, a, clock, func() {
				if id, err := b.ClaimTriageForTest(ctx); id != q.ID || err != nil {
					t.Errorf("takeover claimed %d %v", id, err)
				}
				shutdown()
			})
			if _, err := a.TrainNextTriage(sctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("shut down: %v", err)
			}
			if m := model(t, a, q.ID); m.Status != civic.TriageRunning || m.StartedAt == nil || m.Attempts != 2 {
				t.Fatalf("the other server's claim handed back: %+v", m)
			}
		})
	})
}

// renewByHand makes s's trainings renew their leases when the test says
// so, from inside the training (OnTriageTrainForTest): renew moves the
// clock on by d, has the training renew its lease and says whether the
// lease held.
func renewByHand(t *testing.T, s *store.Store, clock *testdb.Clock) (renew func(d time.Duration) bool) {
	t.Helper()
	ticks, renewed := make(chan time.Time), make(chan bool)
	s.TriageRenewalForTest(ticks, renewed)
	t.Cleanup(func() { s.OnTriageTrainForTest(nil); s.TriageRenewalForTest(nil, nil) })
	return func(d time.Duration) bool {
		clock.Advance(d)
		ticks <- clock.Now()
		return <-renewed
	}
}

// TestTriageLeaseRenewed: a training that runs longer than the lease (a
// large max_examples) renews it while it runs, so no other server takes
// its model over, and its model lands.
func TestTriageLeaseRenewed(t *testing.T) {
	testdb.EachPair(t, func(t *testing.T, a, b *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		mustTriageWorld(t, a, 12)
		q := mustQueueTriage(t, a)
		renew := renewByHand(t, a, clock)
		a.OnTriageTrainForTest(func(context.Context, int64) {
			// Four renewals 25 minutes apart: 100 minutes in all, each
			// well within the hour since the one before.
			for i := 1; i <= 4; i++ {
				if !renew(25 * time.Minute) {
					t.Errorf("renewal %d: the lease did not hold", i)
				}
				if id, err := b.ClaimTriageForTest(ctx); id != 0 || err != nil {
					t.Errorf("after renewal %d (%v in training) the other server claimed %d %v", i, time.Duration(i)*25*time.Minute, id, err)
				}
			}
		})
		if id, err := a.TrainNextTriage(ctx); id != q.ID || err != nil {
			t.Fatalf("a long training: %d %v", id, err)
		}
		m, err := b.GetTriageModel(ctx, civic.System, q.ID)
		if err != nil || m.Status != civic.TriageDone || !m.Active || m.Attempts != 1 || m.Error != "" {
			t.Fatalf("the long training's model %+v %v", m, err)
		}
	})
}

// TestTriageLeaseLostStops: when a renewal finds that another server took
// the model over (renewals failed for the whole lease, or the server froze),
// the training is stopped at once rather than run to its end, and writes
// nothing: the model stays the other server's.
func TestTriageLeaseLostStops(t *testing.T) {
	testdb.EachPair(t, func(t *testing.T, a, b *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		mustTriageWorld(t, a, 12)
		q := mustQueueTriage(t, a)
		renew := renewByHand(t, a, clock)
		var stopped bool
		a.OnTriageTrainForTest(func(tctx context.Context, _ int64) {
			if !renew(20 * time.Minute) {
				t.Error("the first renewal did not hold")
			}
			clock.Advance(time.Hour + time.Minute)
			if id, err := b.ClaimTriageForTest(ctx); id != q.ID || err != nil {
				t.Errorf("takeover claimed %d %v", id, err)
			}
			if renew(0) {
				t.Error("a renewal held a lease another server took over")
			}
			stopped = tctx.Err() != nil
		})
		id, err := a.TrainNextTriage(ctx)
		if id != q.ID || err == nil || !strings.Contains(err.Error(), "discarded") || !strings.Contains(err.Error(), "training stopped") {
			t.Fatalf("a training whose lease was lost: %d %v", id, err)
		}
		if !stopped {
			t.Error("the training's context was not cancelled when its lease was lost")
		}
		m, err := b.GetTriageModel(ctx, civic.System, q.ID)
		if err != nil || m.Status != civic.TriageRunning || m.Active || m.Attempts != 2 || m.Error != "" || m.StartedAt == nil {
			t.Fatalf("the other server's claim was written over: %+v %v", m, err)
		}
	})
}
