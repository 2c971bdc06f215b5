// Package server assembles civicgrid's HTTP server: the JSON API, the web
// pages, health and metrics endpoints, and the middleware every request
// passes through (recovery, logging, metrics, cross-origin protection,
// authentication).
package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/api"
	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/files"
	"github.com/civicgrid/civicgrid/internal/jobs"
	"github.com/civicgrid/civicgrid/internal/llm"
	"github.com/civicgrid/civicgrid/internal/metrics"
	"github.com/civicgrid/civicgrid/internal/open311"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/web"
)

// Config holds what the server needs; cmd fills it from flags and the
// environment.
type Config struct {
	Store              *store.Store
	Log                *slog.Logger
	Version            string
	Basemap            string
	BasemapAttribution string
	// Files keeps case photos; nil turns photo uploads off.
	Files         *files.Store
	SecureCookies bool
	TrustProxy    bool
	// MetricsToken, when set, is the bearer token /metrics asks for;
	// without one, /metrics answers clients on this machine and on private
	// networks only (see metricsGate).
	MetricsToken string
	// AlertsEvery is how often case warnings and deadlines are checked;
	// negative turns the background jobs (alerts, webhooks, care) off, for
	// benchmarks.
	AlertsEvery time.Duration
	// RegionCheckEvery is how often the point-in-polygon index asks the
	// database whether boundaries changed elsewhere.
	RegionCheckEvery time.Duration
	// LLM is the optional local large model (nil: off); the pages offer
	// its drafts only when it is set.
	LLM *llm.Client
	// Open311Contact is the operator's contact Open311 discovery shows,
	// as open311.ParseContact returns it.
	Open311Contact string
	// Open311Origins are the origins whose browser apps may call Open311
	// (CORS), as open311.ParseOrigins returns them; none by default.
	Open311Origins []string
}

// Server is a ready-to-run HTTP server.
type Server struct {
	cfg     Config
	handler http.Handler
	locator *store.Locator
	intake  *store.Intake
	metrics *metrics.Registry
}

// New builds the server and loads the region index, so that a returned
// server is ready to answer.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.RegionCheckEvery == 0 {
		cfg.RegionCheckEvery = 5 * time.Second
	}
	s := &Server{cfg: cfg, metrics: metrics.New()}
	s.locator = cfg.Store.NewLocator(cfg.RegionCheckEvery)
	if err := s.locator.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("load region index: %w", err)
	}
	s.intake = cfg.Store.NewIntake(s.locator)
	authn := &auth.Auth{Store: cfg.Store, Secure: cfg.SecureCookies, TrustProxy: cfg.TrustProxy}
	w, err := web.New(web.Config{Store: cfg.Store, Auth: authn, Locator: s.locator, Intake: s.intake, Files: cfg.Files, Log: cfg.Log, Basemap: cfg.Basemap, BasemapAttribution: cfg.BasemapAttribution, Version: cfg.Version, LLM: cfg.LLM})
	if err != nil {
		return nil, fmt.Errorf("build web pages: %w", err)
	}
	mux := http.NewServeMux()
	api.New(api.Config{Store: cfg.Store, Auth: authn, Locator: s.locator, Intake: s.intake, Files: cfg.Files, Log: cfg.Log, Version: cfg.Version}).Register(mux)
	open311.New(open311.Config{Store: cfg.Store, Intake: s.intake, Log: cfg.Log, Contact: cfg.Open311Contact}).Register(mux)
	w.Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", metricsGate(cfg.MetricsToken, s.metrics.Handler()))
	s.metrics.Gauge("civicgrid_up", "1 while the server runs.", func() float64 { return 1 })
	// Group commit at work: cases filed and the shared commits they took.
	s.metrics.Gauge("civicgrid_intake_cases", "Cases filed through the intake since start.", func() float64 { _, n := s.intake.Stats(); return float64(n) })
	s.metrics.Gauge("civicgrid_intake_commits", "Shared intake commits since start.", func() float64 { n, _ := s.intake.Stats(); return float64(n) })
	s.metrics.Gauge("civicgrid_db_write_retries", "Write transactions run again since start after PostgreSQL aborted them (deadlock, serialization failure).", func() float64 { n, _ := cfg.Store.WriteRetries(); return float64(n) })
	s.metrics.Gauge("civicgrid_db_write_busy", "Writes given up since start after every attempt was aborted (answered 503 busy).", func() float64 { _, n := cfg.Store.WriteRetries(); return float64(n) })

	// Unsafe cross-origin requests from browsers are refused (Go's
	// Sec-Fetch-Site/Origin check), which protects the cookie session
	// without form tokens; API clients without those headers pass. Open311
	// calls from the origins allowed to use it come without the cookie
	// (open311.CORS) and so skip the check.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(crossOriginDenied))
	var h http.Handler = mux
	h = noteUser(h)
	h = authn.Middleware(h)
	h = open311.CORS(cfg.Open311Origins, validText(h), validText(cop.Handler(h)))
	h = s.metrics.Middleware(func(r *http.Request) string { _, p := mux.Handler(r); return p }, h)
	h = securityHeaders(h, cfg.Basemap, cfg.SecureCookies)
	h = s.logRequests(h)
	h = s.recoverPanics(h)
	s.handler = h
	return s, nil
}

