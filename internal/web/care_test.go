package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// TestCarePages walks the care pages: the grid worker's to-do list and its
// visit form, the party contact page, the rentals daily list and export,
// and the landlord's report form.
func TestCarePages(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	s := f.s
	b, err := s.SaveBuilding(ctx, civic.System, civic.Building{GridCode: gridA1, Name: "1号楼", Floors: 6, Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	var houses []civic.House
	for _, n := range []string{"101", "102"} {
		h, err := s.SaveHouse(ctx, civic.System, civic.House{BuildingID: b.ID, Unit: 1, Floor: 1, Number: n})
		if err != nil {
			t.Fatal(err)
		}
		houses = append(houses, h)
	}
	elder, err := s.SavePerson(ctx, civic.System, civic.Person{GridCode: gridA1, Name: "孙奶奶", BirthDate: "1940-02-02", Tags: []civic.Tag{civic.TagAlone}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkHouse(ctx, civic.System, civic.HouseLink{PersonID: elder.ID, HouseID: houses[0].ID, Relation: civic.RelationOwner}); err != nil {
		t.Fatal(err)
	}
	member, err := s.SavePerson(ctx, civic.System, civic.Person{GridCode: gridA1, Name: "党员甲", BirthDate: "1970-02-02", Tags: []civic.Tag{civic.TagParty}}, "")
	if err != nil {
		t.Fatal(err)
	}
	id := "41010219950301123"
	id += string(civic.IDCheckChar(id))
	today := civic.Today(s.Now())
	if _, err := s.ReportRental(ctx, civic.System, civic.Rental{HouseID: houses[1].ID, TenantName: "郑租客", IDNumber: id, From: today, To: today}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EvaluateCareRules(ctx, 100); err != nil {
		t.Fatal(err)
	}
	tasks, _, err := s.CareTasks(ctx, civic.System, store.CareTaskFilter{})
	if err != nil || len(tasks) != 1 {
		t.Fatalf("tasks %+v %v", tasks, err)
	}

	worker := f.mustLogin(t, "worker")
	body := mustStatus(t, worker.get("/care"), http.StatusOK)
	mustContain(t, body, "孙奶奶", "独居老人每30天走访", fmt.Sprintf(`action="/care/%d/visit"`, tasks[0].ID))
	mustContain(t, mustStatus(t, worker.get("/care?lang=en"), http.StatusOK), "Record a visit")
	mustStatus(t, worker.post(fmt.Sprintf("/care/%d/visit", tasks[0].ID), url.Values{"notes": {""}}), http.StatusUnprocessableEntity)
	// A refused visit or closing comes back open on its task with what
	// was typed and why (it was an empty form under a summary at the top).
	long := "老人独居，" + strings.Repeat("情况良好", 500)
	body = mustStatus(t, worker.post(fmt.Sprintf("/care/%d/visit", tasks[0].ID), url.Values{"notes": {long}}), http.StatusUnprocessableEntity)
	mustContain(t, body, long+"</textarea>", fmt.Sprintf(`<div id="notes-%d-err"><p class="field-error">`, tasks[0].ID), "不超过2000字")
	longNote := strings.Repeat("已搬走", 200)
	body = mustStatus(t, worker.post(fmt.Sprintf("/care/%d/close", tasks[0].ID), url.Values{"note": {longNote}}), http.StatusUnprocessableEntity)
	mustContain(t, body, `value="`+longNote+`"`, "不超过500字")
	mustStatus(t, worker.post(fmt.Sprintf("/care/%d/visit", tasks[0].ID), url.Values{"notes": {"身体尚好"}}), http.StatusSeeOther)
	mustContain(t, mustStatus(t, worker.get("/care"), http.StatusOK), "暂无关爱提醒")
	mustContain(t, mustStatus(t, worker.get("/care/rules"), http.StatusOK), "低保户每季度联系")

	street := f.mustLogin(t, "street")
	// The default rules apply everywhere: only the city's administrator
	// switches them, so street staff see their state, not a switch.
	rules := mustStatus(t, street.get("/care/rules"), http.StatusOK)
	mustContain(t, rules, "低保户每季度联系")
	mustNotContain(t, rules, `/active"`)
	mustContain(t, mustStatus(t, f.mustLogin(t, "admin").get("/care/rules"), http.StatusOK), `/active"`)
	mustStatus(t, street.post("/party/households", url.Values{"member_id": {strconv.FormatInt(member.ID, 10)}, "house_id": {"999999"}}), http.StatusUnprocessableEntity)
	mustStatus(t, street.post("/party/households", url.Values{"member_id": {strconv.FormatInt(member.ID, 10)}, "house_id": {strconv.FormatInt(houses[0].ID, 10)}}), http.StatusSeeOther)
	body = mustStatus(t, worker.get("/party"), http.StatusOK)
	mustContain(t, body, "党员甲", houses[0].Address, `action="/party/contacts"`)
	longNotes := strings.Repeat("住户反映楼道灯坏了", 120)
	body = mustStatus(t, worker.post("/party/contacts", url.Values{"member_id": {strconv.FormatInt(member.ID, 10)}, "house_id": {strconv.FormatInt(houses[0].ID, 10)}, "way": {"wechat"}, "notes": {longNotes}}), http.StatusUnprocessableEntity)
	mustContain(t, body, longNotes+"</textarea>", `<option value="wechat" selected>`, "情况记录不超过1000字")
	mustStatus(t, worker.post("/party/contacts", url.Values{"member_id": {strconv.FormatInt(member.ID, 10)}, "house_id": {strconv.FormatInt(houses[0].ID, 10)}, "way": {"phone"}}), http.StatusSeeOther)

	body = mustStatus(t, worker.get("/rentals?date="+today), http.StatusOK)
	mustContain(t, body, "郑租客", civic.MaskID(id))
	mustNotContain(t, body, id)
	csv := mustStatus(t, worker.get("/rentals/export.csv?date="+today), http.StatusOK)
	mustContain(t, csv, "\xef\xbb\xbf", "郑租客")
	mustNotContain(t, csv, id)

	resident := f.mustLogin(t, "resident")
	mustStatus(t, resident.get("/care"), http.StatusForbidden)
	mustStatus(t, resident.get("/rentals"), http.StatusForbidden)
	mustContain(t, mustStatus(t, resident.get("/rentals/new"), http.StatusOK), "您的账号尚未关联名下房屋")
	body = mustStatus(t, resident.post("/rentals/new", url.Values{"house_id": {strconv.FormatInt(houses[1].ID, 10)}, "tenant_name": {"王五"}, "id_number": {id}, "from": {today}, "to": {today}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "只能报备您名下的房屋")
	mustNotContain(t, body, id)
	// On a house they may report, a date typed wrong keeps what was
	// typed, the ID number included: 18 digits are not typed twice.
	other := "11010119900101001"
	other += string(civic.IDCheckChar(other))
	body = mustStatus(t, street.post("/rentals/new", url.Values{"house_id": {strconv.FormatInt(houses[0].ID, 10)}, "tenant_name": {"王五"}, "id_number": {other}, "from": {today}, "to": {"2020-01-01"}}), http.StatusUnprocessableEntity)
	mustContain(t, body, `value="`+other+`"`, `value="王五"`)
}
