package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// householdFixture is the case fixture with a compound (property company
// 安居物业) in community A, a building in grid A1 at a known point, and a
// house where 孙居民 — the resident account's name, phone 13955556666 —
// lives alone at 86.
type householdFixture struct {
	*caseFixture
	house  civic.House
	person civic.Person
	prop   civic.Organisation
}

func mustHouseholdFixture(tb testing.TB) *householdFixture {
	tb.Helper()
	ctx := context.Background()
	f := &householdFixture{caseFixture: mustCaseFixture(tb)}
	s := f.s
	var err error
	if f.prop, err = s.CreateOrganisation(ctx, civic.System, civic.Organisation{Name: "安居物业", Kind: civic.OrgPropertyCompany, RegionCode: streetA}); err != nil {
		tb.Fatal(err)
	}
	cp, err := s.SaveCompound(ctx, civic.System, civic.Compound{RegionCode: commA, Name: "幸福里小区", PropertyOrgID: f.prop.ID, Lng: gridA1Lng, Lat: gridA1Lat})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := s.SaveBuilding(ctx, civic.System, civic.Building{CompoundID: cp.ID, GridCode: gridA1, Name: "3号楼", Floors: 6, Units: 2, Lng: gridA1Lng, Lat: gridA1Lat})
	if err != nil {
		tb.Fatal(err)
	}
	if f.house, err = s.SaveHouse(ctx, civic.System, civic.House{BuildingID: b.ID, Unit: 1, Floor: 1, Number: "101"}); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.SaveHouse(ctx, civic.System, civic.House{BuildingID: b.ID, Unit: 1, Floor: 2, Number: "201"}); err != nil {
		tb.Fatal(err)
	}
	if f.person, err = s.SavePerson(ctx, civic.System, civic.Person{GridCode: gridA1, Name: "孙居民", BirthDate: "1940-01-01", Gender: civic.GenderFemale,
		Phone: "13955556666", Tags: []civic.Tag{civic.TagAlone, civic.TagParty}}, "入户登记"); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.LinkHouse(ctx, civic.System, civic.HouseLink{PersonID: f.person.ID, HouseID: f.house.ID, Relation: civic.RelationOwner}); err != nil {
		tb.Fatal(err)
	}
	phone := "13955556666"
	if _, err := s.UpdateUser(ctx, civic.System, f.users["resident"].ID, store.UserUpdate{Phone: &phone}); err != nil {
		tb.Fatal(err)
	}
	return f
}

func TestResidentReportsFromHome(t *testing.T) {
	f := mustHouseholdFixture(t)
	c := f.mustLogin(t, "resident")
	body := mustStatus(t, c.get("/report"), http.StatusOK)
	hid := strconv.FormatInt(f.house.ID, 10)
	mustContain(t, body, "问题在我家", `name="house_id" value="`+hid+`"`, "幸福里小区3号楼1单元101")
	key := mustFormKey(t, c, "/report")
	// No point on the map: the home places it.
	form := url.Values{"key": {key}, "title": {"家里水管漏水"}, "category_code": {"0102"}, "house_id": {hid}, "reporter_phone": {"13912345678"}}
	id, _ := mustReport(t, c, "/report", form)
	cs := f.mustCase(t, id)
	if cs.HouseID != f.house.ID || cs.PersonID != f.person.ID || cs.RegionCode != gridA1 || !cs.HasLocation || cs.Address != "幸福里小区3号楼1单元101" {
		t.Fatalf("filed from home: %+v", cs)
	}

	// Staff who read people in the grid see the household, masked, with
	// the tags that matter for the visit and links to the records.
	for _, who := range []string{"community", "worker"} {
		body = mustStatus(t, f.mustLogin(t, who).get(fmt.Sprintf("/cases/%d", id)), http.StatusOK)
		mustContain(t, body, `id="household"`, fmt.Sprintf(`href="/houses/%d"`, f.house.ID), fmt.Sprintf(`href="/people/%d"`, f.person.ID),
			"孙居民", "产权人", "139****6666", "80岁以上", "独居", "报事对象")
		mustNotContain(t, body, "13955556666", `<span class="tag tag-warn">党员</span>`, `<span class="tag tag-warn">60岁以上</span>`)
	}
	// A grid worker of another street does not see the case at all.
	mustStatus(t, f.mustLogin(t, "worker_b").get(fmt.Sprintf("/cases/%d", id)), http.StatusNotFound)

	// A department handler working a case at the house sees where, not who.
	n := url.Values{"key": {mustFormKey(t, c, "/report")}, "title": {"楼下占道经营"}, "category_code": {"0101"}, "house_id": {hid}, "reporter_phone": {"13912345678"}}
	did, _ := mustReport(t, c, "/report", n)
	body = mustStatus(t, f.mustLogin(t, "handler").get(fmt.Sprintf("/cases/%d", did)), http.StatusOK)
	mustContain(t, body, `id="household"`, "幸福里小区3号楼1单元101")
	mustNotContain(t, body, "139****6666", "13955556666", "/people/", "/houses/", "独居")

	// The house cannot be named by a resident who does not live there.
	other := f.mustLogin(t, "resident2")
	mustNotContain(t, mustStatus(t, other.get("/report"), http.StatusOK), "问题在我家")
	form = url.Values{"key": {mustFormKey(t, other, "/report")}, "title": {"x"}, "house_id": {hid}, "lng": {pointA1}, "lat": {latA1}}
	body = mustStatus(t, other.post("/report", form), http.StatusUnprocessableEntity)
	mustContain(t, body, "房屋不存在或不能选择")
}

