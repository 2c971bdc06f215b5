package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// The fixture: one city, one district, two streets with one community
// each, three grids in street A's community and one in street B's.
const (
	cityCode  = "1101"
	distCode  = "110101"
	streetA   = "110101001"
	streetB   = "110101002"
	commA     = "110101001001"
	commB     = "110101002001"
	gridA1    = "110101001001001"
	gridA2    = "110101001001002"
	gridA3    = "110101001001003"
	gridB1    = "110101002001001"
	password  = "correct-horse-1"
	gridA1Lng = 116.32
	gridA1Lat = 39.92
)

type rect struct {
	code, name             string
	lng0, lat0, lng1, lat1 float64
}

var regionRects = []rect{
	{cityCode, "示范市", 116.30, 39.90, 116.40, 39.96},
	{distCode, "示范区", 116.30, 39.90, 116.40, 39.96},
	{streetA, "东风街道", 116.31, 39.91, 116.35, 39.95},
	{streetB, "西湖街道", 116.35, 39.91, 116.39, 39.95},
	{commA, "幸福社区", 116.315, 39.915, 116.345, 39.945},
	{commB, "和平社区", 116.355, 39.915, 116.385, 39.945},
	{gridA1, "幸福第一网格", 116.315, 39.915, 116.33, 39.93},
	{gridA2, "幸福第二网格", 116.33, 39.915, 116.345, 39.93},
	{gridA3, "幸福第三网格", 116.315, 39.93, 116.33, 39.945},
	{gridB1, "和平第一网格", 116.355, 39.915, 116.37, 39.93},
}

func regionGeoJSON() []byte {
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i, r := range regionRects {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"Feature","properties":{"code":%q,"name":%q},"geometry":{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}}`,
			r.code, r.name, r.lng0, r.lat0, r.lng1, r.lat0, r.lng1, r.lat1, r.lng0, r.lat1, r.lng0, r.lat0)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

type fixture struct {
	s      *store.Store
	h      http.Handler
	users  map[string]civic.User
	staffA civic.Staff // in grid A1, street A
	staffB civic.Staff // in grid B1, street B
}

func mustFixture(tb testing.TB) *fixture {
	tb.Helper()
	ctx := context.Background()
	s := testdb.MustOpen(tb, store.SQLite, nil)
	feats, err := store.ParseRegionFile(regionGeoJSON())
	if err != nil {
		tb.Fatalf("parse regions: %v", err)
	}
	if _, err := s.ImportRegions(ctx, civic.System, feats); err != nil {
		tb.Fatalf("import regions: %v", err)
	}
	f := &fixture{s: s, users: map[string]civic.User{}}
	for _, u := range []store.NewUser{
		{Username: "admin", DisplayName: "王管理", Role: civic.RoleAdmin, Scope: civic.Scope{RegionCode: cityCode}},
		{Username: "street", DisplayName: "李街道", Role: civic.RoleStreetStaff, Scope: civic.Scope{RegionCode: streetA}},
		{Username: "worker", DisplayName: "赵网格", Role: civic.RoleGridWorker, Scope: civic.Scope{RegionCode: gridA1}},
		{Username: "resident", DisplayName: "孙居民", Role: civic.RoleResident, Scope: civic.Scope{RegionCode: commA}},
	} {
		u.Password = password
		cu, err := s.CreateUser(ctx, civic.System, u)
		if err != nil {
			tb.Fatalf("create user %s: %v", u.Username, err)
		}
		f.users[u.Username] = cu
	}
	mk := func(grid, name string, pos civic.Position, phone string) civic.Staff {
		st, err := s.CreateStaff(ctx, civic.System, civic.Staff{GridCode: grid, Name: name, Position: pos, Phone: phone, StartDate: "2025-01-01"})
		if err != nil {
			tb.Fatalf("create staff %s: %v", name, err)
		}
		return st
	}
	f.staffA = mk(gridA1, "张网格长", civic.PositionGridLeader, "13800000001")
	mk(gridA1, "刘专职", civic.PositionFullTime, "13800000002")
	mk(gridA2, "陈兼职", civic.PositionPartTime, "13800000003")
	f.staffB = mk(gridB1, "周网格长", civic.PositionGridLeader, "13800000004")

	authn := &auth.Auth{Store: s}
	w, err := New(Config{Store: s, Auth: authn, Locator: s.NewLocator(0), Version: "test"})
	if err != nil {
		tb.Fatalf("web.New: %v", err)
	}
	mux := http.NewServeMux()
	w.Register(mux)
	f.h = authn.Middleware(mux)
	return f
}

// client is a browser: it keeps cookies between requests.
type client struct {
	tb      testing.TB
	h       http.Handler
	cookies map[string]*http.Cookie
}

func (f *fixture) client(tb testing.TB) *client {
	return &client{tb: tb, h: f.h, cookies: map[string]*http.Cookie{}}
}

func (c *client) do(req *http.Request) *httptest.ResponseRecorder {
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return rec
}

func (c *client) get(path string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// mustLogin signs a user in through the login form.
func (f *fixture) mustLogin(tb testing.TB, username string) *client {
	tb.Helper()
	c := f.client(tb)
	rec := c.post("/login", url.Values{"username": {username}, "password": {password}})
	if rec.Code != http.StatusSeeOther {
		tb.Fatalf("login %s: status %d, body %s", username, rec.Code, rec.Body)
	}
	if c.cookies[auth.CookieName] == nil {
		tb.Fatalf("login %s: no session cookie", username)
	}
	return c
}

func mustStatus(tb testing.TB, rec *httptest.ResponseRecorder, want int) string {
	tb.Helper()
	if rec.Code != want {
		tb.Fatalf("status %d, want %d; body:\n%s", rec.Code, want, truncate(rec.Body.String()))
	}
	return rec.Body.String()
}

func mustContain(tb testing.TB, body string, wants ...string) {
	tb.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			tb.Errorf("body lacks %q:\n%s", w, truncate(body))
		}
	}
}

func mustNotContain(tb testing.TB, body string, unwanted ...string) {
	tb.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			tb.Errorf("body contains %q", w)
		}
	}
}

func truncate(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}

func httptestRequest(method, path string) *http.Request {
	return httptest.NewRequest(method, path, nil)
}
