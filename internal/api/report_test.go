package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestReportAPI generates a monthly report through the API, downloads it as
// .xlsx, issues it after writing its manual rows, and has a template with
// an unknown figure refused by row.
func TestReportAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		street := f.tokens[civic.RoleStreetStaff]
		var rep civic.Report
		resp := f.do("POST", "/api/v1/reports", street, map[string]any{"template_id": 3, "region_code": codeA1c, "period": "2026-02-14"})
		if resp.Status != http.StatusCreated {
			t.Fatalf("generate: %d %s", resp.Status, resp.Body)
		}
		resp.decode(t, &rep)
		if rep.From != "2026-02-01" || rep.To != "2026-03-01" || rep.RegionName != "甲一社区" || rep.State != civic.ReportDraft || len(rep.Values) < 30 {
			t.Fatalf("report = %+v", rep)
		}
		x := f.do("GET", "/api/v1/reports/"+itoa(rep.ID)+"?format=xlsx", street, nil)
		if x.Status != http.StatusOK || x.Header.Get("Content-Type") != sheet.ContentType {
			t.Fatalf("xlsx: %d %s", x.Status, x.Header.Get("Content-Type"))
		}
		rows, err := sheet.Read(bytes.NewReader(x.Body))
		if err != nil || len(rows) < 4+len(rep.Values) || !strings.Contains(rows[0][0], "甲一社区") {
			t.Fatalf("workbook rows %q (%v)", rows, err)
		}
		var manual []string
		for i, v := range rep.Values {
			if v.Manual {
				manual = append(manual, itoa(int64(i)))
			}
		}
		texts := map[string]string{}
		for _, i := range manual {
			texts[i] = "已完成"
		}
		resp = f.do("POST", "/api/v1/reports/"+itoa(rep.ID)+"/fill", street, map[string]any{"texts": texts, "issue": true})
		if resp.Status != http.StatusOK {
			t.Fatalf("issue: %d %s", resp.Status, resp.Body)
		}
		if resp = f.do("POST", "/api/v1/reports/"+itoa(rep.ID)+"/fill", street, map[string]any{"texts": texts}); resp.Status != http.StatusConflict {
			t.Errorf("fill an issued report: %d %s", resp.Status, resp.Body)
		}

		bad := map[string]any{"name": "坏模板", "kind": "monthly", "scope_level": "street", "rows": []map[string]any{{"figure": "cases.received"}, {"figure": "cases.nope"}}}
		resp = f.do("POST", "/api/v1/reports/templates", f.admin, bad)
		if resp.Status != http.StatusUnprocessableEntity || !strings.Contains(string(resp.Body), "第2行：没有“cases.nope”这个指标") {
			t.Errorf("unknown figure: %d %s", resp.Status, resp.Body)
		}
		req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/reports/templates?lang=en", strings.NewReader(`{"name":"bad","kind":"monthly","scope_level":"street","rows":[{"figure":"cases.nope"}]}`))
		req.Header.Set("Authorization", "Bearer "+f.admin)
		en, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer en.Body.Close()
		var body bytes.Buffer
		_, _ = body.ReadFrom(en.Body)
		if en.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body.String(), `row 1: there is no figure \"cases.nope\"`) {
			t.Errorf("unknown figure in English: %d %s", en.StatusCode, body.String())
		}
		good := map[string]any{"name": "全市月报", "kind": "monthly", "scope_level": "district", "active": true, "rows": []map[string]any{{"figure": "cases.received", "label": "受理量"}, {"manual": true, "label": "说明"}}}
		resp = f.do("POST", "/api/v1/reports/templates", f.admin, good)
		var created civic.ReportTemplate
		if resp.Status != http.StatusCreated || json.Unmarshal(resp.Body, &created) != nil || created.ActiveSince.IsZero() {
			t.Fatalf("create template: %d %s", resp.Status, resp.Body)
		}
		if resp = f.do("DELETE", "/api/v1/reports/templates/"+itoa(rep.TemplateID), f.admin, nil); resp.Status != http.StatusConflict {
			t.Errorf("delete a template with reports: %d %s", resp.Status, resp.Body)
		}
		if resp = f.do("DELETE", "/api/v1/reports/templates/"+itoa(created.ID), street, nil); resp.Status != http.StatusForbidden {
			t.Errorf("street staff deletes a template: %d %s", resp.Status, resp.Body)
		}
		if resp = f.do("DELETE", "/api/v1/reports/templates/"+itoa(created.ID), f.admin, nil); resp.Status != http.StatusNoContent {
			t.Errorf("delete: %d %s", resp.Status, resp.Body)
		}
		if resp = f.do("GET", "/api/v1/reports/templates/"+itoa(created.ID), f.admin, nil); resp.Status != http.StatusNotFound {
			t.Errorf("deleted template: %d %s", resp.Status, resp.Body)
		}
		if resp = f.do("GET", "/api/v1/reports/figures", street, nil); resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), "rate.satisfaction") {
			t.Errorf("figures: %d %.200s", resp.Status, resp.Body)
		}
	})
}
