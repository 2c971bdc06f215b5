package open311_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
	"github.com/civicgrid/civicgrid/internal/server"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

type xmlService struct {
	Code        string `xml:"service_code"`
	Name        string `xml:"service_name"`
	Description string `xml:"description"`
	Metadata    bool   `xml:"metadata"`
	Type        string `xml:"type"`
	Keywords    string `xml:"keywords"`
	Group       string `xml:"group"`
}

// TestOpen311Services: the catalogue's active, accepted leaves, in both
// formats and both languages, with no key needed; groups, refused and
// deactivated categories are not services.
func TestOpen311Services(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		e := mustEnv(t, s, clock)
		r := e.get("/open311/v2/services.json")
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("services.json: %d %s", r.Status, r.Body)
		}
		zh := mustDecode[[]map[string]any](t, r)
		if len(zh) != 2 || zh[0]["service_code"] != "0101" || zh[0]["service_name"] != "公共设施维修" || zh[0]["group"] != "物业管理" ||
			zh[0]["metadata"] != false || zh[0]["type"] != "realtime" || zh[0]["keywords"] != "求助" ||
			!strings.Contains(zh[0]["description"].(string), "3工作日") || zh[1]["service_code"] != "0102" {
			t.Fatalf("services in Chinese: %s", r.Body)
		}
		// English where the category has an English name, by ?lang= or
		// Accept-Language; Chinese where it has none.
		for _, r := range []response{e.get("/open311/v2/services.json?lang=en"), e.get("/open311/v2/services.json", "Accept-Language", "en-US,en;q=0.9")} {
			en := mustDecode[[]map[string]any](t, r)
			if len(en) != 2 || en[0]["service_name"] != "Public facilities repair" || en[0]["group"] != "Property" ||
				en[0]["keywords"] != "Request for help" || en[1]["service_name"] != "噪音扰民" {
				t.Fatalf("services in English: %s", r.Body)
			}
		}
		r = e.get("/open311/v2/services.xml")
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/xml") || !strings.HasPrefix(r.Body, `<?xml version="1.0" encoding="UTF-8"?>`) {
			t.Fatalf("services.xml: %d %s", r.Status, r.Body)
		}
		var doc struct {
			XMLName  xml.Name
			Services []xmlService `xml:"service"`
		}
		if err := xml.Unmarshal([]byte(r.Body), &doc); err != nil {
			t.Fatalf("services.xml is not XML: %v\n%s", err, r.Body)
		}
		if doc.XMLName.Local != "services" || len(doc.Services) != 2 || doc.Services[0].Code != "0101" || doc.Services[0].Name != "公共设施维修" ||
			doc.Services[0].Group != "物业管理" || doc.Services[0].Metadata || doc.Services[0].Type != "realtime" || doc.Services[1].Code != "0102" {
			t.Fatalf("services.xml: %+v", doc)
		}

		// A service's definition: no attributes; unknown, refused and
		// deactivated codes are not found.
		if r := e.get("/open311/v2/services/0101.json"); r.Status != 200 || strings.TrimSpace(r.Body) != `{"attributes":[],"service_code":"0101"}` {
			t.Fatalf("definition: %d %s", r.Status, r.Body)
		}
		r = e.get("/open311/v2/services/0101.xml")
		var def struct {
			XMLName    xml.Name
			Code       string    `xml:"service_code"`
			Attributes *struct{} `xml:"attributes"`
		}
		if err := xml.Unmarshal([]byte(r.Body), &def); err != nil || r.Status != 200 || def.XMLName.Local != "service_definition" || def.Code != "0101" || def.Attributes == nil {
			t.Fatalf("definition.xml: %d %v %s", r.Status, err, r.Body)
		}
		for _, code := range []string{"0103", "0104", "01", "9999", "%3Cscript%3E"} {
			if r := e.get("/open311/v2/services/" + code + ".json"); r.Status != 404 || !strings.Contains(r.Body, `"code":404`) {
				t.Fatalf("definition of %s: %d %s", code, r.Status, r.Body)
			}
		}

		// Discovery names this endpoint and both formats.
		r = e.get("/open311/v2/discovery.xml")
		var disc struct {
			XMLName   xml.Name
			Endpoints []struct {
				URL     string   `xml:"url"`
				Formats []string `xml:"formats>format"`
			} `xml:"endpoints>endpoint"`
		}
		if err := xml.Unmarshal([]byte(r.Body), &disc); err != nil || disc.XMLName.Local != "discovery" || len(disc.Endpoints) != 1 ||
			disc.Endpoints[0].URL != e.url+"/open311/v2" || len(disc.Endpoints[0].Formats) != 2 {
			t.Fatalf("discovery.xml: %v %s", err, r.Body)
		}
		if r := e.get("/open311/v2/discovery.json"); r.Status != 200 || !strings.Contains(r.Body, `"specification":"http://wiki.open311.org/GeoReport_v2"`) ||
			!strings.Contains(r.Body, `"contact":""`) {
			t.Fatalf("discovery.json: %d %s", r.Status, r.Body)
		}
	})
}

// TestOpen311DiscoveryContact: discovery's contact is the one configured,
// in both formats.
func TestOpen311DiscoveryContact(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		const contact = "12345 热线 / open311@city.example.cn"
		e := mustEnvWith(t, s, clock, server.Config{Open311Contact: contact})
		if r := e.get("/open311/v2/discovery.json"); r.Status != 200 || mustDecode[map[string]any](t, r)["contact"] != contact {
			t.Fatalf("discovery.json: %d %s", r.Status, r.Body)
		}
		r := e.get("/open311/v2/discovery.xml")
		var disc struct {
			Contact string `xml:"contact"`
		}
		if err := xml.Unmarshal([]byte(r.Body), &disc); err != nil || disc.Contact != contact {
			t.Fatalf("discovery.xml: %v %s", err, r.Body)
		}
	})
}

