package demo

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// caseTestNow is testdb's ordinary working morning: Tuesday 10 March 2026,
// 10:00 in Beijing.
var caseTestNow = testdb.NewClock().T

// MustLoadCases loads the demo city, the default catalogue and n cases
// into a fresh SQLite store, and says how long LoadCases took.
func MustLoadCases(tb testing.TB, seed uint64, now time.Time, n int) (*store.Store, CaseReport, time.Duration) {
	tb.Helper()
	ctx := context.Background()
	clock := &Clock{}
	clock.Set(now.AddDate(0, 0, -CaseDays-1))
	s := testdb.MustOpen(tb, store.SQLite, clock)
	city := Generate(testSeed)
	if err := Load(ctx, s, city); err != nil {
		tb.Fatalf("load city: %v", err)
	}
	if _, err := s.EnsureDefaultCategories(ctx); err != nil {
		tb.Fatalf("load categories: %v", err)
	}
	start := time.Now()
	rep, err := LoadCases(ctx, s, clock, city, seed, now, n)
	took := time.Since(start)
	if err != nil {
		tb.Fatalf("load cases: %v", err)
	}
	if got := clock.Now(); !got.Equal(now) {
		tb.Errorf("clock left at %v, want now %v", got, now)
	}
	return s, rep, took
}

// MustListAllCases lists every case the actor sees, by ID descending.
func MustListAllCases(tb testing.TB, s *store.Store, a civic.Actor, f store.CaseFilter) []civic.Case {
	tb.Helper()
	f.Page = store.Page{Limit: 10000}
	cs, total, err := s.ListCases(context.Background(), a, f)
	if err != nil {
		tb.Fatalf("list cases: %v", err)
	}
	if len(cs) != total {
		tb.Fatalf("listed %d of %d cases", len(cs), total)
	}
	return cs
}

