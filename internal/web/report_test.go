package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
)

// TestReportPages: a resident reports a case; street staff generate this
// month's report of their street from the list page, see it as a printable
// page with the case counted and a link to the case list, download it as
// .xlsx, write its manual rows and issue it. Another street's report is
// not found for them; a grid worker may not open reports; an
// administrator's template naming an unknown figure is refused by row.
func TestReportPages(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "楼道堆满纸箱", "0102"))

	street := f.mustLogin(t, "street")
	list := mustStatus(t, street.get("/reports"), http.StatusOK)
	mustContain(t, list, "报表", `id="rep-generate"`, "街道月报（一表通）", "东风街道", `href="/reports"`)
	today := civic.Today(f.s.Now())
	rec := street.post("/reports", url.Values{"template_id": {"3"}, "region_code": {streetA}, "period": {today}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("generate: %d %s", rec.Code, truncate(rec.Body.String()))
	}
	loc := rec.Header().Get("Location")
	page := mustStatus(t, street.get(loc), http.StatusOK)
	mustContain(t, page, "报表已生成", "东风街道 街道月报（一表通）", "report.css", "统计期间", "生成于", "受理诉求总量", `name="text_`, "签发")
	// One case filed this month, linked to the case list behind it.
	if !regexp.MustCompile(`<a href="/cases\?from=[0-9-]+&amp;to=[0-9-]+&amp;under=` + streetA + `">1</a>`).MatchString(page) {
		t.Errorf("received count with its link not found in:\n%s", truncate(page))
	}
	x := street.get(loc + ".xlsx")
	if x.Code != http.StatusOK || x.Header().Get("Content-Type") != sheet.ContentType {
		t.Fatalf("xlsx: %d %s", x.Code, x.Header().Get("Content-Type"))
	}
	rows, err := sheet.Read(bytes.NewReader(x.Body.Bytes()))
	if err != nil || len(rows) < 10 || !strings.Contains(rows[0][0], "东风街道") {
		t.Fatalf("workbook %q (%v)", rows, err)
	}
	// Issue without writing the manual rows: refused; with them: issued.
	fields := regexp.MustCompile(`name="(text_\d+)"`).FindAllStringSubmatch(page, -1)
	rec = street.post(loc+"/fill", url.Values{"issue": {"1"}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "签发前请填写") {
		t.Errorf("issue empty: %d %s", rec.Code, truncate(rec.Body.String()))
	}
	form := url.Values{"issue": {"1"}}
	for _, m := range fields {
		form.Set(m[1], "按计划推进")
	}
	rec = street.post(loc+"/fill", form)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("issue: %d %s", rec.Code, truncate(rec.Body.String()))
	}
	issued := mustStatus(t, street.get(loc), http.StatusOK)
	mustContain(t, issued, "报表已签发", "签发于", "按计划推进")
	mustNotContain(t, issued, `name="text_`)

	other, err := f.s.GenerateReport(context.Background(), civic.System, 3, streetB, today)
	if err != nil {
		t.Fatal(err)
	}
	mustStatus(t, street.get("/reports/"+strconv.FormatInt(other.ID, 10)), http.StatusNotFound)
	mustNotContain(t, mustStatus(t, street.get("/reports"), http.StatusOK), "西湖街道 ")
	mustStatus(t, f.mustLogin(t, "worker").get("/reports"), http.StatusForbidden)

	admin := f.mustLogin(t, "admin")
	mustContain(t, mustStatus(t, admin.get("/reports/templates"), http.StatusOK), "指标目录", "rate.satisfaction", "people.tag.age80", "新增模板")
	mustStatus(t, street.get("/reports/templates/new"), http.StatusForbidden)
	rec = admin.post("/reports/templates/new", url.Values{"name": {"社区月报"}, "kind": {"monthly"}, "scope_level": {"community"},
		"rows": {"cases.received | 本月受理\ncases.bogus\n手填 | 本月小结"}, "active": {"1"}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "第2行：没有“cases.bogus”这个指标") {
		t.Errorf("unknown figure: %d %s", rec.Code, truncate(rec.Body.String()))
	}
	rec = admin.post("/reports/templates/new", url.Values{"name": {"社区月报"}, "kind": {"monthly"}, "scope_level": {"community"},
		"rows": {"cases.received | 本月受理\n手填 | 本月小结"}, "active": {"1"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("save template: %d %s", rec.Code, truncate(rec.Body.String()))
	}
	mustContain(t, mustStatus(t, admin.get("/reports/templates"), http.StatusOK), "社区月报", "取数1项，手填1项")
	mustContain(t, mustStatus(t, admin.get("/reports/templates/4/edit"), http.StatusOK), "cases.received | 本月受理", "手填 | 本月小结", `action="/reports/templates/4/delete"`)
	// A template reports were made from offers no delete, and refuses one.
	used := mustStatus(t, admin.get("/reports/templates/3/edit"), http.StatusOK)
	mustContain(t, used, "份报表，模板不能删除")
	mustNotContain(t, used, `action="/reports/templates/3/delete"`)
	if rec = admin.post("/reports/templates/3/delete", nil); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "不能删除") {
		t.Errorf("delete a used template: %d %s", rec.Code, truncate(rec.Body.String()))
	}
	mustStatus(t, street.post("/reports/templates/4/delete", nil), http.StatusForbidden)
	if rec = admin.post("/reports/templates/4/delete", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", rec.Code, truncate(rec.Body.String()))
	}
	mustNotContain(t, mustStatus(t, admin.get("/reports/templates"), http.StatusOK), "社区月报")
	mustStatus(t, admin.get("/reports/templates/4/edit"), http.StatusNotFound)
	en := mustStatus(t, street.get(loc+"?lang=en"), http.StatusOK)
	mustContain(t, en, "Cases received", "Print", "Download Excel")
}

// TestReportTemplateScheduleFailure: the templates list says when a
// template failed on schedule, how many times in a row, when it is tried
// again (China time) and why; a template without failures says nothing.
func TestReportTemplateScheduleFailure(t *testing.T) {
	views, err := parseViews(templateFS, civic.ChinaTime, "x")
	if err != nil {
		t.Fatal(err)
	}
	p := reportTemplatesPage{Templates: []reportTemplateRow{
		{ReportTemplate: civic.ReportTemplate{ID: 1, Name: "街道日报", Active: true}},
		{ReportTemplate: civic.ReportTemplate{ID: 2, Name: "社区周报", Active: true, ScheduleFailures: 3,
			ScheduleError:   `scheduled report "社区周报" for 110101001001 2026-03-23: insert report: disk full`,
			ScheduleRetryAt: time.Date(2026, 4, 1, 2, 4, 0, 0, time.UTC)}},
	}}
	for lang, want := range map[string][2]string{
		"zh": {"定时生成失败", "定时生成失败（连续3次），2026-04-01 10:04 再试"},
		"en": {"failed on schedule", "failed on schedule (3 times in a row); tried again at 2026-04-01 10:04"},
	} {
		var buf bytes.Buffer
		if err := views[lang]["report_templates"].t.ExecuteTemplate(&buf, "content", p); err != nil {
			t.Fatal(err)
		}
		body := buf.String()
		mustContain(t, body, want[1], "insert report: disk full")
		if n := strings.Count(body, want[0]); n != 1 {
			t.Errorf("%s: a failure shown %d times, want once (the failing template only)", lang, n)
		}
	}
}