// IntakeStats reports the case intake's shared commits and submissions.
func (s *Server) IntakeStats() (batches, submissions int64) { return s.intake.Stats() }

// Handler is the whole server as an http.Handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// metricsGate lets the monitoring in and nobody else: with a token
// configured, a request that presents it (Authorization: Bearer, as
// Prometheus's authorization setting sends it); without one, a client on
// this machine or a private network (loopback, RFC 1918, fc00::/7; behind
// --trust-proxy the forwarded client). Requests per route and the pace of
// intake are not for the public, and /metrics is among the first paths
// scanners try.
func metricsGate(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
				http.Error(w, "metrics: a bearer token is required (--metrics-token)", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		ip, err := netip.ParseAddr(auth.IP(r.Context()))
		if err != nil || !(ip.Unmap().IsLoopback() || ip.Unmap().IsPrivate()) {
			http.Error(w, "metrics: only for this machine and private networks unless --metrics-token is set", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// validText refuses a request whose path, query or idempotency key is not
// UTF-8 text (%FF, an encoded lone surrogate): PostgreSQL would refuse it
// deep inside with a server error, SQLite would store it. Form bodies and
// file names are cleaned by the store as a last resort.
func validText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := utf8.ValidString(r.URL.Path) && utf8.ValidString(r.Header.Get("Idempotency-Key"))
		if ok && r.URL.RawQuery != "" {
			for k, vs := range r.URL.Query() {
				ok = ok && utf8.ValidString(k)
				for _, v := range vs {
					ok = ok && utf8.ValidString(v)
				}
			}
		}
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		refuse(w, r, http.StatusBadRequest, civic.EInvalid, civic.T("网址中含有无法识别的字符（不是 UTF-8 编码）", "The address holds characters that are not UTF-8 text"))
	})
}

// crossOriginDenied answers a refused cross-origin request.
func crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	refuse(w, r, http.StatusForbidden, civic.EForbidden, civic.T("请求来自其他网站，已被拒绝。请直接在本系统的页面上操作。",
		"The request came from another site and was refused. Use this system's own pages."))
}

