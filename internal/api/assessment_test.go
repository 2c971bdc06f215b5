package api

import (
	"net/http"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestAssessmentAPI: the street assessment counts a case filed in street
// A1 for A1 only, its drill-down lists it (and nothing for B1); the
// weights read for overseers and are written by administrators only,
// validated.
func TestAssessmentAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		f.mustCategories()
		r := f.do("POST", "/api/v1/cases", f.tokens[civic.RoleResident], map[string]any{"source": "resident", "category_code": "0101", "title": "楼道灯坏了", "lng": 116.42, "lat": 39.95})
		if r.Status != http.StatusCreated {
			t.Fatalf("file: %d %s", r.Status, r.Body)
		}
		street := f.tokens[civic.RoleStreetStaff]
		r = f.do("GET", "/api/v1/insight/assessment?level=street", street, nil)
		var as store.Assessment
		if r.Status != http.StatusOK {
			t.Fatalf("assessment: %d %s", r.Status, r.Body)
		}
		r.decode(t, &as)
		if len(as.Units) != 1 || as.Units[0].Key != codeA1 || as.Units[0].Reported != 1 || as.Units[0].Dispatched != 1 || as.Units[0].Ranked || as.Period.Kind != "month" {
			t.Fatalf("street assessment: %+v", as)
		}
		for unit, want := range map[string]int{codeA1: 1, codeB1: 0} {
			var list struct {
				Total int `json:"total"`
			}
			r = f.do("GET", "/api/v1/cases?fig=reported&level=street&period="+as.Period.Code+"&unit="+unit, street, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("drill-down %s: %d %s", unit, r.Status, r.Body)
			}
			if r.decode(t, &list); list.Total != want {
				t.Errorf("drill-down %s: %d cases, want %d", unit, list.Total, want)
			}
		}
		for _, q := range []string{"level=grid", "period=2026-13", "period=2026-Q5"} {
			if r = f.do("GET", "/api/v1/insight/assessment?"+q, street, nil); r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d", q, r.Status)
			}
		}
		if r = f.do("GET", "/api/v1/insight/assessment", f.tokens[civic.RoleGridWorker], nil); r.Status != http.StatusForbidden {
			t.Errorf("grid worker: %d", r.Status)
		}

		var st civic.AssessmentSettings
		if r = f.do("GET", "/api/v1/insight/assessment/weights", street, nil); r.Status != http.StatusOK {
			t.Fatalf("weights: %d %s", r.Status, r.Body)
		}
		if r.decode(t, &st); st.Weights[civic.IndSatisfaction] != 25 || st.MinCases != 5 {
			t.Errorf("default weights: %+v", st)
		}
		body := map[string]any{"weights": map[string]float64{"response": 2, "satisfaction": 1}, "min_cases": 1, "top_n": 2}
		if r = f.do("PUT", "/api/v1/insight/assessment/weights", street, body); r.Status != http.StatusForbidden {
			t.Errorf("street staff put weights: %d", r.Status)
		}
		for name, bad := range map[string]map[string]any{
			"negative":      {"weights": map[string]float64{"response": -1, "solved": 1}, "min_cases": 1, "top_n": 2},
			"all zero":      {"weights": map[string]float64{"response": 0}, "min_cases": 1, "top_n": 2},
			"unknown":       {"weights": map[string]float64{"luck": 1}, "min_cases": 1, "top_n": 2},
			"no minimum":    {"weights": map[string]float64{"response": 1}, "min_cases": 0, "top_n": 2},
			"unknown field": {"weights": map[string]float64{"response": 1}, "min_cases": 1, "top_n": 2, "max": 3},
		} {
			if r = f.do("PUT", "/api/v1/insight/assessment/weights", f.admin, bad); r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		if r = f.do("PUT", "/api/v1/insight/assessment/weights", f.admin, body); r.Status != http.StatusOK {
			t.Fatalf("admin put weights: %d %s", r.Status, r.Body)
		}
		r = f.do("GET", "/api/v1/insight/assessment?level=street", street, nil)
		r.decode(t, &as)
		if as.Settings.MinCases != 1 || as.Settings.Weights[civic.IndResponse] != 2 || as.Settings.Weights[civic.IndSolved] != 0 || as.Settings.UpdatedBy != "cityadmin" {
			t.Errorf("settings after put: %+v", as.Settings)
		}
	})
}
