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
