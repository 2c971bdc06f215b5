package api

import (
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestJunkQueries sends every documented GET operation, as the city's
// administrator, each of its query parameters in turn with a wrong value
// (and its path parameters with a number, then with words): the answer may
// be a refusal, as JSON, never a server error. PostgreSQL refuses what
// SQLite quietly compares, so both engines run it.
func TestJunkQueries(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string `json:"name"`
				In     string `json:"in"`
				Schema struct {
					Type string   `json:"type"`
					Enum []string `json:"enum"`
				} `json:"schema"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for p, ops := range doc.Paths {
		// The notification stream stays open; its parameters are none.
		if _, ok := ops["get"]; ok && p != "/api/v1/notifications/stream" {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	param := regexp.MustCompile(`\{\w+\}`)
	junk := func(typ string) string {
		switch typ {
		case "integer", "number":
			return "-1x"
		case "boolean":
			return "maybe"
		}
		return "不存在<>'\"%_\\"
	}
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		sent := 0
		statuses := map[int]int{}
		check := func(path string) {
			t.Helper()
			r := f.do("GET", path, f.admin, nil)
			sent++
			statuses[r.Status]++
			if r.Status >= 500 {
				t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
			} else if r.Status >= 400 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Errorf("GET %s: %d as %q", path, r.Status, r.Header.Get("Content-Type"))
			}
		}
		for _, p := range paths {
			op := doc.Paths[p]["get"]
			for _, id := range []string{"1", "x1"} {
				base := param.ReplaceAllString(p, id)
				check(base)
				for _, q := range op.Parameters {
					if q.In != "query" {
						continue
					}
					v := junk(q.Schema.Type)
					if len(q.Schema.Enum) > 0 {
						v = "no-such-value"
					}
					check(base + "?" + url.Values{q.Name: {v}}.Encode())
				}
				if !param.MatchString(p) {
					break
				}
			}
		}
		t.Logf("%d requests with wrong values, answered %v", sent, statuses)
		if statuses[200] == 0 || statuses[422]+statuses[400] == 0 {
			t.Fatalf("the requests reached no handler: %v", statuses)
		}
	})
}

// TestJunkBodies: bodies and queries a careless or hostile client sends are
// refused with a message in words, naming the field, on both engines — a
// NUL character above all, which PostgreSQL refuses in text (it used to
// answer 500) — and nothing is written.
func TestJunkBodies(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		f.mustCategories()
		count := func() int {
			r := f.do("GET", "/api/v1/cases?limit=1", f.admin, nil)
			var l struct{ Total int }
			r.decode(t, &l)
			return l.Total
		}
		before := count()
		for name, tc := range map[string]struct {
			body  string
			field string // the field named, "" for a message alone
			says  string // in the Chinese message
		}{
			"NUL in a title":             {`{"source":"resident","category_code":"0101","title":"电梯\u0000坏了","region_code":"` + gridA1x + `"}`, "title", "控制字符"},
			"bell in a description":      {`{"source":"resident","category_code":"0101","title":"电梯坏了","description":"a\u0007b","region_code":"` + gridA1x + `"}`, "description", "控制字符"},
			"wrong type":                 {`{"source":"resident","category_code":"0101","title":"电梯坏了","lng":"east","lat":39.9}`, "lng", "应为数字"},
			"an array for an object":     {`[1]`, "", "应为一个对象"},
			"unknown field":              {`{"source":"resident","titel":"电梯坏了"}`, "titel", "没有这个字段"},
			"more after the JSON":        {`{"source":"resident","title":"电梯坏了","region_code":"` + gridA1x + `"} {"title":"x"}`, "", "多余内容"},
			"longitude without latitude": {`{"source":"resident","category_code":"0101","title":"电梯坏了","lng":116.4}`, "location", "经度和纬度"},
			"a Baidu point":              {`{"source":"resident","category_code":"0101","title":"电梯坏了","lng":116.4,"lat":39.9,"crs":"bd09"}`, "crs", "wgs84"},
			"not JSON":                   {`{"title":`, "", "不是有效的 JSON"},
			"larger than the limit":      {`{"title":"` + strings.Repeat("长", 1<<19) + `"}`, "", "过大"},
		} {
			r := f.do("POST", "/api/v1/cases", f.admin, []byte(tc.body))
			var e errorBody
			r.decode(t, &e)
			msg := e.Error.Message
			for _, fe := range e.Error.Fields {
				msg += " " + fe.Field + ":" + fe.Message
			}
			if r.Status != 422 && r.Status != 400 {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
				continue
			}
			if !strings.Contains(msg, tc.says) || (tc.field != "" && !strings.Contains(msg, tc.field+":")) {
				t.Errorf("%s: %s (want %q on %q)", name, msg, tc.says, tc.field)
			}
			// No Go in the message: type names, package paths, json: prefixes.
			for _, gone := range []string{"int64", "float64", "api.", "struct", "json:", "Go value"} {
				if strings.Contains(string(r.Body), gone) {
					t.Errorf("%s: the message names %q: %s", name, gone, r.Body)
				}
			}
		}
		for _, q := range []string{"lng=116.4&lat=39.9&crs=bd09", "lng=116.4&lat=39.9&radius=abc", "lng=116.4&lat=39.9&radius=-5", "lng=NaN&lat=39.9", "lng=1e308&lat=39.9"} {
			if r := f.do("GET", "/api/v1/cases/nearby?"+q, f.admin, nil); r.Status != 422 {
				t.Errorf("GET /api/v1/cases/nearby?%s: %d %s", q, r.Status, r.Body)
			}
		}
		// Numbers no one means, which PostgreSQL refuses or Go overflows.
		for _, p := range []string{"/api/v1/party/members?quiet_days=2147483648", "/api/v1/party/households?quiet_days=-1", "/api/v1/knowledge?offset=9223372036854775807&limit=10"} {
			if r := f.do("GET", p, f.admin, nil); r.Status >= 500 || (!strings.Contains(p, "knowledge") && r.Status != 422) {
				t.Errorf("GET %s: %d %s", p, r.Status, r.Body)
			}
		}
		cat := map[string]any{"code": "0199", "leaf": true, "name": "电动自行车棚", "type": "complaint", "sort": 2147483648,
			"handler": map[string]any{"target": "property"},
			"limits": map[string]any{"claim": map[string]any{"amount": 2, "unit": "work_hours"}, "feedback": map[string]any{"amount": 1, "unit": "work_days"},
				"complete": map[string]any{"amount": 5, "unit": "work_days"}, "visit": map[string]any{"amount": 2, "unit": "work_days"}},
			"yellow": 0.5, "red": 0.8}
		if r := f.do("POST", "/api/v1/categories", f.admin, cat); r.Status != 422 || !strings.Contains(string(r.Body), `"sort"`) {
			t.Errorf("a category's sort beyond int4: %d %s", r.Status, r.Body)
		}
		periods := make([]map[string]string, 5000)
		for i := range periods {
			periods[i] = map[string]string{"start": "09:00", "end": "12:00"}
		}
		if r := f.do("PUT", "/api/v1/calendar/periods", f.admin, map[string]any{"periods": periods}); r.Status != 422 || len(r.Body) > 2000 {
			t.Errorf("5,000 periods: %d, %d bytes", r.Status, len(r.Body))
		}
		for _, q := range []string{"q=1101%00", "q=%07", "phone=1%0A"} {
			if r := f.do("GET", "/api/v1/cases?"+q, f.admin, nil); r.Status != 422 || !strings.Contains(string(r.Body), "控制字符") {
				t.Errorf("GET /api/v1/cases?%s: %d %s", q, r.Status, r.Body)
			}
		}
		if after := count(); after != before {
			t.Fatalf("refused bodies wrote %d cases", after-before)
		}
		// A line break in a description is text, not junk.
		r := f.do("POST", "/api/v1/cases", f.admin, []byte(`{"source":"resident","category_code":"0101","title":"电梯坏了","description":"一楼\n二楼\t三楼","region_code":"`+gridA1x+`"}`))
		if r.Status != 201 {
			t.Fatalf("a description with a line break and a tab: %d %s", r.Status, r.Body)
		}
	})
}
