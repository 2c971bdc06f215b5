package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// TestBrowserPeopleAndHouses drives the people-and-houses pages of the demo
// city in headless Chromium: community staff build a compound, a building
// and a house, see the floor plan (楼盘表), are refused a person with a bad
// check digit, register them, link them to the house, find them by name and
// phone, and unmask their numbers with a reason; the admin sees the unmask
// in the audit log; the grid worker of another grid cannot open the person
// and finds nothing. The person and house pages must fit a 375-px phone.
func TestBrowserPeopleAndHouses(t *testing.T) {
	chromiumPath(t) // skip before starting the demo when there is no browser
	base := startDemo(t)
	ctx := newBrowser(t, 1280, 900, 150*time.Second)
	text := func(sel string) string {
		t.Helper()
		return mustGet(t, ctx, "read "+sel, chromedp.Text(sel))
	}
	logout := func() {
		t.Helper()
		mustDo(t, ctx, "sign out", chromedp.Click(`form[action="/logout"] button`), chromedp.WaitVisible(`#username`))
	}
	submit := `main form.form button[type=submit]`
	const community = "110101001001"

	signIn(t, ctx, base, "community")
	// A compound of the community, a building in one of its grids other
	// than the demo grid worker's, a house from the floor plan's empty cell.
	mustDo(t, ctx, "new compound",
		chromedp.Navigate(base+"/compounds/new"), chromedp.WaitVisible(`#name`),
		chromedp.SendKeys(`#name`, "浏览器测试小区"), chromedp.SetValue(`#region_code`, community),
		chromedp.SendKeys(`#address`, "测试路1号"), chromedp.Click(submit), chromedp.WaitVisible(`a[href^="/buildings/new?compound="]`))
	mustDo(t, ctx, "new building",
		chromedp.Click(`a[href^="/buildings/new?compound="]`), chromedp.WaitVisible(`#grid_code`))
	grid := mustGet(t, ctx, "choose a grid", chromedp.Evaluate[string](`(() => { const s = document.querySelector("#grid_code");
			const o = [...s.options].find(o => o.value.startsWith("`+community+`") && o.value.length === 15 && o.value !== "`+community+`001");
			s.value = o.value; return o.value; })()`))
	mustDo(t, ctx, "save the building",
		chromedp.SendKeys(`#name`, "8号楼"), chromedp.SetValue(`#floors`, "3"), chromedp.SetValue(`#units`, "2"),
		chromedp.Click(submit), chromedp.WaitVisible(`#floor-plan`))
	if grid == "" {
		t.Fatal("the community has no second grid")
	}
	mustDo(t, ctx, "add a house from the floor plan",
		chromedp.Click(`#floor-plan a.plan-add[href$="unit=1&floor=1"]`), chromedp.WaitVisible(`#number`),
		chromedp.Click(submit), chromedp.WaitVisible(`#floor-plan a.plan-house.house-empty`))
	if s := text(`#floor-plan`); !strings.Contains(s, "101") || !strings.Contains(s, "未登记住户") || strings.Index(s, "3层") > strings.Index(s, "1层") {
		t.Fatalf("floor plan: %q", s)
	}
	mustDo(t, ctx, "open the house", chromedp.Click(`#floor-plan a.plan-house`), chromedp.WaitVisible(`#household-current`))
	houseURL := mustGet(t, ctx, "house URL", chromedp.Location())

	// A person: refused for the check digit, then registered.
	first17 := "11010119850612731"
	idNumber := first17 + string(civic.IDCheckChar(first17))
	bad := first17 + string("0123456789"[(strings.IndexByte("0123456789X", civic.IDCheckChar(first17))+1)%10])
	const name, phone = "测试居民甲", "13912340077"
	mustDo(t, ctx, "a bad check digit",
		chromedp.Navigate(base+"/people/new"), chromedp.WaitVisible(`#name`),
		chromedp.SendKeys(`#name`, name), chromedp.SetValue(`#grid_code`, grid),
		chromedp.SendKeys(`#id_number`, bad), chromedp.SendKeys(`#phone`, phone),
		chromedp.Click(submit), chromedp.WaitVisible(`#id_number-err .field-error`))
	if s := text(`#id_number-err`); !strings.Contains(s, "校验位") {
		t.Fatalf("check digit message %q", s)
	}
	// A field's refusal is tied to its control for screen readers, also
	// on forms whose template only marks it invalid (the account page).
	mustDo(t, ctx, "a bad phone on the account page",
		chromedp.Navigate(base+"/account"), chromedp.WaitVisible(`#phone`),
		chromedp.SetValue(`#phone`, "12ab"), chromedp.Submit(`#phone`), chromedp.WaitVisible(`#phone ~ .field-error`))
	tied := mustGet(t, ctx, "the phone's description", chromedp.Evaluate[string](`(function(){var i=document.getElementById("phone");
		return i.getAttribute("aria-invalid") + " " + (i.getAttribute("aria-describedby")||"").split(" ").map(function(id){var e=document.getElementById(id);return e?e.textContent.trim():"?"}).join("|")})()`))
	if !strings.HasPrefix(tied, "true ") || !strings.Contains(tied, "电话号码") {
		t.Errorf("the refused phone is not tied to its message: %q", tied)
	}
	mustDo(t, ctx, "fix the number",
		chromedp.Navigate(base+"/people/new"), chromedp.WaitVisible(`#name`),
		chromedp.SendKeys(`#name`, name), chromedp.SetValue(`#grid_code`, grid),
		chromedp.SetValue(`#id_number`, idNumber), chromedp.SendKeys(`#phone`, phone), chromedp.Click(submit), chromedp.WaitVisible(`#person-facts`))
	personURL := mustGet(t, ctx, "person URL", chromedp.Location())
	if s := text(`#person-id-number`); s != civic.MaskID(idNumber) {
		t.Fatalf("the person page shows %q", s)
	}

	// Link to the house, found from the house page in scope.
	mustDo(t, ctx, "link the person",
		chromedp.Navigate(houseURL+"?q="+name), chromedp.WaitVisible(`form[action$="/link"] button`),
		chromedp.Click(`form[action$="/link"] button`), chromedp.WaitVisible(`ul#household-current`))
	if s := text(`#household-current`); !strings.Contains(s, name) || !strings.Contains(s, civic.MaskPhone(phone)) || strings.Contains(s, phone) {
		t.Fatalf("household %q", s)
	}
	for _, q := range []string{name[len("测试"):], phone} {
		mustDo(t, ctx, "search "+q, chromedp.Navigate(base+"/people?q="+q), chromedp.WaitVisible(`#people-results a[href="`+strings.TrimPrefix(personURL, base)+`"]`))
		if s := text(`#people-results`); strings.Contains(s, phone) || strings.Contains(s, idNumber) {
			t.Fatalf("search results show a number in clear: %q", s)
		}
	}

	// The person and house pages fit a phone.
	mustDo(t, ctx, "phone width", chromedp.EmulateViewport(375, 812))
	for _, u := range []string{personURL, houseURL} {
		mustDo(t, ctx, "open "+u+" on a phone", chromedp.Navigate(u), chromedp.WaitVisible(`main h1`))
		overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		if err != nil {
			t.Fatal(err)
		}
		if overflow {
			wide, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + "." + e.className + "#" + e.id + ":" + Math.round(e.getBoundingClientRect().right)).join(" ")`))
			t.Logf("wide: %s", wide)
			t.Errorf("%s is wider than a 375-px screen", u)
		}
	}
	mustDo(t, ctx, "desktop width", chromedp.EmulateViewport(1280, 900))

	// Unmask with a reason; the answer shows the numbers, a reload does not.
	mustDo(t, ctx, "unmask",
		chromedp.Navigate(personURL), chromedp.Click(`details.unmask summary`), chromedp.WaitVisible(`#reason`),
		chromedp.SendKeys(`#reason`, "浏览器测试核实身份"), chromedp.Click(`form[action$="/unmask"] button`),
		chromedp.WaitVisible(`.alert-warn`))
	if s := text(`#person-id-number`); s != idNumber {
		t.Fatalf("unmasked ID %q", s)
	}
	if s := text(`#person-phone`); s != phone {
		t.Fatalf("unmasked phone %q", s)
	}
	mustDo(t, ctx, "reload", chromedp.Navigate(personURL), chromedp.WaitVisible(`#person-facts`))
	if s := text(`#person-id-number`); s != civic.MaskID(idNumber) {
		t.Fatalf("after a reload the page shows %q", s)
	}
	logout()

	signIn(t, ctx, base, "admin")
	mustDo(t, ctx, "audit", chromedp.Navigate(base+"/audit?action=person.unmask"), chromedp.WaitVisible(`.audit-list`))
	if s := text(`.audit-list`); !strings.Contains(s, "浏览器测试核实身份") || !strings.Contains(s, "查看完整号码") {
		t.Fatalf("audit %q", s)
	}
	logout()

	// The demo grid worker serves another grid of the community.
	signIn(t, ctx, base, "grid")
	mustDo(t, ctx, "outsider opens the person", chromedp.Navigate(personURL), chromedp.WaitVisible(`main h1`))
	if s := text(`main h1`); !strings.Contains(s, "未找到") {
		t.Fatalf("the grid worker of another grid sees %q", s)
	}
	mustDo(t, ctx, "outsider searches", chromedp.Navigate(base+"/people?q="+name), chromedp.WaitVisible(`#results`))
	if s := text(`#results`); strings.Contains(s, name) {
		t.Fatalf("the grid worker of another grid finds %q", s)
	}
	mustDo(t, ctx, "outsider searches by phone", chromedp.Navigate(base+"/people?q="+phone), chromedp.WaitVisible(`#results`))
	if s := text(`#results`); strings.Contains(s, name) {
		t.Fatal("the grid worker of another grid finds the person by phone")
	}
}
