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

// careWorld is the people world with an elderly person living alone in
// house 0, a 低保 resident in house 1 (both grid1), and an elderly person
// living alone in grid2.
type careWorld struct {
	*peopleWorld
	elder, dibao, farElder civic.Person
}

func mustCareWorld(t *testing.T, s *store.Store) *careWorld {
	t.Helper()
	ctx := context.Background()
	w := &careWorld{peopleWorld: mustPeopleWorld(t, s)}
	w.elder = mustPerson(t, s, w.community, grid1, "孙奶奶", "1940-02-02", civic.TagAlone)
	w.dibao = mustPerson(t, s, w.community, grid1, "周大姐", "1975-06-01", civic.TagDibao)
	w.farElder = mustPerson(t, s, civic.System, grid2, "吴大爷", "1938-09-09", civic.TagAlone)
	for _, l := range []civic.HouseLink{{PersonID: w.elder.ID, HouseID: w.houses[0].ID}, {PersonID: w.dibao.ID, HouseID: w.houses[1].ID}, {PersonID: w.farElder.ID, HouseID: w.far.ID}} {
		l.Relation = civic.RelationOwner
		if _, err := s.LinkHouse(ctx, civic.System, l); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func mustEvaluate(t *testing.T, s *store.Store) store.CarePass {
	t.Helper()
	p, err := s.EvaluateCareRules(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func openTasks(t *testing.T, s *store.Store, a civic.Actor) []civic.CareTask {
	t.Helper()
	ts, n, err := s.CareTasks(context.Background(), a, store.CareTaskFilter{})
	if err != nil || n != len(ts) {
		t.Fatalf("care tasks: %d %v", n, err)
	}
	return ts
}

// TestCareTasks walks the default rules: one task per target, none on a
// second pass, a visit or a party contact closes it, staff close one with a
// note, a target that stops matching lets go of its task, and the clock
// brings a task back when the period has run again.
func TestCareTasks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCareWorld(t, s)
		rules, err := s.ListCareRules(ctx, w.grid)
		if err != nil || len(rules) != 4 || rules[0].Name != "独居老人每30天走访" || len(rules[0].Tags) != 2 || !rules[0].Active {
			t.Fatalf("default rules %+v %v", rules, err)
		}
		// The elder (60+, alone) in grid1 and grid2, the 低保 household.
		if p := mustEvaluate(t, s); p.Created != 3 {
			t.Fatalf("first pass %+v, want 3 tasks", p)
		}
		if p := mustEvaluate(t, s); p.Created != 0 || p.Closed != 0 {
			t.Fatalf("second pass %+v", p)
		}
		ts := openTasks(t, s, w.grid)
		if len(ts) != 2 || ts[0].PersonID != w.elder.ID || ts[0].Address != w.houses[0].Address || ts[1].HouseID != w.houses[1].ID || ts[1].Target != civic.CareTargetHouse {
			t.Fatalf("grid1 to-do %+v", ts)
		}
		// Most overdue first: the 30-day rule is due now, the quarterly
		// one at the end of March (China time).
		if !ts[0].DueAt.Equal(clock.Now()) || !ts[1].DueAt.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, civic.ChinaTime)) {
			t.Fatalf("due %v %v", ts[0].DueAt, ts[1].DueAt)
		}
		if far := openTasks(t, s, w.outsider); len(far) != 1 || far[0].PersonID != w.farElder.ID {
			t.Fatalf("grid2 to-do %+v", far)
		}
		if _, err := s.GetCareTask(ctx, w.outsider, ts[0].ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("an outsider reads a task: %v", err)
		}
		// A visit to the elder's house closes her task at once.
		if _, err := s.RecordVisit(ctx, w.grid, civic.Visit{HouseID: w.houses[0].ID, Notes: "老人身体尚可"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetCareTask(ctx, w.grid, ts[0].ID); got.State != civic.CareDone || got.ClosedBy != "gridworker" || got.ClosedAt == nil {
			t.Fatalf("after the visit %+v", got)
		}
		// A party member's contact with the 低保 household closes its task.
		member := mustPerson(t, s, w.community, grid1, "党员甲", "1970-01-01", civic.TagParty)
		if _, err := s.AssignHousehold(ctx, w.community, member.ID, w.houses[1].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordContact(ctx, w.community, civic.PartyContact{MemberID: member.ID, HouseID: w.houses[1].ID, Way: civic.ContactWeChat}); err != nil {
			t.Fatal(err)
		}
		if got := openTasks(t, s, w.grid); len(got) != 0 {
			t.Fatalf("still open after visit and contact: %+v", got)
		}
		if p := mustEvaluate(t, s); p.Created != 0 {
			t.Fatalf("pass after contacts %+v", p)
		}
		// Staff close the far task with a note, once.
		far := openTasks(t, s, w.outsider)[0]
		if _, err := s.CloseCareTask(ctx, w.grid, far.ID, "住院"); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("grid1 closes a grid2 task: %v", err)
		}
		if _, err := s.CloseCareTask(ctx, w.outsider, far.ID, " "); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("closing without a note: %v", err)
		}
		if got, err := s.CloseCareTask(ctx, w.outsider, far.ID, "老人住院，出院后走访"); err != nil || got.State != civic.CareDismissed || got.Note != "老人住院，出院后走访" {
			t.Fatalf("close %+v %v", got, err)
		}
		if _, err := s.CloseCareTask(ctx, w.outsider, far.ID, "再关一次"); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("closing twice: %v", err)
		}
		if done, n, _ := s.CareTasks(ctx, w.street, store.CareTaskFilter{State: civic.CareDone}); n != 2 || done[0].HouseID != w.houses[1].ID {
			t.Fatalf("done list %+v", done)
		}
		// 31 days on (10 April), the elder is due again, the far elder's
		// dismissed task makes way for a new one, and the 低保 household is
		// due in the new quarter.
		clock.Advance(31 * 24 * time.Hour)
		if p := mustEvaluate(t, s); p.Created != 3 {
			t.Fatalf("pass a month on %+v, want 3", p)
		}
		// She is no longer alone, so her task lapses.
		elder := w.elder
		elder.Tags = nil
		if _, err := s.SavePerson(ctx, w.community, elder, "子女已搬回同住"); err != nil {
			t.Fatal(err)
		}
		if p := mustEvaluate(t, s); p.Lapsed != 1 || p.Created != 0 {
			t.Fatalf("pass after the tag went %+v", p)
		}
		if lapsed, n, _ := s.CareTasks(ctx, w.grid, store.CareTaskFilter{State: civic.CareLapsed}); n != 1 || lapsed[0].PersonID != w.elder.ID {
			t.Fatalf("lapsed %+v", lapsed)
		}
		// A visit recorded some other way than RecordVisit (an import) is
		// found by the pass.
		if _, err := s.ExecForTest(ctx, `INSERT INTO visits (house_id, grid_code, visitor_id, visitor_name, visited_at, notes, created_at) VALUES (?, ?, 0, 'import', ?, 'imported', ?)`,
			w.houses[1].ID, grid1, clock.Now(), clock.Now()); err != nil {
			t.Fatal(err)
		}
		if p := mustEvaluate(t, s); p.Closed != 1 {
			t.Fatalf("pass after an imported visit %+v", p)
		}
	})
}