// TestOpen311Post files requests and finds them in the store as cases with
// the right category, place and reporter; a retry with the same
// Idempotency-Key makes no second case.
func TestOpen311Post(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		e := mustEnv(t, s, clock)
		ctx := context.Background()
		// device_id and the other fields civicgrid does not keep are taken
		// at any length: a push token runs to hundreds of characters.
		form := url.Values{"api_key": {e.op}, "jurisdiction_id": {"beijing"}, "service_code": {"0101"}, "lat": {"39.95"}, "long": {"116.35"},
			"address_string": {"甲社区3号楼"}, "description": {"三号楼的楼道灯坏了一周。晚上看不见台阶。"}, "first_name": {"小明"}, "last_name": {"王"},
			"phone": {"138-1234-5678"}, "email": {strings.Repeat("w", 250) + "@example.com"}, "device_id": {strings.Repeat("d", 500)},
			"account_id": {strings.Repeat("a", 300)}, "media_url": {"https://img.example.com/a.jpg"}}
		r := e.post("/open311/v2/requests.json", form)
		if r.Status != http.StatusCreated {
			t.Fatalf("post: %d %s", r.Status, r.Body)
		}
		receipts := mustDecode[[]map[string]any](t, r)
		if len(receipts) != 1 || receipts[0]["account_id"] != nil || !strings.Contains(receipts[0]["service_notice"].(string), "甲社区第1网格") {
			t.Fatalf("receipt: %s", r.Body)
		}
		number := receipts[0]["service_request_id"].(string)
		c := e.mustCase(number)
		if c.CategoryCode != "0101" || !c.HasLocation || math.Abs(c.Lat-39.95) > 1e-9 || math.Abs(c.Lng-116.35) > 1e-9 || c.RegionCode != gridX ||
			c.Source != civic.SourceAPI || c.Address != "甲社区3号楼" || c.Title != "三号楼的楼道灯坏了一周" || c.State != civic.StateDispatched ||
			c.HandlerRegionCode != gridX || c.ReporterName != "王小明" || c.ReporterPhone != "13812345678" ||
			!strings.HasSuffix(c.Description, "\n\n附件链接：https://img.example.com/a.jpg") {
			t.Fatalf("filed case: %+v", c)
		}

		// With a key, a retry returns the first case (without one, see
		// TestOpen311RetryWithoutKey).
		form.Set("description", "路灯不亮")
		keyed := func() response {
			return e.post("/open311/v2/requests.xml", form, "Idempotency-Key", "open311-retry-1")
		}
		first := keyed()
		var receipt struct {
			XMLName xml.Name
			Request []struct {
				ID     string `xml:"service_request_id"`
				Notice string `xml:"service_notice"`
			} `xml:"request"`
		}
		if err := xml.Unmarshal([]byte(first.Body), &receipt); err != nil || first.Status != http.StatusCreated || receipt.XMLName.Local != "service_requests" || len(receipt.Request) != 1 ||
			!strings.Contains(first.Body, "<account_id></account_id>") {
			t.Fatalf("keyed post: %d %v %s", first.Status, err, first.Body)
		}
		id := receipt.Request[0].ID
		_, before, err := s.ListCases(ctx, civic.System, store.CaseFilter{})
		if err != nil {
			t.Fatal(err)
		}
		retry := keyed()
		if retry.Status != http.StatusOK || !strings.Contains(retry.Body, "<service_request_id>"+id+"</service_request_id>") {
			t.Fatalf("retry: %d %s", retry.Status, retry.Body)
		}
		if _, after, _ := s.ListCases(ctx, civic.System, store.CaseFilter{}); after != before {
			t.Fatalf("a retry made a case: %d → %d", before, after)
		}
		// The key may come as a parameter too.
		asParam := url.Values{"idempotency_key": {"open311-retry-1"}}
		for k, v := range form {
			asParam[k] = v
		}
		if r := e.post("/open311/v2/requests.json", asParam); r.Status != http.StatusOK || !strings.Contains(r.Body, id) {
			t.Fatalf("retry with the key as a parameter: %d %s", r.Status, r.Body)
		}
		// Other words under the same key were not saved: 409.
		form.Set("description", "另一件事")
		if r := keyed(); r.Status != http.StatusConflict || !strings.Contains(r.Body, "<code>409</code>") {
			t.Fatalf("key reused for other words: %d %s", r.Status, r.Body)
		}

		// A place by region code (address_id), by the account's own
		// territory when only an address is given, in GCJ-02 on request;
		// with no description the service names the problem.
		byRegion := e.mustCase(e.mustFile(url.Values{"service_code": {"0102"}, "address_id": {gridY}, "description": {"楼上装修太吵"}}))
		if byRegion.RegionCode != gridY || byRegion.HasLocation || byRegion.CategoryCode != "0102" {
			t.Fatalf("by address_id: %+v", byRegion)
		}
		byAddress := e.mustCase(e.mustFile(url.Values{"service_code": {"0101"}, "address_string": {"甲街道某小区"}}))
		if byAddress.RegionCode != codeCity || byAddress.Address != "甲街道某小区" || byAddress.Title != "公共设施维修" {
			t.Fatalf("by address alone: %+v", byAddress)
		}
		gcj := e.mustCase(e.mustFile(url.Values{"service_code": {"0101"}, "lat": {"39.95"}, "long": {"116.45"}, "crs": {"gcj02"}, "description": {"井盖缺失"}}))
		if !gcj.HasLocation || gcj.Lng == 116.45 || math.Abs(gcj.Lng-116.45) > 0.01 {
			t.Fatalf("GCJ-02 point not converted: %+v", gcj)
		}
		// A resident's account has no territory to fall back on.
		if r := e.post("/open311/v2/requests.json", url.Values{"api_key": {e.resident}, "service_code": {"0101"}, "address_string": {"某处"}}); r.Status != 400 ||
			!strings.Contains(r.Body, "address_id") {
			t.Fatalf("resident with an address only: %d %s", r.Status, r.Body)
		}
		// A multipart form is read as well (its files are not).
		var body strings.Builder
		mw := multipart.NewWriter(&body)
		for k, v := range map[string]string{"api_key": e.op, "service_code": "0101", "lat": "39.91", "long": "116.41", "description": "消防通道被占"} {
			_ = mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("media", "a.jpg")
		_, _ = fw.Write([]byte("not read"))
		_ = mw.Close()
		if r := e.do("POST", "/open311/v2/requests.json", strings.NewReader(body.String()), "Content-Type", mw.FormDataContentType()); r.Status != http.StatusCreated {
			t.Fatalf("multipart: %d %s", r.Status, r.Body)
		}
		// A form sent without a Content-Type is read as form-encoded, and
		// parameters may come in the query string.
		noType := url.Values{"api_key": {e.op}, "service_code": {"0101"}, "lat": {"39.92"}, "long": {"116.42"}, "description": {"没有内容类型"}}
		if r := e.do("POST", "/open311/v2/requests.json", strings.NewReader(noType.Encode())); r.Status != http.StatusCreated {
			t.Fatalf("form without a Content-Type: %d %s", r.Status, r.Body)
		}
		noType.Set("description", "参数在网址里")
		if r := e.do("POST", "/open311/v2/requests.json?"+noType.Encode(), nil); r.Status != http.StatusCreated {
			t.Fatalf("parameters in the query: %d %s", r.Status, r.Body)
		}
		// A bearer token works as well as api_key.
		if r := e.post("/open311/v2/requests.json", url.Values{"service_code": {"0101"}, "lat": {"39.9"}, "long": {"116.45"}, "description": {"x"}},
			"Authorization", "Bearer "+e.resident); r.Status != http.StatusCreated {
			t.Fatalf("bearer: %d %s", r.Status, r.Body)
		}
	})
}

