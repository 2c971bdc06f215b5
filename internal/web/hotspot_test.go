package web

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// TestHotspotsPage: a resident reports the same problem three times at one
// place; the page shows the cluster to staff, and a dispatcher merges it
// into one case from there. A grid worker may not open the page.
func TestHotspotsPage(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "楼道堆满纸箱", "0102"))
	mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "三楼楼道又堆了纸箱", "0102"))
	mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "二楼楼道纸箱没清", "0102"))

	admin := f.mustLogin(t, "admin")
	body := mustStatus(t, admin.get("/hotspots?radius_m=300&min_cases=3"), http.StatusOK)
	mustContain(t, body, "预警热点", `data-kind="cluster"`, "楼道堆物", "合并为一件", `name="case_id"`)
	// The usual load is counted unless the form says otherwise, and the
	// form keeps the choice.
	mustContain(t, body, `<option value="1">计入`)
	// In English the warning is headed by the category's English name.
	enBody := mustStatus(t, admin.get("/hotspots?radius_m=300&min_cases=3&lang=en"), http.StatusOK)
	mustContain(t, enBody, "Clutter in stairwells")
	mustNotContain(t, enBody, "楼道堆物")
	off := mustStatus(t, admin.get("/hotspots?radius_m=300&min_cases=3&usual=0"), http.StatusOK)
	mustContain(t, off, `<option value="0" selected>不计`, `data-kind="cluster"`)
	ids := regexp.MustCompile(`name="case_id" value="(\d+)"`).FindAllStringSubmatch(body, -1)
	if len(ids) < 3 {
		t.Fatalf("found %d cases to merge in:\n%s", len(ids), truncate(body))
	}
	// A proactive task for the same cases first: a new case listing them.
	task := url.Values{}
	for _, m := range ids[:3] {
		task.Add("case_id", m[1])
	}
	rec := admin.post("/hotspots/task", task)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("task: %d %s", rec.Code, truncate(rec.Body.String()))
	}
	mustContain(t, mustStatus(t, admin.get(rec.Header().Get("Location")), http.StatusOK), "已发起主动治理任务", "预警热点主动治理")
	form := url.Values{}
	for _, m := range ids[:3] {
		form.Add("case_id", m[1])
	}
	rec = admin.post("/hotspots/merge", form)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("merge: %d %s", rec.Code, truncate(rec.Body.String()))
	}
	mustContain(t, mustStatus(t, admin.get(rec.Header().Get("Location")), http.StatusOK), "已合并为一件工单")
	// A merged case's timeline says why, in the reader's language only.
	merged := mustStatus(t, admin.get("/cases/"+ids[1][1]), http.StatusOK)
	mustContain(t, merged, "热点合并：同一问题多人反映")
	mustNotContain(t, merged, "merged as one hotspot")
	mustContain(t, mustStatus(t, admin.get("/cases/"+ids[1][1]+"?lang=en"), http.StatusOK), "merged as one hotspot")
	mustStatus(t, f.mustLogin(t, "worker").get("/hotspots"), http.StatusForbidden)
	en := mustStatus(t, admin.get("/hotspots?lang=en"), http.StatusOK)
	mustContain(t, en, "Hotspots and early warnings")
}

// TestHotspotHeading: a warning is headed by what it is about — the
// reporter of 一人多诉, a cluster's family when it mixes categories — with
// the mix spelled out, the five largest named.
func TestHotspotHeading(t *testing.T) {
	mix := []civic.HotspotCategory{{Code: "0102", Name: "楼道堆物", Cases: 4}, {Code: "0101", Name: "电梯故障", Cases: 2},
		{Code: "0103", Cases: 1}, {Code: "0104", Name: "d", Cases: 1}, {Code: "0105", Name: "e", Cases: 1}, {Code: "0106", Name: "f", Cases: 1}, {Code: "0107", Name: "g", Cases: 1}}
	for _, tc := range []struct {
		lang         string
		h            civic.Hotspot
		heading, mix string
	}{
		{"zh", civic.Hotspot{Kind: civic.HotspotCluster, CategoryCode: "0102", CategoryName: "楼道堆物"}, "楼道堆物", ""},
		{"zh", civic.Hotspot{Kind: civic.HotspotCluster, CategoryCode: "0102", CategoryName: "楼道堆物", Family: "01", FamilyName: "物业管理", Categories: mix[:2]},
			"物业管理", "分类构成：楼道堆物 4 件、电梯故障 2 件"},
		{"en", civic.Hotspot{Kind: civic.HotspotOneReporter, CategoryCode: "0102", CategoryName: "楼道堆物", Reporter: "王志平 181****8539", Categories: mix},
			"王志平 181****8539", "By category: 楼道堆物 4, 电梯故障 2, 0103 1, d 1, e 1, and 2 more"},
		{"zh", civic.Hotspot{Kind: civic.HotspotRising, CategoryCode: "0102"}, "0102", ""},
	} {
		heading, mix := hotspotHeading(tc.lang, tc.h)
		if heading != tc.heading || mix != tc.mix {
			t.Errorf("%+v: %q / %q, want %q / %q", tc.h, heading, mix, tc.heading, tc.mix)
		}
	}
}