func TestLoadCases(t *testing.T) {
	ctx := context.Background()
	s, rep, took := MustLoadCases(t, testSeed, caseTestNow, DefaultCaseCount)
	t.Logf("LoadCases on SQLite: %d cases, %d actions, %d alerts, %d accounts in %v (%.2f ms a write); by state %v; %d steps skipped",
		rep.Cases, rep.Actions, rep.Alerts, rep.Accounts, took.Round(time.Millisecond),
		float64(took.Microseconds())/1000/float64(rep.Cases+rep.Actions+rep.Accounts), rep.ByState, rep.Skipped)

	cases := MustListAllCases(t, s, civic.System, store.CaseFilter{})
	if len(cases) != rep.Cases || rep.Cases < DefaultCaseCount*95/100 {
		t.Errorf("%d cases stored, report says %d, asked for %d", len(cases), rep.Cases, DefaultCaseCount)
	}
	if rep.Skipped > rep.Actions/100 {
		t.Errorf("%d steps skipped of %d", rep.Skipped, rep.Actions)
	}

	// The hotspot planted in the history is found by the demo community's
	// staff with the default parameters and turned into one case.
	t.Run("planted hotspot", func(t *testing.T) {
		u, err := s.GetUserByName(ctx, civic.System, "community")
		if err != nil {
			t.Fatal(err)
		}
		a := store.ActorOf(u, "")
		hs, _, err := s.DetectHotspots(ctx, a, demoGrid, civic.HotspotParams{RadiusM: 100})
		if err != nil {
			t.Fatal(err)
		}
		var found *civic.Hotspot
		for i, h := range hs {
			if h.Kind == civic.HotspotManyReporters && h.Size >= PlantedHotspotSize && h.Mergeable >= PlantedHotspotSize && h.Reporters >= PlantedHotspotSize {
				found = &hs[i]
				break
			}
		}
		if found == nil {
			t.Fatalf("planted hotspot not found among %d warnings: %+v", len(hs), hs)
		}
		var ids []int64
		for _, c := range found.Cases {
			if civic.Mergeable(c.State) {
				ids = append(ids, c.ID)
			}
		}
		kept, err := s.MergeHotspot(ctx, a, ids)
		if err != nil {
			t.Fatal(err)
		}
		reps, err := s.CaseReporters(ctx, a, kept.ID)
		if err != nil || len(reps) < len(ids)-1 {
			t.Fatalf("the kept case %s has %d co-reporters, want %d: %v", kept.Number, len(reps), len(ids)-1, err)
		}
		t.Logf("planted hotspot: %d cases, %d reporters, merged into %s", found.Size, found.Reporters, kept.Number)
	})

	t.Run("every state", func(t *testing.T) {
		for _, st := range civic.CaseStates {
			if rep.ByState[st] == 0 {
				t.Errorf("no case in state %s", st)
			}
		}
	})

	from := caseTestNow.AddDate(0, 0, -CaseDays)
	seen := map[string]int{}
	count := func(k string, ok bool) {
		if ok {
			seen[k]++
		}
	}
	for _, c := range cases {
		count("source "+string(c.Source), true)
		count("rework", c.ReworkCount > 0)
		count("reopened", c.ReopenCount > 0)
		count("returned", c.ReturnCount > 0)
		count("merged", c.MergedInto != 0)
		count("extended", c.CompleteExtra > 0)
		count("suspended now", c.Paused)
		count("escalated", c.Priority > 0)
		count("overdue", c.State == civic.StateInProgress && c.CompleteDue != nil && c.CompleteDue.Before(caseTestNow) && !c.Paused)
		count("unknown category", c.State == civic.StateReported && c.CategoryCode == "")
		if c.State == civic.StateVisited {
			count("rated "+string(c.Satisfaction), true)
			count("unsolved", c.Solved != nil && !*c.Solved)
		}
		if c.CreatedAt.Before(from) || !c.CreatedAt.Before(caseTestNow) {
			t.Errorf("case %d created %v, outside [%v, %v)", c.ID, c.CreatedAt, from, caseTestNow)
		}
		if c.HasLocation && len(c.RegionCode) < 15 {
			t.Errorf("case %d at (%v, %v) lies in %s, not in a grid", c.ID, c.Lng, c.Lat, c.RegionCode)
		}
		if c.HandlerOrgID != 0 {
			if _, err := s.GetOrganisation(ctx, civic.System, c.HandlerOrgID); err != nil {
				t.Errorf("case %d: handler organisation %d: %v", c.ID, c.HandlerOrgID, err)
			}
		}
		if c.HandlerRegionCode != "" {
			if _, err := s.GetRegion(ctx, civic.System, c.HandlerRegionCode); err != nil {
				t.Errorf("case %d: handler region %s: %v", c.ID, c.HandlerRegionCode, err)
			}
		}
		evs, err := s.CaseEvents(ctx, civic.System, c.ID)
		if err != nil {
			t.Fatalf("events of case %d: %v", c.ID, err)
		}
		for i, e := range evs {
			count("action "+string(e.Action), true)
			if e.At.After(caseTestNow) || e.At.Before(c.CreatedAt) {
				t.Errorf("case %d event %d (%s) at %v: outside [%v, %v]", c.ID, e.ID, e.Action, e.At, c.CreatedAt, caseTestNow)
			}
			if i > 0 && e.At.Before(evs[i-1].At) {
				t.Errorf("case %d: event %d (%s) at %v is before the one before it (%s at %v)", c.ID, e.ID, e.Action, e.At, evs[i-1].Action, evs[i-1].At)
			}
		}
		if len(evs) == 0 || evs[0].Action != civic.ActReport {
			t.Errorf("case %d: timeline does not start with the report: %v", c.ID, evs)
		}
	}
	t.Logf("features: %v", seen)
	t.Run("every path", func(t *testing.T) {
		for _, k := range []string{
			"source resident", "source hotline", "source patrol",
			"rework", "reopened", "returned", "merged", "extended", "suspended now", "escalated", "overdue", "unknown category",
			"rated satisfied", "rated basic_satisfied", "rated dissatisfied", "unsolved",
			"action answer", "action reject", "action accept", "action dispatch", "action recall", "action transfer", "action feedback",
			"action verify_fail", "action reopen", "action merge", "action request_extend", "action request_pause", "action decide",
			"action resume", "action warn", "action escalate",
		} {
			if seen[k] == 0 {
				t.Errorf("no case with %s", k)
			}
		}
	})

	t.Run("demo accounts have work", func(t *testing.T) {
		for _, u := range Generate(testSeed).Users {
			if u.Role == civic.RoleAdmin || u.Role == civic.RoleLeader || u.Role == civic.RoleVolunteer {
				continue
			}
			got, err := s.GetUserByName(ctx, civic.System, u.Username)
			if err != nil {
				t.Fatal(err)
			}
			a := store.ActorOf(got, "")
			all := MustListAllCases(t, s, a, store.CaseFilter{})
			open := 0
			for _, c := range all {
				if c.State.Open() {
					open++
				}
			}
			t.Logf("%-9s sees %3d cases, %2d open", u.Username, len(all), open)
			if open == 0 {
				t.Errorf("%s (%s) sees no open case", u.Username, u.Role)
			}
		}
	})
}

func TestLoadCasesDeterministic(t *testing.T) {
	const n = 150
	ctx := context.Background()
	s1, r1, _ := MustLoadCases(t, 7, caseTestNow, n)
	s2, r2, _ := MustLoadCases(t, 7, caseTestNow, n)
	if !reflect.DeepEqual(r1, r2) {
		t.Errorf("reports differ:\n%+v\n%+v", r1, r2)
	}
	c1 := MustListAllCases(t, s1, civic.System, store.CaseFilter{})
	c2 := MustListAllCases(t, s2, civic.System, store.CaseFilter{})
	if len(c1) != len(c2) {
		t.Fatalf("%d and %d cases", len(c1), len(c2))
	}
	for i := range c1 {
		if !reflect.DeepEqual(c1[i], c2[i]) {
			t.Fatalf("case %d differs:\n%+v\n%+v", c1[i].ID, c1[i], c2[i])
		}
		e1, err1 := s1.CaseEvents(ctx, civic.System, c1[i].ID)
		e2, err2 := s2.CaseEvents(ctx, civic.System, c2[i].ID)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(e1, e2) {
			t.Fatalf("timelines of case %d differ (%v, %v)", c1[i].ID, err1, err2)
		}
	}
	_, r3, _ := MustLoadCases(t, 8, caseTestNow, n)
	if reflect.DeepEqual(r1.ByState, r3.ByState) && r1.Actions == r3.Actions {
		t.Error("another seed gives the same cases")
	}
}