// TestOpen311Requests: the list and a single request show what the account
// may see and nothing of the reporter; the filters and the 90-day window
// work as the specification says.
func TestOpen311Requests(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		e := mustEnv(t, s, clock)
		inX := e.mustFile(url.Values{"service_code": {"0101"}, "lat": {"39.95"}, "long": {"116.35"}, "address_string": {"西门"},
			"description": {"西门路灯坏了"}, "first_name": {"小明"}, "last_name": {"王"}, "phone": {"13812345678"}, "media_url": {"https://img.example.com/x.jpg"}})
		clock.Advance(time.Hour)
		inY := e.mustFile(url.Values{"service_code": {"0102"}, "lat": {"39.95"}, "long": {"116.45"}, "description": {"夜里施工噪音"},
			"first_name": {"Anna"}, "last_name": {"Li"}, "phone": {"13900001111"}})

		list := func(query, token string) []request {
			t.Helper()
			r := e.get("/open311/v2/requests.json?api_key=" + url.QueryEscape(token) + query)
			if r.Status != 200 {
				t.Fatalf("list %s: %d %s", query, r.Status, r.Body)
			}
			for _, personal := range []string{"小明", "王小明", "Anna", "13812345678", "13900001111", "138****5678"} {
				if strings.Contains(r.Body, personal) {
					t.Fatalf("the list shows the reporter (%s): %s", personal, r.Body)
				}
			}
			return mustDecode[[]request](t, r)
		}
		ids := func(rs []request) string {
			var out []string
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return strings.Join(out, ",")
		}

		all := list("", e.op)
		if ids(all) != inY+","+inX {
			t.Fatalf("operator sees %s, want %s,%s", ids(all), inY, inX)
		}
		x := all[1]
		requested, err := time.Parse(time.RFC3339, x.Requested)
		if err != nil || !strings.HasSuffix(x.Requested, "+08:00") || !requested.Equal(clock.T.Add(-time.Hour)) {
			t.Fatalf("requested_datetime %q: %v", x.Requested, err)
		}
		if x.Status != "open" || x.StatusNotes != "待签收" || x.ServiceCode != "0101" || x.ServiceName != "公共设施维修" || x.Agency != "甲社区第1网格" ||
			x.Description != "西门路灯坏了" || x.MediaURL != "https://img.example.com/x.jpg" || x.Address != "西门" || x.AddressID != gridX || x.Expected == nil ||
			x.Lat == nil || *x.Lat != 39.95 || x.Long == nil || *x.Long != 116.35 {
			t.Fatalf("request: %+v", x)
		}

		// Each grid worker sees the case in their grid only, in the list
		// and one by one.
		if got := ids(list("", e.workerX)); got != inX {
			t.Fatalf("worker X sees %s", got)
		}
		if got := ids(list("", e.workerY)); got != inY {
			t.Fatalf("worker Y sees %s", got)
		}
		if r := e.get("/open311/v2/requests/" + inY + ".json?api_key=" + e.workerX); r.Status != 404 || strings.Contains(r.Body, "施工") {
			t.Fatalf("worker X reads Y's case: %d %s", r.Status, r.Body)
		}
		if got := ids(list("&service_request_id="+inX+","+inY, e.workerX)); got != inX {
			t.Fatalf("worker X by ids: %s", got)
		}
		// A resident sees their own requests only.
		if got := list("", e.resident); len(got) != 0 {
			t.Fatalf("resident sees others' requests: %s", ids(got))
		}

		// One request, by number or ID, in both formats and languages.
		r := e.get("/open311/v2/requests/"+inY+".json?lang=en", "Authorization", "Bearer "+e.op)
		one := mustDecode[[]request](t, r)
		if r.Status != 200 || len(one) != 1 || one[0].ID != inY || one[0].StatusNotes != "Dispatched" || one[0].ServiceName != "噪音扰民" ||
			one[0].Notice != "assigned to 甲社区第2网格" {
			t.Fatalf("one request in English: %d %s", r.Status, r.Body)
		}
		r = e.get("/open311/v2/requests/" + inX + ".xml?api_key=" + e.op)
		var doc struct {
			XMLName  xml.Name
			Requests []struct {
				ID       string  `xml:"service_request_id"`
				Status   string  `xml:"status"`
				Lat      float64 `xml:"lat"`
				Long     float64 `xml:"long"`
				MediaURL string  `xml:"media_url"`
				Expected string  `xml:"expected_datetime"`
			} `xml:"request"`
		}
		if err := xml.Unmarshal([]byte(r.Body), &doc); err != nil || doc.XMLName.Local != "service_requests" || len(doc.Requests) != 1 ||
			doc.Requests[0].ID != inX || doc.Requests[0].Lat != 39.95 || doc.Requests[0].Long != 116.35 || doc.Requests[0].MediaURL != "https://img.example.com/x.jpg" ||
			doc.Requests[0].Expected == "" || strings.Contains(r.Body, "小明") || strings.Contains(r.Body, "13812345678") {
			t.Fatalf("request.xml: %v %s", err, r.Body)
		}
		if r := e.get("/open311/v2/requests/"+strconv.FormatInt(e.mustCase(inX).ID, 10)+".json", "Authorization", "Bearer "+e.op); r.Status != 200 || !strings.Contains(r.Body, inX) {
			t.Fatalf("by ID: %d %s", r.Status, r.Body)
		}

		// Filters.
		for _, tc := range []struct{ name, query, want string }{
			{"service_code", "&service_code=0102", inY},
			{"two service codes", "&service_code=0101,0102", inY + "," + inX},
			{"open", "&status=open", inY + "," + inX},
			{"closed", "&status=closed", ""},
			{"both statuses", "&status=open,closed", inY + "," + inX},
			{"start after the first", "&start_date=" + url.QueryEscape(clock.T.Add(-30*time.Minute).Format(time.RFC3339)), inY},
			{"end before the second", "&end_date=" + url.QueryEscape(clock.T.Add(-30*time.Minute).Format(time.RFC3339)), inX},
			{"end inclusive", "&end_date=" + url.QueryEscape(clock.T.Format(time.RFC3339Nano)), inY + "," + inX},
			{"to the minute", "&start_date=" + url.QueryEscape(clock.T.Add(-30*time.Minute).Format("2006-01-02T15:04Z07:00")), inY},
			{"lower-case t and z", "&end_date=" + strings.ToLower(clock.T.UTC().Add(-30*time.Minute).Format(time.RFC3339)), inX},
			{"zone without a colon", "&start_date=" + url.QueryEscape(clock.T.Add(-30*time.Minute).In(civic.ChinaTime).Format("2006-01-02T15:04:05-0700")), inY},
			{"status in capitals", "&status=OPEN,Closed", inY + "," + inX},
			{"plus left unencoded", "&start_date=" + clock.T.Add(-30*time.Minute).In(civic.ChinaTime).Format(time.RFC3339), inY},
			{"a day", "&start_date=" + clock.T.In(civic.ChinaTime).Format(time.DateOnly) + "&end_date=" + clock.T.In(civic.ChinaTime).Format(time.DateOnly), inY + "," + inX},
			{"ids override", "&service_request_id=" + inX + "&service_code=0102&status=closed", inX},
			{"unknown id", "&service_request_id=202001010000001,abc", ""},
		} {
			if got := ids(list(tc.query, e.op)); got != tc.want {
				t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
			}
		}

		// A handled case is still open; a closed case is closed.
		ctx := context.Background()
		cx := e.mustCase(inX)
		for _, act := range []civic.CaseAction{civic.ActClaim, civic.ActHandle} {
			if _, err := s.ActOnCase(ctx, civic.System, cx.ID, store.CaseInput{Action: act, Note: "已更换灯泡"}); err != nil {
				t.Fatalf("%s: %v", act, err)
			}
		}
		if got := ids(list("&status=open", e.op)); got != inY+","+inX {
			t.Fatalf("handled is open: %s", got)
		}
		if _, err := s.ActOnCase(ctx, civic.System, cx.ID, store.CaseInput{Action: civic.ActVerifyPass}); err != nil {
			t.Fatal(err)
		}
		if got := list("&status=closed", e.op); ids(got) != inX || got[0].Expected != nil || got[0].StatusNotes != "待回访" {
			t.Fatalf("closed: %+v", got)
		}

		// The default window is the last 90 days.
		clock.Advance(91 * 24 * time.Hour)
		if got := list("", e.op); len(got) != 0 {
			t.Fatalf("default window holds %s", ids(got))
		}
		if got := ids(list("&service_request_id="+inX, e.op)); got != inX {
			t.Fatalf("an old request by id: %s", got)
		}
	})
}

