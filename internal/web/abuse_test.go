package web

import (
	"net/http"
	"net/url"
	"testing"
)

func TestAbusePage(t *testing.T) {
	f := mustCaseFixture(t)
	op := f.mustLogin(t, "operator")
	mustContain(t, mustStatus(t, op.get("/abuse"), http.StatusOK), "来电名单管理", "暂无限制号码")
	rec := op.post("/abuse/blocked", url.Values{"phone": {"12"}, "reason": {""}})
	body := mustStatus(t, rec, http.StatusUnprocessableEntity)
	mustContain(t, body, "电话号码格式不正确", "请填写限制原因")
	if rec := op.post("/abuse/blocked", url.Values{"phone": {"13512345678"}, "reason": {"反复恶意来电"}, "until": {"2030-01-01"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("block: %d", rec.Code)
	}
	if rec := op.post("/abuse/deputies", url.Values{"phone": {"13900001111"}, "name": {"李代表"}, "title": {"区人大代表"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("deputy: %d", rec.Code)
	}
	mustContain(t, mustStatus(t, op.get("/abuse?lang=en"), http.StatusOK), "13512345678", "反复恶意来电", "李代表", "Caller lists")
	mustStatus(t, f.mustLogin(t, "worker").get("/abuse"), http.StatusForbidden)
}