func TestLoadCasesOnce(t *testing.T) {
	s, _, _ := MustLoadCases(t, testSeed, caseTestNow, 20)
	clock := &Clock{}
	_, err := LoadCases(context.Background(), s, clock, Generate(testSeed), testSeed, caseTestNow, 20)
	if !errors.Is(err, ErrHasCases) {
		t.Errorf("second LoadCases: %v, want ErrHasCases", err)
	}
}

// BenchmarkLoadCases measures what `civicgrid demo` pays: the store opened
// as the command opens it (full password hashing cost for the accounts
// LoadCases creates), the city, the catalogue and DefaultCaseCount cases.
func BenchmarkLoadCases(b *testing.B) {
	ctx := context.Background()
	city := Generate(testSeed)
	for b.Loop() {
		b.StopTimer()
		clock := &Clock{}
		clock.Set(caseTestNow.AddDate(0, 0, -CaseDays-1))
		s, err := store.Open(ctx, testdb.DSN(b, store.SQLite), store.Options{Clock: clock})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := Load(ctx, s, city); err != nil {
			b.Fatal(err)
		}
		if _, err := s.EnsureDefaultCategories(ctx); err != nil {
			b.Fatal(err)
		}
		loaded := time.Since(start)
		rep, err := LoadCases(ctx, s, clock, city, testSeed, caseTestNow, DefaultCaseCount)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("city and catalogue %v, then %d cases (%d steps, %d alerts, %d accounts) %v",
			loaded.Round(time.Millisecond), rep.Cases, rep.Actions, rep.Alerts, rep.Accounts, (time.Since(start) - loaded).Round(time.Millisecond))
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// TestLoadCasesAtHouses: when the city has houses in a patrol grid (another
// part of the demo may register them), some patrol reports are filed at
// one, and property problems at the compound (by house or by location near
// its centre) go to the compound's company.
func TestLoadCasesAtHouses(t *testing.T) {
	ctx := context.Background()
	clock := &Clock{}
	clock.Set(caseTestNow.AddDate(0, 0, -CaseDays-1))
	s := testdb.MustOpen(t, store.SQLite, clock)
	city := Generate(testSeed)
	if err := Load(ctx, s, city); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsureDefaultCategories(ctx); err != nil {
		t.Fatal(err)
	}
	orgs, _, err := s.ListOrganisations(ctx, civic.System, store.OrgFilter{Kind: civic.OrgPropertyCompany, Under: demoStreet})
	if err != nil || len(orgs) == 0 {
		t.Fatalf("property companies of the demo street: %v", err)
	}
	var centre geoPoint
	for _, f := range city.Regions {
		if f.Code == demoGrid {
			c := f.Geom.Centroid()
			centre = geoPoint{c.Lng, c.Lat}
		}
	}
	cp, err := s.SaveCompound(ctx, civic.System, civic.Compound{RegionCode: demoCommunity, Name: "测试小区", PropertyOrgID: orgs[0].ID, Lng: centre.lng, Lat: centre.lat})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.SaveBuilding(ctx, civic.System, civic.Building{CompoundID: cp.ID, GridCode: demoGrid, Name: "1号楼", Floors: 6, Units: 2, Lng: centre.lng, Lat: centre.lat})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 6; i++ {
		if _, err := s.SaveHouse(ctx, civic.System, civic.House{BuildingID: b.ID, Unit: 1 + i%2, Floor: i, Number: fmt.Sprintf("%d01", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := LoadCases(ctx, s, clock, city, testSeed, caseTestNow, DefaultCaseCount); err != nil {
		t.Fatal(err)
	}
	atHouse, toCompany := 0, 0
	for _, c := range MustListAllCases(t, s, civic.System, store.CaseFilter{Under: demoGrid}) {
		if c.HouseID != 0 {
			atHouse++
		}
		evs, err := s.CaseEvents(ctx, civic.System, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Action == civic.ActDispatch && strings.Contains(e.Data, `"rule":"property"`) && strings.Contains(e.Note, "测试小区") {
				toCompany++
				break
			}
		}
	}
	if atHouse == 0 || toCompany == 0 {
		t.Errorf("%d cases at a house, %d routed to the compound's company", atHouse, toCompany)
	}
	t.Logf("%d cases at a house, %d routed to the compound's property company", atHouse, toCompany)
}

type geoPoint struct{ lng, lat float64 }
