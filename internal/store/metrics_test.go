package store_test

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// cst is a wall-clock time in China (UTC+8), the way the scenario reads.
func cstAt(month, day, hour, min int) time.Time {
	return time.Date(2026, time.Month(month), day, hour, min, 0, 0, civic.ChinaTime).UTC()
}

const metricsStreet2 = "110101002"

// metricsWorld is the case world plus a second street, a user of each
// street, and the cases of the metrics scenario.
type metricsWorld struct {
	*caseWorld
	metricsStreet2 civic.Actor
}

func mustMetricsWorld(t *testing.T, s *store.Store) *metricsWorld {
	t.Helper()
	w := &metricsWorld{caseWorld: mustCaseWorld(t, s)}
	mustImport(t, s, collection(
		feature(metricsStreet2, "甲二街道", rect(116.0, 39.5, 116.5, 40.0)),
		feature(metricsStreet2+"001", "甲二社区", rect(116.0, 39.5, 116.5, 40.0))))
	u, err := s.CreateUser(context.Background(), civic.System, store.NewUser{Username: "street2", DisplayName: "street2",
		Password: "password-street2", Role: civic.RoleStreetStaff, Scope: civic.Scope{RegionCode: metricsStreet2}})
	if err != nil {
		t.Fatal(err)
	}
	w.metricsStreet2 = store.ActorOf(u, "")
	return w
}

