package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// neighbourWorld is a viewer, a grid of theirs and a grid beside their
// scope, with a point in each and what names the neighbour's territory.
type neighbourWorld struct {
	name            string
	viewer          string // username
	own, neighbour  string // grid codes
	ownLng, nbLng   float64
	ownStaff        string // a grid staff member of own
	nbGridName      string
	nbStaff         string // a grid staff member of neighbour
	ownRegionInList string // a region name the viewer's grid table shows
}

// TestNeighbourGridPages: a grid worker of grid A1 opens the pages that
// read people, houses, cases and field work, with records of grid A2 — the
// other grid of the same community — beside their own; community staff of
// community A do the same beside community A′, the other community of
// street A. Lists and exports show the viewer's records and never the
// neighbour's; the neighbour's records answer 404, writes naming them are
// refused; the viewer's house lists a tenant registered beside without
// naming them.
func TestNeighbourGridPages(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	// Community A′ in the strip of street A east of community A.
	feats, err := store.ParseRegionFile([]byte(`{"type":"FeatureCollection","features":[` +
		`{"type":"Feature","properties":{"code":"110101001002","name":"幸福东社区"},"geometry":{"type":"Polygon","coordinates":[[[116.345,39.915],[116.35,39.915],[116.35,39.945],[116.345,39.945],[116.345,39.915]]]}},` +
		`{"type":"Feature","properties":{"code":"110101001002001","name":"幸福东社区第一网格"},"geometry":{"type":"Polygon","coordinates":[[[116.345,39.915],[116.35,39.915],[116.35,39.945],[116.345,39.945],[116.345,39.915]]]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ImportRegions(ctx, civic.System, feats); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.CreateStaff(ctx, civic.System, civic.Staff{GridCode: "110101001002001", Name: "吴东格", Position: civic.PositionFullTime, Phone: "13800000009", StartDate: "2025-01-01"}); err != nil {
		t.Fatal(err)
	}
	f.mustUser(t, "community", civic.RoleCommunityStaff, commA)
	for i, w := range []neighbourWorld{
		{name: "grid", viewer: "worker", own: gridA1, neighbour: gridA2, ownLng: 116.32, nbLng: 116.337, ownStaff: "张网格长",
			nbGridName: "幸福第二网格", nbStaff: "陈兼职", ownRegionInList: "幸福第一网格"},
		{name: "community", viewer: "community", own: gridA2, neighbour: "110101001002001", ownLng: 116.337, nbLng: 116.3475, ownStaff: "陈兼职",
			nbGridName: "幸福东社区", nbStaff: "吴东格", ownRegionInList: "幸福第二网格"},
	} {
		t.Run(w.name, func(t *testing.T) { checkNeighbourPages(t, f, w, i) })
	}
}

// checkNeighbourPages fills w's two grids and walks the viewer's pages; i
// keeps each world's names apart.
func checkNeighbourPages(t *testing.T, f *fixture, w neighbourWorld, i int) {
	ctx := context.Background()
	tag := []string{"甲", "乙"}[i]
	home := func(grid, building, name string, tags ...civic.Tag) (civic.Building, civic.House, civic.Person) {
		t.Helper()
		b, err := f.s.SaveBuilding(ctx, civic.System, civic.Building{GridCode: grid, Name: building, Floors: 6, Units: 2})
		if err != nil {
			t.Fatal(err)
		}
		h, err := f.s.SaveHouse(ctx, civic.System, civic.House{BuildingID: b.ID, Unit: 1, Floor: 1, Number: "101"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.s.SavePerson(ctx, civic.System, civic.Person{GridCode: grid, Name: name, BirthDate: "1940-02-02", Tags: tags}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.LinkHouse(ctx, civic.System, civic.HouseLink{PersonID: p.ID, HouseID: h.ID, Relation: civic.RelationOwner}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.RecordVisit(ctx, civic.System, civic.Visit{PersonID: p.ID, Notes: name + "的走访记录", VisitedAt: f.s.Now()}); err != nil {
			t.Fatal(err)
		}
		return b, h, p
	}
	_, ownHouse, own := home(w.own, tag+"本网格楼", tag+"赵本格", civic.TagAlone, civic.TagParty)
	nb, nh, neighbour := home(w.neighbour, tag+"邻网格楼", tag+"钱邻格", civic.TagAlone, civic.TagParty)
	// The neighbour also rents the worker's house, keeping their home in A2.
	if _, err := f.s.LinkHouse(ctx, civic.System, civic.HouseLink{PersonID: neighbour.ID, HouseID: ownHouse.ID, Relation: civic.RelationTenant}); err != nil {
		t.Fatal(err)
	}
	// Elders living alone and not yet visited get care tasks.
	for _, e := range []struct{ grid, name string }{{w.own, tag + "孙独居"}, {w.neighbour, tag + "李独居"}} {
		if _, err := f.s.SavePerson(ctx, civic.System, civic.Person{GridCode: e.grid, Name: e.name, BirthDate: "1940-02-02", Tags: []civic.Tag{civic.TagAlone}}, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.s.EvaluateCareRules(ctx, 100); err != nil {
		t.Fatal(err)
	}
	loc := f.s.NewLocator(0)
	file := func(title string, lng float64) civic.Case {
		t.Helper()
		c, _, err := f.s.SubmitCase(ctx, civic.System, loc, store.NewCase{Source: civic.SourceHotline, Title: title, ReporterPhone: "13900001111", HasLocation: true, Lng: lng, Lat: 39.92})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ownCase, neighbourCase := file(tag+"本网格井盖松动", w.ownLng), file(tag+"邻网格井盖松动", w.nbLng)
	if !civic.InSubtree(neighbourCase.RegionCode, w.neighbour) || !civic.InSubtree(ownCase.RegionCode, w.own) {
		t.Fatalf("cases filed in %s and %s", ownCase.RegionCode, neighbourCase.RegionCode)
	}

	worker := f.mustLogin(t, w.viewer)
	for _, c := range []struct {
		path string
		want []string // the worker's own records, shown
	}{
		{"/people", []string{own.Name}},
		{"/people?q=钱", nil},
		{"/people/export", []string{own.Name}},
		{"/people/export?kind=houses", []string{tag + "本网格楼"}},
		{"/compounds", nil},
		{"/care", []string{tag + "孙独居"}},
		{"/party", []string{own.Name}},
		{"/visits", nil}, // the worker's own visits
		{"/rentals", nil},
		{"/completeness", nil},
		{"/cases", []string{ownCase.Title}},
		{"/cases?q=井盖松动", []string{ownCase.Title}},
		{"/grids", []string{w.ownRegionInList}},
		{"/staff", []string{w.ownStaff}},
		{"/corrections", nil},
		{"/field", nil},
		{fmt.Sprintf("/houses/%d", ownHouse.ID), []string{own.Name, "其他网格登记的人员"}},
		{fmt.Sprintf("/people/%d", own.ID), []string{tag + "本网格楼"}},
	} {
		body := mustStatus(t, worker.get(c.path), http.StatusOK)
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", c.path, w)
			}
		}
		for _, leak := range []string{neighbour.Name, tag + "李独居", tag + "邻网格楼", neighbourCase.Title, w.nbStaff, w.nbGridName} {
			if strings.Contains(body, leak) {
				t.Errorf("%s shows the neighbour grid's %q", c.path, leak)
			}
		}
	}
	for _, path := range []string{
		fmt.Sprintf("/people/%d", neighbour.ID),
		fmt.Sprintf("/houses/%d", nh.ID),
		fmt.Sprintf("/buildings/%d", nb.ID),
		fmt.Sprintf("/cases/%d", neighbourCase.ID),
		fmt.Sprintf("/cases/%d/duplicates", neighbourCase.ID),
		"/regions/" + w.neighbour,
		"/map/card/" + w.neighbour,
	} {
		rec := worker.get(path)
		if rec.Code != http.StatusNotFound && rec.Code != http.StatusForbidden {
			t.Errorf("GET %s: status %d, want 404", path, rec.Code)
		}
		for _, leak := range []string{neighbour.Name, tag + "邻网格楼", neighbourCase.Title, w.nbGridName} {
			if strings.Contains(rec.Body.String(), leak) {
				t.Errorf("GET %s refused, showing %q", path, leak)
			}
		}
	}
	// Writes name the neighbour's records as if they were not there, and
	// change nothing; the same correction of the worker's own resident is
	// taken.
	correction := func(p civic.Person) url.Values {
		return url.Values{"person": {fmt.Sprint(p.ID)}, "name": {p.Name + "改"}, "gender": {"female"}, "birth_date": {"1940-02-02"},
			"id_type": {"resident"}, "residence_type": {"hukou"}, "reason": {"姓名登记有误"}}
	}
	mustStatus(t, worker.post("/corrections/new", correction(own)), http.StatusSeeOther)
	mustStatus(t, worker.post("/visits/new", url.Values{"person": {fmt.Sprint(own.ID)}, "notes": {"上门看望"}}), http.StatusSeeOther)
	mustStatus(t, worker.post(fmt.Sprintf("/cases/%d/act", ownCase.ID), url.Values{"action": {"comment"}, "note": {"请尽快处理"}}), http.StatusSeeOther)
	before, _, err := f.s.ListVisits(ctx, civic.System, store.VisitFilter{PersonID: neighbour.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		path string
		form url.Values
	}{
		{"/visits/new", url.Values{"person": {fmt.Sprint(neighbour.ID)}, "notes": {"上门看望"}}},
		{"/visits/new", url.Values{"house": {fmt.Sprint(nh.ID)}, "notes": {"上门看望"}}},
		{fmt.Sprintf("/cases/%d/act", neighbourCase.ID), url.Values{"action": {"comment"}, "note": {"请尽快处理"}}},
		{"/corrections/new", correction(neighbour)},
	} {
		rec := worker.post(w.path, w.form)
		if rec.Code == http.StatusSeeOther || rec.Code == http.StatusOK && !strings.Contains(rec.Body.String(), "不存在") {
			t.Errorf("POST %s %v: status %d, want it refused", w.path, w.form, rec.Code)
		}
		if strings.Contains(rec.Body.String(), neighbour.Name) || strings.Contains(rec.Body.String(), neighbourCase.Title) {
			t.Errorf("POST %s refused, showing the neighbour's record", w.path)
		}
	}
	after, _, err := f.s.ListVisits(ctx, civic.System, store.VisitFilter{PersonID: neighbour.ID})
	if err != nil {
		t.Fatal(err)
	}
	events, err := f.s.CaseEvents(ctx, civic.System, neighbourCase.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Note == "请尽快处理" {
			t.Errorf("the worker commented on the neighbour grid's case")
		}
	}
	if len(after) != len(before) {
		t.Errorf("the worker recorded a visit to the neighbour grid's resident")
	}
}