// TestOpen311RequestsByID: a list by service_request_id is what asking
// for each request alone gives, in the order asked and each once, for every
// kind of account: numbers and IDs, unknown ones, a number whose date is
// wrong, requests out of the account's sight, merged requests (with where
// they went, where the account may see it), a page of them.
func TestOpen311RequestsByID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		e := mustEnv(t, s, clock)
		ctx := context.Background()
		file := func(lng, desc string) string {
			return e.mustFile(url.Values{"service_code": {"0101"}, "lat": {"39.95"}, "long": {lng}, "description": {desc}})
		}
		inX, inY := file("116.35", "西门路灯坏了"), file("116.45", "东门路灯坏了")
		intoY, intoX := file("116.35", "西门路灯又坏了"), file("116.35", "西门路灯还是坏的")
		for _, m := range [][2]string{{intoY, inY}, {intoX, inX}} {
			if _, err := s.ActOnCase(ctx, civic.System, e.mustCase(m[0]).ID, store.CaseInput{Action: civic.ActMerge, MergeInto: e.mustCase(m[1]).ID}); err != nil {
				t.Fatalf("merge %s into %s: %v", m[0], m[1], err)
			}
		}
		r := e.post("/open311/v2/requests.json", url.Values{"api_key": {e.resident}, "service_code": {"0101"}, "lat": {"39.95"}, "long": {"116.45"}, "description": {"我家楼下路灯坏了"}})
		own := mustDecode[[]request](t, r)
		if r.Status != http.StatusCreated || len(own) != 1 {
			t.Fatalf("resident files: %d %s", r.Status, r.Body)
		}
		cx := e.mustCase(inX)
		byID := strconv.FormatInt(cx.ID, 10)
		wrongDate := civic.CaseNumber(cx.CreatedAt.AddDate(0, 0, -1), cx.ID)
		refs := []string{inY, byID, "202001010000001", "abc", intoY, inX, intoX, wrongDate, own[0].ID, "0", inY}

		for _, tc := range []struct {
			name, token string
			want        []string
		}{
			{"operator", e.op, []string{inY, inX, intoY, intoX, own[0].ID}},
			{"grid worker X", e.workerX, []string{inX, intoY, intoX}},
			{"grid worker Y", e.workerY, []string{inY, own[0].ID}},
			{"resident", e.resident, []string{own[0].ID}},
		} {
			// One by one, as GET requests/{id} answers.
			var want []request
			seen := map[string]bool{}
			for _, ref := range refs {
				r := e.get("/open311/v2/requests/" + ref + ".json?api_key=" + tc.token)
				if r.Status == http.StatusNotFound {
					continue
				}
				one := mustDecode[[]request](t, r)
				if r.Status != http.StatusOK || len(one) != 1 {
					t.Fatalf("%s: %s alone: %d %s", tc.name, ref, r.Status, r.Body)
				}
				if !seen[one[0].ID] {
					seen[one[0].ID] = true
					want = append(want, one[0])
				}
			}
			var ids []string
			for _, x := range want {
				ids = append(ids, x.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("%s sees %v one by one, want %v", tc.name, ids, tc.want)
			}
			list := func(query string) []request {
				t.Helper()
				r := e.get("/open311/v2/requests.json?api_key=" + tc.token + "&service_request_id=" + strings.Join(refs, ",") + query)
				if r.Status != http.StatusOK {
					t.Fatalf("%s: list%s: %d %s", tc.name, query, r.Status, r.Body)
				}
				return mustDecode[[]request](t, r)
			}
			if got := list(""); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: the list says\n%+v\none by one\n%+v", tc.name, got, want)
			}
			if got := list("&page=2&page_size=2"); !reflect.DeepEqual(got, want[min(2, len(want)):min(4, len(want))]) {
				t.Errorf("%s: page 2 says %+v", tc.name, got)
			}
		}

		// Where a merged request went shows only to an account that may
		// see the request it went into.
		notes := func(token, number string) string {
			t.Helper()
			rs := mustDecode[[]request](t, e.get("/open311/v2/requests.json?api_key="+token+"&service_request_id="+number))
			if len(rs) != 1 {
				t.Fatalf("%s: %+v", number, rs)
			}
			return rs[0].StatusNotes
		}
		for _, tc := range []struct{ token, number, want string }{
			{e.op, intoY, "已合并：并入 " + inY},
			{e.workerX, intoY, "已合并"},
			{e.workerX, intoX, "已合并：并入 " + inX},
		} {
			if got := notes(tc.token, tc.number); got != tc.want {
				t.Errorf("%s: status_notes %q, want %q", tc.number, got, tc.want)
			}
		}
	})
}

// TestOpen311SameTextAsAPI: a request's description is what the JSON API
// shows the same account for the same case, masked or not, for staff and
// for a resident who joined the case (附议).
func TestOpen311SameTextAsAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		e := mustEnv(t, s, clock)
		number := e.mustFile(url.Values{"service_code": {"0101"}, "lat": {"39.95"}, "long": {"116.35"},
			"description": {"楼道灯坏了，请联系13912345678，身份证110101199003071234"}, "first_name": {"小明"}, "last_name": {"王"}, "phone": {"13812345678"}})
		c := e.mustCase(number)
		if _, err := s.JoinCase(context.Background(), store.ActorOf(e.users["resident"], ""), c.ID, store.JoinInput{Near: &geo.Point{Lng: 116.35, Lat: 39.95}}); err != nil {
			t.Fatalf("join: %v", err)
		}
		for name, token := range map[string]string{"operator": e.op, "grid worker": e.workerX, "co-reporter": e.resident} {
			api := e.get("/api/v1/cases/"+number, "Authorization", "Bearer "+token)
			var want civic.Case
			if err := json.Unmarshal([]byte(api.Body), &want); err != nil || api.Status != 200 {
				t.Fatalf("%s: JSON API %d %s", name, api.Status, api.Body)
			}
			got := mustDecode[[]request](t, e.get("/open311/v2/requests/"+number+".json?api_key="+token))
			if len(got) != 1 || got[0].Description != want.Description {
				t.Errorf("%s: Open311 says %q, the JSON API %q", name, got[0].Description, want.Description)
			}
		}
	})
}

type xmlErrors struct {
	XMLName xml.Name
	Errors  []struct {
		Code        int    `xml:"code"`
		Description string `xml:"description"`
	} `xml:"error"`
}