// mustWalkMetricsScenario walks eight cases through the loop, moving the
// clock through the week of Monday 2026-03-09 (the period) and a little
// around it. Every category here has the same limits: claim 2 working
// hours, feedback 1 working day, completion 3 working days, on the default
// calendar (09:00–12:00, 13:30–18:00 = 7.5 working hours a day; March 2026
// has no holidays).
//
//	A  dept  Tue 10:00 dispatched, claimed 10:30, feedback 11:00, handled Wed 10:00,
//	         closed Wed 11:00 (due Fri 10:00), visit: satisfied, solved
//	B  dept  Tue 10:00 dispatched, claimed 14:00 (due 12:00: late), feedback 15:00,
//	         handled Wed 10:00, verify FAIL Wed 11:00, handled Wed 15:00, closed
//	         Thu 10:00 (due Fri 10:00), visit: basic, solved
//	C  grid1 Tue 10:00 dispatched, claimed 11:00, first feedback Thu 10:00 (due Wed
//	         10:00: late), handled Fri 15:00, closed Fri 16:00 (due Fri 10:00:
//	         late), visit: dissatisfied, unsolved; reopened Sat 10:00,
//	         dispatched again Sat 10:30 (claim due Mon 03-16 11:00), claimed Mon
//	         10:00 and feedback Mon 10:30, after the period
//	D  dept  Thu 03-05 10:00 dispatched (the week before), claimed 11:00, feedback
//	         11:30, completion due Tue 03-10 10:00, never closed
//	E  dept  Wed 09:00 dispatched, returned 09:30 (before its claim deadline);
//	   grid1 Wed 10:00 dispatched by the community, claimed 11:00, handled 14:00,
//	         closed 15:00 (due Mon 03-16 10:00), visit: satisfied, solved
//	F  none  Wed 10:00 hotline consultation answered directly, visit 10:30:
//	         satisfied, solved
//	G  dept  Fri 17:45 dispatched; claim due Mon 03-16 10:45, after "now"
//	H  dept  Fri 10:00 dispatched in street 2, claimed 11:00, feedback 11:30
//
// The clock ends on Monday 2026-03-16 10:30, when the figures are taken.
func mustWalkMetricsScenario(t *testing.T, w *metricsWorld, clock *testdb.Clock) {
	t.Helper()
	ctx := context.Background()
	s := w.s
	yes, no := true, false
	at := func(month, day, hour, min int) { clock.T = cstAt(month, day, hour, min) }
	submit := func(title, category string, lng float64) int64 {
		t.Helper()
		c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: category,
			Title: title, HasLocation: true, Lng: lng, Lat: 39.2})
		if err != nil {
			t.Fatalf("submit %s: %v", title, err)
		}
		if c.State != civic.StateDispatched {
			t.Fatalf("%s not dispatched: %+v", title, c)
		}
		return c.ID
	}
	hotline := func(title, region string, answered bool) int64 {
		t.Helper()
		n := store.NewCase{Source: civic.SourceHotline, CategoryCode: "0101", Title: title, RegionCode: region, ReporterPhone: "13900002222"}
		if answered {
			n.CategoryCode, n.AnsweredDirectly, n.Answer = "", true, "每天7-9点"
		}
		c, _, err := s.SubmitCase(ctx, w.operator, w.loc, n)
		if err != nil {
			t.Fatalf("hotline %s: %v", title, err)
		}
		return c.ID
	}
	do := func(a civic.Actor, id int64, act civic.CaseAction, note string) {
		w.act(t, a, id, store.CaseInput{Action: act, Note: note})
	}
	visit := func(a civic.Actor, id int64, sat civic.Satisfaction, solved *bool) {
		w.act(t, a, id, store.CaseInput{Action: civic.ActVisit, Satisfaction: sat, Solved: solved})
	}

	at(3, 5, 10, 0)
	d := submit("D 占道", "0101", 116.1)
	at(3, 5, 11, 0)
	do(w.handler, d, civic.ActClaim, "")
	at(3, 5, 11, 30)
	do(w.handler, d, civic.ActFeedback, "已联系")

	at(3, 10, 10, 0)
	a := submit("A 占道", "0101", 116.1)
	b := submit("B 占道", "0101", 116.1)
	c := submit("C 堆物", "0102", 116.1)
	at(3, 10, 10, 30)
	do(w.handler, a, civic.ActClaim, "")
	at(3, 10, 11, 0)
	do(w.handler, a, civic.ActFeedback, "已联系")
	do(w.grid, c, civic.ActClaim, "")
	at(3, 10, 14, 0)
	do(w.handler, b, civic.ActClaim, "")
	at(3, 10, 15, 0)
	do(w.handler, b, civic.ActFeedback, "已联系")

	at(3, 11, 9, 0)
	e := submit("E 占道", "0101", 116.1)
	at(3, 11, 9, 30)
	do(w.handler, e, civic.ActReturn, "不属于本部门")
	at(3, 11, 10, 0)
	do(w.handler, a, civic.ActHandle, "已劝离")
	do(w.handler, b, civic.ActHandle, "已劝离")
	w.act(t, w.community, e, store.CaseInput{Action: civic.ActDispatch, TargetRegionCode: grid1})
	f := hotline("F 咨询", "110101001001", true)
	at(3, 11, 10, 30)
	visit(w.operator, f, civic.Satisfied, &yes)
	at(3, 11, 11, 0)
	do(w.community, a, civic.ActVerifyPass, "")
	do(w.community, b, civic.ActVerifyFail, "摊贩仍在")
	do(w.grid, e, civic.ActClaim, "")
	at(3, 11, 14, 0)
	visit(w.resident, a, civic.Satisfied, &yes)
	do(w.grid, e, civic.ActHandle, "已清理")
	at(3, 11, 15, 0)
	do(w.handler, b, civic.ActHandle, "设隔离栏")
	do(w.community, e, civic.ActVerifyPass, "")
	at(3, 11, 16, 0)
	visit(w.resident, e, civic.Satisfied, &yes)

	at(3, 12, 10, 0)
	do(w.community, b, civic.ActVerifyPass, "")
	do(w.grid, c, civic.ActFeedback, "正在联系业主")
	at(3, 12, 11, 0)
	visit(w.resident, b, civic.BasicSatisfied, &yes)

	at(3, 13, 10, 0)
	h := hotline("H 占道", metricsStreet2+"001", false)
	at(3, 13, 11, 0)
	do(w.handler, h, civic.ActClaim, "")
	at(3, 13, 11, 30)
	do(w.handler, h, civic.ActFeedback, "已联系")
	at(3, 13, 15, 0)
	do(w.grid, c, civic.ActHandle, "已清理")
	at(3, 13, 16, 0)
	do(w.community, c, civic.ActVerifyPass, "")
	at(3, 13, 17, 0)
	visit(w.resident, c, civic.Dissatisfied, &no)
	at(3, 13, 17, 45)
	submit("G 占道", "0101", 116.1)

	at(3, 14, 10, 0)
	do(w.resident, c, civic.ActReopen, "又堆上了")
	at(3, 14, 10, 30)
	do(w.community, c, civic.ActDispatch, "")
	at(3, 16, 10, 0)
	do(w.grid, c, civic.ActClaim, "")
	at(3, 16, 10, 30)
	do(w.grid, c, civic.ActFeedback, "已联系")
}

