package web

import (
	"net/http"
	"net/url"
	"testing"
)

// TestCalendarPage shows the 2026 schedule and saves a changed year; a
// broken file is refused inline; non-admins cannot write.
func TestCalendarPage(t *testing.T) {
	f := mustCaseFixture(t)
	admin := f.mustLogin(t, "admin")
	body := mustStatus(t, admin.get("/calendar?year=2026"), http.StatusOK)
	mustContain(t, body, "工作日历 · 2026", "2026-02-15", "2026-02-14", "国务院办公厅")
	rec := admin.post("/calendar/2026", url.Values{"json": {`{"year":2026,"holidays":[{"name":"坏","from":"2026-05-05","to":"2026-05-01"}]}`}})
	mustStatus(t, rec, http.StatusUnprocessableEntity)
	good := `{"year":2026,"holidays":[{"name":"元旦","from":"2026-01-01","to":"2026-01-03"}],"workdays":[]}`
	if rec := admin.post("/calendar/2026", url.Values{"json": {good}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", rec.Code, rec.Body.String())
	}
	mustContain(t, mustStatus(t, admin.get("/calendar?year=2026"), http.StatusOK), "管理员设置", "恢复为内置安排")
	if rec := admin.post("/calendar/2026/reset", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("reset: %d", rec.Code)
	}
	mustStatus(t, f.mustLogin(t, "community").post("/calendar/2026", url.Values{"json": {good}}), http.StatusForbidden)
}