// TestOpen311Errors: every refusal is the specification's list of errors
// with the HTTP status as code, in the caller's language, and never Go's
// words.
func TestOpen311Errors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		e := mustEnv(t, s, clock)
		good := func(change ...string) url.Values {
			v := url.Values{"api_key": {e.op}, "service_code": {"0101"}, "lat": {"39.95"}, "long": {"116.35"}, "description": {"路灯坏了"}}
			for i := 0; i+1 < len(change); i += 2 {
				if change[i+1] == "-" {
					v.Del(change[i])
				} else {
					v.Set(change[i], change[i+1])
				}
			}
			return v
		}
		form := func(v url.Values) func() response {
			return func() response { return e.post("/open311/v2/requests.json", v) }
		}
		for _, tc := range []struct {
			name   string
			send   func() response
			status int
			says   string
		}{
			{"no api_key", form(good("api_key", "-")), 403, "api_key"},
			{"bad api_key", form(good("api_key", "cg_nonsense")), 403, "api_key 无效"},
			{"bad bearer", func() response {
				return e.do("GET", "/open311/v2/requests.json", nil, "Authorization", "Bearer cg_nonsense")
			}, 403, "令牌无效"},
			{"missing service_code", form(good("service_code", "-")), 400, "service_code"},
			{"unknown service", form(good("service_code", "9999")), 400, "没有这项服务“9999”"},
			{"a group is no service", form(good("service_code", "01")), 400, "没有这项服务"},
			{"deactivated service", form(good("service_code", "0104")), 400, "没有这项服务"},
			{"refused service", form(good("service_code", "0103")), 400, "请向人民法院起诉"},
			{"lat without long", form(good("long", "-")), 400, "lat/long"},
			{"no place at all", form(good("lat", "-", "long", "-")), 400, "address_id"},
			{"lat not a number", form(good("lat", "abc")), 400, "纬度"},
			{"lat NaN", form(good("lat", "NaN")), 400, "纬度"},
			{"long Inf", form(good("long", "Inf")), 400, "经度"},
			{"lat out of range", form(good("lat", "91")), 400, "纬度"},
			{"outside the area", form(good("lat", "30", "long", "120")), 400, "服务范围"},
			{"unknown address_id", form(good("lat", "-", "long", "-", "address_id", "999999")), 400, "address_id"},
			{"bad crs", form(good("crs", "bd09")), 400, "crs"},
			{"NUL in description", form(good("description", "路灯\x00坏了")), 400, "description"},
			{"bidi override", form(good("first_name", "\u202e王")), 400, "first_name"},
			{"not UTF-8", func() response {
				return e.do("POST", "/open311/v2/requests.json", strings.NewReader("api_key="+e.op+"&service_code=0101&description=%FF"),
					"Content-Type", "application/x-www-form-urlencoded")
			}, 400, "UTF-8"},
			{"bad escape", func() response {
				return e.do("POST", "/open311/v2/requests.json", strings.NewReader("api_key="+e.op+"&service_code=%zz"), "Content-Type", "application/x-www-form-urlencoded")
			}, 400, "表单"},
			{"JSON body", func() response {
				return e.do("POST", "/open311/v2/requests.json", strings.NewReader(`{"service_code":"0101"}`), "Content-Type", "application/json")
			}, 400, "application/x-www-form-urlencoded"},
			{"huge body", form(good("description", strings.Repeat("长", 400_000))), 413, "过大"},
			{"long description", form(good("description", strings.Repeat("长", store.MaxDescription+1))), 400, "description：问题描述不超过"},
			{"long description with a link", form(good("description", strings.Repeat("长", store.MaxDescription-10), "media_url", "https://img.example.com/a.jpg")), 400, "media_url：附件链接"},
			{"media_url not a link", form(good("media_url", "javascript:alert(1)")), 400, "media_url"},
			{"phone not a phone", form(good("phone", "call me")), 400, "phone"},
			{"long first_name", form(good("first_name", strings.Repeat("名", 51))), 400, "first_name"},
			{"list without key", func() response { return e.get("/open311/v2/requests.json") }, 403, "api_key"},
			{"unknown request", func() response { return e.get("/open311/v2/requests/202603100999999.json?api_key=" + e.op) }, 404, "202603100999999"},
			{"bad start_date", func() response { return e.get("/open311/v2/requests.json?start_date=yesterday&api_key=" + e.op) }, 400, "start_date"},
			{"date-time without a zone", func() response {
				return e.get("/open311/v2/requests.json?start_date=2026-03-01T08:00:00&api_key=" + e.op)
			}, 400, "请写明时区"},
			{"impossible date", func() response { return e.get("/open311/v2/requests.json?end_date=2026-02-30&api_key=" + e.op) }, 400, "end_date"},
			{"end before start", func() response {
				return e.get("/open311/v2/requests.json?start_date=2026-03-05&end_date=2026-03-01&api_key=" + e.op)
			}, 400, "end_date"},
			{"more than 90 days", func() response {
				return e.get("/open311/v2/requests.json?start_date=2025-01-01&end_date=2025-06-01&api_key=" + e.op)
			}, 400, "90"},
			{"bad status", func() response { return e.get("/open311/v2/requests.json?status=pending&api_key=" + e.op) }, 400, "status"},
			{"bad service_code filter", func() response { return e.get("/open311/v2/requests.json?service_code=abc&api_key=" + e.op) }, 400, "service_code"},
			{"control character in query", func() response { return e.get("/open311/v2/requests.json?status=open%01&api_key=" + e.op) }, 400, "status"},
			{"unknown endpoint", func() response { return e.get("/open311/v2/tokens.json") }, 404, "没有这个接口"},
			{"a token, never issued", func() response { return e.get("/open311/v2/tokens/abc-123.json") }, 404, "从不发放令牌"},
			{"a token in English", func() response { return e.get("/open311/v2/tokens/abc-123.json?lang=en") }, 404, `no token \"abc-123\": civicgrid never issues tokens`},
			{"no format", func() response { return e.get("/open311/v2/services") }, 404, ".json"},
			{"no format on a wildcard path", func() response { return e.get("/open311/v2/services/0101") }, 404, ".json"},
			{"wrong method", func() response { return e.do("DELETE", "/open311/v2/requests.json", nil) }, 405, "DELETE"},
		} {
			r := tc.send()
			if r.Status != tc.status || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Errorf("%s: %d %s %s", tc.name, r.Status, r.Header.Get("Content-Type"), r.Body)
				continue
			}
			errs := mustDecode[[]struct {
				Code        int    `json:"code"`
				Description string `json:"description"`
			}](t, r)
			if len(errs) == 0 || errs[0].Code != tc.status || !strings.Contains(r.Body, tc.says) {
				t.Errorf("%s: %s", tc.name, r.Body)
			}
			for _, goWords := range []string{"strconv", "sql", "invalid URL escape", "http:", "parse"} {
				if strings.Contains(r.Body, goWords) {
					t.Errorf("%s: Go's words in %s", tc.name, r.Body)
				}
			}
		}
		if r := e.do("DELETE", "/open311/v2/requests.json", nil); r.Header.Get("Allow") != "GET, POST" {
			t.Errorf("Allow: %q", r.Header.Get("Allow"))
		}

		// A token in XML, as the specification's error list.
		r0 := e.get("/open311/v2/tokens/abc-123.xml")
		var tokDoc xmlErrors
		if err := xml.Unmarshal([]byte(r0.Body), &tokDoc); err != nil || r0.Status != 404 || len(tokDoc.Errors) != 1 || tokDoc.Errors[0].Code != 404 ||
			!strings.Contains(tokDoc.Errors[0].Description, "service_request_id") {
			t.Fatalf("token.xml: %d %v %s", r0.Status, err, r0.Body)
		}

		// Every refused parameter at once, one entry each.
		r := e.post("/open311/v2/requests.json?lang=en", good("service_code", "9999", "lat", "abc", "long", "200", "phone", "call me",
			"media_url", "ftp://x", "crs", "bd09", "first_name", strings.Repeat("名", 51)))
		errs := mustDecode[[]struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		}](t, r)
		var named []string
		for _, x := range errs {
			if x.Code != 400 || !strings.Contains(x.Description, ": ") {
				t.Fatalf("entry %+v: %s", x, r.Body)
			}
			named = append(named, x.Description[:strings.Index(x.Description, ": ")])
		}
		if r.Status != 400 || strings.Join(named, ",") != "first_name,service_code,media_url,crs,lat,long,phone" {
			t.Fatalf("every refusal at once: %d %s", r.Status, r.Body)
		}

		// XML errors, in English on request.
		r = e.post("/open311/v2/requests.xml?lang=en", good("lat", "abc"))
		var doc xmlErrors
		if err := xml.Unmarshal([]byte(r.Body), &doc); err != nil || r.Status != 400 || doc.XMLName.Local != "errors" || len(doc.Errors) != 1 ||
			doc.Errors[0].Code != 400 || doc.Errors[0].Description != "lat: the latitude must be a number from -90 to 90" {
			t.Fatalf("XML error: %d %v %s", r.Status, err, r.Body)
		}
		r = e.get("/open311/v2/requests.xml", "Accept-Language", "en")
		doc = xmlErrors{}
		if err := xml.Unmarshal([]byte(r.Body), &doc); err != nil || r.Status != 403 || !strings.Contains(doc.Errors[0].Description, "give an api_key") {
			t.Fatalf("XML 403 in English: %d %v %s", r.Status, err, r.Body)
		}
		// What the server refuses before any handler (a path that is not
		// UTF-8, a cross-origin write) answers in the same format.
		r = e.get("/open311/v2/requests/%FF.xml")
		doc = xmlErrors{}
		if err := xml.Unmarshal([]byte(r.Body), &doc); err != nil || r.Status != 400 || len(doc.Errors) != 1 || !strings.Contains(doc.Errors[0].Description, "UTF-8") {
			t.Fatalf("non-UTF-8 path: %d %v %s", r.Status, err, r.Body)
		}
		r = e.post("/open311/v2/requests.json", good(), "Origin", "https://elsewhere.example", "Sec-Fetch-Site", "cross-site")
		if r.Status != 403 || !strings.HasPrefix(r.Body, `[{"code":403,"description":`) {
			t.Fatalf("cross-origin write: %d %s", r.Status, r.Body)
		}
		// A refused role: a handler may not report.
		dept, err := s.CreateOrganisation(context.Background(), civic.System, civic.Organisation{Name: "城管委", Kind: civic.OrgDepartment, RegionCode: codeCity})
		if err != nil {
			t.Fatal(err)
		}
		handler := e.mustToken("handler", civic.RoleHandler, civic.Scope{RegionCode: codeCity, OrgID: dept.ID})
		if r := e.post("/open311/v2/requests.json", good("api_key", handler)); r.Status != 403 {
			t.Fatalf("handler reports: %d %s", r.Status, r.Body)
		}
	})
}