// rateWant is an expected rate: numerator, denominator and pending; the ratio
// follows (nil when den is 0).
type rateWant struct {
	num          float64
	den, pending int
}

func checkMetricRate(t *testing.T, name string, got store.Rate, w rateWant) {
	t.Helper()
	if math.Abs(got.Numerator-w.num) > 1e-9 || got.Denominator != w.den || got.Pending != w.pending {
		t.Errorf("%s = %g/%d pending %d, want %g/%d pending %d", name, got.Numerator, got.Denominator, got.Pending, w.num, w.den, w.pending)
		return
	}
	switch {
	case w.den == 0 && got.Ratio != nil:
		t.Errorf("%s ratio = %g, want null", name, *got.Ratio)
	case w.den > 0 && (got.Ratio == nil || math.Abs(*got.Ratio-w.num/float64(w.den)) > 1e-6):
		t.Errorf("%s ratio = %v, want %g", name, got.Ratio, w.num/float64(w.den))
	}
}

func checkMetricHours(t *testing.T, name string, got *float64, want float64) {
	t.Helper()
	switch {
	case want < 0 && got != nil:
		t.Errorf("%s = %g, want null", name, *got)
	case want >= 0 && (got == nil || math.Abs(*got-want) > 0.01):
		t.Errorf("%s = %v, want %g", name, got, want)
	}
}

// metricsWant is every figure of one query, worked out by hand.
type metricsWant struct {
	response, solved, satisfaction, completion, onTime, overdue, rework rateWant
	closed                                                              int
	natural, work                                                       float64 // mean hours; -1 for null
	dispatched, returned, answered, reopened                            int
}

func checkMetrics(t *testing.T, m store.Metrics, e metricsWant) {
	t.Helper()
	checkMetricRate(t, "response", m.Response, e.response)
	checkMetricRate(t, "solved", m.Solved, e.solved)
	checkMetricRate(t, "satisfaction", m.Satisfaction, e.satisfaction)
	checkMetricRate(t, "completion", m.Completion, e.completion)
	checkMetricRate(t, "on time", m.OnTime, e.onTime)
	checkMetricRate(t, "overdue", m.Overdue, e.overdue)
	checkMetricRate(t, "rework", m.Rework, e.rework)
	if m.HandlingTime.Closed != e.closed {
		t.Errorf("handling time over %d closes, want %d", m.HandlingTime.Closed, e.closed)
	}
	checkMetricHours(t, "natural hours", m.HandlingTime.NaturalHours, e.natural)
	checkMetricHours(t, "work hours", m.HandlingTime.WorkHours, e.work)
	c := m.Counts
	if c.Dispatched != e.dispatched || c.Returned != e.returned || c.Answered != e.answered || c.Reopened != e.reopened {
		t.Errorf("counts %+v, want dispatched %d returned %d answered %d reopened %d", c, e.dispatched, e.returned, e.answered, e.reopened)
	}
}

// The week of Monday 2026-03-09, China time.
var metricsWeek = store.MetricsFilter{From: cstAt(3, 9, 0, 0), To: cstAt(3, 16, 0, 0)}

