package api

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestHotspotAPI: three residents report the same problem within metres
// over three days; staff see one 多人同诉 warning, another street's staff
// none; a grid worker may not merge it, community staff can.
func TestHotspotAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		f.mustCategories()
		now := clock.T
		for i := range 3 {
			clock.T = now.Add(-time.Duration(3-i) * 24 * time.Hour)
			tok := f.mustUserToken(fmt.Sprintf("neighbour%d", i), civic.RoleResident, civic.Scope{RegionCode: codeA1c})
			body := map[string]any{"source": "resident", "category_code": "0101", "title": "路灯不亮", "lng": 116.42 + float64(i)*0.0003, "lat": 39.95}
			if r := f.do("POST", "/api/v1/cases", tok, body); r.Status != 201 {
				t.Fatalf("file: %d %s", r.Status, r.Body)
			}
		}
		clock.T = now
		var got struct {
			Items []civic.Hotspot           `json:"items"`
			Total int                       `json:"total"`
			Found map[civic.HotspotKind]int `json:"found"`
		}
		r := f.do("GET", "/api/v1/insight/hotspots?radius_m=100&window_days=7&min_cases=3", f.tokens[civic.RoleCommunityStaff], nil)
		r.decode(t, &got)
		// The category does not "rise": there is no history to rise against.
		if r.Status != 200 || len(got.Items) != 1 || got.Items[0].Kind != civic.HotspotManyReporters || got.Items[0].Reporters != 3 ||
			got.Total != 1 || len(got.Found) != 1 || got.Found[civic.HotspotManyReporters] != 1 {
			t.Fatalf("hotspots: %d %s", r.Status, r.Body)
		}
		if r := f.do("GET", "/api/v1/insight/hotspots?per_kind=-1", f.tokens[civic.RoleCommunityStaff], nil); r.Status != 422 {
			t.Fatalf("a bad per_kind: %d %s", r.Status, r.Body)
		}
		if r := f.do("GET", "/api/v1/insight/hotspots?radius_m=x", f.tokens[civic.RoleCommunityStaff], nil); r.Status != 422 {
			t.Fatalf("a bad radius: %d %s", r.Status, r.Body)
		}
		if r := f.do("GET", "/api/v1/insight/hotspots?usual=yes", f.tokens[civic.RoleCommunityStaff], nil); r.Status != 422 || !strings.Contains(string(r.Body), "usual") {
			t.Fatalf("a bad usual: %d %s", r.Status, r.Body)
		}
		// Three cases alone in their place stand out with or without it.
		if r := f.do("GET", "/api/v1/insight/hotspots?radius_m=100&usual=0", f.tokens[civic.RoleCommunityStaff], nil); r.Status != 200 || len(decodeItems(t, r)) != 1 {
			t.Fatalf("usual=0: %d %s", r.Status, r.Body)
		}
		other := f.mustUserToken("b1staff", civic.RoleStreetStaff, civic.Scope{RegionCode: codeB1})
		if r := f.do("GET", "/api/v1/insight/hotspots", other, nil); r.Status != 200 || string(r.Body) == "" || len(decodeItems(t, r)) != 0 {
			t.Fatalf("another street: %d %s", r.Status, r.Body)
		}
		if r := f.do("GET", "/api/v1/insight/hotspots?scope="+codeA1, other, nil); r.Status != 404 {
			t.Fatalf("another street naming A1: %d %s", r.Status, r.Body)
		}
		var ids []int64
		for _, c := range got.Items[0].Cases {
			ids = append(ids, c.ID)
		}
		if r := f.do("POST", "/api/v1/insight/hotspots/merge", f.tokens[civic.RoleGridWorker], map[string]any{"case_ids": ids}); r.Status != 403 {
			t.Fatalf("a grid worker merging: %d %s", r.Status, r.Body)
		}
		if r := f.do("POST", "/api/v1/insight/hotspots/merge", other, map[string]any{"case_ids": ids}); r.Status != 404 {
			t.Fatalf("another street merging: %d %s", r.Status, r.Body)
		}
		// A proactive task for the hotspot: refused to a grid worker and to
		// another street, filed once for a dispatcher in scope.
		if r := f.do("POST", "/api/v1/insight/hotspots/task", f.tokens[civic.RoleGridWorker], map[string]any{"case_ids": ids}); r.Status != 403 {
			t.Fatalf("a grid worker filing a task: %d %s", r.Status, r.Body)
		}
		if r := f.do("POST", "/api/v1/insight/hotspots/task", other, map[string]any{"case_ids": ids}); r.Status != 404 {
			t.Fatalf("another street filing a task: %d %s", r.Status, r.Body)
		}
		var task, again civic.Case
		f.do("POST", "/api/v1/insight/hotspots/task", f.tokens[civic.RoleCommunityStaff], map[string]any{"case_ids": ids}).decode(t, &task)
		f.do("POST", "/api/v1/insight/hotspots/task", f.tokens[civic.RoleCommunityStaff], map[string]any{"case_ids": ids}).decode(t, &again)
		if task.ID == 0 || again.ID != task.ID || task.Source != civic.SourcePatrol {
			t.Fatalf("task %+v, again %d", task, again.ID)
		}
		r = f.do("POST", "/api/v1/insight/hotspots/merge", f.tokens[civic.RoleCommunityStaff], map[string]any{"case_ids": ids})
		var kept civic.Case
		r.decode(t, &kept)
		if r.Status != 200 || kept.ID != ids[0] {
			t.Fatalf("merge: %d %s", r.Status, r.Body)
		}
		if r := f.do("GET", fmt.Sprintf("/api/v1/cases/%d/reporters", kept.ID), f.tokens[civic.RoleCommunityStaff], nil); r.Status != 200 || len(decodeItems(t, r)) != 2 {
			t.Fatalf("co-reporters of the kept case: %d %s", r.Status, r.Body)
		}
	})
}

func decodeItems(t *testing.T, r response) []map[string]any {
	t.Helper()
	var l struct {
		Items []map[string]any `json:"items"`
	}
	r.decode(t, &l)
	return l.Items
}