// TestCareRules checks who may change which rules.
func TestCareRules(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCareWorld(t, s)
		admin := mustActor(t, s, "cityadmin", civic.RoleAdmin, "1101")
		rule := civic.CareRule{RegionCode: "110101001001", Name: "高龄老人每周探望", Target: civic.CareTargetPerson, Tags: []civic.Tag{civic.TagAge80}, Period: civic.CareEveryDays, Days: 7, Active: true}
		for _, c := range []struct {
			name string
			a    civic.Actor
			r    civic.CareRule
			want civic.ErrorCode
		}{
			{"a grid worker", w.grid, rule, civic.EForbidden},
			{"outside scope", mustActor(t, s, "community2", civic.RoleCommunityStaff, grid2), rule, civic.EForbidden},
			{"everywhere, by community staff", w.community, civic.CareRule{Name: "x", Target: civic.CareTargetPerson, Tags: []civic.Tag{civic.TagAge80}, Period: civic.CareEveryMonth}, civic.EForbidden},
			{"no tags", w.community, civic.CareRule{RegionCode: "110101001001", Name: "x", Target: civic.CareTargetPerson, Period: civic.CareEveryMonth}, civic.EInvalid},
			{"zero days", w.community, civic.CareRule{RegionCode: "110101001001", Name: "x", Target: civic.CareTargetPerson, Tags: []civic.Tag{civic.TagAge80}, Period: civic.CareEveryDays}, civic.EInvalid},
		} {
			if _, err := s.SaveCareRule(ctx, c.a, c.r); civic.ErrorCodeOf(err) != c.want {
				t.Fatalf("%s: %v, want %s", c.name, err, c.want)
			}
		}
		saved, err := s.SaveCareRule(ctx, w.community, rule)
		if err != nil || saved.ID == 0 || saved.Describe("zh") != "80岁以上 · 每7天" {
			t.Fatalf("save %+v %v", saved, err)
		}
		defaults, _ := s.ListCareRules(ctx, w.community)
		if _, err := s.SaveCareRule(ctx, w.community, defaults[0]); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("community staff change a city-wide rule: %v", err)
		}
		if len(defaults) != 5 {
			t.Fatalf("%d rules, want 5", len(defaults))
		}
		// grid2 lies in the community too; a street elsewhere does not.
		if rs, _ := s.ListCareRules(ctx, w.outsider); len(rs) != 5 {
			t.Fatalf("grid2 sees %d rules, want 5", len(rs))
		}
		if rs, _ := s.ListCareRules(ctx, civic.Actor{UserID: 999, Username: "elsewhere", Role: civic.RoleStreetStaff, Scope: civic.Scope{RegionCode: "110101002"}}); len(rs) != 4 {
			t.Fatalf("another street sees %d rules, want the 4 defaults", len(rs))
		}
		// A city-wide administrator switches the living-alone rule off;
		// its open tasks lapse on the next pass.
		mustEvaluate(t, s)
		off := defaults[0]
		off.Active = false
		if _, err := s.SaveCareRule(ctx, admin, off); err != nil {
			t.Fatal(err)
		}
		if p := mustEvaluate(t, s); p.Lapsed != 2 || p.Created != 0 {
			t.Fatalf("after switching off %+v", p)
		}
	})
}