func TestHotlineAndPatrolFileAtAHouse(t *testing.T) {
	f := mustHouseholdFixture(t)
	hid := strconv.FormatInt(f.house.ID, 10)
	op := f.mustLogin(t, "operator")
	// A form sent back (no title) offers the caller's homes by number.
	key := mustFormKey(t, op, "/cases/new?channel=hotline")
	form := url.Values{"key": {key}, "reporter_phone": {"13955556666"}, "category_code": {"0104"}}
	body := mustStatus(t, op.post("/cases/new?channel=hotline", form), http.StatusUnprocessableEntity)
	mustContain(t, body, "来电人登记的住址", `name="house_id" value="`+hid+`"`)
	form.Set("title", "家门口绿化带被毁")
	form.Set("house_id", hid)
	id, _ := mustReport(t, op, "/cases/new?channel=hotline", form)
	if cs := f.mustCase(t, id); cs.HouseID != f.house.ID || cs.PersonID != f.person.ID || cs.RegionCode != gridA1 {
		t.Fatalf("hotline at the caller's house: %+v", cs)
	}

	// A grid worker opens the form for a house, or finds one by address.
	w := f.mustLogin(t, "worker")
	body = mustStatus(t, w.get("/cases/new?channel=patrol&house="+hid), http.StatusOK)
	mustContain(t, body, `name="house_id" value="`+hid+`" checked`, `name="house_q"`)
	key = mustFormKey(t, w, "/cases/new?channel=patrol")
	form = url.Values{"key": {key}, "title": {"独居老人家中漏水"}, "category_code": {"0102"}, "house_q": {"3号楼1单元"}}
	body = mustStatus(t, w.post("/cases/new?channel=patrol", form), http.StatusUnprocessableEntity)
	mustContain(t, body, "找到多处房屋", "幸福里小区3号楼1单元101", "幸福里小区3号楼1单元201")
	form.Set("house_q", "1单元101")
	id, _ = mustReport(t, w, "/cases/new?channel=patrol", form)
	if cs := f.mustCase(t, id); cs.HouseID != f.house.ID || cs.Source != civic.SourcePatrol {
		t.Fatalf("patrol at a house: %+v", cs)
	}
	form.Set("house_q", "9号楼")
	form.Set("key", mustFormKey(t, w, "/cases/new?channel=patrol"))
	mustContain(t, mustStatus(t, w.post("/cases/new?channel=patrol", form), http.StatusUnprocessableEntity), "没有找到该地址的房屋")
}

func TestCompoundPlaceCode(t *testing.T) {
	f := mustHouseholdFixture(t)
	c := f.mustLogin(t, "community")
	body := mustStatus(t, c.get("/places"), http.StatusOK)
	mustContain(t, body, `name="compound_id"`, "幸福里小区（安居物业）")
	cps, _, err := f.s.ListCompounds(context.Background(), civic.System, store.PlaceFilter{})
	if err != nil || len(cps) != 1 {
		t.Fatalf("compounds %v %v", cps, err)
	}
	mustStatus(t, c.post("/places", url.Values{"compound_id": {strconv.FormatInt(cps[0].ID, 10)}}), http.StatusSeeOther)
	places, err := f.s.ListPlaceCodes(context.Background(), civic.System)
	if err != nil || len(places) != 1 || places[0].CompoundID != cps[0].ID || places[0].Name != "幸福里小区" || places[0].RegionCode != gridA1 {
		t.Fatalf("place codes %+v %v", places, err)
	}
	body = mustStatus(t, c.get("/places"), http.StatusOK)
	mustContain(t, body, `<span class="tag">幸福里小区</span>`)
}
