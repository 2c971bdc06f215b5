package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

func countActions(t *testing.T, s *store.Store, id int64, act civic.CaseAction) int {
	t.Helper()
	es, err := s.CaseEvents(context.Background(), civic.System, id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Action == act {
			n++
		}
	}
	return n
}

// TestAlerts moves the clock through a case's claim and completion limits:
// warnings fire once each, an unclaimed dispatch is recalled, an overdue
// case is escalated, and two servers firing at once fire each alert once.
func TestAlerts(t *testing.T) {
	testdb.EachPair(t, func(t *testing.T, s, other *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		// Tuesday 2026-03-10 10:00 China time; category 0101 gives 2
		// working hours to claim, warnings at 50% and 80%.
		clock.T = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
		c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0101", Title: "占道", HasLocation: true, Lng: 116.1, Lat: 39.2})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.FireDueAlerts(ctx, 100); err != nil || n != 0 {
			t.Fatalf("nothing due yet: %d %v", n, err)
		}
		clock.Advance(70 * time.Minute) // 11:10, past 50% of the claim limit
		if n, on, err := s.FireDueAlertsOn(ctx, 100); err != nil || n != 1 || len(on) != 1 || on[0] != c.ID {
			t.Fatalf("yellow: %d on %v, %v", n, on, err)
		}
		if n, _ := s.FireDueAlerts(ctx, 100); n != 0 {
			t.Fatalf("the yellow warning fired again: %d", n)
		}
		// 12:05: red and overdue at once, fired by two servers together.
		clock.Advance(55 * time.Minute)
		var wg sync.WaitGroup
		counts := make([]int, 2)
		for i, st := range []*store.Store{s, other} {
			wg.Add(1)
			go func(i int, st *store.Store) {
				defer wg.Done()
				n, err := st.FireDueAlerts(ctx, 100)
				if err != nil {
					t.Errorf("server %d: %v", i, err)
				}
				counts[i] = n
			}(i, st)
		}
		wg.Wait()
		if counts[0]+counts[1] != 2 {
			t.Fatalf("red + overdue fired %v times in all, want 2", counts)
		}
		got, _ := s.GetCase(ctx, civic.System, c.ID)
		if got.State != civic.StateAccepted || got.HandlerOrgID != 0 {
			t.Fatalf("an unclaimed overdue dispatch was not recalled: %s", got.State)
		}
		if n := countActions(t, s, c.ID, civic.ActRecall); n != 1 {
			t.Fatalf("%d recall events", n)
		}
		if n := countActions(t, s, c.ID, civic.ActWarn); n != 2 {
			t.Fatalf("%d warning events, want yellow and red", n)
		}
		// Dispatched again and claimed: now the completion limit (3
		// working days) runs out.
		w.act(t, w.community, c.ID, store.CaseInput{Action: civic.ActDispatch})
		w.act(t, w.handler, c.ID, store.CaseInput{Action: civic.ActClaim})
		clock.Advance(7 * 24 * time.Hour)
		if _, err := s.FireDueAlerts(ctx, 100); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetCase(ctx, civic.System, c.ID)
		if got.Priority != 1 || countActions(t, s, c.ID, civic.ActEscalate) != 2 {
			t.Fatalf("overdue completion: priority %d, %d escalations (feedback and completion)", got.Priority, countActions(t, s, c.ID, civic.ActEscalate))
		}
		overdue, _, err := s.ListCases(ctx, w.street, store.CaseFilter{Overdue: true})
		if err != nil || len(overdue) != 1 {
			t.Fatalf("overdue list: %d %v", len(overdue), err)
		}
		// A second full pass finds nothing new.
		if n, _ := s.FireDueAlerts(ctx, 100); n != 0 {
			t.Fatalf("alerts fired again after a full pass: %d", n)
		}
	})
}

