package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserHotspot finds the 多人同诉 hotspot planted in the demo city as
// the community's staff on /hotspots and merges it into one case with the
// page's button: the browser lands on the kept case, and the merged cases
// are no longer a warning.
func TestBrowserHotspot(t *testing.T) {
	chromiumPath(t) // skip before starting the demo when there is no browser
	base := startDemo(t)
	ctx := newBrowser(t, 1920, 1080, 150*time.Second)
	signIn(t, ctx, base, "community")
	page := base + "/hotspots?radius_m=100"
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(`.page-head h1`)); err != nil {
		t.Fatalf("open %s: %v", page, err)
	}
	// The planted hotspot: a 多人同诉 card with six or more open cases,
	// checked at first (finished ones are not).
	var ids []string
	find := `(function(){for(const s of document.querySelectorAll('section[data-kind="many_reporters"]')){
		const b=[...s.querySelectorAll('input[name="case_id"]:checked')]; if(b.length>=6){s.id="planted"; return b.map(x=>x.value)}} return []})()`
	ovEval(t, ctx, find, &ids)
	if len(ids) < 6 {
		t.Fatal("the planted 多人同诉 hotspot is not on /hotspots")
	}
	if err := chromedp.Do(ctx, chromedp.Click(`#planted form button.btn-primary`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("merge: %v", err)
	}
	var loc string
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(loc, "/cases/") && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		loc, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	}
	if !strings.HasPrefix(loc, "/cases/") {
		var text string
		ovEval(t, ctx, `document.querySelector("main") ? document.querySelector("main").innerText.slice(0, 400) : ""`, &text)
		t.Fatalf("merging did not open the kept case (at %s): %s", loc, text)
	}
	kept := strings.TrimPrefix(loc, "/cases/")
	t.Logf("merged %d cases into case %s", len(ids), kept)
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(`.page-head h1`)); err != nil {
		t.Fatalf("reopen %s: %v", page, err)
	}
	for _, id := range ids {
		if id == kept {
			continue
		}
		var still bool
		ovEval(t, ctx, `!!document.querySelector('input[name="case_id"][value="`+id+`"]')`, &still)
		if still {
			t.Fatalf("case %s was merged but is still in a warning", id)
		}
	}
}
