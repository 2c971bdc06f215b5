package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestInsightOverviewAPI files a case and asks for the overview as the
// street, for a scope outside it, and as people who may not see figures.
func TestInsightOverviewAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		f := mustFixture(t, s, clock)
		f.mustCategories()
		authn := &auth.Auth{Store: f.s}
		api := New(Config{Store: f.s, Auth: authn, Locator: f.s.NewLocator(0)})
		mux := http.NewServeMux()
		mux.Handle("GET /api/v1/insight/overview", api.wrap(api.insightOverview))
		f.srv = httptest.NewServer(authn.Middleware(mux))
		t.Cleanup(f.srv.Close)
		u, err := s.TokenUser(ctx, f.tokens[civic.RoleResident])
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SubmitCase(ctx, store.ActorOf(u, ""), s.NewLocator(0), store.NewCase{Source: civic.SourceResident, CategoryCode: "0101",
			Title: "楼道灯坏了", HasLocation: true, Lng: 116.42, Lat: 39.95}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, path string
			role       civic.Role
			status     int
			reported   int64
		}{
			{"street, own scope", "/api/v1/insight/overview", civic.RoleStreetStaff, 200, 1},
			{"street, a community", "/api/v1/insight/overview?scope=" + codeA1c, civic.RoleStreetStaff, 200, 1},
			{"outside the scope", "/api/v1/insight/overview?scope=" + codeB1, civic.RoleStreetStaff, 404, 0},
			{"grid worker", "/api/v1/insight/overview", civic.RoleGridWorker, 403, 0},
			{"resident", "/api/v1/insight/overview", civic.RoleResident, 403, 0},
		} {
			r := f.do("GET", tc.path, f.tokens[tc.role], nil)
			if r.Status != tc.status {
				t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
				continue
			}
			if r.Status != 200 {
				continue
			}
			var o civic.Overview
			r.decode(t, &o)
			if len(o.Periods) != 3 || o.Periods[0].Reported != tc.reported || o.Periods[0].BySource["resident"] != tc.reported || len(o.Daily) != 30 {
				t.Errorf("%s: %s", tc.name, r.Body)
			}
		}
	})
}
