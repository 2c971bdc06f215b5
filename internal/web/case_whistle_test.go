package web

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// TestWhistleThroughThePages: community staff summon the department; its
// handler is offered check-in once, and the page records it.
func TestWhistleThroughThePages(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	id, _ := mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "占道摆摊", "0101"))
	comm := f.mustLogin(t, "community")
	page := "/cases/" + strconv.FormatInt(id, 10)
	mustContain(t, mustStatus(t, comm.get(page), http.StatusOK), `value="whistle"`)
	if rec := act(comm, id, "whistle", "whistle_org_ids", strconv.FormatInt(f.dept.ID, 10), "note", "联合处置"); rec.Code != http.StatusSeeOther {
		t.Fatalf("whistle: %d %s", rec.Code, rec.Body.String())
	}
	h := f.mustLogin(t, "handler")
	body := mustStatus(t, h.get(page), http.StatusOK)
	mustContain(t, body, "吹哨报到", `value="check_in"`)
	if rec := act(h, id, "check_in"); rec.Code != http.StatusSeeOther {
		t.Fatalf("check in: %d %s", rec.Code, rec.Body.String())
	}
	body = mustStatus(t, h.get(page), http.StatusOK)
	mustContain(t, body, "用时0分钟")
	mustNotContain(t, body, `value="check_in"`)
}

// TestDeadlineExplained: staff follow a clock's link to the day-by-day
// computation of its deadline.
func TestDeadlineExplained(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	id, _ := mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "占道摆摊", "0101"))
	comm := f.mustLogin(t, "community")
	page := "/cases/" + strconv.FormatInt(id, 10)
	mustContain(t, mustStatus(t, comm.get(page), http.StatusOK), page+"/clock/complete")
	body := mustStatus(t, comm.get(page+"/clock/complete"), http.StatusOK)
	mustContain(t, body, "时限计算过程", "截止时间", "工作日", "星期")
	mustNotContain(t, body, "work_days", "work_hours", "day</td>", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
	en := mustStatus(t, comm.get(page+"/clock/complete?lang=en"), http.StatusOK)
	mustContain(t, en, "working days")
	mustNotContain(t, en, "work_days", "星期")
	mustNotContain(t, mustStatus(t, res.get(page), http.StatusOK), "/clock/")
	mustStatus(t, comm.get(page+"/clock/nonsense"), http.StatusNotFound)
}

// TestJoinNearbyCase: the report form offers the nearby list, and a second
// resident joins the first's case instead of filing it again.
func TestJoinNearbyCase(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	mustContain(t, mustStatus(t, res.get("/report"), http.StatusOK), `data-nearby`)
	id, _ := mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "占道摆摊", "0101"))
	other := f.mustLogin(t, "resident2")
	// The report form's point comes with the join; without one the
	// resident is asked for it.
	if rec := other.post("/cases/"+strconv.FormatInt(id, 10)+"/join", nil); rec.Code == http.StatusSeeOther {
		t.Fatalf("join without a point: %d", rec.Code)
	}
	rec := other.post("/cases/"+strconv.FormatInt(id, 10)+"/join", url.Values{"lng": {pointA1}, "lat": {latA1}, "crs": {"wgs84"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("join: %d %s", rec.Code, rec.Body.String())
	}
	mustContain(t, mustStatus(t, other.get("/my/cases"), http.StatusOK), "占道摆摊")
}

// TestApprovalQueue: a handler's extension request shows in the street
// supervisors' 待审批 queue.
func TestApprovalQueue(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	id, _ := mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "占道摆摊", "0101"))
	h := f.mustLogin(t, "handler")
	if rec := act(h, id, "claim"); rec.Code != http.StatusSeeOther {
		t.Fatalf("claim: %d", rec.Code)
	}
	if rec := act(h, id, "request_extend", "amount", "2", "note", "需协调多个部门"); rec.Code != http.StatusSeeOther {
		t.Fatalf("request: %d %s", rec.Code, rec.Body.String())
	}
	street := f.mustLogin(t, "street")
	body := mustStatus(t, street.get("/cases?tab=approve"), http.StatusOK)
	mustContain(t, body, "待审批", "占道摆摊")
	// Not a grid worker's queue: the tab is not offered.
	mustNotContain(t, mustStatus(t, f.mustLogin(t, "worker").get("/cases"), http.StatusOK), "tab=approve")
}

// The hotline form looks up the caller's earlier cases as the number is
// typed (the lookup itself is the API's phone filter).
func TestHotlineFormOffersCallerHistory(t *testing.T) {
	f := mustCaseFixture(t)
	op := f.mustLogin(t, "operator")
	mustContain(t, mustStatus(t, op.get("/cases/new?channel=hotline"), http.StatusOK), "data-caller-history", "该号码此前反映过")
}
