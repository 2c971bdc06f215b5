package web

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

func TestZZServe(t *testing.T) {
	if os.Getenv("SCREENS") == "" {
		t.Skip()
	}
	f := mustFixture(t)
	c := f.mustLogin(t, "admin")
	tok := c.cookies[auth.CookieName].Value
	lang := os.Getenv("SCREENS_LANG")
	mux := http.NewServeMux()
	w, _ := New(Config{Store: f.s, Auth: &auth.Auth{Store: f.s}, Version: "x"})
	w.Register(mux)
	mux.HandleFunc("GET /api/v1/regions/geojson", func(rw http.ResponseWriter, r *http.Request) {
		lvl, _ := civic.ParseLevel(r.URL.Query().Get("level"))
		rs, _, _ := f.s.ListRegions(r.Context(), civic.System, store.RegionFilter{Under: r.URL.Query().Get("under"), Level: lvl, WithBounds: true})
		rw.Write(store.FeatureCollection(rs, nil))
	})
	authn := &auth.Auth{Store: f.s}
	h := authn.Middleware(mux)
	srv := &http.Server{Addr: "127.0.0.1:18080", Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("anon") == "" {
			r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: tok})
		}
		if lang != "" {
			r.AddCookie(&http.Cookie{Name: auth.LangCookie, Value: lang})
		}
		h.ServeHTTP(rw, r)
	})}
	go srv.ListenAndServe()
	time.Sleep(120 * time.Second)
	srv.Shutdown(context.Background())
}
