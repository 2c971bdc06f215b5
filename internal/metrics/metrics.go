// Package metrics exposes counters and latency histograms in the Prometheus
// text format. It is a few dozen lines of the standard library instead of
// the official client, whose dependency tree (protobuf and more) is larger
// than everything else civicgrid uses.
package metrics

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Registry holds every metric of one process.
type Registry struct {
	mu       sync.Mutex
	counters map[string]*series // name → labels → value
	hists    map[string]*histogram
	help     map[string]string
	gauges   map[string]func() float64
}

type series struct {
	values map[string]float64
}

type histogram struct {
	buckets []float64
	byLabel map[string]*histData
}

type histData struct {
	counts []uint64
	sum    float64
	n      uint64
}

// DefaultBuckets are latency buckets in seconds.
var DefaultBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New returns an empty registry.
func New() *Registry {
	return &Registry{counters: map[string]*series{}, hists: map[string]*histogram{}, help: map[string]string{}, gauges: map[string]func() float64{}}
}

// Labels renders label pairs ("route", "/x", "code", "200") in a stable order.
func Labels(kv ...string) string {
	if len(kv) == 0 {
		return ""
	}
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		v := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(kv[i+1])
		parts = append(parts, fmt.Sprintf(`%s="%s"`, kv[i], v))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// Add increases a counter.
func (r *Registry) Add(name, help, labels string, v float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.counters[name]
	if !ok {
		s = &series{values: map[string]float64{}}
		r.counters[name] = s
		r.help[name] = help
	}
	s.values[labels] += v
}

// Observe records one value in a histogram.
func (r *Registry) Observe(name, help, labels string, v float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, ok := r.hists[name]
	if !ok {
		h = &histogram{buckets: DefaultBuckets, byLabel: map[string]*histData{}}
		r.hists[name] = h
		r.help[name] = help
	}
	d, ok := h.byLabel[labels]
	if !ok {
		d = &histData{counts: make([]uint64, len(h.buckets))}
		h.byLabel[labels] = d
	}
	for i, b := range h.buckets {
		if v <= b {
			d.counts[i]++
		}
	}
	d.sum += v
	d.n++
}

// Gauge registers a value read at scrape time.
func (r *Registry) Gauge(name, help string, f func() float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gauges[name] = f
	r.help[name] = help
}

// Write renders every metric in the Prometheus text exposition format.
func (r *Registry) Write(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, name := range sortedKeys(r.counters) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", name, r.help[name], name)
		s := r.counters[name]
		for _, l := range sortedKeys(s.values) {
			fmt.Fprintf(w, "%s%s %g\n", name, l, s.values[l])
		}
	}
	for _, name := range sortedKeys(r.hists) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, r.help[name], name)
		h := r.hists[name]
		for _, l := range sortedKeys(h.byLabel) {
			d := h.byLabel[l]
			inner := strings.TrimSuffix(strings.TrimPrefix(l, "{"), "}")
			sep := ""
			if inner != "" {
				sep = ","
			}
			for i, b := range h.buckets {
				fmt.Fprintf(w, "%s_bucket{%s%sle=\"%g\"} %d\n", name, inner, sep, b, d.counts[i])
			}
			fmt.Fprintf(w, "%s_bucket{%s%sle=\"+Inf\"} %d\n", name, inner, sep, d.n)
			fmt.Fprintf(w, "%s_sum%s %g\n%s_count%s %d\n", name, l, d.sum, name, l, d.n)
		}
	}
	for _, name := range sortedKeys(r.gauges) {
		v := r.gauges[name]()
		if math.IsNaN(v) {
			continue
		}
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, r.help[name], name, name, v)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Handler serves /metrics.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		r.Write(w)
	})
}

// Middleware counts requests and their latency by route pattern, method and
// status. The pattern, not the path, keeps label cardinality bounded; route
// names a request's pattern (for a ServeMux: its Handler method), since the
// mux sets Pattern only on the request it was handed, which middleware in
// between may have replaced.
func (r *Registry) Middleware(route func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		next.ServeHTTP(sw, req)
		route := route(req)
		if route == "" {
			route = "unmatched"
		}
		l := Labels("method", req.Method, "route", route, "status", fmt.Sprint(sw.status))
		r.Add("civicgrid_http_requests_total", "HTTP requests served.", l, 1)
		r.Observe("civicgrid_http_request_duration_seconds", "HTTP request latency.", Labels("route", route), time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
