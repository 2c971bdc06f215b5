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

// mustFieldFixture adds to the fixture a house and a resident in grid A1
// (the worker's grid) and a grid worker of grid A2.
func mustFieldFixture(t *testing.T) (*fixture, civic.House, civic.Person) {
	t.Helper()
	ctx := context.Background()
	f := mustFixture(t)
	b, err := f.s.SaveBuilding(ctx, civic.System, civic.Building{GridCode: gridA1, Name: "7号楼", Floors: 6, Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	h, err := f.s.SaveHouse(ctx, civic.System, civic.House{BuildingID: b.ID, Unit: 1, Floor: 3, Number: "302", AreaM2: 70})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.s.SavePerson(ctx, civic.System, civic.Person{GridCode: gridA1, Name: "孙阿姨", BirthDate: "1950-03-03", Gender: civic.GenderFemale, Phone: "13512345678"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.LinkHouse(ctx, civic.System, civic.HouseLink{PersonID: p.ID, HouseID: h.ID, Relation: civic.RelationOwner}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.CreateUser(ctx, civic.System, store.NewUser{Username: "worker2", DisplayName: "钱网格", Password: password, Role: civic.RoleGridWorker, Scope: civic.Scope{RegionCode: gridA2}}); err != nil {
		t.Fatal(err)
	}
	return f, h, p
}

func idAfter(t *testing.T, loc, prefix string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscanf(loc, prefix+"%d", &id); err != nil {
		t.Fatalf("location %q is not %s<id>", loc, prefix)
	}
	return id
}

func TestFieldWorkPages(t *testing.T) {
	f, _, person := mustFieldFixture(t)
	w := f.mustLogin(t, "worker")
	home := mustStatus(t, w.get("/field"), http.StatusOK)
	mustContain(t, home, "开始巡查", "field.css", `href="/visits/new"`, `href="/corrections/new"`)
	mustContain(t, mustStatus(t, w.get("/field?lang=en"), http.StatusOK), "Start patrol", "Visits due")

	// Start; a second start leads back to the same patrol.
	rec := w.post("/patrols", nil)
	mustStatus(t, rec, http.StatusSeeOther)
	patrolURL := rec.Header().Get("Location")
	pid := idAfter(t, patrolURL, "/patrols/")
	if again := w.post("/patrols", nil); again.Header().Get("Location") != patrolURL {
		t.Fatalf("second start went to %q", again.Header().Get("Location"))
	}
	page := mustStatus(t, w.get(patrolURL), http.StatusOK)
	mustContain(t, page, `data-record="1"`, `action="/patrols/`+fmt.Sprint(pid)+`/findings"`, "field.js", "结束巡查")

	// A finding, then a case from it in one tap, once.
	mustStatus(t, w.post(patrolURL+"/findings", url.Values{"text": {"路面塌陷"}}), http.StatusSeeOther)
	mustStatus(t, w.post(patrolURL+"/findings", url.Values{"text": {""}}), http.StatusUnprocessableEntity)
	rec = w.post(patrolURL+"/findings", url.Values{"text": {"7号楼门口井盖缺失"}, "lng": {fmt.Sprint(gridA1Lng)}, "lat": {fmt.Sprint(gridA1Lat)}, "key": {newKey()}})
	mustStatus(t, rec, http.StatusSeeOther)
	fs, err := f.s.PatrolFindings(context.Background(), civic.System, pid)
	if err != nil || len(fs) != 2 {
		t.Fatalf("findings %+v %v", fs, err)
	}
	caseURL := fmt.Sprintf("/findings/%d/case", fs[1].ID)
	rec = w.post(caseURL, nil)
	mustStatus(t, rec, http.StatusSeeOther)
	caseLoc := rec.Header().Get("Location")
	if rec := w.post(caseURL, nil); rec.Header().Get("Location") != caseLoc {
		t.Fatalf("second tap went to %q, first to %q", rec.Header().Get("Location"), caseLoc)
	}
	mustContain(t, mustStatus(t, w.get(caseLoc), http.StatusOK), "7号楼门口井盖缺失")
	mustContain(t, mustStatus(t, w.get(patrolURL), http.StatusOK), "已转工单")

	// The other grid's worker sees none of it.
	other := f.mustLogin(t, "worker2")
	mustStatus(t, other.get(patrolURL), http.StatusNotFound)
	mustStatus(t, other.post(caseURL, nil), http.StatusNotFound)
	mustStatus(t, other.post(patrolURL+"/stop", nil), http.StatusNotFound)

	rec = w.post(patrolURL+"/stop", url.Values{"note": {"巡查完毕"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/field" {
		t.Fatalf("stop: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	mustContain(t, mustStatus(t, w.get("/field"), http.StatusOK), "巡查已结束", "开始巡查")

	// A visit, from the picker; due the same day it shows on the home.
	pick := mustStatus(t, w.get("/visits/new?q="+url.QueryEscape("孙阿姨")), http.StatusOK)
	mustContain(t, pick, fmt.Sprintf(`href="/visits/new?person=%d"`, person.ID))
	mustContain(t, mustStatus(t, w.get(fmt.Sprintf("/visits/new?person=%d", person.ID)), http.StatusOK), "孙阿姨", `name="notes"`)
	mustStatus(t, w.post("/visits/new", url.Values{"person": {fmt.Sprint(person.ID)}, "notes": {""}}), http.StatusUnprocessableEntity)
	mustStatus(t, w.post("/visits/new", url.Values{"person": {fmt.Sprint(person.ID)}, "notes": {"独自在家，精神好"}, "needs": {"助餐"}, "next_visit": {f.today()}}), http.StatusSeeOther)
	mustContain(t, mustStatus(t, w.get("/field"), http.StatusOK), "走访已记录", "孙阿姨", "助餐")
	mustStatus(t, other.post("/visits/new", url.Values{"person": {fmt.Sprint(person.ID)}, "notes": {"x"}}), http.StatusNotFound)

	// A correction: the form never shows the phone in clear.
	form := mustStatus(t, w.get(fmt.Sprintf("/corrections/new?person=%d", person.ID)), http.StatusOK)
	mustContain(t, form, `placeholder="135****5678"`, `name="reason"`)
	mustNotContain(t, form, "13512345678")
	posted := url.Values{"person": {fmt.Sprint(person.ID)}, "name": {"孙阿姨"}, "birth_date": {"1950-03-03"}, "gender": {"female"}, "id_type": {"resident"},
		"residence_type": {"hukou"}, "phone": {"13687654321"}, "tags": {"alone"}, "reason": {"走访发现电话已换"}}
	rec = w.post("/corrections/new", posted)
	mustStatus(t, rec, http.StatusSeeOther)
	corrURL := rec.Header().Get("Location")
	detail := mustStatus(t, w.get(corrURL), http.StatusOK)
	mustContain(t, detail, "136****4321", "独居", "待审核")
	mustNotContain(t, detail, "13687654321", `id="review-form"`)
	mustStatus(t, w.post(corrURL+"/review", url.Values{"decision": {"approve"}}), http.StatusForbidden)
	mustStatus(t, other.get(corrURL), http.StatusNotFound)

	// The street reviews: a rejection needs a note; the approval changes
	// the record and the worker sees the outcome.
	st := f.mustLogin(t, "street")
	mustContain(t, mustStatus(t, st.get("/corrections"), http.StatusOK), "孙阿姨")
	mustContain(t, mustStatus(t, st.get(corrURL), http.StatusOK), `id="review-form"`)
	mustStatus(t, st.post(corrURL+"/review", url.Values{"decision": {"reject"}}), http.StatusUnprocessableEntity)
	mustStatus(t, st.post(corrURL+"/review", url.Values{"decision": {"approve"}, "note": {"已核实"}}), http.StatusSeeOther)
	if p, _ := f.s.GetPerson(context.Background(), civic.System, person.ID); p.Phone != "136****4321" {
		t.Fatalf("phone after approval %s", p.Phone)
	}
	mustContain(t, mustStatus(t, w.get("/field"), http.StatusOK), "已采纳", "已核实")
	// Supervisors see the patrol on their list.
	mustContain(t, mustStatus(t, st.get("/patrols"), http.StatusOK), "赵网格")
	mustStatus(t, w.get("/patrols"), http.StatusForbidden)
}

func (f *fixture) today() string { return civic.Today(f.s.Now()) }

func TestCorrectionStaleNeedsOverwrite(t *testing.T) {
	f, h, _ := mustFieldFixture(t)
	w := f.mustLogin(t, "worker")
	rec := w.post("/corrections/new", url.Values{"house": {fmt.Sprint(h.ID)}, "unit": {"1"}, "floor": {"3"}, "number": {"302"}, "area_m2": {"75.5"}, "use": {"rented"}, "reason": {"已出租"}})
	mustStatus(t, rec, http.StatusSeeOther)
	corrURL := rec.Header().Get("Location")
	// Someone changes the house's use directly before the review.
	h.Use = civic.HouseVacant
	if _, err := f.s.SaveHouse(context.Background(), civic.System, h); err != nil {
		t.Fatal(err)
	}
	st := f.mustLogin(t, "street")
	mustContain(t, mustStatus(t, st.get(corrURL), http.StatusOK), "提交后已变更", `name="overwrite"`, "空置")
	body := mustStatus(t, st.post(corrURL+"/review", url.Values{"decision": {"approve"}}), http.StatusConflict)
	mustContain(t, body, "房屋用途")
	mustStatus(t, st.post(corrURL+"/review", url.Values{"decision": {"approve"}, "overwrite": {"1"}}), http.StatusSeeOther)
	got, _ := f.s.GetHouse(context.Background(), civic.System, h.ID)
	if got.Use != civic.HouseRented || got.AreaM2 != 75.5 || !strings.Contains(got.Address, "302") {
		t.Fatalf("house after approval %+v", got)
	}
}

// TestLeaderReadsVisitsOnly: a leader oversees (DESIGN.md §1). The visits
// page lists the grid's visits without links to the form or its button,
// and the form itself is refused; the grid worker who records visits gets
// both.
func TestLeaderReadsVisitsOnly(t *testing.T) {
	f, _, person := mustFieldFixture(t)
	f.mustUser(t, "leader", civic.RoleLeader, streetA)
	if _, err := f.s.RecordVisit(context.Background(), store.ActorOf(f.users["worker"], ""), civic.Visit{PersonID: person.ID, Notes: "血压平稳", NextVisit: civic.Today(f.s.Now())}); err != nil {
		t.Fatal(err)
	}
	l := f.mustLogin(t, "leader")
	page := mustStatus(t, l.get("/visits"), http.StatusOK)
	mustContain(t, page, "孙阿姨", "血压平稳")
	mustNotContain(t, page, "/visits/new")
	mustStatus(t, l.get("/visits/new"), http.StatusForbidden)
	mustStatus(t, l.post("/visits/new", url.Values{"person": {fmt.Sprint(person.ID)}, "notes": {"看望"}}), http.StatusForbidden)
	mustContain(t, mustStatus(t, f.mustLogin(t, "worker").get("/visits"), http.StatusOK), `href="/visits/new"`, `href="/visits/new?person=`)
}