// TestCaseMetrics compares every figure with a hand computation, for the
// whole of street 1, per handler, for street 2 and for the department's own
// staff.
func TestCaseMetrics(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustMetricsWorld(t, s)
		mustWalkMetricsScenario(t, w, clock)
		for _, tc := range []struct {
			name   string
			actor  civic.Actor
			filter func(f *store.MetricsFilter)
			want   metricsWant
		}{{
			// Street 1 holds A–G.
			name: "street 1", actor: w.street,
			want: metricsWant{
				// Dispatches in the week: A, B, C(Tue), E→dept, E→grid, C(Sat), G = 7.
				// Responded: A, E→grid, C(Sat, claimed Mon 10:00 ≤ 11:00) = 3;
				// not: B (claimed late), C(Tue) (first feedback late) = 2;
				// E→dept returned before its claim deadline: left out;
				// G: claim due Mon 10:45, after now: pending.   3 ÷ 5
				response: rateWant{3, 5, 1},
				// Visits A, B, C, E, F; solved all but C.        4 ÷ 5
				solved: rateWant{4, 5, 0},
				// Satisfied A, E, F; basic B; dissatisfied C.   (3 + 0.8·1) ÷ 5 = 3.8 ÷ 5
				satisfaction: rateWant{3.8, 5, 0},
				// Completion deadlines in the week: A, B, C(Tue) Fri 10:00 and
				// D Tue 10:00 = 4; closed before the week's end: A, B, C = 3.  3 ÷ 4
				completion: rateWant{3, 4, 0},
				// Closes in the week: A, B, C(Tue), E→grid; late: C.  3 ÷ 4
				onTime: rateWant{3, 4, 0},
				// Of the 4 due: C closed after its deadline, D never closed.  2 ÷ 4
				overdue: rateWant{2, 4, 0},
				// Verifications: pass A, B, C, E; fail B.       1 ÷ (4 + 1)
				rework: rateWant{1, 5, 0},
				// Natural: A 25h, B 48h, C 78h, E 5h → 156 ÷ 4 = 39.
				// Working: A Tue 10–12, 13:30–18, Wed 9–11 = 8.5; B Tue 6.5 + Wed 7.5
				// + Thu 1 = 15; C 6.5 + 7.5 + 7.5 + Fri 5.5 = 27; E 2 + 1.5 = 3.5
				// → 54 ÷ 4 = 13.5.
				closed: 4, natural: 39, work: 13.5,
				dispatched: 7, returned: 1, answered: 1, reopened: 1,
			},
		}, {
			// The whole city adds H (street 2): one more dispatch, answered in time.
			name: "city", actor: civic.System,
			want: metricsWant{
				response: rateWant{4, 6, 1}, solved: rateWant{4, 5, 0}, satisfaction: rateWant{3.8, 5, 0},
				completion: rateWant{3, 4, 0}, onTime: rateWant{3, 4, 0}, overdue: rateWant{2, 4, 0}, rework: rateWant{1, 5, 0},
				closed: 4, natural: 39, work: 13.5, dispatched: 8, returned: 1, answered: 1, reopened: 1,
			},
		}, {
			// Street 2 sees H only: nothing closed or visited yet.
			name: "street 2", actor: w.metricsStreet2,
			want: metricsWant{
				response: rateWant{1, 1, 0}, closed: 0, natural: -1, work: -1, dispatched: 1,
			},
		}, {
			name: "department", actor: w.street,
			filter: func(f *store.MetricsFilter) { f.HandlerOrgID = w.dept.ID },
			want: metricsWant{
				// Dept dispatches: A, B, E→dept, G. Met A; missed B; E void; G pending.  1 ÷ 2
				response: rateWant{1, 2, 1},
				// Visits of A and B, both solved.  2 ÷ 2; (1 + 0.8·1) ÷ 2 = 1.8 ÷ 2
				solved: rateWant{2, 2, 0}, satisfaction: rateWant{1.8, 2, 0},
				// Due: A, B, D; closed A, B; overdue D.  2 ÷ 3, 1 ÷ 3
				completion: rateWant{2, 3, 0}, overdue: rateWant{1, 3, 0},
				// Closes A, B, both on time.  2 ÷ 2; rework 1 ÷ (2 + 1)
				onTime: rateWant{2, 2, 0}, rework: rateWant{1, 3, 0},
				// (25 + 48) ÷ 2 = 36.5; (8.5 + 15) ÷ 2 = 11.75
				closed: 2, natural: 36.5, work: 11.75,
				dispatched: 4, returned: 1,
			},
		}, {
			// The department's own staff see their figures over both
			// streets: the department row plus H.
			name: "department's staff", actor: w.handler,
			want: metricsWant{
				response: rateWant{2, 3, 1}, solved: rateWant{2, 2, 0}, satisfaction: rateWant{1.8, 2, 0},
				completion: rateWant{2, 3, 0}, overdue: rateWant{1, 3, 0}, onTime: rateWant{2, 2, 0}, rework: rateWant{1, 3, 0},
				closed: 2, natural: 36.5, work: 11.75, dispatched: 5, returned: 1,
			},
		}, {
			name: "grid 1 as handler", actor: w.street,
			filter: func(f *store.MetricsFilter) { f.HandlerRegion = grid1 },
			want: metricsWant{
				// C(Tue) missed (late feedback), E→grid met, C(Sat) met.  2 ÷ 3
				response: rateWant{2, 3, 0},
				// Visits C (dissatisfied, unsolved) and E (satisfied, solved). 1 ÷ 2 each
				solved: rateWant{1, 2, 0}, satisfaction: rateWant{1, 2, 0},
				// Due: C(Tue) only; closed, but late.  1 ÷ 1, 1 ÷ 1
				completion: rateWant{1, 1, 0}, overdue: rateWant{1, 1, 0},
				// Closes C (late) and E (on time); no failed verification.
				onTime: rateWant{1, 2, 0}, rework: rateWant{0, 2, 0},
				// (78 + 5) ÷ 2 = 41.5; (27 + 3.5) ÷ 2 = 15.25
				closed: 2, natural: 41.5, work: 15.25,
				dispatched: 3, reopened: 1,
			},
		}, {
			// A lighter weight on 基本满意 moves only 满意率: (3 + 0.5·1) ÷ 5.
			name: "basic weight 0.5", actor: w.street,
			filter: func(f *store.MetricsFilter) { f.BasicWeight = 0.5 },
			want: metricsWant{
				response: rateWant{3, 5, 1}, solved: rateWant{4, 5, 0}, satisfaction: rateWant{3.5, 5, 0},
				completion: rateWant{3, 4, 0}, onTime: rateWant{3, 4, 0}, overdue: rateWant{2, 4, 0}, rework: rateWant{1, 5, 0},
				closed: 4, natural: 39, work: 13.5, dispatched: 7, returned: 1, answered: 1, reopened: 1,
			},
		}, {
			// The week before holds D's dispatch (in time) and nothing else of
			// street 1; D's deadline falls in the week after it.
			name: "week before", actor: w.street,
			filter: func(f *store.MetricsFilter) { f.From, f.To = cstAt(3, 2, 0, 0), cstAt(3, 9, 0, 0) },
			want:   metricsWant{response: rateWant{1, 1, 0}, natural: -1, work: -1, dispatched: 1},
		}} {
			t.Run(tc.name, func(t *testing.T) {
				f := metricsWeek
				if tc.filter != nil {
					tc.filter(&f)
				}
				m, err := s.CaseMetrics(ctx, tc.actor, f)
				if err != nil {
					t.Fatal(err)
				}
				checkMetrics(t, m, tc.want)
			})
		}
	})
}