// TestOpen311LongNames: first_name and last_name of 50 characters each are
// a valid request; joined (with a space between Latin halves) they outgrow
// the 100 characters a case keeps, and the name is clipped, not refused.
func TestOpen311LongNames(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		e := mustEnv(t, s, clock)
		for _, tc := range []struct {
			name, first, last, want string
		}{
			{"Latin 50 + 50", strings.Repeat("a", 50), strings.Repeat("b", 50), strings.Repeat("a", 50) + " " + strings.Repeat("b", 48) + "…"},
			{"Chinese 50 + 50", strings.Repeat("明", 50), strings.Repeat("王", 50), strings.Repeat("王", 50) + strings.Repeat("明", 50)},
			{"Latin 49 + 50", strings.Repeat("a", 49), strings.Repeat("b", 50), strings.Repeat("a", 49) + " " + strings.Repeat("b", 50)},
		} {
			c := e.mustCase(e.mustFile(url.Values{"service_code": {"0101"}, "lat": {"39.95"}, "long": {"116.35"}, "description": {"路灯坏了"},
				"first_name": {tc.first}, "last_name": {tc.last}}))
			if c.ReporterName != tc.want || utf8.RuneCountInString(c.ReporterName) > store.MaxReporterName {
				t.Errorf("%s: reporter %q (%d characters), want %q", tc.name, c.ReporterName, utf8.RuneCountInString(c.ReporterName), tc.want)
			}
		}
	})
}

// TestOpen311RetryWithoutKey: GeoReport v2 clients send no idempotency key
// and resend a POST whose answer they lost. The same parameters from the
// same account on the same China day return the first case (200); any
// other word, another account or another day is a new case.
func TestOpen311RetryWithoutKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		e := mustEnv(t, s, clock)
		form := url.Values{"api_key": {e.op}, "service_code": {"0101"}, "lat": {"39.95"}, "long": {"116.35"}, "description": {"路灯坏了"},
			"first_name": {"Anna"}, "last_name": {"Li"}, "attribute[fixmystreet_id]": {"1001"}}
		receipt := func(r response) string {
			t.Helper()
			rs := mustDecode[[]map[string]any](t, r)
			if len(rs) != 1 {
				t.Fatalf("receipt: %s", r.Body)
			}
			return rs[0]["service_request_id"].(string)
		}
		count := func() int {
			t.Helper()
			_, n, err := s.ListCases(context.Background(), civic.System, store.CaseFilter{})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		first := e.post("/open311/v2/requests.json", form)
		if first.Status != http.StatusCreated {
			t.Fatalf("first: %d %s", first.Status, first.Body)
		}
		id := receipt(first)
		// The retry, in the other format and language, is the same case.
		retry := e.post("/open311/v2/requests.xml?lang=en", form)
		if retry.Status != http.StatusOK || !strings.Contains(retry.Body, "<service_request_id>"+id+"</service_request_id>") || count() != 1 {
			t.Fatalf("retry: %d %s (%d cases)", retry.Status, retry.Body, count())
		}
		// Anything else is another report.
		for _, change := range []struct{ name, value string }{
			{"attribute[fixmystreet_id]", "1002"}, {"description", "路灯坏了。"}, {"api_key", e.workerX},
		} {
			other := url.Values{}
			for k, v := range form {
				other[k] = v
			}
			other.Set(change.name, change.value)
			if r := e.post("/open311/v2/requests.json", other); r.Status != http.StatusCreated || receipt(r) == id {
				t.Errorf("another %s: %d %s", change.name, r.Status, r.Body)
			}
		}
		// The same words tomorrow are a new report.
		clock.Advance(24 * time.Hour)
		if r := e.post("/open311/v2/requests.json", form); r.Status != http.StatusCreated || receipt(r) == id {
			t.Fatalf("the next day: %d %s", r.Status, r.Body)
		}
		if n := count(); n != 5 {
			t.Fatalf("%d cases, want 5", n)
		}
	})
}

