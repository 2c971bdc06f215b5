package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// mustTriageCases adds two categories to the fixture's one and twelve
// closed cases of each of three themes in grid A1x.
func (f *fixture) mustTriageCases() {
	f.t.Helper()
	ctx := context.Background()
	f.mustCategories()
	limits := map[civic.Stage]civic.TimeLimit{
		civic.StageClaim: {Amount: 2, Unit: civic.UnitWorkHours}, civic.StageFeedback: {Amount: 1, Unit: civic.UnitWorkDays},
		civic.StageComplete: {Amount: 3, Unit: civic.UnitWorkDays}, civic.StageVisit: {Amount: 2, Unit: civic.UnitWorkDays},
	}
	for _, c := range []civic.Category{
		{Code: "0102", ParentCode: "01", Leaf: true, Name: "楼道堆物", Type: civic.RequestComplaint, Handler: civic.HandlerRule{Target: civic.HandlerGrid}, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true},
		{Code: "0103", ParentCode: "01", Leaf: true, Name: "噪音扰民", Type: civic.RequestComplaint, Handler: civic.HandlerRule{Target: civic.HandlerGrid}, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true},
	} {
		if _, err := f.s.CreateCategory(ctx, civic.System, c); err != nil {
			f.t.Fatal(err)
		}
	}
	testdb.MustClosedCases(f.t, f.s, gridA1x, map[string]string{testdb.ThemeVending: "0101", testdb.ThemeClutter: "0102", testdb.ThemeNoise: "0103"}, 12)
}

