package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
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
		// And a transfer that changes the category, a merge and a return.
		submit := func(title, category string) int64 {
			c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: category,
				Title: title, HasLocation: true, Lng: 116.1, Lat: 39.2})
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		x, y, z := submit("门口占道", "0101"), submit("门口又被占道", "0101"), submit("楼道堆物", "0102")
		w.act(t, w.community, x, store.CaseInput{Action: civic.ActTransfer, CategoryCode: "0102", TargetRegionCode: grid1, Note: "改派网格"})
		w.act(t, w.community, y, store.CaseInput{Action: civic.ActMerge, MergeInto: x, Note: "同一问题"})
		w.act(t, w.grid, z, store.CaseInput{Action: civic.ActReturn, Note: "不属于本网格"})
		// And a group commit (the server's intake path), with repeated keys.
		in := s.NewIntake(w.loc)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := in.Submit(ctx, w.resident, store.NewCase{IdempotencyKey: fmt.Sprintf("k%d", i%15), Source: civic.SourceResident,
					CategoryCode: "0102", Title: "楼道堆物", HasLocation: true, Lng: 116.1, Lat: 39.2}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		in.Close()
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
			switch {
			case r.Level != 0:
			case r.Table == "case_stock":
				stock[r.Column] += r.N
			case r.Table == "case_flow":
				flow[r.Column] += r.N
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
		if flow["report"] != int64(len(cs)) || flow[store.KindVisitValid] == 0 || flow[store.KindClaimOnTime] == 0 || flow["reopen"] != 1 ||
			flow["transfer"] != 1 || flow["merges"] != 2 || flow["returned"] != 2 {
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
		if n == 0 || n > len(reb) {
			t.Errorf("rebuild wrote %d rows for %d counts", n, len(reb))
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

// TestOverview checks the overview from the roll-ups against the same
// overview computed by scanning the timelines, and its scope.
func TestOverview(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustMetricsWorld(t, s)
		mustWalkMetricsScenario(t, w, clock)
		mustPerson(t, s, civic.System, grid1, "王奶奶", "1940-05-01", civic.TagAlone)
		for _, tc := range []struct {
			a     civic.Actor
			scope string
			month int64
		}{{civic.System, "", 8}, {w.metricsStreet2, "", 1}, {civic.System, metricsStreet2, 1}} {
			o, err := s.Overview(ctx, tc.a, tc.scope)
			if err != nil {
				t.Fatal(err)
			}
			scan, err := s.OverviewByScan(ctx, tc.a, tc.scope)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(o)
			b, _ := json.Marshal(scan)
			if string(a) != string(b) {
				t.Errorf("scope %q: roll-ups\n%s\nscan\n%s", tc.scope, a, b)
			}
			month := o.Periods[2]
			if month.Name != "month" || month.From != "2026-03-01" || month.Reported != tc.month {
				t.Errorf("scope %q: month = %+v, want %d reported", tc.scope, month, tc.month)
			}
			if len(o.Daily) != 30 || len(o.Monthly) != 12 || o.Daily[29].Date != "2026-03-16" {
				t.Errorf("scope %q: trends %d days (last %s), %d months", tc.scope, len(o.Daily), o.Daily[len(o.Daily)-1].Date, len(o.Monthly))
			}
			// B claimed late, C closed late (see mustWalkMetricsScenario).
			if pop := map[int64]int64{8: 1, 1: 0}[tc.month]; o.People == nil || o.People.Population != pop || o.People.ByTag["alone"] != pop || o.People.Linkage.People != int(pop) {
				t.Errorf("scope %q: people %+v, want %d", tc.scope, o.People, pop)
			}
			if tc.month == 8 && (month.Rates.Satisfaction == nil || month.Events[store.KindVisitValid] != 5 || month.Events[store.KindClaimOnTime] != 6 || month.Events[store.KindCloseOnTime] != 3 || month.Events[store.KindClaimPending] != 1) {
				t.Errorf("city month events %v rates %+v", month.Events, month.Rates)
			}
			// A claim on time counts on its dispatch's day: C, dispatched
			// again on Saturday and claimed on Monday, makes Saturday's
			// 响应率 1/1 — on the claim's day it made Saturday 0/1 and
			// Monday 1/0 — and no day is ever above 100 %.
			for _, d := range o.Daily {
				if r := d.Rates.Response; r != nil && *r > 1 {
					t.Errorf("scope %q: %s 响应率 %.2f", tc.scope, d.Date, *r)
				}
				if r := d.Rates.Response; tc.month == 8 && d.Date == "2026-03-14" && (r == nil || *r != 1) {
					t.Errorf("Saturday's 响应率 %s, want 1 (C's redispatch, claimed Monday in time)", ratioString(r))
				}
				// Friday: H claimed in time, G's claim not yet due — pending,
				// not late, so out of the denominator.
				if r := d.Rates.Response; tc.month == 8 && d.Date == "2026-03-13" && (r == nil || *r != 1) {
					t.Errorf("Friday's 响应率 %s, want 1 (H on time, G pending)", ratioString(r))
				}
			}
		}
		// An operator sees case figures, not people.
		if o, err := s.Overview(ctx, w.operator, ""); err != nil || o.People != nil {
			t.Errorf("operator: %v, people %+v", err, o.People)
		}
		// Outside the scope looks like missing; no permission is refused.
		if _, err := s.Overview(ctx, w.metricsStreet2, "110101001"); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Errorf("other street: %v, want not found", err)
		}
		if _, err := s.Overview(ctx, civic.Actor{UserID: 99, Role: civic.RoleResident, Scope: civic.Scope{RegionCode: metricsStreet2}}, ""); err == nil {
			t.Error("a resident got the overview")
		}
	})
}

func ratioString(r *float64) string {
	if r == nil {
		return "none"
	}
	return fmt.Sprintf("%.2f", *r)
}

// TestMigrationRecountsResponse: migration 0027 changed which day a claim
// on time counts on, and rebuilds the roll-ups of a database migrated
// from before it in its own transaction: counts left as an older binary
// kept them are recounted.
func TestMigrationRecountsResponse(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustMetricsWorld(t, s)
		mustWalkMetricsScenario(t, w, clock)
		want, err := s.Rollups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// As before 0027: Saturday's claim count moved to Monday.
		for _, q := range []string{
			`UPDATE case_flow SET claim_on_time = claim_on_time - 1 WHERE day = '2026-03-14' AND claim_on_time > 0`,
			`UPDATE case_flow SET claim_on_time = claim_on_time + 1 WHERE day = '2026-03-16'`,
			`DELETE FROM schema_migrations WHERE version = 27`,
		} {
			if _, err := s.ExecForTest(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if stale, _ := s.Rollups(ctx); fmt.Sprint(stale) == fmt.Sprint(want) {
			t.Fatal("the stale counts equal the current ones: the test changes nothing")
		}
		applied, err := s.Migrate(ctx)
		if err != nil || len(applied) != 1 || applied[0] != "0027_rollups_response_day.sql" {
			t.Fatalf("migrate: %v %v", applied, err)
		}
		got, err := s.Rollups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after 0027 the roll-ups are not recounted:\n%v\nwant\n%v", got, want)
		}
	})
}
