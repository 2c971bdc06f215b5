package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// categoryRoutes are the lines for routes.go; until they are there, the
// tests serve them on a mux of their own.
func (a *API) categoryRoutes() []route {
	return []route{
		{"GET", "/api/v1/categories", a.listCategories},
		{"POST", "/api/v1/categories", a.createCategory},
		{"POST", "/api/v1/categories/import", a.importCategories},
		{"GET", "/api/v1/categories/{code}", a.getCategory},
		{"PUT", "/api/v1/categories/{code}", a.updateCategory},
		{"PUT", "/api/v1/categories/{code}/active", a.setCategoryActive},
	}
}

// mustCategoryFixture is the API fixture with the default catalogue loaded
// and the category routes served.
func mustCategoryFixture(t *testing.T, s *store.Store, clock *testdb.Clock) *fixture {
	t.Helper()
	f := mustFixture(t, s, clock)
	if _, err := s.EnsureDefaultCategories(context.Background()); err != nil {
		t.Fatalf("default categories: %v", err)
	}
	authn := &auth.Auth{Store: s}
	a := New(Config{Store: s, Auth: authn, Locator: s.NewLocator(0)})
	mux := http.NewServeMux()
	for _, rt := range a.categoryRoutes() {
		mux.Handle(rt.Method+" "+rt.Path, a.wrap(rt.Handler))
	}
	f.srv = httptest.NewServer(authn.Middleware(mux))
	t.Cleanup(f.srv.Close)
	return f
}

