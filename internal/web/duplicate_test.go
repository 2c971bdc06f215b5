package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// dupQuery is the intake form's fields as the duplicates box sends them.
func dupQuery(title, desc, lng, lat string) string {
	return "/cases/duplicates?" + url.Values{"title": {title}, "description": {desc}, "lng": {lng}, "lat": {lat}, "crs": {"wgs84"}, "category_code": {"0102"}}.Encode()
}

// TestDuplicatePages: as a second resident types the same problem at the
// same place, the form offers the open case to join (附议), staff get a
// link instead, staff of another street nothing; filing anyway still
// works; on the new case's page a dispatcher sees the first case and
// merges the new one into it.
func TestDuplicatePages(t *testing.T) {
	f := mustCaseFixture(t)
	first, second := f.mustLogin(t, "resident"), f.mustLogin(t, "resident2")
	id1, num1 := mustReport(t, first, "/report", residentForm(mustFormKey(t, first, "/report"), "楼道堆放纸箱杂物", "0102"))

	body := mustStatus(t, second.get("/report"), http.StatusOK)
	mustContain(t, body, `id="dup-suggest"`, `hx-get="/cases/duplicates"`, "duplicate.js")
	q := dupQuery("3号楼楼道纸箱堆满了", "楼道里全是纸箱，走不过去", "116.3202", latA1)
	body = mustStatus(t, second.get(q, "HX-Request", "true"), http.StatusOK)
	mustContain(t, body, `id="dup-suggestions"`, "楼道堆放纸箱杂物", fmt.Sprintf(`formaction="/cases/%d/join"`, id1), "1人反映", "相距")
	mustNotContain(t, body, "<html", "影响通行", num1) // residents see titles only

	// Visitors who are not signed in see no open cases.
	mustNotContain(t, mustStatus(t, f.client(t).get(q, "HX-Request", "true"), http.StatusOK), "楼道堆放纸箱杂物", "dup-suggestions")

	body = mustStatus(t, f.mustLogin(t, "street").get(q, "HX-Request", "true"), http.StatusOK)
	mustContain(t, body, fmt.Sprintf(`href="/cases/%d"`, id1), num1)
	mustNotContain(t, body, "formaction=")
	body = mustStatus(t, f.mustLogin(t, "worker_b").get(q, "HX-Request", "true"), http.StatusOK)
	mustNotContain(t, body, "dup-suggestions", "楼道堆放纸箱杂物")
	// Another problem at the same place, or nothing typed: nothing offered.
	mustNotContain(t, mustStatus(t, second.get(dupQuery("路灯不亮", "晚上路灯坏了", pointA1, latA1)), http.StatusOK), "dup-suggestions")
	mustNotContain(t, mustStatus(t, second.get(dupQuery("", "", pointA1, latA1)), http.StatusOK), "dup-suggestions")

	// Filing anyway is never refused.
	form := residentForm(mustFormKey(t, second, "/report"), "3号楼楼道纸箱堆满了", "0102")
	form.Set("lng", "116.3202")
	id2, _ := mustReport(t, second, "/report", form)

	community := f.mustLogin(t, "community")
	body = mustStatus(t, community.get(fmt.Sprintf("/cases/%d", id2)), http.StatusOK)
	mustContain(t, body, fmt.Sprintf(`hx-get="/cases/%d/duplicates"`, id2))
	body = mustStatus(t, community.get(fmt.Sprintf("/cases/%d/duplicates", id2), "HX-Request", "true"), http.StatusOK)
	mustContain(t, body, "疑似重复工单", num1, fmt.Sprintf(`action="/cases/%d/act"`, id2), `name="merge_into" value="`+num1+`"`, "将本单并入此单", "相隔")
	// From the first case's page, the newer case is the one to merge.
	body = mustStatus(t, community.get(fmt.Sprintf("/cases/%d/duplicates", id1), "HX-Request", "true"), http.StatusOK)
	mustContain(t, body, fmt.Sprintf(`action="/cases/%d/act"`, id2), "将其并入本单")
	// A grid worker (no dispatch) sees them without merge buttons; a
	// resident may not ask.
	body = mustStatus(t, f.mustLogin(t, "worker").get(fmt.Sprintf("/cases/%d/duplicates", id2), "HX-Request", "true"), http.StatusOK)
	mustContain(t, body, num1)
	mustNotContain(t, body, "merge_into")
	mustStatus(t, second.get(fmt.Sprintf("/cases/%d/duplicates", id2)), http.StatusForbidden)

	m := regexp.MustCompile(`name="note" value="([^"]*)"`).FindStringSubmatch(body + mustStatus(t, community.get(fmt.Sprintf("/cases/%d/duplicates", id2)), http.StatusOK))
	if m == nil {
		t.Fatal("no merge note")
	}
	if rec := act(community, id2, "merge", "merge_into", num1, "note", m[1]); rec.Code != http.StatusSeeOther {
		t.Fatalf("merge: %d %s", rec.Code, rec.Body)
	}
	if cs := f.mustCase(t, id2); cs.State != civic.StateMerged || cs.MergedInto != id1 {
		t.Fatalf("merged: %+v", cs)
	}
	// The merged case is no longer offered; the first one now counts two.
	body = mustStatus(t, second.get(q), http.StatusOK)
	mustContain(t, body, "2人反映")
	mustNotContain(t, body, strconv.FormatInt(id2, 10)+"/join")
}
