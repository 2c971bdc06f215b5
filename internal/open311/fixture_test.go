package open311_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/server"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// The fixture city: one street and community on a 0.2° square, split into
// a west grid (X) and an east grid (Y).
const (
	codeCity   = "1101"
	codeDist   = "110101"
	codeStreet = "110101001"
	codeComm   = "110101001001"
	gridX      = "110101001001001"
	gridY      = "110101001001002"
)

func rect(minLng, minLat, maxLng, maxLat float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
		minLng, minLat, maxLng, minLat, maxLng, maxLat, minLng, maxLat, minLng, minLat)
}

func regionFile() []byte {
	var fs []string
	for _, r := range []struct{ code, name, geom string }{
		{codeCity, "测试市", rect(116.30, 39.80, 116.50, 40.00)},
		{codeDist, "甲区", rect(116.30, 39.80, 116.50, 40.00)},
		{codeStreet, "甲街道", rect(116.30, 39.80, 116.50, 40.00)},
		{codeComm, "甲社区", rect(116.30, 39.80, 116.50, 40.00)},
		{gridX, "甲社区第1网格", rect(116.30, 39.80, 116.40, 40.00)},
		{gridY, "甲社区第2网格", rect(116.40, 39.80, 116.50, 40.00)},
	} {
		fs = append(fs, fmt.Sprintf(`{"type":"Feature","properties":{"code":%q,"name":%q},"geometry":%s}`, r.code, r.name, r.geom))
	}
	return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`)
}

// env is the fixture city served by the real server (every middleware
// included), with one token per account.
type env struct {
	t     testing.TB
	s     *store.Store
	clock *testdb.Clock
	url   string
	// op is an operator's token scoped to the city: the integration
	// account; workerX and workerY are grid workers of one grid each.
	op, workerX, workerY, resident string
	// users are the accounts by username.
	users map[string]civic.User
}

func mustEnv(t testing.TB, s *store.Store, clock *testdb.Clock) *env {
	t.Helper()
	return mustEnvWith(t, s, clock, server.Config{})
}

// mustEnvWith is mustEnv with the server's Open311 options (contact,
// origins) taken from cfg.
func mustEnvWith(t testing.TB, s *store.Store, clock *testdb.Clock, cfg server.Config) *env {
	t.Helper()
	ctx := context.Background()
	feats, err := store.ParseRegionFile(regionFile())
	if err != nil {
		t.Fatalf("parse regions: %v", err)
	}
	if _, err := s.ImportRegions(ctx, civic.System, feats); err != nil {
		t.Fatalf("import regions: %v", err)
	}
	limits := map[civic.Stage]civic.TimeLimit{
		civic.StageClaim: {Amount: 2, Unit: civic.UnitWorkHours}, civic.StageFeedback: {Amount: 1, Unit: civic.UnitWorkDays},
		civic.StageComplete: {Amount: 3, Unit: civic.UnitWorkDays}, civic.StageVisit: {Amount: 2, Unit: civic.UnitWorkDays},
	}
	grid := civic.HandlerRule{Target: civic.HandlerGrid}
	for _, c := range []civic.Category{
		{Code: "01", Name: "物业管理", NameEN: "Property", Active: true, Accepted: true},
		{Code: "0101", Leaf: true, Name: "公共设施维修", NameEN: "Public facilities repair", Type: civic.RequestHelp, Handler: grid, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true},
		{Code: "0102", Leaf: true, Name: "噪音扰民", Type: civic.RequestComplaint, Handler: grid, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true},
		{Code: "0103", Leaf: true, Name: "民事纠纷", Type: civic.RequestHelp, Handler: grid, Yellow: 0.5, Red: 0.8, Accepted: false, NotAcceptedReason: "请向人民法院起诉", Active: true},
		{Code: "0104", Leaf: true, Name: "停用的分类", Type: civic.RequestHelp, Handler: grid, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true},
	} {
		c.ParentCode = civic.ParentOfCategoryCode(c.Code)
		if _, err := s.CreateCategory(ctx, civic.System, c); err != nil {
			t.Fatalf("category %s: %v", c.Code, err)
		}
	}
	if _, err := s.SetCategoryActive(ctx, civic.System, "0104", false); err != nil {
		t.Fatalf("deactivate 0104: %v", err)
	}
	srv, err := server.New(ctx, server.Config{Store: s, AlertsEvery: -1, Log: slog.New(slog.DiscardHandler), Open311Contact: cfg.Open311Contact, Open311Origins: cfg.Open311Origins})
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &env{t: t, s: s, clock: clock, url: ts.URL, users: map[string]civic.User{}}
	e.op = e.mustToken("integration", civic.RoleOperator, civic.Scope{RegionCode: codeCity})
	e.workerX = e.mustToken("worker_x", civic.RoleGridWorker, civic.Scope{RegionCode: gridX})
	e.workerY = e.mustToken("worker_y", civic.RoleGridWorker, civic.Scope{RegionCode: gridY})
	e.resident = e.mustToken("resident", civic.RoleResident, civic.Scope{RegionCode: codeCity})
	return e
}

func (e *env) mustToken(username string, role civic.Role, sc civic.Scope) string {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.s.CreateUser(ctx, civic.System, store.NewUser{Username: username, DisplayName: username, Password: "password-" + username, Role: role, Scope: sc})
	if err != nil {
		e.t.Fatalf("create user %s: %v", username, err)
	}
	e.users[username] = u
	_, tok, err := e.s.CreateToken(ctx, store.ActorOf(u, ""), "open311")
	if err != nil {
		e.t.Fatalf("token for %s: %v", username, err)
	}
	return tok
}

type response struct {
	Status int
	Body   string
	Header http.Header
}

// do sends a request; hdr holds header name and value pairs.
func (e *env) do(method, path string, body io.Reader, hdr ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: string(b), Header: resp.Header}
}

func (e *env) get(path string, hdr ...string) response {
	e.t.Helper()
	return e.do("GET", path, nil, hdr...)
}

// post sends form values form-encoded.
func (e *env) post(path string, form url.Values, hdr ...string) response {
	e.t.Helper()
	return e.do("POST", path, strings.NewReader(form.Encode()), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdr...)...)
}

// request is a service request as a client decodes the JSON.
type request struct {
	ID          string   `json:"service_request_id"`
	Status      string   `json:"status"`
	StatusNotes string   `json:"status_notes"`
	ServiceName string   `json:"service_name"`
	ServiceCode string   `json:"service_code"`
	Description string   `json:"description"`
	Agency      string   `json:"agency_responsible"`
	Notice      string   `json:"service_notice"`
	Requested   string   `json:"requested_datetime"`
	Updated     string   `json:"updated_datetime"`
	Expected    *string  `json:"expected_datetime"`
	Address     string   `json:"address"`
	AddressID   string   `json:"address_id"`
	Lat         *float64 `json:"lat"`
	Long        *float64 `json:"long"`
	MediaURL    string   `json:"media_url"`
}

func mustDecode[T any](t testing.TB, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("decode %d %s: %v", r.Status, r.Body, err)
	}
	return v
}

// mustFile posts a request as the integration account and returns its
// service_request_id.
func (e *env) mustFile(form url.Values) string {
	e.t.Helper()
	form.Set("api_key", e.op)
	r := e.post("/open311/v2/requests.json", form)
	if r.Status != http.StatusCreated {
		e.t.Fatalf("file %v: %d %s", form, r.Status, r.Body)
	}
	rs := mustDecode[[]struct {
		ID string `json:"service_request_id"`
	}](e.t, r)
	if len(rs) != 1 || rs[0].ID == "" {
		e.t.Fatalf("receipt: %s", r.Body)
	}
	return rs[0].ID
}

func (e *env) mustCase(number string) civic.Case {
	e.t.Helper()
	c, err := e.s.GetCaseByNumber(context.Background(), civic.System, number)
	if err != nil {
		e.t.Fatalf("case %s: %v", number, err)
	}
	return c
}
