package main

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestBrowserReport opens, as street staff of the demo city, the monthly
// report the schedule made when the server started, checks its figures are
// there and that a count's link leads to a case list of that many cases,
// then prints it: without navigation, on A4.
func TestBrowserReport(t *testing.T) {
	chromiumPath(t) // skip before starting the demo when there is no browser
	base := startDemo(t)
	ctx := newBrowser(t, 1280, 900, 150*time.Second)
	signIn(t, ctx, base, "street")
	// The schedule runs just after start-up; wait for its monthly report.
	var href string
	for i := 0; i < 30 && href == ""; i++ {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/reports?kind=monthly"), chromedp.WaitVisible(`#rep-generate`)); err != nil {
			t.Fatalf("open reports: %v", err)
		}
		ovEval(t, ctx, `(function(){var a=document.querySelector("#reports-table tbody a[href^='/reports/']");return a?a.getAttribute("href"):""})()`, &href)
		if href == "" {
			time.Sleep(time.Second)
		}
	}
	if href == "" {
		t.Fatal("no monthly report listed")
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+href), chromedp.WaitVisible(`#report`)); err != nil {
		t.Fatalf("open %s: %v", href, err)
	}
	var rows int
	ovEval(t, ctx, `document.querySelectorAll("#report tbody tr[data-figure-row]").length`, &rows)
	if rows < 30 {
		t.Errorf("the monthly report shows %d figures", rows)
	}
	var drill []string
	ovEval(t, ctx, `(function(){var a=document.querySelector("#report tbody td.num a");return a?[a.getAttribute("href"),a.textContent.trim()]:[]})()`, &drill)
	if len(drill) != 2 {
		t.Fatal("no count links to the case list")
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+drill[0]), chromedp.WaitVisible(`.table-toolbar`)); err != nil {
		t.Fatalf("open the case list %s: %v", drill[0], err)
	}
	var toolbar string
	ovEval(t, ctx, `document.querySelector(".table-toolbar").textContent`, &toolbar)
	if m := regexp.MustCompile(`\d+`).FindString(toolbar); m != drill[1] {
		t.Errorf("the report counts %s, the case list behind it %q", drill[1], toolbar)
	}

	// Printed: no navigation, the header kept, on A4.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+href), chromedp.WaitVisible(`#report`)); err != nil {
		t.Fatalf("open %s: %v", href, err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatalf("emulate print: %v", err)
	}
	var shown map[string]string
	ovEval(t, ctx, `(function(){var o={};[".topbar",".sidenav",".crumbs",".report-tools",".report-meta","#report"].forEach(function(s){var e=document.querySelector(s);o[s]=e?getComputedStyle(e).display:"absent"});return o})()`, &shown)
	for _, sel := range []string{".topbar", ".sidenav", ".crumbs", ".report-tools"} {
		if shown[sel] != "none" {
			t.Errorf("printed report shows %s (display %q)", sel, shown[sel])
		}
	}
	for _, sel := range []string{".report-meta", "#report"} {
		if shown[sel] == "none" || shown[sel] == "absent" {
			t.Errorf("printed report hides %s (display %q)", sel, shown[sel])
		}
	}
	yes := true
	pdf, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes})
	if err != nil {
		t.Fatalf("print: %v", err)
	}
	// A4 is 595 × 842 points.
	m := regexp.MustCompile(`/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]`).FindSubmatch(pdf.Data)
	if m == nil {
		t.Fatalf("no page size in the PDF (%d bytes)", len(pdf.Data))
	}
	w, _ := strconv.ParseFloat(string(m[1]), 64)
	h, _ := strconv.ParseFloat(string(m[2]), 64)
	if w < 594 || w > 597 || h < 841 || h > 843 {
		t.Errorf("printed page is %g × %g points, want A4 (595 × 842)", w, h)
	}
}
