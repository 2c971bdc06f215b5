package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

const (
	webClearID    = "11010519491231002X"
	webClearPhone = "13800138000"
)

// mustMasked fails when a page shows an ID or phone number in clear.
func mustMasked(tb testing.TB, what, body string) {
	tb.Helper()
	if strings.Contains(body, "19491231002") || strings.Contains(body, webClearPhone) {
		tb.Fatalf("%s shows a number in clear", what)
	}
}

// mustRedirect posts a form and returns where it was sent.
func mustRedirect(tb testing.TB, c *client, path string, form url.Values) string {
	tb.Helper()
	rec := c.post(path, form)
	if rec.Code != http.StatusSeeOther {
		tb.Fatalf("POST %s: status %d:\n%s", path, rec.Code, truncate(rec.Body.String()))
	}
	return rec.Header().Get("Location")
}

func (f *fixture) mustUser(tb testing.TB, username string, role civic.Role, region string) {
	tb.Helper()
	u, err := f.s.CreateUser(context.Background(), civic.System, store.NewUser{Username: username, DisplayName: username, Password: password, Role: role, Scope: civic.Scope{RegionCode: region}})
	if err != nil {
		tb.Fatal(err)
	}
	f.users[username] = u
}

// TestPeopleAndHousesPages walks the people-and-houses pages as community
// staff: a compound, a building and its floor plan, a person refused for a
// bad check digit then registered, linked to a house, found, unmasked with
// a reason and moved out; then as a grid worker of the grid and of another
// grid. No page but the unmask answer shows the numbers in clear.
func TestPeopleAndHousesPages(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	f.mustUser(t, "community", civic.RoleCommunityStaff, commA)
	f.mustUser(t, "worker2", civic.RoleGridWorker, gridA2)
	staff := f.mustLogin(t, "community")

	// Places: a compound, a building of 3 floors × 2 units, two houses.
	loc := mustRedirect(t, staff, "/compounds/new", url.Values{"name": {"幸福里小区"}, "region_code": {commA}, "address": {"幸福路1号"}, "lng": {"116.32"}, "lat": {"39.92"}})
	compound := mustStatus(t, staff.get(loc), http.StatusOK)
	mustContain(t, compound, "幸福里小区", "幸福路1号", "/buildings/new?compound=")
	compoundID := strings.TrimPrefix(loc, "/compounds/")
	body := mustStatus(t, staff.post("/buildings/new", url.Values{"compound_id": {compoundID}, "grid_code": {gridA1}, "name": {"3号楼"}, "floors": {"三"}, "units": {"2"}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "层数应为整数")
	// Every mistake at once: a number typed as text does not hide the
	// others.
	body = mustStatus(t, staff.post("/buildings/new", url.Values{"compound_id": {compoundID}, "grid_code": {gridA1}, "name": {""}, "floors": {"三"}, "units": {"99"}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "层数应为整数", "请填写楼栋名称", "单元数应为1到50")
	buildingURL := mustRedirect(t, staff, "/buildings/new", url.Values{"compound_id": {compoundID}, "grid_code": {gridA1}, "name": {"3号楼"}, "floors": {"3"}, "units": {"2"}})
	buildingID := strings.TrimPrefix(buildingURL, "/buildings/")
	body = mustStatus(t, staff.post("/houses/new", url.Values{"building_id": {buildingID}, "unit": {"abc"}, "floor": {"1"}, "number": {""}, "use": {"zz"}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "单元应为整数", "请填写门牌号", "房屋用途应为")
	mustRedirect(t, staff, "/houses/new", url.Values{"building_id": {buildingID}, "unit": {"1"}, "floor": {"1"}, "number": {"101"}, "area_m2": {"78.5"}, "use": {"own"}})
	mustRedirect(t, staff, "/houses/new", url.Values{"building_id": {buildingID}, "unit": {"2"}, "floor": {"3"}, "number": {"302"}, "use": {"vacant"}})
	body = mustStatus(t, staff.post("/houses/new", url.Values{"building_id": {buildingID}, "unit": {"1"}, "floor": {"1"}, "number": {"101"}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "已有门牌号")
	plan := mustStatus(t, staff.get(buildingURL), http.StatusOK)
	mustContain(t, plan, `id="floor-plan"`, "house-vacant", "house-empty", "/houses/new?building="+buildingID+"&unit=1&floor=3")
	if strings.Index(plan, "3层") > strings.Index(plan, "1层") {
		t.Error("the floor plan does not start at the top floor")
	}
	houses, _, err := f.s.ListHouses(ctx, civic.System, store.PlaceFilter{Page: store.Page{Limit: 10}})
	if err != nil || len(houses) != 2 {
		t.Fatalf("houses %v %v", houses, err)
	}
	house := fmt.Sprintf("/houses/%d", houses[0].ID)

	// A bad check digit is refused under its field; nothing is written.
	form := url.Values{"name": {"王秀英"}, "grid_code": {gridA1}, "id_type": {"resident"}, "id_number": {"110105194912310021"}, "phone": {"138 0013 8000"},
		"residence_type": {"hukou"}, "tags": {"alone"}, "reason": {"入户登记"}}
	body = mustStatus(t, staff.post("/people/new", form), http.StatusUnprocessableEntity)
	mustContain(t, body, "身份证号校验位错误", `id="id_number" name="id_number" value="110105194912310021"`)
	if _, n, _ := f.s.ListPeople(ctx, civic.System, store.PeopleFilter{}); n != 0 {
		t.Fatal("a refused person was saved")
	}
	form.Set("id_number", webClearID)
	person := mustRedirect(t, staff, "/people/new", form)
	body = mustStatus(t, staff.get(person), http.StatusOK)
	mustMasked(t, "person page", body)
	mustContain(t, body, "1****************X", "138****8000", "独居", "60岁以上", `action="`+person+`/unmask"`)

	// Link to a house from the house page's search.
	body = mustStatus(t, staff.get(house+"?q=王秀英"), http.StatusOK)
	mustMasked(t, "house search", body)
	mustContain(t, body, "王秀英", `action="`+house+`/link"`)
	personID := strings.TrimPrefix(person, "/people/")
	mustRedirect(t, staff, house+"/link", url.Values{"person_id": {personID}, "relation": {"owner"}, "move_in": {"2001-06-01"}})
	body = mustStatus(t, staff.get(house), http.StatusOK)
	mustMasked(t, "house page", body)
	mustContain(t, body, `id="household-current"`, "王秀英", "产权人", "2001-06-01", "138****8000")
	mustContain(t, mustStatus(t, staff.get(buildingURL), http.StatusOK), "house-occupied")
	body = mustStatus(t, staff.post(house+"/link", url.Values{"person_id": {personID}, "relation": {"family"}}), http.StatusConflict)
	mustContain(t, body, "已登记在该房屋")

	// Search by name, by phone and by tag; every result masked (the
	// results alone: the search box shows what was typed).
	for _, q := range []string{"?q=秀英", "?q=138-0013-8000", "?q=" + webClearID, "?tag=alone&under=" + gridA1} {
		body := mustStatus(t, staff.get("/people"+q, "HX-Request", "true"), http.StatusOK)
		mustMasked(t, "search "+q, body)
		mustContain(t, body, person, "幸福里小区3号楼1单元101")
	}

	// The search form posts: a number search answers in place and keeps
	// the number out of every URL (pager links included); a name search
	// is sent back to its GET address.
	rec := staff.post("/people", url.Values{"q": {webClearPhone}, "tag": {""}})
	body = mustStatus(t, rec, http.StatusOK)
	mustContain(t, body, person)
	if strings.Contains(rec.Header().Get("Location")+rec.Header().Get("HX-Push-Url"), webClearPhone) {
		t.Fatal("a phone search put the number into a URL")
	}
	rec = staff.post("/people", url.Values{"q": {"秀英"}})
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/people?") {
		t.Fatalf("a name search by POST: %d %q", rec.Code, rec.Header().Get("Location"))
	}

	// The grid's worker reads but may not unmask; a worker of another
	// grid finds nothing and cannot open the pages.
	worker := f.mustLogin(t, "worker")
	body = mustStatus(t, worker.get(person), http.StatusOK)
	mustMasked(t, "worker's person page", body)
	mustNotContain(t, body, "/unmask", "/edit")
	mustStatus(t, worker.post(person+"/unmask", url.Values{"reason": {"核实身份"}}), http.StatusForbidden)
	mustStatus(t, worker.get(person+"/edit"), http.StatusForbidden)
	other := f.mustLogin(t, "worker2")
	for _, p := range []string{person, house, buildingURL, "/compounds/" + compoundID} {
		mustStatus(t, other.get(p), http.StatusNotFound)
	}
	for _, q := range []string{"?q=王秀英", "?q=" + webClearPhone, "?tag=alone"} {
		body := mustStatus(t, other.get("/people"+q, "HX-Request", "true"), http.StatusOK)
		mustNotContain(t, body, "王秀英", person)
	}

	// Unmasking needs a reason, shows the numbers in that answer only,
	// and is in the audit log.
	body = mustStatus(t, staff.post(person+"/unmask", url.Values{"reason": {""}}), http.StatusUnprocessableEntity)
	mustMasked(t, "refused unmask", body)
	mustContain(t, body, "查看完整号码须填写事由")
	body = mustStatus(t, staff.post(person+"/unmask", url.Values{"reason": {"办理高龄津贴核实身份"}}), http.StatusOK)
	mustContain(t, body, webClearID, webClearPhone)
	mustMasked(t, "the person page after an unmask", mustStatus(t, staff.get(person), http.StatusOK))
	admin := f.mustLogin(t, "admin")
	body = mustStatus(t, admin.get("/audit?action=person.unmask"), http.StatusOK)
	mustContain(t, body, "查看完整号码", "办理高龄津贴核实身份", "community")
	mustMasked(t, "audit", mustStatus(t, admin.get("/audit"), http.StatusOK))

	// Editing with the masked numbers keeps them; tags change with history.
	body = mustStatus(t, staff.get(person+"/edit"), http.StatusOK)
	mustMasked(t, "edit form", body)
	mustContain(t, body, `value="1****************X"`, `value="138****8000"`)
	form.Set("id_number", "1****************X")
	form.Set("phone", "138****8000")
	form["tags"] = []string{"alone", "dibao"}
	form.Set("reason", "低保审批通过")
	mustRedirect(t, staff, person+"/edit", form)
	id, phone, err := f.s.UnmaskPerson(ctx, civic.System, mustID(t, personID), "测试核对")
	if err != nil || id != webClearID || phone != webClearPhone {
		t.Fatalf("the edit changed the numbers: %q %q %v", id, phone, err)
	}
	mustContain(t, mustStatus(t, staff.get(person), http.StatusOK), "低保", "低保审批通过")

	// A case from the person's phone is on their page.
	c, _, err := f.s.SubmitCase(ctx, civic.System, f.s.NewLocator(0), store.NewCase{Source: civic.SourceHotline, Title: "楼道灯不亮", RegionCode: gridA1, ReporterPhone: webClearPhone})
	if err != nil {
		t.Fatal(err)
	}
	body = mustStatus(t, staff.get(person), http.StatusOK)
	mustContain(t, body, "楼道灯不亮", fmt.Sprintf("/cases/%d", c.ID))
	mustMasked(t, "person page with cases", body)

	// Completeness in the grid table, its export and the summary: gridA1
	// has 101 (resident) and 302 (vacant) → 100%, one person linked.
	body = mustStatus(t, staff.get("/grids"), http.StatusOK)
	mustContain(t, body, "房屋关联率", `title="2/2">100.0%`, `title="1/1">100.0%`)
	rec = staff.get("/grids/export.xlsx")
	rows, err := sheet.Read(rec.Body)
	if err != nil || len(rows) < 2 || rows[0][10] != "房屋数" || rows[1][0] != gridA1 || rows[1][10] != "2" || rows[1][12] != "100" {
		t.Fatalf("export %q %v", rows, err)
	}
	links, _ := f.s.Household(ctx, civic.System, houses[0].ID)
	// Another house's page cannot end this house's link.
	mustStatus(t, staff.post(fmt.Sprintf("/houses/%d/moveout", houses[1].ID), url.Values{"link_id": {fmt.Sprint(links[0].ID)}, "move_out": {"2026-03-01"}}), http.StatusNotFound)
	mustRedirect(t, staff, house+"/moveout", url.Values{"link_id": {fmt.Sprint(links[0].ID)}, "move_out": {"2026-03-01"}})
	body = mustStatus(t, staff.get(house), http.StatusOK)
	mustContain(t, body, `id="household-past"`, "2026-03-01", "尚未登记住户")
	body = mustStatus(t, staff.get("/completeness?level=grid"), http.StatusOK)
	mustContain(t, body, "幸福第一网格", "50.0%", "0.0%")
	body = mustStatus(t, staff.get("/completeness?level=community"), http.StatusOK)
	mustContain(t, body, "幸福社区", "50.0%")
}

func mustID(tb testing.TB, s string) int64 {
	tb.Helper()
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil {
		tb.Fatal(err)
	}
	return id
}

// TestPeopleNavigationByRole shows the people pages to the roles that read
// people and refuses them to the others.
func TestPeopleNavigationByRole(t *testing.T) {
	f := mustFixture(t)
	for _, tc := range []struct {
		user string
		nav  bool
	}{{"admin", true}, {"street", true}, {"worker", true}, {"resident", false}} {
		c := f.mustLogin(t, tc.user)
		body := c.get("/").Body.String()
		if strings.Contains(body, `href="/people"`) != tc.nav {
			t.Errorf("%s: people in nav = %v", tc.user, !tc.nav)
		}
		want := http.StatusOK
		if !tc.nav {
			want = http.StatusForbidden
		}
		for _, p := range []string{"/people", "/compounds", "/completeness"} {
			mustStatus(t, c.get(p), want)
		}
	}
	// Read-only roles see no write controls and cannot reach the forms.
	w := f.mustLogin(t, "worker")
	mustNotContain(t, mustStatus(t, w.get("/compounds"), http.StatusOK), "/compounds/new")
	mustStatus(t, w.get("/people/new"), http.StatusForbidden)
	mustStatus(t, w.post("/compounds/new", url.Values{"name": {"x"}}), http.StatusForbidden)
	// Both languages render.
	en := f.mustLogin(t, "street")
	en.get("/lang/en")
	mustContain(t, mustStatus(t, en.get("/people"), http.StatusOK), "Register a person")
	mustContain(t, mustStatus(t, en.get("/completeness"), http.StatusOK), "People–house linkage")
}
