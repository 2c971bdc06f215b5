package web

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestOverviewPage: the one-screen overview of a scope shows the period's
// figures as tables (the charts' no-JS view), its category numbers drill
// down to the case list with exactly those cases, each table downloads as
// CSV, and the scope stays the viewer's.
func TestOverviewPage(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "楼道堆满纸箱", "0102"))
	mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "三楼又堆了纸箱", "0102"))
	mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "门口摆摊", "0101"))

	admin := f.mustLogin(t, "admin")
	body := mustStatus(t, admin.get("/overview"), http.StatusOK)
	mustContain(t, body, "一屏统览", "示范市", "今日", "本周", "本月", "响应率", "办结率", `id="ov-data"`,
		`data-table="category"`, "楼道堆物", "占道经营", "示范区", `href="/overview?scope=110101"`, `id="ov-map"`, `data-level="district"`,
		"vendor/echarts.min.js", "overview.js", `href="/overview"`)

	// People statistics for those who may read people: a card with the
	// population linking to the people list, and the linkage rates.
	mustContain(t, body, `data-table="people"`, "人口与关爱对象", "实有人口", "人员关联率", "房屋关联率")
	mustContain(t, mustStatus(t, admin.get("/overview.csv?chart=people"), http.StatusOK), "类别,人数", "实有人口,")
	op := mustStatus(t, f.mustLogin(t, "operator").get("/overview"), http.StatusOK)
	mustNotContain(t, op, `data-table="people"`, "人员关联率")

	// The category drill-down lists the same number of cases.
	m := regexp.MustCompile(`<td><a href="(/cases\?[^"]*category=0102[^"]*)">楼道堆物</a></td><td class="num"><a href="[^"]*">(\d+)</a>`).FindStringSubmatch(body)
	if m == nil {
		// The name cell carries no link; the number does.
		m = regexp.MustCompile(`<td>楼道堆物</td><td class="num"><a href="(/cases\?[^"]*)">(\d+)</a>`).FindStringSubmatch(body)
	}
	if m == nil {
		t.Fatalf("no drill-down for 楼道堆物 in:\n%s", truncate(body))
	}
	if m[2] != "2" {
		t.Fatalf("楼道堆物 counts %s today, want 2", m[2])
	}
	link := html.UnescapeString(m[1])
	for _, p := range []string{"under=1101", "category=0102", "from=", "to="} {
		if !strings.Contains(link, p) {
			t.Fatalf("drill-down %s lacks %s", link, p)
		}
	}
	mustContain(t, mustStatus(t, admin.get(link), http.StatusOK), "共 2 条", "楼道堆满纸箱", "三楼又堆了纸箱")

	// A table downloads as CSV; the live refresh gets the fragment only.
	csv := mustStatus(t, admin.get("/overview.csv?chart=category"), http.StatusOK)
	mustContain(t, csv, "类别,上报", "楼道堆物,2", "占道经营,1")
	mustStatus(t, admin.get("/overview.csv?chart=nope"), http.StatusNotFound)
	frag := mustStatus(t, admin.get("/overview?fragment=1&period=week"), http.StatusOK)
	mustContain(t, frag, `id="ov-live"`, `id="ov-figures"`, `id="ov-t-category"`, `id="ov-data"`)
	mustNotContain(t, frag, "<html", "sidenav")

	// Down to a grid, in English; the map then shows the grid itself.
	en := mustStatus(t, admin.get("/overview?scope="+gridA1+"&period=month&lang=en"), http.StatusOK)
	mustContain(t, en, "Overview", "幸福第一网格", "Clutter in stairwells", `data-level="grid"`)

	// Street staff see their street and below, not a neighbour's.
	street := f.mustLogin(t, "street")
	mustContain(t, mustStatus(t, street.get("/overview"), http.StatusOK), "东风街道", "幸福社区")
	mustStatus(t, street.get("/overview?scope="+streetB), http.StatusNotFound)
	mustStatus(t, f.mustLogin(t, "worker").get("/overview"), http.StatusForbidden)
}