// TestRetiredCategory retires a category while one of its cases is open:
// the case can still be worked, keeps its category's limits, and the
// warning runner still recalls it, while new cases may not choose it.
func TestRetiredCategory(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		clock.T = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC) // Tuesday 10:00 China time
		file := func() civic.Case {
			c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: "楼道堆物", HasLocation: true, Lng: 116.1, Lat: 39.2})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		worked, recalled := file(), file()
		if _, err := s.SetCategoryActive(ctx, civic.System, "0102", false); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: "新的", HasLocation: true, Lng: 116.1, Lat: 39.2}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a new case in a retired category: %v", err)
		}
		c := w.act(t, w.grid, worked.ID, store.CaseInput{Action: civic.ActClaim})
		// 0102 gives 1 working day for feedback: 10:00 Wednesday, not the
		// defaults'.
		if c.FeedbackDue == nil || !c.FeedbackDue.Equal(time.Date(2026, 3, 11, 2, 0, 0, 0, time.UTC)) {
			t.Fatalf("feedback due %v", c.FeedbackDue)
		}
		w.act(t, w.grid, worked.ID, store.CaseInput{Action: civic.ActHandle, Note: "已清理"})
		// 2 working hours to claim: by 12:05 the other is recalled.
		clock.Advance(125 * time.Minute)
		for i := 0; i < 5; i++ {
			if _, err := s.FireDueAlerts(ctx, 100); err != nil {
				t.Fatalf("alerts: %v", err)
			}
		}
		got, err := s.GetCase(ctx, civic.System, recalled.ID)
		if err != nil || got.State != civic.StateAccepted {
			t.Fatalf("the unclaimed case in a retired category was not recalled: %s %v", got.State, err)
		}
	})
}

// TestAlertsPoisonCase: a case whose alert cannot be written (here a
// trigger refuses its events; in life any lasting error of one case) must
// not hold back every other case's warnings and deadlines. The pass goes
// on past it and reports it; the case is tried again after AlertRetry,
// not at the head of every pass.
func TestAlertsPoisonCase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		clock.T = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC) // Tuesday 10:00 China time
		bad := w.file(t, w.resident, store.NewCase{Source: civic.SourceResident, CategoryCode: "0101", Title: "占道"})
		clock.Advance(time.Minute)
		good := w.file(t, w.resident, store.NewCase{Source: civic.SourceResident, CategoryCode: "0101", Title: "占道二"})
		if err := s.PoisonForTest(ctx, "case_events", fmt.Sprintf("NEW.case_id = %d", bad.ID)); err != nil {
			t.Fatal(err)
		}
		clock.Advance(70 * time.Minute) // past 50% of both claim limits
		n, err := s.FireDueAlerts(ctx, 100)
		if n != 1 || err == nil || !strings.Contains(err.Error(), fmt.Sprintf("case %d", bad.ID)) {
			t.Fatalf("a poisoned case held back the others: fired %d, %v", n, err)
		}
		if got := countActions(t, s, good.ID, civic.ActWarn); got != 1 {
			t.Fatalf("the good case has %d warnings, want 1", got)
		}
		// The next pass does not stumble on it again at once…
		if n, err := s.FireDueAlerts(ctx, 100); n != 0 || err != nil {
			t.Fatalf("the poisoned case was retried at once: %d %v", n, err)
		}
		// …but after AlertRetry it is tried again, and still reported.
		clock.Advance(store.AlertRetry)
		if _, err := s.FireDueAlerts(ctx, 100); err == nil {
			t.Fatal("the poisoned case was not tried again")
		}
	})
}

// TestAlertsTwoServersManyCases: two servers work the same backlog of due
// cases at once, in small batches as the job does after an outage: every
// warning and every recall happens exactly once per case.
func TestAlertsTwoServersManyCases(t *testing.T) {
	testdb.EachPair(t, func(t *testing.T, s, other *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		clock.T = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC) // Tuesday 10:00 China time
		var ids []int64
		for i := 0; i < 24; i++ {
			ids = append(ids, w.file(t, w.resident, store.NewCase{Source: civic.SourceResident, CategoryCode: "0101", Title: fmt.Sprintf("占道%d", i)}).ID)
		}
		clock.Advance(3 * time.Hour) // past yellow, red and the claim limit of every case
		var wg sync.WaitGroup
		fired := make([]int, 2)
		for i, st := range []*store.Store{s, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					n, err := st.FireDueAlerts(ctx, 5)
					if err != nil {
						t.Errorf("server %d: %v", i, err)
						return
					}
					fired[i] += n
					if n == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		// A last pass by one server picks up what both skipped locked.
		n, err := s.FireDueAlerts(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if total := fired[0] + fired[1] + n; total != 3*len(ids) {
			t.Fatalf("fired %v + %d in all, want %d", fired, n, 3*len(ids))
		}
		for _, id := range ids {
			if w, r := countActions(t, s, id, civic.ActWarn), countActions(t, s, id, civic.ActRecall); w != 2 || r != 1 {
				t.Fatalf("case %d: %d warnings, %d recalls", id, w, r)
			}
		}
	})
}
