package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestDuplicatesAPI: a draft and an existing case find their likely
// duplicates with the score's parts, only within the caller's scope: a
// report of the same problem 30 m away across the street border stays
// invisible to street A1's staff.
func TestDuplicatesAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		f.mustCategories()
		file := func(title, desc string, lng float64) civic.Case {
			r := f.do("POST", "/api/v1/cases", f.tokens[civic.RoleResident], map[string]any{"source": "resident", "category_code": "0101", "title": title,
				"description": desc, "lng": lng, "lat": 39.95})
			if r.Status != 201 {
				t.Fatalf("file %s: %d %s", title, r.Status, r.Body)
			}
			var c civic.Case
			r.decode(t, &c)
			return c
		}
		// A1 and B1 meet at 116.40.
		a := file("3号楼前路灯不亮", "3号楼门前路灯坏了，晚上一片漆黑", 116.4004)
		b := file("三号楼路灯坏了", "楼前路灯晚上不亮", 116.4002)
		c := file("3号楼前路灯不亮", "3号楼门前路灯坏了，晚上很黑甲", 116.3998)
		other := file("楼道堆放杂物", "2单元楼道里堆满纸箱", 116.4003)
		if c.RegionCode != gridB1 {
			t.Fatalf("c is in %s", c.RegionCode)
		}
		wantNumber := true // staff see case numbers, residents do not
		ids := func(r response) []int64 {
			t.Helper()
			if r.Status != 200 {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			var l struct{ Items []civic.Duplicate }
			r.decode(t, &l)
			var out []int64
			for _, d := range l.Items {
				if d.Match.Score <= 0 || d.Match.Text <= 0 || !d.Match.HasDistance || (d.Number != "") != wantNumber {
					t.Errorf("match lacks its parts: %+v", d)
				}
				out = append(out, d.ID)
			}
			return out
		}
		street := f.tokens[civic.RoleStreetStaff]
		got := ids(f.do("GET", fmt.Sprintf("/api/v1/cases/%d/duplicates", a.ID), street, nil))
		if fmt.Sprint(got) != fmt.Sprint([]int64{b.ID}) {
			t.Fatalf("street A1: duplicates of a = %v, want only b %d (c %d is in B1, other %d another issue)", got, b.ID, c.ID, other.ID)
		}
		got = ids(f.do("GET", fmt.Sprintf("/api/v1/cases/%d/duplicates", a.ID), f.admin, nil))
		if len(got) != 2 || got[0] != c.ID {
			t.Fatalf("city admin: c (same words) first, then b: %v", got)
		}
		if r := f.do("GET", fmt.Sprintf("/api/v1/cases/%d/duplicates", c.ID), street, nil); r.Status != http.StatusNotFound || strings.Contains(string(r.Body), "很黑甲") {
			t.Fatalf("outside case: %d %s", r.Status, r.Body)
		}
		if r := f.do("GET", fmt.Sprintf("/api/v1/cases/%d/duplicates", a.ID), f.tokens[civic.RoleResident], nil); r.Status != http.StatusForbidden {
			t.Fatalf("resident asks for a case's duplicates: %d", r.Status)
		}
		if r := f.do("GET", fmt.Sprintf("/api/v1/cases/%d/duplicates?radius_m=x", a.ID), street, nil); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad radius: %d", r.Status)
		}
		draft := map[string]any{"title": "3号楼路灯不亮了", "description": "晚上路灯坏了", "lng": 116.4001, "lat": 39.95, "category_code": "0101"}
		r := f.do("POST", "/api/v1/cases/duplicates", street, draft)
		got = ids(r)
		if len(got) != 2 || strings.Contains(string(r.Body), "很黑甲") || !strings.Contains(string(r.Body), "门前路灯坏了") {
			t.Fatalf("street A1 draft: %v %s", got, r.Body)
		}
		// A resident is shown nearby open cases to join (附议), titles only.
		r = f.do("POST", "/api/v1/cases/duplicates", f.tokens[civic.RoleResident], draft)
		wantNumber = false
		if got := ids(r); len(got) != 3 || strings.Contains(string(r.Body), "门前路灯坏了") {
			t.Fatalf("resident draft: %v %s", got, r.Body)
		}
		wantNumber = true
		for name, body := range map[string]map[string]any{
			"no text":       {"lng": 116.4, "lat": 39.95},
			"no place":      {"title": "路灯"},
			"half a point":  {"title": "路灯", "lng": 116.4},
			"unknown field": {"title": "路灯", "lng": 116.4, "lat": 39.95, "radius": 3},
		} {
			if r := f.do("POST", "/api/v1/cases/duplicates", street, body); r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		// Joining one (附议) takes the resident's point: a case ID alone,
		// or a point far away, does not open someone else's case.
		neighbour := f.mustUserToken("neighbour", civic.RoleResident, civic.Scope{RegionCode: gridB1})
		join := func(body map[string]any) response {
			return f.do("POST", fmt.Sprintf("/api/v1/cases/%d/join", a.ID), neighbour, body)
		}
		for name, tc := range map[string]struct {
			body map[string]any
			want int
		}{
			"no point":      {map[string]any{"note": "我也是"}, http.StatusUnprocessableEntity},
			"half a point":  {map[string]any{"lng": 116.4}, http.StatusUnprocessableEntity},
			"bad crs":       {map[string]any{"lng": 116.4, "lat": 39.95, "crs": "bd09"}, http.StatusUnprocessableEntity},
			"10 km away":    {map[string]any{"lng": 116.52, "lat": 39.95}, http.StatusNotFound},
			"off the globe": {map[string]any{"lng": 116.4, "lat": 95}, http.StatusUnprocessableEntity},
		} {
			if r := join(tc.body); r.Status != tc.want || strings.Contains(string(r.Body), "门前路灯坏了") {
				t.Errorf("join, %s: %d %s (want %d)", name, r.Status, r.Body, tc.want)
			}
		}
		r = join(map[string]any{"lng": 116.4001, "lat": 39.95, "note": "我也是"})
		var joined civic.Case
		r.decode(t, &joined)
		if r.Status != 200 || joined.ID != a.ID || joined.ReporterID != 0 || joined.ReporterName != "" {
			t.Fatalf("join from 30 m: %d %s", r.Status, r.Body)
		}
		// Street A1's staff cannot reach c, in B1, by joining it.
		if r := f.do("POST", fmt.Sprintf("/api/v1/cases/%d/join", c.ID), street, map[string]any{"lng": 116.3998, "lat": 39.95}); r.Status != http.StatusNotFound {
			t.Fatalf("staff joining a case out of scope: %d %s", r.Status, r.Body)
		}
	})
}
