package web

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/jobs"
	"github.com/civicgrid/civicgrid/internal/store"
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
	// A delivery that fails shows on the page with its reason: here the
	// address resolves to this machine, which deliveries refuse.
	lng, _ := civic.ParseNumber(pointA1)
	lat, _ := civic.ParseNumber(latA1)
	if _, _, err := f.s.SubmitCase(context.Background(), civic.System, f.s.NewLocator(time.Minute), store.NewCase{Source: civic.SourceAPI, CategoryCode: "0101",
		Title: "占道经营", HasLocation: true, Lng: lng, Lat: lat}); err != nil {
		t.Fatal(err)
	}
	job := jobs.Webhooks{Store: f.s, Resolve: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}}
	if n, err := job.Pass(context.Background()); err != nil || n != 0 {
		t.Fatalf("delivery to a refused address: %d %v", n, err)
	}
	body = mustStatus(t, admin.get(base+"/webhooks"), http.StatusOK)
	mustContain(t, body, "已送达0次", "1次未送达", "data-webhook-error", "127.0.0.1")
	mustStatus(t, f.mustLogin(t, "worker").get(base+"/webhooks"), http.StatusForbidden)
}