// TestCaseMetricsBy groups the scenario per handler, per street and per
// category, and checks who may ask.
func TestCaseMetricsBy(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustMetricsWorld(t, s)
		mustWalkMetricsScenario(t, w, clock)
		byKey := func(groupBy string, a civic.Actor) map[string]store.MetricsRow {
			t.Helper()
			rows, err := s.CaseMetricsBy(ctx, a, metricsWeek, groupBy)
			if err != nil {
				t.Fatalf("%s: %v", groupBy, err)
			}
			out := map[string]store.MetricsRow{}
			for _, r := range rows {
				out[r.Key] = r
			}
			return out
		}
		orgKey := "org:" + strconv.FormatInt(w.dept.ID, 10)

		// Per handler: the department (A, B, D, E→dept, G, H), grid 1 (C
		// twice, E→grid) and nobody (F, answered directly).
		rows := byKey(store.GroupByOrg, civic.System)
		if len(rows) != 3 || rows[orgKey].Name != "城市管理委员会" || rows["region:"+grid1].Name != "一号网格" {
			t.Fatalf("handler rows: %+v", rows)
		}
		checkMetricRate(t, "department response", rows[orgKey].Metrics.Response, rateWant{2, 3, 1})
		checkMetricRate(t, "grid response", rows["region:"+grid1].Metrics.Response, rateWant{2, 3, 0})
		checkMetricRate(t, "answered satisfaction", rows[""].Metrics.Satisfaction, rateWant{1, 1, 0})
		if n := rows[""].Metrics.Counts.Answered; n != 1 {
			t.Errorf("answered directly: %d", n)
		}

		// Per street: street 1 as in TestCaseMetrics, street 2 only H.
		rows = byKey(store.GroupByStreet, civic.System)
		if len(rows) != 2 || rows["110101001"].Name != "甲一街道" || rows[metricsStreet2].Name != "甲二街道" {
			t.Fatalf("street rows: %+v", rows)
		}
		checkMetricRate(t, "street 1 response", rows["110101001"].Metrics.Response, rateWant{3, 5, 1})
		checkMetricRate(t, "street 1 completion", rows["110101001"].Metrics.Completion, rateWant{3, 4, 0})
		checkMetricRate(t, "street 2 response", rows[metricsStreet2].Metrics.Response, rateWant{1, 1, 0})

		// A street's staff get their own street's row only.
		if rows := byKey(store.GroupByStreet, w.metricsStreet2); len(rows) != 1 || rows[metricsStreet2].Metrics.Counts.Dispatched != 1 {
			t.Fatalf("street 2 sees: %+v", rows)
		}

		// Per category: 0102 is C alone (dispatched Tue and Sat); F has none.
		rows = byKey(store.GroupByCategory, w.street)
		if rows["0102"].Name != "楼道堆物" || rows["0102"].Metrics.Counts.Dispatched != 2 || rows[""].Metrics.Counts.Answered != 1 {
			t.Fatalf("category rows: %+v", rows)
		}
		checkMetricRate(t, "0101 response", rows["0101"].Metrics.Response, rateWant{2, 3, 1})

		// The department's staff get their own row only, whatever the grouping.
		if rows := byKey(store.GroupByOrg, w.handler); len(rows) != 1 || rows[orgKey].Metrics.Counts.Dispatched != 5 {
			t.Fatalf("department sees: %+v", rows)
		}

		for _, tc := range []struct {
			name  string
			actor civic.Actor
			f     store.MetricsFilter
			group string
			code  civic.ErrorCode
		}{
			{"grid worker", w.grid, metricsWeek, "", civic.EForbidden},
			{"resident", w.resident, metricsWeek, "", civic.EForbidden},
			{"another organisation's figures", w.handler, store.MetricsFilter{From: metricsWeek.From, To: metricsWeek.To, HandlerOrgID: w.dept.ID + 1}, "", civic.EForbidden},
			{"no period", w.street, store.MetricsFilter{}, "", civic.EInvalid},
			{"period backwards", w.street, store.MetricsFilter{From: metricsWeek.To, To: metricsWeek.From}, "", civic.EInvalid},
			{"weight above 1", w.street, store.MetricsFilter{From: metricsWeek.From, To: metricsWeek.To, BasicWeight: 1.5}, "", civic.EInvalid},
			{"unknown grouping", w.street, metricsWeek, "weekday", civic.EInvalid},
		} {
			if _, err := s.CaseMetricsBy(ctx, tc.actor, tc.f, tc.group); civic.ErrorCodeOf(err) != tc.code {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
			}
		}
	})
}

