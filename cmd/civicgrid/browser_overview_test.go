package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserOverview opens the one-screen overview of the demo city as
// its leader at wall size (1920×1080) and at phone width: the charts draw
// on canvases, the map draws the regions, clicking a region opens its
// overview, the overview goes down to a street and a grid, and a category's
// number drills down to a case list of exactly that many cases.
func TestBrowserOverview(t *testing.T) {
	chromiumPath(t) // skip before starting the demo when there is no browser
	base := startDemo(t)
	ctx := newBrowser(t, 1920, 1080, 150*time.Second)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1920, 1080)); err != nil {
		t.Fatalf("viewport: %v", err)
	}
	signIn(t, ctx, base, "leader")

	// open loads an overview and waits for its charts and map.
	open := func(what, url string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(`#overview`)); err != nil {
			t.Fatalf("%s: open %s: %v", what, url, err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body.dataset.ovMap && document.body.dataset.ovMap !== "0" && document.querySelectorAll(".ov-chart canvas").length >= 5`,
			chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			st, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({map: document.body.dataset.ovMap, charts: document.body.dataset.ovCharts, canvases: document.querySelectorAll(".ov-chart canvas").length})`))
			t.Fatalf("%s: charts and map not drawn: %v (%s)", what, err, st)
		}
		polys, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("path.ov-region").length`))
		if err != nil || polys == 0 {
			t.Fatalf("%s: no region polygon on the map (%d, %v)", what, polys, err)
		}
	}

	// The city, as a wall screen.
	open("city", base+"/overview?period=month&wall=1")
	var height int
	ovEval(t, ctx, `document.documentElement.scrollHeight`, &height)
	t.Logf("wall: page height %d at 1920×1080", height)
	if height > 1080 {
		t.Fatalf("the wall screen is %d px high: it must fit 1080 without scrolling", height)
	}

	// A category's number drills down to the same number of cases.
	var drill []string
	ovEval(t, ctx, `(function(){var a=document.querySelector("#ov-t-category tbody td.num a");return a?[a.getAttribute("href"),a.textContent.trim()]:[]})()`, &drill)
	if len(drill) != 2 {
		t.Fatal("the city overview has no category drill-down this month")
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+drill[0]), chromedp.WaitVisible(`.table-toolbar`)); err != nil {
		t.Fatalf("open the drill-down %s: %v", drill[0], err)
	}
	listed, err := chromedp.Run(ctx, chromedp.Text(`.table-toolbar`))
	if err != nil {
		t.Fatalf("read the case count: %v", err)
	}
	if m := regexp.MustCompile(`\d+`).FindString(listed); m != drill[1] {
		t.Fatalf("category figure %s but the case list %s says %q", drill[1], drill[0], listed)
	}

	// Clicking a region on the map opens its overview.
	open("city again", base+"/overview?period=month")
	if err := chromedp.Do(ctx, chromedp.Click(`path.ov-region`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("click a region: %v", err)
	}
	// The click navigates; a poll across the navigation loses its page, so
	// ask again until the new page answers.
	var loc string
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(loc, "scope=") && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		loc, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	}
	if !strings.Contains(loc, "scope=") {
		t.Fatalf("clicking a region did not open its overview (at %s)", loc)
	}
	t.Logf("region click → %s", loc)

	// Down the tree through the region tables to a street and a grid.
	levels := map[int]string{9: "street", 15: "grid"}
	seen := map[string]bool{}
	for i := 0; i < 5; i++ {
		open("level "+strconv.Itoa(i), loc)
		var next string
		ovEval(t, ctx, `(function(){var a=document.querySelector('#ov-t-regions a[href^="/overview?"]');return a?a.href:""})()`, &next)
		code := regexp.MustCompile(`scope=(\d+)`).FindStringSubmatch(loc)
		if code != nil && levels[len(code[1])] != "" {
			seen[levels[len(code[1])]] = true
		}
		if next == "" {
			break
		}
		loc = next
	}
	if !seen["street"] || !seen["grid"] {
		t.Fatalf("went down to %v, want a street and a grid", seen)
	}

	// At phone width the cards stack and nothing scrolls sideways.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatalf("phone viewport: %v", err)
	}
	open("phone", base+"/overview?period=month")
	var wide bool
	ovEval(t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`, &wide)
	if wide {
		t.Fatal("the overview scrolls sideways on a phone")
	}
	var cols string
	ovEval(t, ctx, `getComputedStyle(document.querySelector(".ov-grid")).gridTemplateColumns`, &cols)
	if strings.Contains(strings.TrimSpace(cols), " ") {
		t.Fatalf("phone grid has columns %q, want one", cols)
	}
}

// ovEval evaluates js in the page into out or fails the test.
func ovEval[T any](t *testing.T, ctx context.Context, js string, out *T) {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	*out = v
}
