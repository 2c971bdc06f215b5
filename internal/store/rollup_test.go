package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestRollupRebuildEqualsIncremental walks the metrics scenario (intake,
// dispatch, claim, feedback, handle, verify fail and pass, visits, reopen,
// return, a direct answer) and proves the roll-ups kept event by event
// equal a rebuild from case_events, row by row, and that the stock agrees
// with the cases' current states.
func TestRollupRebuildEqualsIncremental(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustMetricsWorld(t, s)
		mustWalkMetricsScenario(t, w, clock)
		inc, err := s.Rollups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(inc) == 0 {
			t.Fatal("no roll-up rows after the scenario")
		}
		// The stock adds up to the cases by current state.
		stock := map[string]int64{}
		flow := map[string]int64{}
		for _, r := range inc {
			if r.Table == "stock" {
				stock[r.Kind] += r.N
			} else {
				flow[r.Kind] += r.N
			}
		}
		cs, _, err := s.ListCases(ctx, civic.System, store.CaseFilter{Page: store.Page{Limit: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{}
		for _, c := range cs {
			want[string(c.State)]++
		}
		if fmt.Sprint(stock) != fmt.Sprint(want) {
			t.Errorf("stock by state = %v, cases by state = %v", stock, want)
		}
		if flow["report"] != int64(len(cs)) || flow[store.KindVisitValid] == 0 || flow[store.KindClaimOnTime] == 0 || flow["reopen"] != 1 {
			t.Errorf("flow totals = %v", flow)
		}
		n, err := s.RebuildRollups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		reb, err := s.Rollups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != len(reb) {
			t.Errorf("rebuild wrote %d rows, lists %d", n, len(reb))
		}
		if len(reb) != len(inc) {
			t.Errorf("rebuild has %d rows, incremental %d", len(reb), len(inc))
		}
		for i := range min(len(reb), len(inc)) {
			if reb[i] != inc[i] {
				t.Errorf("row %d: rebuild %+v, incremental %+v", i, reb[i], inc[i])
			}
		}
	})
}
