package web

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// TestInbox: a resident's report reaches the handling department's inbox;
// opening it marks it read and leads to the case.
func TestInbox(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	id, _ := mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "占道摆摊", "0101"))
	h := f.mustLogin(t, "handler")
	body := mustStatus(t, h.get("/inbox"), http.StatusOK)
	mustContain(t, body, "新派工单：占道摆摊", "1 条未读")
	rec := h.post("/inbox/read", url.Values{"next": {"/cases/" + strconv.FormatInt(id, 10)}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("read all: %d", rec.Code)
	}
	mustContain(t, mustStatus(t, h.get("/inbox"), http.StatusOK), "0 条未读")
	mustContain(t, mustStatus(t, h.get("/inbox?lang=en"), http.StatusOK), "Notifications")
}
