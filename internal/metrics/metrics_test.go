package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestExposition(t *testing.T) {
	r := New()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /x/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(404) })
	h := r.Middleware(func(req *http.Request) string { _, p := mux.Handler(req); return p }, mux)
	for _, p := range []string{"/x/1", "/x/2", "/nope"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	r.Gauge("civicgrid_up", "Up.", func() float64 { return 1 })
	var b strings.Builder
	r.Write(&b)
	out := b.String()
	for _, want := range []string{
		`civicgrid_http_requests_total{method="GET",route="GET /x/{id}",status="404"} 2`,
		`civicgrid_http_request_duration_seconds_bucket{route="GET /x/{id}",le="+Inf"} 2`,
		`civicgrid_http_request_duration_seconds_count{route="GET /x/{id}"} 2`,
		"# TYPE civicgrid_up gauge\ncivicgrid_up 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("exposition lacks %q:\n%s", want, out)
		}
	}
}
