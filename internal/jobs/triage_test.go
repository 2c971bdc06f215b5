package jobs_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/jobs"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestTriageRace runs the triage job on two servers at once over one
// database with no model yet: the schedule's lease lets one of them queue
// a training from closed cases, and exactly one trains it; a second pass
// in the same period trains nothing, and the next period trains again.
func TestTriageRace(t *testing.T) {
	testdb.EachPair(t, func(t *testing.T, a, b *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		plantClosedCases(t, a)
		var wg sync.WaitGroup
		var ran [2][]int64
		for i, s := range []*store.Store{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ran[i] = jobs.Triage{Store: s}.Pass(ctx)
			}()
		}
		wg.Wait()
		if n := len(ran[0]) + len(ran[1]); n != 1 {
			t.Fatalf("trained %v and %v, want one model in all", ran[0], ran[1])
		}
		models, err := a.TriageModels(ctx, civic.System)
		if err != nil || len(models) != 1 || models[0].Status != civic.TriageDone || !models[0].Active || models[0].TriggeredBy != "system" {
			t.Fatalf("models %+v %v", models, err)
		}
		if got := (jobs.Triage{Store: b}).Pass(ctx); len(got) != 0 {
			t.Fatalf("a second pass in the same week trained %v", got)
		}
		clock.Advance(7*24*time.Hour + time.Minute)
		if got := (jobs.Triage{Store: b}).Pass(ctx); len(got) != 1 {
			t.Fatalf("a week on, trained %v", got)
		}
	})
}

// TestTriageClaimHold: a server that claimed the schedule and died before
// queueing holds it for TriageClaimHold only; the next pass after that
// queues and trains, and then the schedule holds for the whole period.
func TestTriageClaimHold(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		plantClosedCases(t, s)
		// The dead server's claim.
		if won, err := s.ClaimRun(ctx, "triage.train", jobs.TriageClaimHold); err != nil || !won {
			t.Fatalf("claim %v %v", won, err)
		}
		if got := (jobs.Triage{Store: s}).Pass(ctx); len(got) != 0 {
			t.Fatalf("trained %v while the claim holds", got)
		}
		clock.Advance(jobs.TriageClaimHold + time.Minute)
		if got := (jobs.Triage{Store: s}).Pass(ctx); len(got) != 1 {
			t.Fatalf("after the hold, trained %v, want one model", got)
		}
		clock.Advance(6 * 24 * time.Hour)
		if got := (jobs.Triage{Store: s}).Pass(ctx); len(got) != 0 {
			t.Fatalf("six days on, trained %v, want none before the week is out", got)
		}
		clock.Advance(24*time.Hour + time.Minute)
		if got := (jobs.Triage{Store: s}).Pass(ctx); len(got) != 1 {
			t.Fatalf("a week on, trained %v", got)
		}
	})
}

// mustOneGridCity imports a city whose every level down to one grid
// (110101001001001) covers the same square.
func mustOneGridCity(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	var feats []string
	for _, c := range []string{"1101", "110101", "110101001", "110101001001", "110101001001001"} {
		feats = append(feats, `{"type":"Feature","properties":{"code":"`+c+`","name":"区域`+c+`"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}}`)
	}
	fs, err := store.ParseRegionFile([]byte(`{"type":"FeatureCollection","features":[` + strings.Join(feats, ",") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportRegions(ctx, civic.System, fs); err != nil {
		t.Fatal(err)
	}
}

// plantClosedCases makes a city of one grid with three categories and
// twelve closed cases of each, answered on the hotline.
func plantClosedCases(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	mustOneGridCity(t, s)
	limits := map[civic.Stage]civic.TimeLimit{
		civic.StageClaim: {Amount: 2, Unit: civic.UnitWorkHours}, civic.StageFeedback: {Amount: 1, Unit: civic.UnitWorkDays},
		civic.StageComplete: {Amount: 3, Unit: civic.UnitWorkDays}, civic.StageVisit: {Amount: 2, Unit: civic.UnitWorkDays},
	}
	codes := map[string]string{testdb.ThemeVending: "0101", testdb.ThemeClutter: "0102", testdb.ThemeNoise: "0103"}
	if _, err := s.CreateCategory(ctx, civic.System, civic.Category{Code: "01", Name: "市容环境", Active: true, Accepted: true}); err != nil {
		t.Fatal(err)
	}
	for theme, code := range codes {
		c := civic.Category{Code: code, ParentCode: "01", Leaf: true, Name: "分类" + theme, Type: civic.RequestComplaint,
			Handler: civic.HandlerRule{Target: civic.HandlerGrid}, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true}
		if _, err := s.CreateCategory(ctx, civic.System, c); err != nil {
			t.Fatal(err)
		}
	}
	testdb.MustClosedCases(t, s, "110101001001001", codes, 12)
}

// TestTriageScheduleShutdownAfterQueueing: a server shutting down just
// after it queued the scheduled training still moves the schedule on by
// the whole period; the short claim hold does not stay behind to queue a
// second training an hour later.
func TestTriageScheduleShutdownAfterQueueing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		plantClosedCases(t, s)
		ctx, shutdown := context.WithCancel(context.Background())
		log := slog.New(onMessage{msg: "scheduled triage training queued", fn: shutdown})
		if got := (jobs.Triage{Store: s, Log: log}).Pass(ctx); len(got) != 0 {
			t.Fatalf("trained %v while shutting down", got)
		}
		// The next start trains what was queued.
		bg := context.Background()
		if got := (jobs.Triage{Store: s}).Pass(bg); len(got) != 1 {
			t.Fatalf("after the restart, trained %v, want the queued model", got)
		}
		clock.Advance(jobs.TriageClaimHold + time.Minute)
		if got := (jobs.Triage{Store: s}).Pass(bg); len(got) != 0 {
			t.Fatalf("an hour on, trained %v again", got)
		}
		clock.Advance(7 * 24 * time.Hour)
		if got := (jobs.Triage{Store: s}).Pass(bg); len(got) != 1 {
			t.Fatalf("a week on, trained %v", got)
		}
	})
}

// onMessage is a log handler that calls fn when msg is logged (and drops
// every record): a moment of a pass, chosen without timing.
type onMessage struct {
	msg string
	fn  func()
}

func (h onMessage) Enabled(context.Context, slog.Level) bool { return true }

func (h onMessage) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.fn()
	}
	return nil
}

func (h onMessage) WithAttrs([]slog.Attr) slog.Handler { return h }

func (h onMessage) WithGroup(string) slog.Handler { return h }
