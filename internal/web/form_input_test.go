package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// TestFormInputEdges: what a hand-made request can put in a form is
// refused in the user's words or cleaned, never stored as is or answered
// with a server error: NaN and Inf for numbers, invisible control
// characters, Go's own error text, an address of a page's length.
func TestFormInputEdges(t *testing.T) {
	f := mustCaseFixture(t)
	comm := f.mustLogin(t, "community")
	for _, v := range []string{"NaN", "nan", "Inf", "-Inf", "1e999"} {
		rec := comm.post("/places", url.Values{"name": {"东门"}, "region_code": {commA}, "lng": {v}, "lat": {"39.92"}})
		mustStatus(t, rec, http.StatusUnprocessableEntity)
	}
	if rec := comm.post("/places", url.Values{"name": {"幸福里\x01东门\u202e\x7f"}, "region_code": {commA}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("create place: %d %s", rec.Code, rec.Body.String())
	}
	list := mustStatus(t, comm.get("/places"), http.StatusOK)
	mustContain(t, list, "幸福里东门")
	mustNotContain(t, list, "\u202e", "\x01")
	mustContain(t, mustStatus(t, comm.post("/places", url.Values{"name": {"西门"}, "region_code": {commA}, "address": {strings.Repeat("长", 201)}}),
		http.StatusUnprocessableEntity), "地址不超过200字")

	admin := f.mustLogin(t, "admin")
	body := mustStatus(t, admin.post("/calendar/2026", url.Values{"json": {"not json"}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "日历格式有误：不是有效的日历 JSON")
	mustNotContain(t, body, "invalid calendar")
	body = mustStatus(t, admin.post("/calendar/2026?lang=en", url.Values{"json": {`{"year": 2026, "holidays": "x"}`}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "the calendar is not valid: holidays:")
	mustNotContain(t, body, "日历格式有误")
	mustContain(t, mustStatus(t, admin.post("/organisations/new", url.Values{"name": {"某公司"}, "kind": {"property_company"}, "region_code": {streetA},
		"address": {strings.Repeat("路", 300)}}), http.StatusUnprocessableEntity), "地址不超过200字")
	// The English error page joins its messages with an English semicolon.
	body = mustStatus(t, admin.post("/cases/999999/act?lang=en", url.Values{"action": {"close"}}), http.StatusNotFound)
	mustNotContain(t, body, "；")
}

// TestLinkedOrganisations: a record is linked to an organisation in the
// user's scope or one whose jurisdiction covers the record, and the form
// offers exactly those; another district's organisation is refused with
// the same words as one that does not exist.
func TestLinkedOrganisations(t *testing.T) {
	f := mustCaseFixture(t)
	ctx := context.Background()
	near, err := f.s.CreateOrganisation(ctx, civic.System, civic.Organisation{Name: "东风物业", Kind: civic.OrgPropertyCompany, RegionCode: streetA})
	if err != nil {
		t.Fatal(err)
	}
	far, err := f.s.CreateOrganisation(ctx, civic.System, civic.Organisation{Name: "西湖物业", Kind: civic.OrgPropertyCompany, RegionCode: streetB})
	if err != nil {
		t.Fatal(err)
	}
	comm := f.mustLogin(t, "community")
	form := mustStatus(t, comm.get("/compounds/new"), http.StatusOK)
	mustContain(t, form, "东风物业")
	mustNotContain(t, form, "西湖物业")
	mustContain(t, mustStatus(t, comm.get("/staff/new"), http.StatusOK), "城市管理委员会", "东风物业")

	compound := func(org int64) *http.Response {
		rec := comm.post("/compounds/new", url.Values{"name": {"幸福里" + strconv.FormatInt(org, 10)}, "region_code": {commA}, "property_org_id": {strconv.FormatInt(org, 10)}})
		return rec.Result()
	}
	if r := compound(near.ID); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("compound with the street's company: %d", r.StatusCode)
	}
	if r := compound(far.ID); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("compound with another street's company: %d", r.StatusCode)
	}
	staff := func(org int64) (int, string) {
		rec := comm.post("/staff/new", url.Values{"name": {"吴新人"}, "position": {"full_time"}, "grid_code": {gridA1}, "phone": {"13800001111"},
			"start_date": {"2024-01-01"}, "org_id": {strconv.FormatInt(org, 10)}})
		return rec.Code, rec.Body.String()
	}
	if code, body := staff(f.dept.ID); code != http.StatusSeeOther {
		t.Fatalf("staff of the district's department: %d %s", code, body)
	}
	code, farBody := staff(far.ID)
	_, noneBody := staff(987654)
	if code != http.StatusUnprocessableEntity || !strings.Contains(farBody, "所属组织不存在或不在您的管辖范围内") || !strings.Contains(noneBody, "所属组织不存在或不在您的管辖范围内") {
		t.Fatalf("staff of another street's company: %d", code)
	}
}

// TestLargeText: the age-friendly large text (适老化) is switched on and off
// from the menu or the footer, signed in or not, and stays on for the
// browser.
func TestLargeText(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident2")
	body := mustStatus(t, res.get("/my/cases"), http.StatusOK)
	mustContain(t, body, `href="/text/large"`, "大字模式")
	mustNotContain(t, body, "text-large")
	if rec := res.get("/text/large", "Referer", "http://example.com/my/cases"); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/my/cases" {
		t.Fatalf("switch on: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	body = mustStatus(t, res.get("/my/cases?lang=en"), http.StatusOK)
	mustContain(t, body, `class="no-js text-large"`, `href="/text/standard"`, "Standard text")
	res.get("/text/standard")
	mustNotContain(t, mustStatus(t, res.get("/my/cases"), http.StatusOK), "text-large")
}
