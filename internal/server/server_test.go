package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

func TestServerEndpoints(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		srv, err := New(context.Background(), Config{Store: s})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		defer ts.Close()
		get := func(path string, hdr ...string) (int, string, http.Header) {
			req, _ := http.NewRequest("GET", ts.URL+path, nil)
			for i := 0; i+1 < len(hdr); i += 2 {
				req.Header.Set(hdr[i], hdr[i+1])
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b), resp.Header
		}
		if code, body, _ := get("/healthz"); code != 200 || !strings.Contains(body, "ok") {
			t.Fatalf("healthz: %d %q", code, body)
		}
		if code, body, _ := get("/readyz"); code != 200 {
			t.Fatalf("readyz: %d %q", code, body)
		}
		if code, body, h := get("/api/v1/nothing-here"); code != 404 || !strings.Contains(body, `"not_found"`) || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Fatalf("unknown API path: %d %q", code, body)
		}
		if code, _, h := get("/no/such/page"); code != 303 || !strings.HasPrefix(h.Get("Location"), "/login") {
			t.Fatalf("unknown page, signed out: %d %v", code, h)
		}
		// Bytes that are not UTF-8 in a path or query are refused at the
		// door (PostgreSQL would answer them with a server error).
		for _, p := range []string{"/api/v1/cases?phone=%FF", "/api/v1/categories/%FF", "/api/v1/cases?q=%ED%A0%80", "/categories?q=%FF"} {
			code, body, h := get(p, "Accept-Language", "zh-CN")
			if code != 400 || !strings.Contains(body, "UTF-8") || strings.HasPrefix(p, "/api/") != strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Fatalf("%s: %d %q %s", p, code, body, h.Get("Content-Type"))
			}
		}
		if code, _, h := get("/api/v1/openapi.json"); code != 200 || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("openapi: %d %v", code, h)
		}
		// Pages run no script but civicgrid's own, and no HSTS without TLS.
		if _, _, h := get("/login"); !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self';") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'self'") || h.Get("Strict-Transport-Security") != "" {
			t.Fatalf("login page headers: %v", h)
		}
		code, body, _ := get("/metrics")
		if code != 200 || !strings.Contains(body, `civicgrid_http_requests_total{method="GET",route="GET /healthz",status="200"} 1`) || !strings.Contains(body, "civicgrid_up 1") || !strings.Contains(body, "civicgrid_intake_commits 0") ||
			!strings.Contains(body, "civicgrid_db_write_retries 0") || !strings.Contains(body, "civicgrid_db_write_busy 0") {
			t.Fatalf("metrics: %d\n%s", code, body)
		}
		// A browser's cross-site POST is refused before it reaches a
		// handler, in the user's language: JSON for the API, text for a
		// page.
		for _, tc := range []struct{ path, lang, ctype, says string }{
			{"/api/v1/session", "zh-CN,zh;q=0.9", "application/json", `"code":"forbidden","message":"请求来自其他网站`},
			{"/api/v1/session", "en-GB", "application/json", "came from another site"},
			{"/login", "zh-CN", "text/plain", "请求来自其他网站"},
		} {
			req, _ := http.NewRequest("POST", ts.URL+tc.path, strings.NewReader(`{"username":"a","password":"b"}`))
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			req.Header.Set("Origin", "https://evil.example")
			req.Header.Set("Accept-Language", tc.lang)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) || !strings.Contains(string(b), tc.says) {
				t.Fatalf("cross-site POST %s (%s): %d %s %q", tc.path, tc.lang, resp.StatusCode, resp.Header.Get("Content-Type"), b)
			}
		}
	})
}

