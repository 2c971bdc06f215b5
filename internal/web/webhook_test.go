package web

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// TestWebhookPage: an administrator connects the department's system; the
// secret is shown once; a bad URL is refused inline.
func TestWebhookPage(t *testing.T) {
	f := mustCaseFixture(t)
	admin := f.mustLogin(t, "admin")
	base := "/organisations/" + strconv.FormatInt(f.dept.ID, 10)
	mustContain(t, mustStatus(t, admin.get(base+"/edit"), http.StatusOK), base+"/webhooks")
	for _, bad := range []string{"ftp://x", "http://", "https:///path", "https://user:pass@dept.example/hooks", "dept.example/hooks"} {
		mustContain(t, mustStatus(t, admin.post(base+"/webhooks", url.Values{"url": {bad}}), http.StatusUnprocessableEntity), "请填写完整的 http(s) 地址")
	}
	body := mustStatus(t, admin.post(base+"/webhooks", url.Values{"url": {"https://dept.example/hooks"}}), http.StatusOK)
	mustContain(t, body, "只显示这一次", "https://dept.example/hooks")
	mustNotContain(t, mustStatus(t, admin.get(base+"/webhooks"), http.StatusOK), "只显示这一次")
	mustStatus(t, f.mustLogin(t, "worker").get(base+"/webhooks"), http.StatusForbidden)
}
