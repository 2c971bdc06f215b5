package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// TestAssessmentPage: overseers see the period's assessment with its red
// and black lists; a figure opens exactly its cases; administrators set
// the weights (validated, others refused); the table exports as .xlsx and
// CSV; grid workers may not look.
func TestAssessmentPage(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "占道摆摊", "0101"))
	// The department claims and reports back at once: responded, 1 of 1.
	cases, _, err := f.s.ListCases(context.Background(), civic.System, store.CaseFilter{})
	if err != nil || len(cases) != 1 {
		t.Fatalf("cases: %v %v", cases, err)
	}
	handler := store.ActorOf(f.users["handler"], "")
	for _, in := range []store.CaseInput{{Action: civic.ActClaim}, {Action: civic.ActHandle, Note: "已劝离"}} {
		if _, err := f.s.ActOnCase(context.Background(), handler, cases[0].ID, in); err != nil {
			t.Fatalf("%s: %v", in.Action, err)
		}
	}
	street := f.mustLogin(t, "street")
	body := mustStatus(t, street.get("/assessment"), http.StatusOK)
	mustContain(t, body, "考核评价", "红榜", "黑榜", "响应率", "满意率", "吹哨报到情况", "未参与排名", "城市管理委员会")
	// One dispatch is below the minimum of 5: the department is listed
	// apart, not ranked.
	if red := section(body, `id="assess-red"`, `id="assess-black"`); strings.Contains(red, "城市管理委员会") {
		t.Errorf("one case put the department on the red list:\n%s", red)
	}
	mustNotContain(t, body, `action="/assessment/weights"`)

	// The dispatched figure links to the case list of that one case.
	unit := "org:" + strconv.FormatInt(f.dept.ID, 10)
	link := regexp.MustCompile(`href="(/cases\?fig=dispatched&amp;level=org&amp;period=[0-9-]+&amp;unit=` + regexp.QuoteMeta(url.QueryEscape(unit)) + `)">1</a>`).FindStringSubmatch(body)
	if link == nil {
		t.Fatalf("no dispatched link for %s in:\n%s", unit, section(body, `id="assess-apart"`, "吹哨报到情况"))
	}
	list := mustStatus(t, street.get(html.UnescapeString(link[1])), http.StatusOK)
	mustContain(t, list, "共 1 条", "占道摆摊", "考核明细：城市管理委员会", "派单 1", `name="fig" value="dispatched"`)
	// Nothing was closed: the closed figure's list is empty.
	closed := strings.Replace(html.UnescapeString(link[1]), "fig=dispatched", "fig=closed", 1)
	mustContain(t, mustStatus(t, street.get(closed), http.StatusOK), "共 0 条")
	mustStatus(t, street.get(strings.Replace(closed, "fig=closed", "fig=luck", 1)), http.StatusUnprocessableEntity)

	// Weights: street staff may not; an administrator may, validated.
	form := url.Values{"w_response": {"1"}, "w_solved": {"0"}, "w_satisfaction": {"0"}, "w_completion": {"0"}, "w_overdue": {"0"},
		"w_rework": {"0"}, "w_whistle": {"0"}, "min_cases": {"1"}, "top_n": {"3"}, "level": {"org"}}
	mustStatus(t, street.post("/assessment/weights", form), http.StatusForbidden)
	admin := f.mustLogin(t, "admin")
	mustContain(t, mustStatus(t, admin.get("/assessment"), http.StatusOK), `action="/assessment/weights"`)
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("w_response", "-1")
	mustContain(t, mustStatus(t, admin.post("/assessment/weights", bad), http.StatusUnprocessableEntity), "权重应为0到1000之间的数")
	bad.Set("w_response", "abc")
	mustContain(t, mustStatus(t, admin.post("/assessment/weights", bad), http.StatusUnprocessableEntity), "请填写数字")
	bad.Set("w_response", "0")
	mustContain(t, mustStatus(t, admin.post("/assessment/weights", bad), http.StatusUnprocessableEntity), "至少一项指标的权重应大于0")
	mustStatus(t, admin.post("/assessment/weights", form), http.StatusSeeOther)
	mustContain(t, mustStatus(t, admin.get("/audit?action=assessment.settings"), http.StatusOK), "修改考核权重")

	// Now one dispatch is enough: the department tops the red list.
	body = mustStatus(t, street.get("/assessment?level=org"), http.StatusOK)
	if red := section(body, `id="assess-red"`, `id="assess-black"`); !strings.Contains(red, "城市管理委员会") {
		t.Errorf("department not on the red list:\n%s", red)
	}
	mustContain(t, mustStatus(t, street.get("/assessment?level=street&period=2026&lang=en"), http.StatusOK), "Streets", "Satisfaction", "Red list")
	mustStatus(t, street.get("/assessment?period=2026-Q9"), http.StatusUnprocessableEntity)

	// Exports.
	rec := street.get("/assessment/export.csv?level=org")
	csv := mustStatus(t, rec, http.StatusOK)
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") || !strings.Contains(csv, "城市管理委员会") || !strings.Contains(csv, unit) {
		t.Errorf("csv %s:\n%s", rec.Header().Get("Content-Type"), csv)
	}
	rec = street.get("/assessment/export.xlsx?level=street")
	mustStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Header().Get("Content-Type"), "spreadsheetml") || !strings.HasPrefix(rec.Body.String(), "PK") {
		t.Errorf("xlsx: %s", rec.Header().Get("Content-Type"))
	}
	mustStatus(t, f.mustLogin(t, "worker").get("/assessment"), http.StatusForbidden)
}

// section is the part of body between two markers.
func section(body, from, to string) string {
	i := strings.Index(body, from)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], to)
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}