// refuse answers a request the server turns away before any handler, in
// the user's language: as JSON under /api/ like every API error, as text
// elsewhere.
func refuse(w http.ResponseWriter, r *http.Request, status int, code civic.ErrorCode, msg civic.Text) {
	if strings.HasPrefix(r.URL.Path, open311.Prefix) {
		open311.Refuse(w, r, status, msg)
		return
	}
	text := msg.In(auth.RequestLang(r))
	if strings.HasPrefix(r.URL.Path, "/api/") {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": string(code), "message": text}})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintln(w, text)
}

// contentPolicy is the Content-Security-Policy of every response: scripts
// only from civicgrid itself (no inline script, no eval), so that text a
// user typed can never run even where a page fails to escape it; images
// also from the configured map tiles. Inline styles stay allowed: the icon
// sprite and the chart and map libraries set them, and they cannot run code.
// Photos are served with a stricter policy of their own (internal/files).
func contentPolicy(basemap string) string {
	img := "'self' data: blob:"
	if src := tileSource(basemap); src != "" {
		img += " " + src
	}
	return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src " + img +
		"; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
}

// tileSource is the origin of a tile URL template as a CSP source:
// "https://{s}.tile.example.org/{z}/{x}/{y}.png" is
// "https://*.tile.example.org"; "" when there is none or it cannot be read.
func tileSource(tmpl string) string {
	if tmpl == "" {
		return ""
	}
	u, err := url.Parse(strings.ReplaceAll(tmpl, "{s}", "x-sub"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(u.Host, "{}; '\"") {
		return ""
	}
	return u.Scheme + "://" + strings.ReplaceAll(u.Host, "x-sub", "*")
}

func securityHeaders(next http.Handler, basemap string, tls bool) http.Handler {
	policy := contentPolicy(basemap)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", policy)
		if tls {
			// Cookies marked Secure mean the site is served over HTTPS:
			// browsers are told to keep to it.
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		// The user is known only inside the authentication middleware's
		// request; noteUser writes it back here.
		var user string
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), userSlot{}, &user)))
		lvl := slog.LevelDebug
		if rec.status >= 500 {
			lvl = slog.LevelError
		} else if r.Method != http.MethodGet && r.Method != http.MethodHead {
			lvl = slog.LevelInfo
		}
		s.cfg.Log.Log(r.Context(), lvl, "request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration_ms", time.Since(start).Milliseconds(), "user", user)
	})
}

// userSlot is the context key of where logRequests wants the user's name.
type userSlot struct{}

// noteUser, inside the authentication middleware, tells logRequests who
// made the request.
func noteUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slot, ok := r.Context().Value(userSlot{}).(*string); ok {
			if u, ok := auth.User(r.Context()); ok {
				*slot = u.Username
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.cfg.Log.Error("panic serving request", "path", r.URL.Path, "panic", v)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Serve answers on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // region files can be large
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	jobsCtx, stopJobs := context.WithCancel(context.Background())
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		if s.cfg.AlertsEvery < 0 {
			return
		}
		var wg sync.WaitGroup
		wg.Add(6)
		go func() {
			defer wg.Done()
			jobs.Alerts{Store: s.cfg.Store, Log: s.cfg.Log, Every: s.cfg.AlertsEvery}.Run(jobsCtx)
		}()
		go func() { defer wg.Done(); jobs.Webhooks{Store: s.cfg.Store, Log: s.cfg.Log}.Run(jobsCtx) }()
		go func() { defer wg.Done(); jobs.Care{Store: s.cfg.Store, Log: s.cfg.Log}.Run(jobsCtx) }()
		go func() { defer wg.Done(); jobs.Imports{Store: s.cfg.Store, Log: s.cfg.Log}.Run(jobsCtx) }()
		go func() { defer wg.Done(); jobs.Reports{Store: s.cfg.Store, Log: s.cfg.Log}.Run(jobsCtx) }()
		go func() { defer wg.Done(); jobs.Triage{Store: s.cfg.Store, Log: s.cfg.Log}.Run(jobsCtx) }()
		wg.Wait()
	}()
	defer func() {
		stopJobs()
		<-jobsDone
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	// Handlers have returned, so no submission waits on the intake now.
	s.intake.Close()
	if err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