// TestOpen311FormatCase: the format extension is read in any case, on
// every endpoint, with and without a wildcard; other extensions stay 404.
func TestOpen311FormatCase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		e := mustEnv(t, s, clock)
		r := e.post("/open311/v2/requests.JSON", url.Values{"api_key": {e.op}, "service_code": {"0101"}, "lat": {"39.95"}, "long": {"116.35"}, "description": {"路灯坏了"}})
		if r.Status != http.StatusCreated || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("POST requests.JSON: %d %s", r.Status, r.Body)
		}
		id := mustDecode[[]request](t, r)[0].ID
		for _, tc := range []struct{ path, contentType, says string }{
			{"/open311/v2/discovery.JSON", "application/json", `"endpoints"`},
			{"/open311/v2/discovery.Xml", "text/xml", "<discovery>"},
			{"/open311/v2/services.XML", "text/xml", "<service_code>0101</service_code>"},
			{"/open311/v2/services/0101.JSON", "application/json", `"service_code":"0101"`},
			{"/open311/v2/services/0101.XML", "text/xml", "<service_definition>"},
			{"/open311/v2/requests.Json?api_key=" + e.op, "application/json", id},
			{"/open311/v2/requests/" + id + ".XML?api_key=" + e.op, "text/xml", "<service_request_id>" + id},
		} {
			r := e.get(tc.path)
			if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), tc.contentType) || !strings.Contains(r.Body, tc.says) {
				t.Errorf("GET %s: %d %s %s", tc.path, r.Status, r.Header.Get("Content-Type"), r.Body)
			}
		}
		if r := e.do("DELETE", "/open311/v2/requests.JSON", nil); r.Status != 405 || r.Header.Get("Allow") != "GET, POST" {
			t.Errorf("DELETE requests.JSON: %d %q %s", r.Status, r.Header.Get("Allow"), r.Body)
		}
		if r := e.get("/open311/v2/services.XML", "Accept-Language", "en"); !strings.HasPrefix(r.Body, `<?xml`) {
			t.Errorf("services.XML is not XML: %s", r.Body)
		}
		for _, path := range []string{"/open311/v2/services.JSONP", "/open311/v2/services.Yaml", "/open311/v2/nothing.JSON"} {
			if r := e.get(path); r.Status != 404 || !strings.Contains(r.Body, `"code":404`) {
				t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
			}
		}
	})
}

// TestOpen311CORS: browser apps of the allowed origins may call Open311
// with their key — preflight answered, their origin named, never "*" nor
// credentials — and their calls never act through the session cookie.
// Other origins, other paths and a server without origins get nothing.
func TestOpen311CORS(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		const app = "https://app.example.org"
		e := mustEnvWith(t, s, clock, server.Config{Open311Origins: []string{app, "http://10.0.0.5:8081"}})
		vary := func(r response, want ...string) bool {
			got := strings.Join(r.Header.Values("Vary"), ", ")
			for _, w := range want {
				if !strings.Contains(got, w) {
					return false
				}
			}
			return true
		}
		noCredentials := func(name string, r response) {
			t.Helper()
			if r.Header.Get("Access-Control-Allow-Credentials") != "" || r.Header.Get("Access-Control-Allow-Origin") == "*" {
				t.Errorf("%s: credentials or *: %v", name, r.Header)
			}
		}

		// The preflight of a POST with a bearer token and a key.
		pre := e.do("OPTIONS", "/open311/v2/requests.json", nil, "Origin", app, "Sec-Fetch-Site", "cross-site",
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type,idempotency-key")
		if pre.Status != http.StatusNoContent || pre.Header.Get("Access-Control-Allow-Origin") != app ||
			pre.Header.Get("Access-Control-Allow-Methods") != "GET, POST" || !vary(pre, "Origin", "Access-Control-Request-Method") {
			t.Fatalf("preflight: %d %v", pre.Status, pre.Header)
		}
		for _, h := range []string{"Authorization", "Content-Type", "Idempotency-Key"} {
			if !strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), h) {
				t.Errorf("preflight does not allow %s: %q", h, pre.Header.Get("Access-Control-Allow-Headers"))
			}
		}
		noCredentials("preflight", pre)

		// The POST itself, then reads, from the app: its origin named.
		form := url.Values{"service_code": {"0101"}, "lat": {"39.95"}, "long": {"116.35"}, "description": {"路灯坏了"}}
		r := e.post("/open311/v2/requests.json", form, "Origin", app, "Sec-Fetch-Site", "cross-site", "Authorization", "Bearer "+e.op, "Idempotency-Key", "cors-1")
		if r.Status != http.StatusCreated || r.Header.Get("Access-Control-Allow-Origin") != app || !vary(r, "Origin") {
			t.Fatalf("cross-origin POST: %d %v %s", r.Status, r.Header, r.Body)
		}
		noCredentials("POST", r)
		id := mustDecode[[]request](t, r)[0].ID
		r = e.get("/open311/v2/requests.xml?api_key="+e.op, "Origin", "http://10.0.0.5:8081", "Sec-Fetch-Site", "cross-site")
		if r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != "http://10.0.0.5:8081" || !strings.Contains(r.Body, id) {
			t.Fatalf("cross-origin GET: %d %v %s", r.Status, r.Header, r.Body)
		}
		// Its errors are readable too.
		if r := e.get("/open311/v2/requests.json", "Origin", app, "Sec-Fetch-Site", "cross-site"); r.Status != 403 || r.Header.Get("Access-Control-Allow-Origin") != app {
			t.Fatalf("cross-origin error: %d %v %s", r.Status, r.Header, r.Body)
		}

		// The session cookie works same-origin and never from the app: a
		// page of an allowed site cannot act as whoever is signed in.
		session, err := s.CreateSession(context.Background(), e.users["integration"].ID, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		cookie := "cg_session=" + session
		if r := e.get("/open311/v2/requests.json", "Cookie", cookie); r.Status != 200 || !strings.Contains(r.Body, id) {
			t.Fatalf("same-origin session: %d %s", r.Status, r.Body)
		}
		if r := e.get("/open311/v2/requests.json", "Cookie", cookie, "Origin", app, "Sec-Fetch-Site", "cross-site"); r.Status != 403 || strings.Contains(r.Body, id) {
			t.Fatalf("cross-origin session read: %d %s", r.Status, r.Body)
		}
		if r := e.post("/open311/v2/requests.json", form, "Cookie", cookie, "Origin", app, "Sec-Fetch-Site", "same-site"); r.Status != 403 {
			t.Fatalf("cross-origin session write: %d %s", r.Status, r.Body)
		}

		// Another origin: no preflight answer, writes refused, nothing
		// allowed; another path: not Open311's to open.
		other := "https://evil.example.net"
		if r := e.do("OPTIONS", "/open311/v2/requests.json", nil, "Origin", other, "Access-Control-Request-Method", "POST"); r.Status == http.StatusNoContent ||
			r.Header.Get("Access-Control-Allow-Origin") != "" || !vary(r, "Origin") {
			t.Fatalf("preflight from another origin: %d %v", r.Status, r.Header)
		}
		if r := e.post("/open311/v2/requests.json", form, "Origin", other, "Sec-Fetch-Site", "cross-site", "Authorization", "Bearer "+e.op); r.Status != 403 ||
			r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("POST from another origin: %d %v %s", r.Status, r.Header, r.Body)
		}
		if r := e.get("/api/v1/cases", "Origin", app, "Sec-Fetch-Site", "cross-site", "Authorization", "Bearer "+e.op); r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("the JSON API opened to the app: %v", r.Header)
		}
		if r := e.do("OPTIONS", "/api/v1/cases", nil, "Origin", app, "Access-Control-Request-Method", "POST"); r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("JSON API preflight: %d %v", r.Status, r.Header)
		}

		// By default no origin is allowed: a preflight is a 405 without
		// CORS headers, as before.
		srv, err := server.New(context.Background(), server.Config{Store: s, AlertsEvery: -1, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("OPTIONS", "/open311/v2/requests.json", nil)
		req.Header.Set("Origin", app)
		req.Header.Set("Access-Control-Request-Method", "POST")
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Access-Control-Allow-Origin") != "" || rec.Header().Get("Vary") != "" {
			t.Fatalf("preflight without origins: %d %v", rec.Code, rec.Header())
		}
	})
}