// TestTriageAPI trains a model over the API (a CSV with an unknown label
// is refused naming the row), suggests categories, files a case left to
// the model above the threshold, and counts acceptance within each
// caller's scope; every endpoint is tried by every role.
func TestTriageAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		f := mustFixture(t, s, clock)
		f.mustTriageCases()

		r := f.do("POST", "/api/v1/triage/models", f.admin, map[string]any{"source": "upload", "csv": "title,text,label\n楼道堆物,楼道里全是纸箱,0102\n噪音,楼上太吵,城乡建设\n"})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "第3行") || !strings.Contains(string(r.Body), "城乡建设") {
			t.Fatalf("bad label: %d %s", r.Status, r.Body)
		}
		r = f.do("POST", "/api/v1/triage/models", f.admin, map[string]any{"source": "cases"})
		var m civic.TriageModel
		r.decode(t, &m)
		if r.Status != http.StatusAccepted || m.Status != civic.TriageQueued || m.Version != 1 {
			t.Fatalf("train: %d %s", r.Status, r.Body)
		}
		if id, err := s.TrainNextTriage(ctx); err != nil || id != m.ID {
			t.Fatalf("background training %d %v", id, err)
		}
		r = f.do("GET", fmt.Sprintf("/api/v1/triage/models/%d", m.ID), f.admin, nil)
		r.decode(t, &m)
		if m.Status != civic.TriageDone || !m.Active || m.Examples != 36 || len(m.Classes) != 3 || m.Attempts != 1 {
			t.Fatalf("model %s", r.Body)
		}
		// The list says how many times servers began training each model.
		if r := f.do("GET", "/api/v1/triage/models", f.admin, nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"attempts":1`) {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}

		r = f.do("POST", "/api/v1/triage/suggest", f.tokens[civic.RoleResident], map[string]any{"title": "楼道里堆满了纸箱", "text": "影响通行"})
		var sug civic.TriageSuggestion
		r.decode(t, &sug)
		if r.Status != http.StatusOK || sug.ModelVersion != 1 || len(sug.Predictions) != 3 || sug.Top().Code != "0102" {
			t.Fatalf("suggest: %d %s", r.Status, r.Body)
		}

		// Left to the model above the threshold: routed.
		// A client that does not know max_examples keeps the limit.
		if r := f.do("PUT", "/api/v1/triage/settings", f.admin, map[string]any{"threshold": 0.3, "min_examples": 10, "every_days": 7, "auto_margin": 0.02}); r.Status != http.StatusOK ||
			!strings.Contains(string(r.Body), `"max_examples":20000`) {
			t.Fatalf("settings: %d %s", r.Status, r.Body)
		}
		r = f.do("POST", "/api/v1/cases", f.tokens[civic.RoleResident], map[string]any{"source": "resident", "category_from_model": true, "title": "楼道里堆满了纸箱杂物",
			"lng": 116.42, "lat": 39.95})
		var c civic.Case
		r.decode(t, &c)
		if r.Status != http.StatusCreated || c.CategoryCode != "0102" || c.State != civic.StateDispatched {
			t.Fatalf("auto-routed case: %d %s", r.Status, r.Body)
		}
		other := f.mustUserToken("reporter_b", civic.RoleResident, civic.Scope{RegionCode: codeB1})
		if r := f.do("POST", "/api/v1/cases", other, map[string]any{"source": "resident", "category_code": "0101", "title": "楼上装修噪音太大", "lng": 116.35, "lat": 39.90}); r.Status != http.StatusCreated {
			t.Fatalf("case in B1: %d %s", r.Status, r.Body)
		}
		// Acceptance within scope: street A1 sees its one case, the city
		// admin both.
		for tok, want := range map[string]int{f.tokens[civic.RoleStreetStaff]: 1, f.admin: 2} {
			var l struct{ Items []civic.TriageAcceptance }
			f.do("GET", "/api/v1/triage/acceptance", tok, nil).decode(t, &l)
			if len(l.Items) == 0 || l.Items[0].Code != "" || l.Items[0].Suggested != want {
				t.Errorf("acceptance seen: %+v, want %d suggestions", l.Items, want)
			}
		}

		// Who may call what.
		reporters := map[civic.Role]bool{civic.RoleResident: true, civic.RoleVolunteer: true, civic.RoleGridWorker: true, civic.RoleCommunityStaff: true,
			civic.RoleStreetStaff: true, civic.RoleOperator: true, civic.RoleAdmin: true}
		metrics := map[civic.Role]bool{civic.RoleCommunityStaff: true, civic.RoleStreetStaff: true, civic.RoleLeader: true, civic.RoleOperator: true, civic.RoleAdmin: true}
		for _, role := range civic.Roles {
			for _, op := range []struct {
				method, path string
				body         any
				ok           bool
			}{
				{"POST", "/api/v1/triage/suggest", map[string]any{"title": "楼道堆物"}, reporters[role]},
				{"GET", "/api/v1/triage/models", nil, metrics[role]},
				{"GET", fmt.Sprintf("/api/v1/triage/models/%d", m.ID), nil, metrics[role]},
				{"GET", "/api/v1/triage/acceptance", nil, metrics[role]},
				{"GET", "/api/v1/triage/settings", nil, metrics[role]},
				// City-wide configuration: a street's administrator may not.
				{"POST", "/api/v1/triage/models", map[string]any{"source": "cases"}, false},
				{"POST", fmt.Sprintf("/api/v1/triage/models/%d/activate", m.ID), nil, false},
				{"PUT", "/api/v1/triage/settings", map[string]any{"threshold": 0, "min_examples": 10, "every_days": 7, "auto_margin": 0.02}, false},
			} {
				r := f.do(op.method, op.path, f.tokens[role], op.body)
				if op.ok != (r.Status >= 200 && r.Status < 300) || (!op.ok && r.Status != http.StatusForbidden) {
					t.Errorf("%s %s as %s: %d (allowed %v) %.200s", op.method, op.path, role, r.Status, op.ok, r.Body)
				}
			}
		}
		if r := f.do("POST", fmt.Sprintf("/api/v1/triage/models/%d/activate", m.ID), f.admin, nil); r.Status != http.StatusOK {
			t.Fatalf("city admin activates: %d %s", r.Status, r.Body)
		}
		if r := f.do("POST", "/api/v1/triage/models/9999/activate", f.admin, nil); r.Status != http.StatusNotFound {
			t.Fatalf("activate unknown: %d", r.Status)
		}
	})
}
