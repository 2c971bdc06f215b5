package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// The fixture city: a 0.2° square split into two districts; district A has
// streets A1 (north) and A2 (south), district B one street. Each street has
// one community; A1's community has two grids.
const (
	codeCity  = "1101"
	codeDistA = "110101"
	codeDistB = "110102"
	codeA1    = "110101001"
	codeA2    = "110101002"
	codeB1    = "110102001"
	codeA1c   = "110101001001"
	codeA2c   = "110101002001"
	codeB1c   = "110102001001"
	gridA1x   = "110101001001001"
	gridA1y   = "110101001001002"
	gridA2    = "110101002001001"
	gridB1    = "110102001001001"
)

func rect(minLng, minLat, maxLng, maxLat float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
		minLng, minLat, maxLng, minLat, maxLng, maxLat, minLng, maxLat, minLng, minLat)
}

func feature(code, name, geom string) string {
	return fmt.Sprintf(`{"type":"Feature","properties":{"code":%q,"name":%q},"geometry":%s}`, code, name, geom)
}

func collection(fs ...string) []byte {
	return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`)
}

func fixtureRegions() []byte {
	return collection(
		feature(codeCity, "测试市", rect(116.30, 39.80, 116.50, 40.00)),
		feature(codeDistA, "甲区", rect(116.40, 39.80, 116.50, 40.00)),
		feature(codeDistB, "乙区", rect(116.30, 39.80, 116.40, 40.00)),
		feature(codeA1, "甲一街道", rect(116.40, 39.90, 116.50, 40.00)),
		feature(codeA2, "甲二街道", rect(116.40, 39.80, 116.50, 39.90)),
		feature(codeB1, "乙一街道", rect(116.30, 39.80, 116.40, 40.00)),
		feature(codeA1c, "甲一社区", rect(116.40, 39.90, 116.50, 40.00)),
		feature(codeA2c, "甲二社区", rect(116.40, 39.80, 116.50, 39.90)),
		feature(codeB1c, "乙一社区", rect(116.30, 39.80, 116.40, 40.00)),
		feature(gridA1x, "甲一社区第1网格", rect(116.40, 39.90, 116.45, 40.00)),
		feature(gridA1y, "甲一社区第2网格", rect(116.45, 39.90, 116.50, 40.00)),
		feature(gridA2, "甲二社区第1网格", rect(116.40, 39.80, 116.50, 39.90)),
		feature(gridB1, "乙一社区第1网格", rect(116.30, 39.80, 116.40, 40.00)),
	)
}

type fixture struct {
	t      *testing.T
	s      *store.Store
	clock  *testdb.Clock
	srv    *httptest.Server
	orgA1  civic.Organisation
	orgB1  civic.Organisation
	tokens map[civic.Role]string // one user per role, scoped to street A1 (or its one community)
	admin  string                // a city-wide admin's token
	// sessions holds a session of each token's user, for what a token
	// may not do (auth.SessionActor).
	sessions map[string]string
}

// mustFixture builds the fixture city on s and serves the API over it.
func mustFixture(t *testing.T, s *store.Store, clock *testdb.Clock) *fixture {
	t.Helper()
	ctx := context.Background()
	feats, err := store.ParseRegionFile(fixtureRegions())
	if err != nil {
		t.Fatalf("parse fixture regions: %v", err)
	}
	if _, err := s.ImportRegions(ctx, civic.System, feats); err != nil {
		t.Fatalf("import fixture regions: %v", err)
	}
	f := &fixture{t: t, s: s, clock: clock, tokens: map[civic.Role]string{}}
	orgs, err := s.ImportOrganisations(ctx, civic.System, []civic.Organisation{
		{Name: "甲一物业公司", Kind: civic.OrgPropertyCompany, RegionCode: codeA1c},
		{Name: "乙一物业公司", Kind: civic.OrgPropertyCompany, RegionCode: codeB1c},
	})
	if err != nil {
		t.Fatalf("fixture organisations: %v", err)
	}
	f.orgA1, f.orgB1 = orgs[0], orgs[1]
	for _, role := range civic.Roles {
		sc := civic.Scope{RegionCode: codeA1}
		if role.WidestLevel() > civic.LevelStreet {
			// Street A1 holds one community, so its data is the same.
			sc.RegionCode = codeA1c
		}
		if role == civic.RoleHandler {
			sc.OrgID = f.orgA1.ID
		}
		f.tokens[role] = f.mustUserToken("u_"+string(role), role, sc)
	}
	f.admin = f.mustUserToken("cityadmin", civic.RoleAdmin, civic.Scope{RegionCode: codeCity})
	loc := s.NewLocator(0)
	authn := &auth.Auth{Store: s}
	mux := http.NewServeMux()
	New(Config{Store: s, Auth: authn, Locator: loc}).Register(mux)
	f.srv = httptest.NewServer(authn.Middleware(mux))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) mustUserToken(username string, role civic.Role, sc civic.Scope) string {
	f.t.Helper()
	ctx := context.Background()
	u, err := f.s.CreateUser(ctx, civic.System, store.NewUser{Username: username, DisplayName: username, Password: "password-" + username, Role: role, Scope: sc})
	if err != nil {
		f.t.Fatalf("create user %s: %v", username, err)
	}
	_, tok, err := f.s.CreateToken(ctx, store.ActorOf(u, ""), "test")
	if err != nil {
		f.t.Fatalf("create token for %s: %v", username, err)
	}
	sess, err := f.s.CreateSession(ctx, u.ID, "127.0.0.1", "test")
	if err != nil {
		f.t.Fatalf("create session for %s: %v", username, err)
	}
	if f.sessions == nil {
		f.sessions = map[string]string{}
	}
	f.sessions[tok] = sess
	return tok
}

func (f *fixture) mustStaff(grid string) civic.Staff {
	f.t.Helper()
	m, err := f.s.CreateStaff(context.Background(), civic.System, civic.Staff{GridCode: grid, Name: "测试人员" + grid, Position: civic.PositionFullTime, Phone: "13800000000", StartDate: "2024-01-01"})
	if err != nil {
		f.t.Fatalf("create staff: %v", err)
	}
	return m
}

type response struct {
	Status int
	Body   []byte
	Header http.Header
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// do sends a request with a bearer token ("" for none) and optional JSON body.
func (f *fixture) do(method, path, token string, body any) response {
	f.t.Helper()
	return f.send(method, path, body, func(req *http.Request) {
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	})
}

// doSession is do with a session cookie instead of a token.
func (f *fixture) doSession(method, path, session string, body any) response {
	f.t.Helper()
	return f.send(method, path, body, func(req *http.Request) {
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: session})
	})
}

// send sends a request with an optional JSON body (or raw bytes), signed
// in by sign.
func (f *fixture) send(method, path string, body any, sign func(*http.Request)) response {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	sign(req)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}