// TestOpen311Paging: page and page_size walk the list newest first, each
// request once, whatever the cases' priority; a page past the end is
// empty; the service_request_id list pages too; bad values are refused in
// the specification's error format.
func TestOpen311Paging(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		e := mustEnv(t, s, clock)
		// The oldest is a deputy's, which civicgrid's own lists put first.
		if _, err := s.AddDeputy(context.Background(), civic.System, civic.Deputy{Phone: "13900009999", Name: "张代表", Title: "区人大代表"}); err != nil {
			t.Fatal(err)
		}
		want := []string{e.mustFile(url.Values{"service_code": {"0101"}, "lat": {"39.95"}, "long": {"116.35"}, "description": {"代表反映"}, "phone": {"13900009999"}})}
		if c := e.mustCase(want[0]); c.Priority != 1 {
			t.Fatalf("deputy's case: priority %d", c.Priority)
		}
		// Then pairs filed in the same instant.
		for i := range 6 {
			if i%2 == 0 {
				clock.Advance(time.Minute)
			}
			id := e.mustFile(url.Values{"service_code": {[]string{"0101", "0102"}[i%2]}, "lat": {"39.95"}, "long": {"116.35"}, "description": {fmt.Sprintf("第%d件", i)}})
			want = append([]string{id}, want...)
		}
		list := func(query string) []string {
			t.Helper()
			r := e.get("/open311/v2/requests.json?api_key=" + e.op + query)
			if r.Status != 200 {
				t.Fatalf("%s: %d %s", query, r.Status, r.Body)
			}
			var out []string
			for _, x := range mustDecode[[]request](t, r) {
				out = append(out, x.ID)
			}
			return out
		}
		if got := list(""); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("newest first: %v, want %v", got, want)
		}
		var paged []string
		for p := 1; p <= 3; p++ {
			got := list(fmt.Sprintf("&page=%d&page_size=3", p))
			if len(got) != []int{3, 3, 1}[p-1] {
				t.Fatalf("page %d: %v", p, got)
			}
			paged = append(paged, got...)
		}
		if strings.Join(paged, ",") != strings.Join(want, ",") {
			t.Fatalf("pages: %v, want %v", paged, want)
		}
		for _, tc := range []struct{ name, query, want string }{
			{"past the end", "&page=4&page_size=3", ""},
			{"page alone", "&page=2", ""},
			{"page_size alone", "&page_size=2", strings.Join(want[:2], ",")},
			{"with a filter", "&service_code=0102&page=2&page_size=2", want[4]},
			{"ids, first page", "&service_request_id=" + strings.Join(want[:5], ",") + "&page_size=2", strings.Join(want[:2], ",")},
			{"ids, last page", "&service_request_id=" + strings.Join(want[:5], ",") + "&page=3&page_size=2", want[4]},
			{"ids, past the end", "&service_request_id=" + strings.Join(want[:5], ",") + "&page=2", ""},
			{"spaces", "&page=+2+&page_size=3", strings.Join(want[3:6], ",")},
		} {
			if got := strings.Join(list(tc.query), ","); got != tc.want {
				t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
			}
		}
		// The list says how many it holds and where the next page is,
		// without repeating the key; the last page names none.
		for _, tc := range []struct{ query, total, next string }{
			{"&page_size=3&service_code=0101", "4", `</open311/v2/requests.json?page=2&page_size=3&service_code=0101>; rel="next"`},
			{"&page=2&page_size=3", "7", `</open311/v2/requests.json?page=3&page_size=3>; rel="next"`},
			{"&page=3&page_size=3", "7", ""},
			{"", "7", ""},
			{"&service_request_id=" + strings.Join(want[:5], ",") + "&page_size=2", "5",
				`</open311/v2/requests.json?page=2&page_size=2&service_request_id=` + url.QueryEscape(strings.Join(want[:5], ",")) + `>; rel="next"`},
		} {
			r := e.get("/open311/v2/requests.json?api_key=" + e.op + tc.query)
			if r.Status != 200 || r.Header.Get("X-Total-Count") != tc.total || r.Header.Get("Link") != tc.next {
				t.Errorf("%s: %d X-Total-Count %q Link %q, want %s and %q", tc.query, r.Status, r.Header.Get("X-Total-Count"), r.Header.Get("Link"), tc.total, tc.next)
			}
		}
		// An empty page is the specification's empty list.
		if r := e.get("/open311/v2/requests.xml?page=9&api_key=" + e.op); r.Status != 200 || !strings.Contains(r.Body, "<service_requests></service_requests>") {
			t.Errorf("empty page in XML: %d %s", r.Status, r.Body)
		}
		for _, tc := range []struct{ query, param string }{
			{"page=0", "page"}, {"page=-1", "page"}, {"page=two", "page"}, {"page=10001", "page"}, {"page=1.5", "page"},
			{"page_size=0", "page_size"}, {"page_size=1001", "page_size"}, {"page_size=1e3", "page_size"},
			{"page=99999999999999999999", "page"}, {"page=0&service_request_id=" + want[0], "page"},
		} {
			r := e.get("/open311/v2/requests.json?lang=en&api_key=" + e.op + "&" + tc.query)
			errs := mustDecode[[]struct {
				Code        int    `json:"code"`
				Description string `json:"description"`
			}](t, r)
			if r.Status != 400 || len(errs) != 1 || errs[0].Code != 400 || !strings.HasPrefix(errs[0].Description, tc.param+": must be a whole number from 1 to ") {
				t.Errorf("%s: %d %s", tc.query, r.Status, r.Body)
			}
		}
		r := e.get("/open311/v2/requests.xml?page_size=5000&api_key=" + e.op)
		var doc xmlErrors
		if err := xml.Unmarshal([]byte(r.Body), &doc); err != nil || r.Status != 400 || len(doc.Errors) != 1 || doc.Errors[0].Description != "page_size：应为 1 到 1000 之间的整数" {
			t.Errorf("page_size in XML: %d %v %s", r.Status, err, r.Body)
		}
	})
}
