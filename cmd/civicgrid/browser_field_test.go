package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/vault"
)

// phoneBrowser starts a headless Chromium that looks like a phone (375×667,
// touch) and reports the given position to pages of origin.
func phoneBrowser(t *testing.T, exe, origin string, lng, lat float64) context.Context {
	t.Helper()
	ctx := startBrowser(t, exe, 375, 667)
	accuracy := 8.0
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(375, 667, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, chromedp.FromContext(ctx).Browser, browser.SetPermission, browser.SetPermissionParams{
				Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingGranted, Origin: origin})
			if err != nil {
				return fmt.Errorf("grant geolocation: %w", err)
			}
			_, err = cdp.Call(ctx, t, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lng, Accuracy: &accuracy})
			return err
		}),
	)
	if err != nil {
		t.Fatalf("emulate a phone: %v", err)
	}
	return ctx
}

// TestBrowserFieldDay is a grid worker's day on a phone-sized browser, in
// the demo city: start a patrol (the page records the position), note a
// finding and file it as a case with one tap, stop; visit a resident;
// propose a correction of her phone number. Then the community's staff
// approve it and the record changes.
func TestBrowserFieldDay(t *testing.T) {
	// findingMarkup rides in a finding's words: shown anywhere, it must read
	// as text.
	const findingMarkup = `<img src=x onerror="document.title='XSS'">`
	exe := chromiumPath(t)
	db := filepath.Join(t.TempDir(), "demo.db")
	base := startDemoAt(t, db)

	// The demo city has no residents yet in the worker's grid: add a
	// house and a resident beside the running server.
	bg := context.Background()
	keys, _, err := vault.LoadOrCreate(db + ".keys")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(bg, db, store.Options{Vault: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const grid = "110101001001001" // the demo grid worker's grid
	region, err := st.GetRegion(bg, civic.System, grid)
	if err != nil {
		t.Fatal(err)
	}
	if code, err := st.NewLocator(0).Locate(bg, geo.Point{Lng: region.CenterLng, Lat: region.CenterLat}, store.WGS84); err != nil || !civic.InSubtree(code, grid) {
		t.Fatalf("the grid's centre lies in %q: %v", code, err)
	}
	b, err := st.SaveBuilding(bg, civic.System, civic.Building{GridCode: grid, Name: "演示楼", Floors: 6, Units: 2, Lng: region.CenterLng, Lat: region.CenterLat})
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.SaveHouse(bg, civic.System, civic.House{BuildingID: b.ID, Unit: 1, Floor: 2, Number: "201"})
	if err != nil {
		t.Fatal(err)
	}
	resident, err := st.SavePerson(bg, civic.System, civic.Person{GridCode: grid, Name: "周奶奶", BirthDate: "1944-04-04", Gender: civic.GenderFemale, Phone: "13912345678"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.LinkHouse(bg, civic.System, civic.HouseLink{PersonID: resident.ID, HouseID: h.ID, Relation: civic.RelationOwner}); err != nil {
		t.Fatal(err)
	}

	ctx := phoneBrowser(t, exe, base, region.CenterLng, region.CenterLat)
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelT()
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	waitFor := func(name, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	fitsPhone := func(page string) {
		t.Helper()
		w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil || w > 375 {
			t.Errorf("%s is %d px wide on a 375 px phone (%v)", page, w, err)
		}
		// The bar's controls keep their words on one line ("菜/单" wrapped):
		// a word's characters all sit at one height. (The controls are 44 px
		// tall on a touch screen, so their height tells nothing.)
		tall, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".topbar .nav-toggle, .topbar .lang-switch a, .topbar .btn-ghost")]
			.filter(e => {
				const tops = new Set(), walk = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
				for (let n = walk.nextNode(); n; n = walk.nextNode()) {
					if (!n.textContent.trim()) continue;
					const r = document.createRange(); r.selectNodeContents(n);
					for (const q of r.getClientRects()) if (q.width > 0) tops.add(Math.round(q.top));
				}
				return tops.size > 1;
			}).map(e => e.textContent.trim())`))
		if err != nil || len(tall) > 0 {
			t.Errorf("%s: top bar controls wrapped on a phone: %q (%v)", page, tall, err)
		}
		// Every control of the bar is a 44 × 44 px target on the screen
		// (large text zooms the bar by .8, so it is measured as shown).
		small, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".topbar .nav-toggle, .topbar .lang-switch a, .topbar .btn-ghost, .topbar .bell, .topbar .whoami")]
			.filter(e => e.offsetParent !== null)
			.map(e => { const z = parseFloat(getComputedStyle(e.closest(".topbar")).zoom) || 1, r = e.getBoundingClientRect();
				return [e.textContent.trim() || e.getAttribute("aria-label") || e.className, Math.round(r.width * z), Math.round(r.height * z)] })
			.filter(([, w, h]) => w < 44 || h < 44).map(x => x.join(" "))`))
		if err != nil || len(small) > 0 {
			t.Errorf("%s: top bar controls under 44 px on a phone: %q (%v)", page, small, err)
		}
	}
	login := func(user string) {
		t.Helper()
		step("sign in as "+user,
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(`#username`),
			chromedp.SendKeys(`#username`, user),
			chromedp.SendKeys(`#password`, "Civic2026!"),
			chromedp.Click(`button[type=submit]`),
			chromedp.WaitNotPresent(`#password`),
		)
	}

	login("grid")
	step("open the field home", chromedp.Navigate(base+"/field"), chromedp.WaitVisible(`#fw-start`))
	fitsPhone("/field")
	step("start a patrol", chromedp.Click(`#fw-start`), chromedp.WaitVisible(`#finding-text`))
	// The page reads the (emulated) position and fills the finding's place.
	waitFor("the position reaches the finding form", `document.getElementById("finding-lng").value !== ""`)
	fitsPhone("the patrol page")
	step("add a finding",
		chromedp.SendKeys(`#finding-text`, "演示楼门前井盖缺失"+findingMarkup),
		chromedp.Click(`#finding-add`),
		chromedp.WaitVisible(`button[data-finding-case]`),
	)
	step("file it as a case", chromedp.Click(`button[data-finding-case]`), chromedp.WaitVisible(`.timeline`))
	waitFor("the case page shows the finding", `document.body.innerText.includes("演示楼门前井盖缺失")`)
	step("back to the patrol", chromedp.NavigateBack(), chromedp.Navigate(base+"/field"), chromedp.WaitVisible(`#fw-continue`), chromedp.Click(`#fw-continue`), chromedp.WaitVisible(`#patrol-stop-btn`))
	waitFor("the finding shows its case", `document.body.innerText.includes("已转工单")`)
	// Stopping asks for confirmation; the phone's user says yes.
	step("stop the patrol",
		chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`),
		chromedp.Click(`#patrol-stop-btn`),
		chromedp.WaitVisible(`#fw-start`),
	)
	patrols, _, err := st.ListPatrols(bg, civic.System, store.PatrolFilter{})
	if err != nil || len(patrols) != 1 || patrols[0].Open() || patrols[0].Points < 1 || patrols[0].Findings != 1 {
		t.Fatalf("patrol after the day: %+v %v", patrols, err)
	}
	fs, err := st.PatrolFindings(bg, civic.System, patrols[0].ID)
	if err != nil || len(fs) != 1 || fs[0].CaseID == 0 || !fs[0].HasLocation {
		t.Fatalf("finding %+v %v", fs, err)
	}
	// A finding's words are text on the patrol's map, never markup: a
	// worker's note ran as script in a supervisor's browser when its
	// tooltip was read as HTML.
	step("open the patrol's map", chromedp.Navigate(fmt.Sprintf("%s/patrols/%d", base, patrols[0].ID)), chromedp.WaitVisible(`path.leaflet-interactive`))
	waitFor("the findings' tooltips open", `(function(){document.querySelectorAll("path.leaflet-interactive").forEach(function(p){p.dispatchEvent(new MouseEvent("mouseover",{bubbles:true}))});
		return [...document.querySelectorAll(".leaflet-tooltip")].some(function(t){return t.textContent.includes("井盖缺失")})})()`)
	shown := mustGet(t, ctx, "the tooltips", chromedp.Evaluate[string](`[...document.querySelectorAll(".leaflet-tooltip")].map(function(t){return t.textContent + (t.querySelector("img") ? " [img]" : "")}).join(" | ") + " title=" + document.title`))
	if !strings.Contains(shown, "井盖缺失"+findingMarkup) || strings.Contains(shown, "[img]") || strings.Contains(shown, "title=XSS") {
		t.Fatalf("the finding's tooltip: %q", shown)
	}
	step("back to the field home", chromedp.Navigate(base+"/field"), chromedp.WaitVisible(`#fw-visit`))

	step("visit the resident",
		chromedp.Click(`#fw-visit`),
		chromedp.WaitVisible(`#pick-q`),
		chromedp.SendKeys(`#pick-q`, "周奶奶\n"),
		chromedp.WaitVisible(fmt.Sprintf(`a[data-pick-person="%d"]`, resident.ID)),
		chromedp.Click(fmt.Sprintf(`a[data-pick-person="%d"]`, resident.ID)),
		chromedp.WaitVisible(`#notes`),
		chromedp.SendKeys(`#notes`, "身体硬朗，独自居住"),
		chromedp.SendKeys(`#needs`, "希望有人定期上门"),
		chromedp.Click(`#visit-save`),
		chromedp.WaitVisible(`#fw-start`),
	)
	if vs, n, err := st.ListVisits(bg, civic.System, store.VisitFilter{PersonID: resident.ID}); err != nil || n != 1 || vs[0].Needs != "希望有人定期上门" {
		t.Fatalf("visits %+v %v", vs, err)
	}

	step("propose a correction",
		chromedp.Navigate(fmt.Sprintf("%s/corrections/new?person=%d", base, resident.ID)),
		chromedp.WaitVisible(`#cf-phone`),
		chromedp.SendKeys(`#cf-phone`, "13698765432"),
		chromedp.SendKeys(`#reason`, "走访时老人告知已换号"),
		chromedp.Click(`#correction-save`),
		chromedp.WaitVisible(`#correction-changes`),
	)
	fitsPhone("the correction page")
	url, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil || !strings.HasPrefix(url, "/corrections/") {
		t.Fatalf("after proposing: %q %v", url, err)
	}
	waitFor("the proposal shows the new number masked", `document.body.innerText.includes("136****5432") && !document.body.innerText.includes("13698765432")`)

	// The community's staff approve it.
	step("sign out", chromedp.Click(`form[action="/logout"] button`), chromedp.WaitVisible(`#username`))
	login("community")
	step("review the correction",
		chromedp.Navigate(base+url),
		chromedp.WaitVisible(`#review-approve`),
		chromedp.SendKeys(`#note`, "已电话核实"),
		chromedp.Click(`#review-approve`),
		chromedp.WaitNotPresent(`#review-approve`),
	)
	waitFor("the approval is confirmed", `document.body.innerText.includes("纠错已通过")`)
	p, err := st.GetPerson(bg, civic.System, resident.ID)
	if err != nil || p.Phone != "136****5432" {
		t.Fatalf("phone after approval %q %v", p.Phone, err)
	}
}