// TestCaseMetricsClocks checks that approved extensions and suspensions
// move the completion deadline the figures judge against, as they move the
// case's own. Three department cases, all dispatched Tuesday 2026-03-10
// 10:00 and claimed with a first contact at 10:30 (completion due Friday
// 10:00 without more):
//
//	X  extension of 1 working day approved Tue 11:00 → due Mon 03-16 10:00;
//	   closed Fri 15:00: on time
//	Y  suspended Tue 11:00 – Wed 11:00 (7.5 working hours) → due Mon 10:00;
//	   closed Fri 16:00: on time
//	Z  suspended Tue 11:00 and never resumed: no deadline at all
func TestCaseMetricsClocks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustMetricsWorld(t, s)
		at := func(day, hour, min int) { clock.T = cstAt(3, day, hour, min) }
		do := func(a civic.Actor, id int64, in store.CaseInput) {
			t.Helper()
			if in.Note == "" {
				in.Note = "说明"
			}
			w.act(t, a, id, in)
		}
		approve := func(id int64) {
			t.Helper()
			es, err := s.CaseEvents(ctx, civic.System, id)
			if err != nil {
				t.Fatal(err)
			}
			var req struct {
				RequestID int64 `json:"request_id"`
			}
			if err := json.Unmarshal([]byte(es[len(es)-1].Data), &req); err != nil || req.RequestID == 0 {
				t.Fatalf("request event %+v: %v", es[len(es)-1], err)
			}
			do(w.street, id, store.CaseInput{Action: civic.ActDecide, RequestID: req.RequestID, Approve: true})
		}
		at(10, 10, 0)
		var ids []int64
		for _, title := range []string{"X", "Y", "Z"} {
			c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0101", Title: title, HasLocation: true, Lng: 116.1, Lat: 39.2})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		x, y, z := ids[0], ids[1], ids[2]
		at(10, 10, 30)
		for _, id := range ids {
			do(w.handler, id, store.CaseInput{Action: civic.ActClaim})
			do(w.handler, id, store.CaseInput{Action: civic.ActFeedback})
		}
		at(10, 11, 0)
		do(w.handler, x, store.CaseInput{Action: civic.ActRequestExtend, Amount: 1})
		approve(x)
		for _, id := range []int64{y, z} {
			do(w.handler, id, store.CaseInput{Action: civic.ActRequestPause})
			approve(id)
		}
		at(11, 11, 0)
		do(w.street, y, store.CaseInput{Action: civic.ActResume})
		at(13, 15, 0)
		do(w.handler, x, store.CaseInput{Action: civic.ActHandle})
		do(w.community, x, store.CaseInput{Action: civic.ActVerifyPass})
		at(13, 16, 0)
		do(w.handler, y, store.CaseInput{Action: civic.ActHandle})
		do(w.community, y, store.CaseInput{Action: civic.ActVerifyPass})
		at(16, 10, 30)

		m, err := s.CaseMetrics(ctx, w.street, metricsWeek)
		if err != nil {
			t.Fatal(err)
		}
		checkMetrics(t, m, metricsWant{
			// Claimed and contacted at 10:30, all three.  3 ÷ 3
			response: rateWant{3, 3, 0},
			// X and Y are due on Monday 03-16 10:00, after the week; Z has
			// no deadline while suspended. Nothing is due in the week.
			completion: rateWant{0, 0, 0}, overdue: rateWant{0, 0, 0},
			// Both closes beat their moved deadlines.  2 ÷ 2
			onTime: rateWant{2, 2, 0}, rework: rateWant{0, 2, 0},
			// Natural: X Tue 10:00 → Fri 15:00 = 77h, Y → Fri 16:00 = 78h → 77.5.
			// Working: X 6.5 + 7.5 + 7.5 + Fri 9–12, 13:30–15 (4.5) = 26;
			// Y 6.5 + 7.5 + 7.5 + 5.5 = 27 less the 7.5 suspended = 19.5 → 22.75.
			closed: 2, natural: 77.5, work: 22.75,
			dispatched: 3,
		})
		// The week after holds X's and Y's deadlines, both met.
		next := store.MetricsFilter{From: metricsWeek.To, To: metricsWeek.To.AddDate(0, 0, 7)}
		if m, err = s.CaseMetrics(ctx, w.street, next); err != nil {
			t.Fatal(err)
		}
		checkMetricRate(t, "completion next week", m.Completion, rateWant{2, 2, 0})
		checkMetricRate(t, "overdue next week", m.Overdue, rateWant{0, 2, 0})
	})
}

// TestCoReporterCommentsMatchExactly: the metrics read a comment as a
// co-reporter's rating when its data has the key co_reporter, not a key
// that differs at the _ (LIKE's any-one-character), on both engines.
func TestCoReporterCommentsMatchExactly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		c := w.file(t, w.resident, store.NewCase{Source: civic.SourceResident, Title: "路灯不亮", Description: "小区门口路灯不亮", CategoryCode: "0101"})
		rating := `{"co_reporter":7,"satisfaction":"satisfied","solved":true}`
		for _, data := range []string{rating, `{"co-reporter":7,"satisfaction":"satisfied","solved":true}`, `{"coXreporter":7}`} {
			if _, err := s.ExecForTest(ctx, `INSERT INTO case_events (case_id, at, action, data) VALUES (?, ?, 'comment', ?)`, c.ID, clock.T, data); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.CoReporterCommentsForTest(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0] != rating {
			t.Errorf("comments read as co-reporters' ratings: %q, want only %s", got, rating)
		}
	})
}
