package store_test

import (
	"context"
	"math"
	"reflect"
	"sort"
	"strconv"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// assessWorld is the metrics scenario (mustWalkMetricsScenario, March
// 2026) with one more case before it: P, February, so that the quarter
// and the year differ from the month.
//
//	P  dept  Tue 02-10 10:00 dispatched; the street summons the department
//	         (lead) and the property company at 10:15; the department checks
//	         in 10:20 (on time), the property company never (missed);
//	         claimed 10:30, feedback 11:00, handled 02-11 10:00, closed
//	         11:00, visit 14:00: satisfied, solved
type assessWorld struct {
	*metricsWorld
	cases map[string]int64 // title letter → case ID
	admin civic.Actor
}

func mustAssessWorld(t *testing.T, s *store.Store, clock *testdb.Clock) *assessWorld {
	t.Helper()
	ctx := context.Background()
	w := &assessWorld{metricsWorld: mustMetricsWorld(t, s), cases: map[string]int64{}}
	yes := true
	clock.T = cstAt(2, 10, 10, 0)
	p, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0101", Title: "P 占道", HasLocation: true, Lng: 116.1, Lat: 39.2})
	if err != nil {
		t.Fatal(err)
	}
	clock.T = cstAt(2, 10, 10, 15)
	w.act(t, w.street, p.ID, store.CaseInput{Action: civic.ActWhistle, WhistleOrgIDs: []int64{w.dept.ID, w.otherHandler.Scope.OrgID}, LeadOrgID: w.dept.ID})
	clock.T = cstAt(2, 10, 10, 20)
	w.act(t, w.handler, p.ID, store.CaseInput{Action: civic.ActCheckIn})
	clock.T = cstAt(2, 10, 10, 30)
	w.act(t, w.handler, p.ID, store.CaseInput{Action: civic.ActClaim})
	clock.T = cstAt(2, 10, 11, 0)
	w.act(t, w.handler, p.ID, store.CaseInput{Action: civic.ActFeedback, Note: "已联系"})
	clock.T = cstAt(2, 11, 10, 0)
	w.act(t, w.handler, p.ID, store.CaseInput{Action: civic.ActHandle, Note: "已劝离"})
	clock.T = cstAt(2, 11, 11, 0)
	w.act(t, w.community, p.ID, store.CaseInput{Action: civic.ActVerifyPass})
	clock.T = cstAt(2, 11, 14, 0)
	w.act(t, w.resident, p.ID, store.CaseInput{Action: civic.ActVisit, Satisfaction: civic.Satisfied, Solved: &yes})

	mustWalkMetricsScenario(t, w.metricsWorld, clock)
	all, _, err := s.ListCases(ctx, civic.System, store.CaseFilter{Page: store.Page{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		w.cases[c.Title[:1]] = c.ID
	}
	u, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "admin", DisplayName: "admin", Password: "password-admin", Role: civic.RoleAdmin, Scope: civic.Scope{RegionCode: "1101"}})
	if err != nil {
		t.Fatal(err)
	}
	w.admin = store.ActorOf(u, "")
	return w
}

// ids turns case letters into sorted IDs.
func (w *assessWorld) ids(letters string) []int64 {
	out := []int64{}
	for _, l := range letters {
		out = append(out, w.cases[string(l)])
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func mustPeriod(t *testing.T, code string) civic.Period {
	t.Helper()
	p, err := civic.ParsePeriod(code, cstAt(3, 16, 10, 30))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// unitWant is a hand count of one unit.
type unitWant struct {
	reported, dispatched, closed, overdue, reworked, returned int
	response, solved, satisfaction, completion, overdueRate   rateWant
	rework, whistle                                           rateWant
	summoned                                                  int
	score                                                     float64 // -1: none
	rank                                                      int     // 0: not ranked
}

func checkUnit(t *testing.T, name string, u store.AssessmentUnit, w unitWant) {
	t.Helper()
	got := []int{u.Reported, u.Dispatched, u.Closed, u.Overdue, u.Reworked, u.Returned, u.Whistles.Summoned, u.Rank}
	want := []int{w.reported, w.dispatched, w.closed, w.overdue, w.reworked, w.returned, w.summoned, w.rank}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s counts (reported, dispatched, closed, overdue, reworked, returned, summoned, rank) = %v, want %v", name, got, want)
	}
	checkMetricRate(t, name+" response", u.Response, w.response)
	checkMetricRate(t, name+" solved", u.Solved, w.solved)
	checkMetricRate(t, name+" satisfaction", u.Satisfaction, w.satisfaction)
	checkMetricRate(t, name+" completion", u.Completion, w.completion)
	checkMetricRate(t, name+" overdue", u.OverdueRate, w.overdueRate)
	checkMetricRate(t, name+" rework", u.ReworkRate, w.rework)
	checkMetricRate(t, name+" whistle", u.WhistleRate, w.whistle)
	switch {
	case w.score < 0 && u.Score != nil:
		t.Errorf("%s score %v, want none", name, *u.Score)
	case w.score >= 0 && (u.Score == nil || math.Abs(*u.Score-w.score) > 0.005):
		t.Errorf("%s score %v, want %.2f", name, u.Score, w.score)
	}
	if u.Ranked != (w.rank > 0) {
		t.Errorf("%s ranked %v", name, u.Ranked)
	}
}

// TestAssessment checks every figure of the handler and street
// assessments of March 2026, the first quarter and the year against a
// hand count of the scenario, the weighted scores and ranks, the red and
// black lists, the minimum-cases rule, scope, and that each drill-down
// lists exactly the cases counted.
func TestAssessment(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustAssessWorld(t, s, clock)
		dept := "org:" + strconv.FormatInt(w.dept.ID, 10)
		prop := "org:" + strconv.FormatInt(w.otherHandler.Scope.OrgID, 10)
		gridKey := "region:" + grid1
		march, q1, year := mustPeriod(t, "2026-03"), mustPeriod(t, "2026-Q1"), mustPeriod(t, "2026")
		assess := func(a civic.Actor, l civic.AssessLevel, p civic.Period) store.Assessment {
			t.Helper()
			as, err := s.Assessment(ctx, a, store.AssessmentQuery{Level: l, Period: p})
			if err != nil {
				t.Fatalf("assessment %s %s: %v", l, p.Code, err)
			}
			return as
		}
		unit := func(as store.Assessment, key string) store.AssessmentUnit {
			t.Helper()
			u, ok := as.Unit(key)
			if !ok {
				t.Fatalf("no unit %s in %+v", key, as.Units)
			}
			return u
		}

		// The defaults: 20 20 25 15 10 5 5, at least 5 dispatches.
		// March per handler. The department: D A B E G H dispatched; D A H
		// responded, B not, E returned before its claim deadline, G
		// pending; A B closed and visited (满意, 基本满意, both solved); due
		// D (overdue) A B, G and H pending; B failed verification once.
		// Score = (20·3/4 + 20·1 + 25·0.9 + 15·2/3 + 10·(1−1/3) + 5·(1−1/3)) ÷ 95.
		as := assess(w.operator, civic.AssessOrg, march)
		if len(as.Units) != 2 {
			t.Fatalf("March handlers: %+v", as.Units)
		}
		deptMarch := unitWant{dispatched: 6, closed: 2, overdue: 1, reworked: 1, returned: 1,
			response: rateWant{3, 4, 1}, solved: rateWant{2, 2, 0}, satisfaction: rateWant{1.8, 2, 0},
			completion: rateWant{2, 3, 2}, overdueRate: rateWant{1, 3, 2}, rework: rateWant{1, 3, 0},
			score: 77.5 / 95 * 100, rank: 1}
		checkUnit(t, "department March", unit(as, dept), deptMarch)
		// Grid 1 as handler: C, E, and C again after its reopening; only 3
		// dispatches, so not ranked by default.
		gridMarch := unitWant{dispatched: 3, closed: 2, overdue: 1, reworked: 1,
			response: rateWant{2, 3, 0}, solved: rateWant{1, 2, 0}, satisfaction: rateWant{1, 2, 0},
			completion: rateWant{2, 2, 1}, overdueRate: rateWant{1, 2, 1}, rework: rateWant{1, 3, 0},
			score: (20*2.0/3 + 20*0.5 + 25*0.5 + 15*1 + 10*0.5 + 5*(1-1.0/3)) / 95 * 100}
		checkUnit(t, "grid March", unit(as, gridKey), gridMarch)
		if !reflect.DeepEqual(as.Red, []string{dept}) || len(as.Black) != 0 {
			t.Errorf("March lists: red %v black %v", as.Red, as.Black)
		}

		// Three dispatches are enough now: both ranked, the grid last and
		// alone on the black list.
		st := civic.DefaultAssessmentSettings()
		st.MinCases, st.TopN = 3, 1
		if _, err := s.SetAssessmentSettings(ctx, w.admin, st); err != nil {
			t.Fatal(err)
		}
		as = assess(w.operator, civic.AssessOrg, march)
		gridMarch.rank = 2
		checkUnit(t, "grid March ranked", unit(as, gridKey), gridMarch)
		if !reflect.DeepEqual(as.Red, []string{dept}) || !reflect.DeepEqual(as.Black, []string{gridKey}) || as.Units[0].Key != dept {
			t.Errorf("March lists: red %v black %v", as.Red, as.Black)
		}

		// The first quarter adds P (February) to the department, and the
		// whistles: the department on time, the property company missed
		// (summoned only: no dispatches, so never ranked).
		as = assess(w.operator, civic.AssessOrg, q1)
		deptQ1 := unitWant{dispatched: 7, closed: 3, overdue: 1, reworked: 1, returned: 1, summoned: 1,
			response: rateWant{4, 5, 1}, solved: rateWant{3, 3, 0}, satisfaction: rateWant{2.8, 3, 0},
			completion: rateWant{3, 4, 2}, overdueRate: rateWant{1, 4, 2}, rework: rateWant{1, 4, 0}, whistle: rateWant{1, 1, 0},
			score: 20*0.8 + 20 + 25*2.8/3 + 15*0.75 + 10*0.75 + 5*0.75 + 5, rank: 1}
		checkUnit(t, "department Q1", unit(as, dept), deptQ1)
		checkUnit(t, "grid Q1", unit(as, gridKey), gridMarch)
		checkUnit(t, "property company Q1", unit(as, prop), unitWant{summoned: 1, whistle: rateWant{0, 1, 0}, score: 0})
		// The year is the quarter: nothing happened after March.
		if y := assess(w.operator, civic.AssessOrg, year); !reflect.DeepEqual(y.Units, as.Units) {
			t.Errorf("year %+v\nquarter %+v", y.Units, as.Units)
		}
		if q2 := assess(w.operator, civic.AssessOrg, mustPeriod(t, "2026-Q2")); len(q2.Units) != 0 {
			t.Errorf("Q2: %+v", q2.Units)
		}

		// March per street. Street 1: D A B C E G reported and F answered
		// directly; dispatches D A B C E(dept) E(grid) G C; F's visit
		// counts here (no handler, but a place).
		as = assess(w.operator, civic.AssessStreet, march)
		checkUnit(t, "street 1 March", unit(as, "110101001"), unitWant{reported: 7, dispatched: 8, closed: 4, overdue: 2, reworked: 2, returned: 1,
			response: rateWant{4, 6, 1}, solved: rateWant{4, 5, 0}, satisfaction: rateWant{3.8, 5, 0},
			completion: rateWant{4, 5, 2}, overdueRate: rateWant{2, 5, 2}, rework: rateWant{2, 6, 0},
			score: (20*4.0/6 + 20*0.8 + 25*0.76 + 15*0.8 + 10*0.6 + 5*(1-1.0/3)) / 95 * 100, rank: 1})
		checkUnit(t, "street 2 March", unit(as, metricsStreet2), unitWant{reported: 1, dispatched: 1,
			response: rateWant{1, 1, 0}, completion: rateWant{0, 0, 1}, overdueRate: rateWant{0, 0, 1}, score: 100})
		if unit(as, metricsStreet2).Name != "甲二街道" {
			t.Errorf("street 2 name %q", unit(as, metricsStreet2).Name)
		}

		// Scope: street 2's staff see their own street, and the department
		// only with H; the department's staff see themselves only.
		if as := assess(w.metricsStreet2, civic.AssessStreet, march); len(as.Units) != 1 || as.Units[0].Key != metricsStreet2 {
			t.Errorf("street 2 sees streets %+v", as.Units)
		}
		if as := assess(w.metricsStreet2, civic.AssessOrg, march); len(as.Units) != 1 || as.Units[0].Dispatched != 1 {
			t.Errorf("street 2 sees handlers %+v", as.Units)
		}
		if as := assess(w.handler, civic.AssessOrg, march); len(as.Units) != 1 || as.Units[0].Key != dept || as.Units[0].Dispatched != 6 {
			t.Errorf("the department sees %+v", as.Units)
		}
		if _, err := s.Assessment(ctx, w.grid, store.AssessmentQuery{Level: civic.AssessOrg, Period: march}); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Errorf("grid worker: %v", err)
		}

		// Every drill-down lists exactly the hand-counted cases, and the
		// case list shows them.
		for _, tc := range []struct {
			actor   civic.Actor
			level   civic.AssessLevel
			period  civic.Period
			unit    string
			figure  string
			letters string
		}{
			{w.operator, civic.AssessOrg, march, dept, store.FigDispatched, "DABEGH"},
			{w.operator, civic.AssessOrg, march, dept, store.FigResponded, "DAH"},
			{w.operator, civic.AssessOrg, march, dept, store.FigResponse, "DABH"},
			{w.operator, civic.AssessOrg, march, dept, store.FigClosed, "AB"},
			{w.operator, civic.AssessOrg, march, dept, store.FigVisits, "AB"},
			{w.operator, civic.AssessOrg, march, dept, store.FigSolved, "AB"},
			{w.operator, civic.AssessOrg, march, dept, store.FigSatisfied, "A"},
			{w.operator, civic.AssessOrg, march, dept, store.FigBasic, "B"},
			{w.operator, civic.AssessOrg, march, dept, store.FigDue, "DAB"},
			{w.operator, civic.AssessOrg, march, dept, store.FigDueClosed, "AB"},
			{w.operator, civic.AssessOrg, march, dept, store.FigOverdue, "D"},
			{w.operator, civic.AssessOrg, march, dept, store.FigReworked, "B"},
			{w.operator, civic.AssessOrg, march, dept, store.FigReworkBase, "AB"},
			{w.operator, civic.AssessOrg, march, dept, store.FigReturned, "E"},
			{w.operator, civic.AssessOrg, march, gridKey, store.FigDispatched, "CE"},
			{w.operator, civic.AssessOrg, march, gridKey, store.FigOverdue, "C"},
			{w.operator, civic.AssessOrg, march, gridKey, store.FigReworked, "C"},
			{w.operator, civic.AssessOrg, march, gridKey, store.FigDissatisfied, "C"},
			{w.operator, civic.AssessOrg, q1, dept, store.FigClosed, "PAB"},
			{w.operator, civic.AssessOrg, q1, dept, store.FigWhistles, "P"},
			{w.operator, civic.AssessOrg, q1, dept, store.FigWhistleOnTime, "P"},
			{w.operator, civic.AssessOrg, q1, prop, store.FigWhistleDecided, "P"},
			{w.operator, civic.AssessOrg, q1, prop, store.FigWhistleOnTime, ""},
			{w.operator, civic.AssessStreet, march, "110101001", store.FigReported, "DABCEFG"},
			{w.operator, civic.AssessStreet, march, "110101001", store.FigVisits, "ABCEF"},
			{w.operator, civic.AssessStreet, march, "110101001", store.FigOverdue, "DC"},
			{w.operator, civic.AssessCommunity, march, "110101001001", store.FigDispatched, "DABCEG"},
			{w.operator, civic.AssessStreet, march, metricsStreet2, store.FigDispatched, "H"},
			// Out of scope: nothing, whatever the unit.
			{w.metricsStreet2, civic.AssessStreet, march, "110101001", store.FigReported, ""},
			{w.metricsStreet2, civic.AssessOrg, march, dept, store.FigDispatched, "H"},
			{w.street, civic.AssessStreet, march, metricsStreet2, store.FigDispatched, ""},
		} {
			name := tc.actor.Username + " " + tc.period.Code + " " + tc.unit + " " + tc.figure
			fig := store.AssessmentFigure{AssessmentQuery: store.AssessmentQuery{Level: tc.level, Period: tc.period}, Unit: tc.unit, Figure: tc.figure}
			ids, _, err := s.AssessmentCases(ctx, tc.actor, fig)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if want := w.ids(tc.letters); !reflect.DeepEqual(ids, want) {
				t.Errorf("%s: cases %v, want %v (%s)", name, ids, want, tc.letters)
			}
			list, total, err := s.ListCases(ctx, tc.actor, store.CaseFilter{Figure: &fig, Page: store.Page{Limit: 100}})
			if err != nil || total != len(tc.letters) || len(list) != total {
				t.Errorf("%s: case list %d of %d (%v), want %d", name, len(list), total, err, len(tc.letters))
			}
		}
		// A figure counts events: grid 1 had C twice and E, three
		// dispatches in two cases.
		gridDispatched := store.AssessmentFigure{AssessmentQuery: store.AssessmentQuery{Level: civic.AssessOrg, Period: march}, Unit: gridKey, Figure: store.FigDispatched}
		if ids, n, err := s.AssessmentCases(ctx, w.operator, gridDispatched); err != nil || len(ids) != 2 || n != 3 {
			t.Errorf("grid dispatches: %v in %v (%v), want 3 in 2 cases", n, ids, err)
		}
		for _, tc := range []struct {
			name  string
			actor civic.Actor
			fig   store.AssessmentFigure
			code  civic.ErrorCode
		}{
			{"another organisation's cases", w.otherHandler, store.AssessmentFigure{AssessmentQuery: store.AssessmentQuery{Level: civic.AssessOrg, Period: march}, Unit: dept, Figure: store.FigClosed}, civic.EForbidden},
			{"unknown figure", w.operator, store.AssessmentFigure{AssessmentQuery: store.AssessmentQuery{Level: civic.AssessOrg, Period: march}, Unit: dept, Figure: "luck"}, civic.EInvalid},
			{"street unit at community level", w.operator, store.AssessmentFigure{AssessmentQuery: store.AssessmentQuery{Level: civic.AssessCommunity, Period: march}, Unit: "110101001", Figure: store.FigClosed}, civic.EInvalid},
			{"bad unit", w.operator, store.AssessmentFigure{AssessmentQuery: store.AssessmentQuery{Level: civic.AssessOrg, Period: march}, Unit: "org:x", Figure: store.FigClosed}, civic.EInvalid},
			{"bad level", w.operator, store.AssessmentFigure{AssessmentQuery: store.AssessmentQuery{Level: "grid", Period: march}, Unit: grid1, Figure: store.FigClosed}, civic.EInvalid},
		} {
			if _, _, err := s.AssessmentCases(ctx, tc.actor, tc.fig); civic.ErrorCodeOf(err) != tc.code {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
			}
		}
	})
}