// TestCareTasksTwoServers runs a pass in two servers on one database at
// once: each task is filed once, and only one server wins the job's lease.
func TestCareTasksTwoServers(t *testing.T) {
	testdb.EachPair(t, func(t *testing.T, s, other *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCareWorld(t, s)
		for i := 0; i < 6; i++ {
			p := mustPerson(t, s, w.community, grid1, "独居老人"+string(rune('甲'+i)), "1944-01-01", civic.TagAlone)
			if _, err := s.LinkHouse(ctx, w.community, civic.HouseLink{PersonID: p.ID, HouseID: w.houses[3].ID, Relation: civic.RelationFamily}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		passes := make([]store.CarePass, 2)
		wins := make([]bool, 2)
		for i, st := range []*store.Store{s, other} {
			wg.Add(1)
			go func(i int, st *store.Store) {
				defer wg.Done()
				won, err := st.ClaimRun(ctx, "care.test", time.Hour)
				if err != nil {
					t.Errorf("server %d claim: %v", i, err)
				}
				wins[i] = won
				p, err := st.EvaluateCareRules(ctx, 2)
				if err != nil {
					t.Errorf("server %d: %v", i, err)
				}
				passes[i] = p
			}(i, st)
		}
		wg.Wait()
		if wins[0] == wins[1] {
			t.Fatalf("lease won by %v", wins)
		}
		// 6 + the elder + the far elder + the 低保 household.
		if n := passes[0].Created + passes[1].Created; n != 9 {
			t.Fatalf("filed %d tasks in all (%+v), want 9", n, passes)
		}
		var n int
		if err := s.QueryRowForTest(ctx, `SELECT COUNT(*) FROM care_tasks`).Scan(&n); err != nil || n != 9 {
			t.Fatalf("%d task rows: %v", n, err)
		}
		if won, _ := other.ClaimRun(ctx, "care.test", time.Hour); won {
			t.Fatal("the lease was taken twice in one period")
		}
		clock.Advance(time.Hour)
		if won, _ := other.ClaimRun(ctx, "care.test", time.Hour); !won {
			t.Fatal("the lease did not come due again")
		}
	})
}

// TestCarePoisonRule: one rule whose tasks cannot be written (a trigger
// refuses them; in life any lasting error of one rule) must not keep every
// rule after it from being evaluated: the pass goes on, files the other
// rules' tasks and reports the rule that failed.
func TestCarePoisonRule(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCareWorld(t, s)
		rules, err := s.ListCareRules(ctx, civic.System)
		if err != nil || len(rules) < 2 {
			t.Fatalf("rules %+v %v", rules, err)
		}
		if err := s.PoisonForTest(ctx, "care_tasks", fmt.Sprintf("NEW.rule_id = %d", rules[0].ID)); err != nil {
			t.Fatal(err)
		}
		p, err := s.EvaluateCareRules(ctx, 2)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("care rule %d", rules[0].ID)) {
			t.Fatalf("the failing rule was not reported: %v", err)
		}
		// The 低保 household's quarterly rule comes after the poisoned one.
		if p.Created != 1 {
			t.Fatalf("pass %+v: the rules after the failing one were not evaluated", p)
		}
		if ts := openTasks(t, s, w.grid); len(ts) != 1 || ts[0].HouseID != w.houses[1].ID {
			t.Fatalf("grid1 to-do %+v", ts)
		}
	})
}
