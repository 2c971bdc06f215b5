package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// TestAnonymousReport: a visitor who is not signed in (say, from a place
// code) reports a problem and gets its number; the store limits how often.
func TestAnonymousReport(t *testing.T) {
	f := mustCaseFixture(t)
	v := f.client(t)
	body := mustStatus(t, v.get("/report"), http.StatusOK)
	mustContain(t, body, `name="key"`)
	form := residentForm(mustFormKey(t, v, "/report"), "路灯不亮", "0104")
	rec := v.post("/report", form)
	if rec.Code != http.StatusSeeOther && rec.Code != http.StatusOK {
		t.Fatalf("anonymous report: %d %s", rec.Code, rec.Body.String())
	}
	cs, _, err := f.s.ListCases(context.Background(), civic.System, store.CaseFilter{})
	if err != nil || len(cs) != 1 || !cs[0].Anonymous || cs[0].ReporterID != 0 || cs[0].Title != "路灯不亮" {
		t.Fatalf("the anonymous case: %+v %v", cs, err)
	}
	// Five per address and window; the sixth is refused with the reason.
	var last *httptest.ResponseRecorder
	for i := 0; i < 6; i++ {
		g := residentForm(mustFormKey(t, v, "/report"), "路灯不亮", "0104")
		last = v.post("/report", g)
	}
	if last.Code != http.StatusTooManyRequests {
		t.Fatalf("over the anonymous limit: %d", last.Code)
	}
	if secs, err := strconv.Atoi(last.Header().Get("Retry-After")); err != nil || secs < 1 {
		t.Errorf("over the anonymous limit: Retry-After %q", last.Header().Get("Retry-After"))
	}
}