// TestAssessmentSettings: defaults until an administrator saves weights;
// weights are validated; the change is audited; others may not.
func TestAssessmentSettings(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustAssessWorld(t, s, clock)
		st, err := s.AssessmentSettings(ctx)
		if err != nil || !reflect.DeepEqual(st, civic.DefaultAssessmentSettings()) {
			t.Fatalf("defaults: %+v %v", st, err)
		}
		bad := func(mod func(*civic.AssessmentSettings)) civic.AssessmentSettings {
			st := civic.DefaultAssessmentSettings()
			mod(&st)
			return st
		}
		for _, tc := range []struct {
			name string
			st   civic.AssessmentSettings
		}{
			{"negative", bad(func(s *civic.AssessmentSettings) { s.Weights[civic.IndSolved] = -1 })},
			{"all zero", bad(func(s *civic.AssessmentSettings) {
				for k := range s.Weights {
					s.Weights[k] = 0
				}
			})},
			{"not a number", bad(func(s *civic.AssessmentSettings) { s.Weights[civic.IndRework] = math.NaN() })},
			{"unknown indicator", bad(func(s *civic.AssessmentSettings) { s.Weights["luck"] = 3 })},
			{"no minimum", bad(func(s *civic.AssessmentSettings) { s.MinCases = 0 })},
			{"no lists", bad(func(s *civic.AssessmentSettings) { s.TopN = 0 })},
		} {
			if _, err := s.SetAssessmentSettings(ctx, w.admin, tc.st); civic.ErrorCodeOf(err) != civic.EInvalid {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		if _, err := s.SetAssessmentSettings(ctx, w.street, civic.DefaultAssessmentSettings()); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Errorf("street staff set weights: %v", err)
		}
		// Only satisfaction counts: the department's March score is its
		// satisfaction rate, 90.
		only := civic.AssessmentSettings{Weights: map[civic.Indicator]float64{civic.IndSatisfaction: 1}, MinCases: 2, TopN: 3}
		got, err := s.SetAssessmentSettings(ctx, w.admin, only)
		if err != nil || got.Weights[civic.IndSatisfaction] != 1 || got.Weights[civic.IndResponse] != 0 || got.MinCases != 2 || got.UpdatedBy != "admin" {
			t.Fatalf("saved: %+v %v", got, err)
		}
		as, err := s.Assessment(ctx, w.operator, store.AssessmentQuery{Level: civic.AssessOrg, Period: mustPeriod(t, "2026-03")})
		if err != nil {
			t.Fatal(err)
		}
		if u, _ := as.Unit("org:" + strconv.FormatInt(w.dept.ID, 10)); u.Score == nil || *u.Score != 90 || u.Rank != 1 {
			t.Errorf("department: %+v", u)
		}
		entries, _, err := s.ListAudit(ctx, w.admin, store.AuditFilter{Action: "assessment.settings"})
		if err != nil || len(entries) != 1 {
			t.Fatalf("audit: %+v %v", entries, err)
		}
	})
}

// TestParsePeriod reads months, quarters and years in China time.
func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		code, want string
		from, to   string
	}{
		{"2026-11", "2026-11", "2026-11-01", "2026-12-01"},
		{"2026-Q3", "2026-Q3", "2026-07-01", "2026-10-01"},
		{"2026-q4", "2026-Q4", "2026-10-01", "2027-01-01"},
		{"2026", "2026", "2026-01-01", "2027-01-01"},
		{"", "2026-03", "2026-03-01", "2026-04-01"},
	} {
		p, err := civic.ParsePeriod(tc.code, cstAt(3, 16, 10, 30))
		if err != nil || p.Code != tc.want || p.From.In(civic.ChinaTime).Format(civic.DateLayout) != tc.from || p.To.In(civic.ChinaTime).Format(civic.DateLayout) != tc.to || p.From.In(civic.ChinaTime).Hour() != 0 {
			t.Errorf("%q: %+v %v", tc.code, p, err)
		}
	}
	for _, bad := range []string{"2026-13", "2026-Q5", "26", "2026-1", "abcd", "2026-Q0"} {
		if _, err := civic.ParsePeriod(bad, cstAt(3, 16, 10, 30)); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
