package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// mustMetricsServer serves the metrics endpoint over the fixture's store on
// a mux of its own, in place of the fixture's server.
func (f *fixture) mustMetricsServer() {
	f.t.Helper()
	authn := &auth.Auth{Store: f.s}
	api := New(Config{Store: f.s, Auth: authn, Locator: f.s.NewLocator(0)})
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/metrics/cases", api.wrap(api.caseMetrics))
	f.srv = httptest.NewServer(authn.Middleware(mux))
	f.t.Cleanup(f.srv.Close)
}

// TestCaseMetricsAPI files two cases in street A1 and asks for the week's
// figures as the street, the property company, per handler, and with bad
// parameters.
func TestCaseMetricsAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		f := mustFixture(t, s, clock)
		f.mustCategories()
		f.mustMetricsServer()
		actor := func(role civic.Role) civic.Actor {
			u, err := s.TokenUser(ctx, f.tokens[role])
			if err != nil {
				t.Fatal(err)
			}
			return store.ActorOf(u, "")
		}
		resident, grid, community, handler := actor(civic.RoleResident), actor(civic.RoleGridWorker), actor(civic.RoleCommunityStaff), actor(civic.RoleHandler)
		act := func(a civic.Actor, id int64, in store.CaseInput) {
			t.Helper()
			if _, err := s.ActOnCase(ctx, a, id, in); err != nil {
				t.Fatalf("%s: %v", in.Action, err)
			}
		}
		// Tuesday 2026-03-10 10:00 China time: both cases go to grid A1x
		// (claim due 12:00). The first is claimed and answered at 10:30;
		// the second is transferred at once to the property company,
		// which claims it at 13:00, an hour late.
		var ids [2]int64
		for i := range ids {
			c, _, err := s.SubmitCase(ctx, resident, s.NewLocator(0), store.NewCase{Source: civic.SourceResident, CategoryCode: "0101",
				Title: "楼道灯坏了", HasLocation: true, Lng: 116.42, Lat: 39.95})
			if err != nil || c.HandlerRegionCode != gridA1x {
				t.Fatalf("submit: %v %+v", err, c)
			}
			ids[i] = c.ID
		}
		act(community, ids[1], store.CaseInput{Action: civic.ActTransfer, TargetOrgID: f.orgA1.ID})
		clock.Advance(30 * time.Minute)
		act(grid, ids[0], store.CaseInput{Action: civic.ActClaim})
		act(grid, ids[0], store.CaseInput{Action: civic.ActFeedback, Note: "已联系"})
		clock.Advance(150 * time.Minute)
		act(handler, ids[1], store.CaseInput{Action: civic.ActClaim})

		const week = "/api/v1/metrics/cases?from=2026-03-09&to=2026-03-16"
		org := strconv.FormatInt(f.orgA1.ID, 10)
		for _, tc := range []struct {
			name, path string
			role       civic.Role
			status     int
			// Response rate expected, when the answer is one set of figures.
			num, den int
		}{
			// Dispatches: case 1 to the grid (met), case 2 to the grid
			// (transferred before its claim deadline: left out), case 2 to
			// the company (claimed late).  1 ÷ 2
			{"street", week, civic.RoleStreetStaff, 200, 1, 2},
			{"leader", week + "&under=" + codeA1c, civic.RoleLeader, 200, 1, 2},
			// The company's own figures: its one dispatch, late.  0 ÷ 1
			{"property company", week, civic.RoleHandler, 200, 0, 1},
			{"property company by name", week + "&handler_org=" + org, civic.RoleHandler, 200, 0, 1},
			{"grid as handler", week + "&handler_region=" + gridA1x, civic.RoleCommunityStaff, 200, 1, 1},
			{"the week after", "/api/v1/metrics/cases?from=2026-03-16&to=2026-03-23", civic.RoleStreetStaff, 200, 0, 0},
			{"grid worker", week, civic.RoleGridWorker, 403, 0, 0},
			{"resident", week, civic.RoleResident, 403, 0, 0},
			{"another company", week + "&handler_org=" + strconv.FormatInt(f.orgB1.ID, 10), civic.RoleHandler, 403, 0, 0},
			{"outside the scope", week + "&under=" + codeB1, civic.RoleStreetStaff, 404, 0, 0},
			{"bad weight", week + "&basic_weight=2", civic.RoleStreetStaff, 422, 0, 0},
			{"weight not a number", week + "&basic_weight=high", civic.RoleStreetStaff, 422, 0, 0},
			{"bad date", "/api/v1/metrics/cases?from=March", civic.RoleStreetStaff, 422, 0, 0},
			{"backwards", "/api/v1/metrics/cases?from=2026-03-16&to=2026-03-09", civic.RoleStreetStaff, 422, 0, 0},
			{"unknown grouping", week + "&group_by=weekday", civic.RoleStreetStaff, 422, 0, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := f.do("GET", tc.path, f.tokens[tc.role], nil)
				if r.Status != tc.status {
					t.Fatalf("%d %s, want %d", r.Status, r.Body, tc.status)
				}
				if tc.status != 200 {
					return
				}
				var m store.Metrics
				r.decode(t, &m)
				if int(m.Response.Numerator) != tc.num || m.Response.Denominator != tc.den || (tc.den == 0) != (m.Response.Ratio == nil) {
					t.Fatalf("response rate %+v, want %d/%d", m.Response, tc.num, tc.den)
				}
				u, _ := url.Parse(tc.path)
				from, _ := time.ParseInLocation(civic.DateLayout, u.Query().Get("from"), civic.ChinaTime)
				if m.BasicWeight != store.DefaultBasicWeight || !m.From.Equal(from) || !m.To.Equal(from.AddDate(0, 0, 7)) {
					t.Fatalf("period %v–%v weight %g", m.From, m.To, m.BasicWeight)
				}
			})
		}

		// Per handler: the grid and the company, each with its own figures.
		r := f.do("GET", week+"&group_by=org", f.tokens[civic.RoleStreetStaff], nil)
		var groups struct {
			GroupBy string             `json:"group_by"`
			Items   []store.MetricsRow `json:"items"`
		}
		r.decode(t, &groups)
		if r.Status != 200 || groups.GroupBy != "org" || len(groups.Items) != 2 {
			t.Fatalf("grouped: %d %s", r.Status, r.Body)
		}
		for _, row := range groups.Items {
			switch row.Key {
			case "org:" + org:
				if row.Name != "甲一物业公司" || row.OrgID != f.orgA1.ID || row.Metrics.Response.Denominator != 1 || row.Metrics.Response.Numerator != 0 {
					t.Errorf("company row: %+v", row)
				}
			case "region:" + gridA1x:
				if row.Name != "甲一社区第1网格" || row.Metrics.Counts.Dispatched != 2 || row.Metrics.Response.Numerator != 1 {
					t.Errorf("grid row: %+v", row)
				}
			default:
				t.Errorf("unexpected row %+v", row)
			}
		}
		// Nothing in the week after: an empty list, not null.
		if r := f.do("GET", "/api/v1/metrics/cases?from=2026-03-16&to=2026-03-23&group_by=region_level:street", f.tokens[civic.RoleStreetStaff], nil); r.Status != 200 || string(r.Body) != `{"group_by":"region_level:street","items":[]}`+"\n" {
			t.Fatalf("empty groups: %d %s", r.Status, r.Body)
		}
		// Without a period: this month.
		var m store.Metrics
		if r := f.do("GET", "/api/v1/metrics/cases", f.tokens[civic.RoleStreetStaff], nil); r.Status != 200 {
			t.Fatalf("this month: %d %s", r.Status, r.Body)
		} else if r.decode(t, &m); !m.From.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, civic.ChinaTime)) || !m.To.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, civic.ChinaTime)) || m.Response.Denominator != 2 {
			t.Fatalf("this month: %+v", m)
		}
	})
}
