package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// fieldWorld adds to the fixture a grid worker in grid A1x and one in the
// neighbouring grid A1y, a building with a house in A1x and a person in it.
type fieldWorld struct {
	*fixture
	worker, neighbour string
	house             civic.House
	person            civic.Person
}

func mustFieldWorld(t *testing.T, s *store.Store, clock *testdb.Clock) *fieldWorld {
	t.Helper()
	ctx := context.Background()
	w := &fieldWorld{fixture: mustFixture(t, s, clock)}
	w.worker = w.mustUserToken("worker_x", civic.RoleGridWorker, civic.Scope{RegionCode: gridA1x})
	w.neighbour = w.mustUserToken("worker_y", civic.RoleGridWorker, civic.Scope{RegionCode: gridA1y})
	b, err := s.SaveBuilding(ctx, civic.System, civic.Building{GridCode: gridA1x, Name: "1号楼", Floors: 6, Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	if w.house, err = s.SaveHouse(ctx, civic.System, civic.House{BuildingID: b.ID, Unit: 1, Floor: 2, Number: "201", AreaM2: 60}); err != nil {
		t.Fatal(err)
	}
	if w.person, err = s.SavePerson(ctx, civic.System, civic.Person{GridCode: gridA1x, Name: "钱奶奶", BirthDate: "1942-05-06", Gender: civic.GenderFemale, Phone: "13600136000"}, ""); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestPatrolAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		w := mustFieldWorld(t, s, clock)
		if r := w.do("GET", "/api/v1/patrols/current", w.worker, nil); r.Status != http.StatusNotFound {
			t.Fatalf("no patrol yet: %d %s", r.Status, r.Body)
		}
		r := w.do("POST", "/api/v1/patrols", w.worker, nil)
		if r.Status != http.StatusCreated {
			t.Fatalf("start: %d %s", r.Status, r.Body)
		}
		var p civic.Patrol
		r.decode(t, &p)
		if r := w.do("POST", "/api/v1/patrols", w.worker, map[string]string{"grid_code": gridA1x}); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "巡查正在进行") {
			t.Fatalf("second start: %d %s", r.Status, r.Body)
		}
		if r := w.do("GET", "/api/v1/patrols/current", w.worker, nil); r.Status != http.StatusOK {
			t.Fatalf("current: %d %s", r.Status, r.Body)
		}
		base := fmt.Sprintf("/api/v1/patrols/%d", p.ID)
		clock.Advance(10 * time.Minute)
		var pts []map[string]any
		for i := 0; i < 5; i++ {
			pts = append(pts, map[string]any{"seq": i + 1, "lng": 116.42, "lat": 39.95 + 0.001*float64(i), "accuracy": 5, "at": p.StartedAt.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)})
		}
		for i, want := range []int{5, 0} {
			r := w.do("POST", base+"/track", w.worker, map[string]any{"points": pts})
			var got trackReply
			r.decode(t, &got)
			if r.Status != http.StatusOK || got.Added != want || got.Patrol.Points != 5 || got.Patrol.DistanceM < 440 || got.Patrol.DistanceM > 450 {
				t.Fatalf("track batch %d: %d %s", i, r.Status, r.Body)
			}
		}
		// Scope: the neighbouring grid's worker gets 404 everywhere; the
		// street's community staff reads but cannot add points.
		for _, c := range []struct{ method, path string }{{"GET", base}, {"GET", base + "/track"}, {"POST", base + "/stop"}, {"GET", base + "/findings"}} {
			if r := w.do(c.method, c.path, w.neighbour, nil); r.Status != http.StatusNotFound {
				t.Errorf("neighbour %s %s: %d", c.method, c.path, r.Status)
			}
		}
		community := w.tokens[civic.RoleCommunityStaff]
		if r := w.do("GET", base+"/track", community, nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"total":5`) {
			t.Fatalf("supervisor reads the track: %d %s", r.Status, r.Body)
		}
		if r := w.do("POST", base+"/track", community, map[string]any{"points": pts}); r.Status != http.StatusForbidden {
			t.Fatalf("supervisor adds points: %d", r.Status)
		}
		if r := w.do("GET", "/api/v1/patrols?mine=true", w.neighbour, nil); !strings.Contains(string(r.Body), `"total":0`) {
			t.Fatalf("neighbour's list: %s", r.Body)
		}

		r = w.do("POST", base+"/findings", w.worker, map[string]any{"text": "路灯不亮", "lng": 116.42, "lat": 39.95, "key": "f1"})
		if r.Status != http.StatusCreated {
			t.Fatalf("finding: %d %s", r.Status, r.Body)
		}
		var f civic.Finding
		r.decode(t, &f)
		caseURL := fmt.Sprintf("/api/v1/findings/%d/case", f.ID)
		if r := w.do("POST", caseURL, w.neighbour, nil); r.Status != http.StatusNotFound {
			t.Fatalf("neighbour files it: %d", r.Status)
		}
		var c1, c2 civic.Case
		r = w.do("POST", caseURL, w.worker, nil)
		if r.Status != http.StatusCreated {
			t.Fatalf("to case: %d %s", r.Status, r.Body)
		}
		r.decode(t, &c1)
		r = w.do("POST", caseURL, w.worker, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("second tap: %d %s", r.Status, r.Body)
		}
		r.decode(t, &c2)
		if c1.ID != c2.ID || c1.Source != civic.SourcePatrol || c1.RegionCode != gridA1x {
			t.Fatalf("cases %+v %+v", c1, c2)
		}

		clock.Advance(20 * time.Minute)
		r = w.do("POST", base+"/stop", w.worker, map[string]string{"note": "正常"})
		var done civic.Patrol
		r.decode(t, &done)
		if r.Status != http.StatusOK || done.Open() || done.Findings != 1 || done.Duration(clock.T) != 30*time.Minute {
			t.Fatalf("stop: %d %s", r.Status, r.Body)
		}
		if r := w.do("POST", base+"/track", w.worker, map[string]any{"points": pts}); r.Status != http.StatusConflict {
			t.Fatalf("points after stop: %d", r.Status)
		}
		if r := w.do("GET", "/api/v1/patrols?under="+codeA1+"&from=2026-03-10&to=2026-03-10", community, nil); !strings.Contains(string(r.Body), `"total":1`) {
			t.Fatalf("supervisor's list by day: %s", r.Body)
		}
	})
}

func TestVisitAndCorrectionAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		w := mustFieldWorld(t, s, clock)
		v := map[string]any{"person_id": w.person.ID, "notes": "血压偏高", "needs": "上门量血压", "next_visit": "2026-03-11"}
		if r := w.do("POST", "/api/v1/visits", w.neighbour, v); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("neighbour visits: %d %s", r.Status, r.Body)
		}
		if r := w.do("POST", "/api/v1/visits", w.worker, v); r.Status != http.StatusCreated {
			t.Fatalf("visit: %d %s", r.Status, r.Body)
		}
		if r := w.do("GET", "/api/v1/visits?due=true", w.worker, nil); !strings.Contains(string(r.Body), `"total":0`) {
			t.Fatalf("due today: %s", r.Body)
		}
		clock.Advance(24 * time.Hour)
		if r := w.do("GET", "/api/v1/visits?due=true&mine=true", w.worker, nil); !strings.Contains(string(r.Body), `"total":1`) || !strings.Contains(string(r.Body), "钱奶奶") {
			t.Fatalf("due tomorrow: %s", r.Body)
		}

		prop := map[string]any{"kind": "person", "target_id": w.person.ID, "changes": map[string]string{"phone": "13700137000", "tags": "alone"}, "reason": "走访发现换号"}
		if r := w.do("POST", "/api/v1/corrections", w.neighbour, prop); r.Status != http.StatusNotFound {
			t.Fatalf("neighbour proposes: %d %s", r.Status, r.Body)
		}
		r := w.do("POST", "/api/v1/corrections", w.worker, prop)
		if r.Status != http.StatusCreated || strings.Contains(string(r.Body), "13700137000") || !strings.Contains(string(r.Body), "137****7000") {
			t.Fatalf("propose: %d %s", r.Status, r.Body)
		}
		var c civic.Correction
		r.decode(t, &c)
		path := fmt.Sprintf("/api/v1/corrections/%d", c.ID)
		if r := w.do("GET", path, w.neighbour, nil); r.Status != http.StatusNotFound {
			t.Fatalf("neighbour reads: %d", r.Status)
		}
		if r := w.do("POST", path+"/review", w.worker, map[string]any{"approve": true}); r.Status != http.StatusForbidden {
			t.Fatalf("worker approves: %d", r.Status)
		}
		community := w.tokens[civic.RoleCommunityStaff]
		if r := w.do("GET", "/api/v1/corrections?state=pending", community, nil); !strings.Contains(string(r.Body), `"total":1`) {
			t.Fatalf("queue: %s", r.Body)
		}
		r = w.do("POST", path+"/review", community, map[string]any{"approve": true, "note": "已核实"})
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"state":"approved"`) {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		if p, _ := s.GetPerson(context.Background(), civic.System, w.person.ID); p.Phone != "137****7000" {
			t.Fatalf("phone after approval %s", p.Phone)
		}
		if r := w.do("GET", "/api/v1/corrections?mine=true&state=approved", w.worker, nil); !strings.Contains(string(r.Body), "已核实") {
			t.Fatalf("proposer's outcome: %s", r.Body)
		}
	})
}