// TestContentPolicy: map tiles from the configured server are allowed
// images, subdomains included; nothing odd in a template reaches the
// policy.
func TestContentPolicy(t *testing.T) {
	for tmpl, want := range map[string]string{
		"": "img-src 'self' data: blob:;",
		"https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png": "img-src 'self' data: blob: https://*.tile.openstreetmap.org;",
		"http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png":         "img-src 'self' data: blob: http://10.1.2.3:8080;",
		"javascript:alert(1)":                                "img-src 'self' data: blob:;",
	} {
		if got := contentPolicy(tmpl); !strings.Contains(got, want) {
			t.Errorf("contentPolicy(%q) = %q, want %q in it", tmpl, got, want)
		}
	}
}

// TestRequestLogNamesTheUser: the request log says who made a request (it
// was always empty: the log wraps the sign-in middleware from outside).
func TestRequestLogNamesTheUser(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		feats, err := store.ParseRegionFile([]byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"1101","name":"市"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ImportRegions(ctx, civic.System, feats); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "logged", DisplayName: "记录", Password: "password-logged", Role: civic.RoleOperator, Scope: civic.Scope{RegionCode: "1101"}}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		srv, err := New(ctx, Config{Store: s, Log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		defer ts.Close()
		resp, err := http.Post(ts.URL+"/api/v1/session", "application/json", strings.NewReader(`{"username":"logged","password":"password-logged"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		req, _ := http.NewRequest("GET", ts.URL+"/api/v1/me", nil)
		for _, c := range resp.Cookies() {
			req.AddCookie(c)
		}
		if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("me: %v %v", resp, err)
		}
		resp.Body.Close()
		if !strings.Contains(buf.String(), "path=/api/v1/me status=200") || !strings.Contains(buf.String(), "user=logged") {
			t.Fatalf("request log:\n%s", buf.String())
		}
	})
}

// TestMetricsGate: without a token /metrics answers this machine and
// private networks only (behind a trusted proxy, by the forwarded client);
// with one, whoever presents it and nobody else.
func TestMetricsGate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		get := func(srv *Server, remote, forwarded, authz string) int {
			r := httptest.NewRequest("GET", "/metrics", nil)
			r.RemoteAddr = remote
			if forwarded != "" {
				r.Header.Set("X-Forwarded-For", forwarded)
			}
			if authz != "" {
				r.Header.Set("Authorization", authz)
			}
			w := httptest.NewRecorder()
			srv.Handler().ServeHTTP(w, r)
			if w.Code == 200 && !strings.Contains(w.Body.String(), "civicgrid_up 1") {
				t.Fatalf("metrics body: %q", w.Body.String())
			}
			return w.Code
		}
		open, err := New(context.Background(), Config{Store: s})
		if err != nil {
			t.Fatal(err)
		}
		proxied, err := New(context.Background(), Config{Store: s, TrustProxy: true})
		if err != nil {
			t.Fatal(err)
		}
		tokened, err := New(context.Background(), Config{Store: s, MetricsToken: "scrape-secret-1"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name                     string
			srv                      *Server
			remote, forwarded, authz string
			want                     int
		}{
			{"loopback", open, "127.0.0.1:5000", "", "", 200},
			{"IPv6 loopback", open, "[::1]:5000", "", "", 200},
			{"private network", open, "10.2.3.4:5000", "", "", 200},
			{"IPv6 unique local", open, "[fd00::7]:5000", "", "", 200},
			{"public address", open, "203.0.113.5:5000", "", "", 403},
			{"forwarded header not trusted", open, "203.0.113.5:5000", "127.0.0.1", "", 403},
			{"proxy forwarding a public client", proxied, "127.0.0.1:5000", "203.0.113.5", "", 403},
			{"proxy forwarding a private client", proxied, "127.0.0.1:5000", "192.168.1.20", "", 200},
			{"token presented", tokened, "203.0.113.5:5000", "", "Bearer scrape-secret-1", 200},
			{"wrong token", tokened, "203.0.113.5:5000", "", "Bearer scrape-secret-2", 401},
			{"no token, even from loopback", tokened, "127.0.0.1:5000", "", "", 401},
		} {
			if got := get(tc.srv, tc.remote, tc.forwarded, tc.authz); got != tc.want {
				t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
			}
		}
	})
}