// upload posts a file body with its content type.
func (f *fixture) upload(path, token, contentType string, body []byte) response {
	f.t.Helper()
	req, err := http.NewRequest("POST", f.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

type categoryList struct {
	Items []civic.Category `json:"items"`
	Total int              `json:"total"`
}

type apiError struct {
	Error struct {
		Code   string `json:"code"`
		Fields []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"fields"`
	} `json:"error"`
}

func TestCategoryAPIRead(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustCategoryFixture(t, s, clock)
		worker := f.tokens[civic.RoleGridWorker]
		for _, tc := range []struct {
			name, path string
			token      string
			status     int
			check      func(t *testing.T, r response)
		}{
			{"everything", "/api/v1/categories", worker, 200, func(t *testing.T, r response) {
				var l categoryList
				r.decode(t, &l)
				if l.Total < 140 || len(l.Items) != l.Total || l.Items[0].Code != "01" || l.Items[1].Code != "0101" {
					t.Fatalf("%d items, first %+v", l.Total, l.Items[:2])
				}
			}},
			{"filtered", "/api/v1/categories?q=%E7%87%83%E6%B0%94&leaves=true&type=help", worker, 200, func(t *testing.T, r response) {
				var l categoryList
				r.decode(t, &l)
				if l.Total != 2 || l.Items[0].Code != "0701" || l.Items[0].Limits[civic.StageClaim] != (civic.TimeLimit{Amount: 0.5, Unit: civic.UnitHours}) {
					t.Fatalf("燃气 help leaves: %+v", l.Items)
				}
			}},
			{"refused", "/api/v1/categories?accepted=false", worker, 200, func(t *testing.T, r response) {
				var l categoryList
				r.decode(t, &l)
				if l.Total < 3 || l.Items[0].NotAcceptedReason == "" {
					t.Fatalf("refused: %+v", l.Items)
				}
			}},
			{"one", "/api/v1/categories/0302", worker, 200, func(t *testing.T, r response) {
				var c civic.Category
				r.decode(t, &c)
				if c.Name != "井盖缺失破损" || c.Handler.Department != "城市管理委员会" {
					t.Fatalf("0302: %+v", c)
				}
			}},
			{"csv export", "/api/v1/categories?format=csv&include_inactive=true", worker, 200, func(t *testing.T, r response) {
				if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !bytes.HasPrefix(r.Body, []byte("\xef\xbb\xbf编码,名称")) {
					t.Fatalf("csv: %s %.60q", r.Header.Get("Content-Type"), r.Body)
				}
			}},
			{"english xlsx export", "/api/v1/categories?format=xlsx&lang=en", worker, 200, func(t *testing.T, r response) {
				rows, err := sheet.Read(bytes.NewReader(r.Body))
				if err != nil || rows[0][0] != "code" || rows[2][7] != "1 work_hours" {
					t.Fatalf("xlsx: %v %v", rows[:3], err)
				}
			}},
			{"missing", "/api/v1/categories/9999", worker, 404, nil},
			{"bad flag", "/api/v1/categories?leaves=maybe", worker, 422, nil},
			{"bad format", "/api/v1/categories?format=pdf", worker, 422, nil},
			// Residents read the catalogue (and its not-accepted reasons)
			// before they report.
			{"resident", "/api/v1/categories", f.tokens[civic.RoleResident], 200, nil},
			{"anonymous", "/api/v1/categories", "", 401, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := f.do("GET", tc.path, tc.token, nil)
				if r.Status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
				}
				if tc.check != nil {
					tc.check(t, r)
				}
			})
		}
	})
}

func TestCategoryAPIWrite(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustCategoryFixture(t, s, clock)
		worker := f.tokens[civic.RoleGridWorker]
		leaf := map[string]any{"code": "0199", "leaf": true, "name": "电动自行车棚", "type": "complaint",
			"handler": map[string]any{"target": "property"},
			"limits": map[string]any{"claim": map[string]any{"amount": 2, "unit": "work_hours"}, "feedback": map[string]any{"amount": 1, "unit": "work_days"},
				"complete": map[string]any{"amount": 5, "unit": "work_days"}, "visit": map[string]any{"amount": 2, "unit": "work_days"}},
			"yellow": 0.5, "red": 0.8}
		if r := f.do("POST", "/api/v1/categories", worker, leaf); r.Status != 403 {
			t.Fatalf("worker created: %d %s", r.Status, r.Body)
		}
		r := f.do("POST", "/api/v1/categories", f.admin, leaf)
		var c civic.Category
		r.decode(t, &c)
		if r.Status != 201 || !c.Accepted || !c.Active || c.ParentCode != "01" {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		if r := f.do("POST", "/api/v1/categories", f.admin, leaf); r.Status != 409 {
			t.Fatalf("duplicate: %d %s", r.Status, r.Body)
		}

		leaf["limits"].(map[string]any)["claim"] = map[string]any{"amount": 2, "unit": "days"}
		r = f.do("PUT", "/api/v1/categories/0199", f.admin, leaf)
		var e apiError
		r.decode(t, &e)
		if r.Status != 422 || len(e.Error.Fields) != 1 || e.Error.Fields[0].Field != "claim" {
			t.Fatalf("bad limit: %d %s", r.Status, r.Body)
		}
		leaf["limits"].(map[string]any)["claim"] = map[string]any{"amount": 1, "unit": "work_hours"}
		if r := f.do("PUT", "/api/v1/categories/0198", f.admin, leaf); r.Status != 422 {
			t.Fatalf("code change: %d %s", r.Status, r.Body)
		}
		delete(leaf, "code")
		r = f.do("PUT", "/api/v1/categories/0199", f.admin, leaf)
		r.decode(t, &c)
		if r.Status != 200 || c.Limits[civic.StageClaim].Unit != civic.UnitWorkHours {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}

		r = f.do("PUT", "/api/v1/categories/01/active", f.admin, map[string]any{"active": false})
		var act struct {
			Category civic.Category `json:"category"`
			Changed  int            `json:"changed"`
		}
		r.decode(t, &act)
		if r.Status != 200 || act.Category.Active || act.Changed < 10 {
			t.Fatalf("deactivate: %d %s", r.Status, r.Body)
		}
		if r := f.do("PUT", "/api/v1/categories/01/active", f.admin, map[string]any{}); r.Status != 422 {
			t.Fatalf("no flag: %d %s", r.Status, r.Body)
		}
		if r := f.do("PUT", "/api/v1/categories/01/active", worker, map[string]any{"active": true}); r.Status != 403 {
			t.Fatalf("worker activated: %d %s", r.Status, r.Body)
		}
	})
}

func TestCategoryAPIImport(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustCategoryFixture(t, s, clock)
		count := func() int {
			var l categoryList
			f.do("GET", "/api/v1/categories?include_inactive=true", f.admin, nil).decode(t, &l)
			return l.Total
		}
		before := count()
		bad := "code,name,type,handler,department,claim,feedback,complete,visit\n" +
			"90,社区服务,,,,,,,\n" +
			"9001,便民菜站,suggestion,street,,1 work_days,3 work_days,15 work_days,3 work_days\n" +
			"9002,社区食堂,suggestion,street,,1 work_days,3 weeks,15 work_days,3 work_days\n" +
			"9003,快递柜,complaint,department,,2 work_hours,1 work_days,5 work_days,2 work_days\n"
		r := f.upload("/api/v1/categories/import", f.admin, "text/csv", []byte(bad))
		var e apiError
		r.decode(t, &e)
		if r.Status != 422 || len(e.Error.Fields) != 1 || e.Error.Fields[0].Field != "rows[4].feedback" {
			t.Fatalf("bad cell: %d %s", r.Status, r.Body)
		}
		fixed := strings.Replace(bad, "3 weeks", "3 work_days", 1)
		r = f.upload("/api/v1/categories/import?lang=en", f.admin, "text/csv; charset=utf-8", []byte(fixed))
		r.decode(t, &e)
		if r.Status != 422 || e.Error.Fields[0].Field != "rows[5].department" || !strings.HasPrefix(e.Error.Fields[0].Message, "row 5, column department:") {
			t.Fatalf("bad rule: %d %s", r.Status, r.Body)
		}
		if n := count(); n != before {
			t.Fatalf("refused import changed the catalogue: %d → %d", before, n)
		}
		fixed = strings.Replace(fixed, "department,,", "department,市场监督管理局,", 1)
		if r := f.upload("/api/v1/categories/import", f.tokens[civic.RoleStreetStaff], "text/csv", []byte(fixed)); r.Status != 403 {
			t.Fatalf("street staff imported: %d %s", r.Status, r.Body)
		}
		if r := f.upload("/api/v1/categories/import", f.admin, "application/json", []byte(fixed)); r.Status != 422 {
			t.Fatalf("json body: %d %s", r.Status, r.Body)
		}
		r = f.upload("/api/v1/categories/import", f.admin, "text/csv", []byte(fixed))
		var rep store.ImportReport
		r.decode(t, &rep)
		if r.Status != 200 || rep.Created != 4 || count() != before+4 {
			t.Fatalf("import: %d %s", r.Status, r.Body)
		}
		// The XLSX export goes back in unchanged.
		x := f.do("GET", "/api/v1/categories?format=xlsx&include_inactive=true", f.admin, nil)
		r = f.upload("/api/v1/categories/import", f.admin, sheet.ContentType, x.Body)
		r.decode(t, &rep)
		if r.Status != 200 || rep.Created != 0 || rep.Updated != before+4 {
			t.Fatalf("re-import: %d %s", r.Status, r.Body)
		}
	})
}
