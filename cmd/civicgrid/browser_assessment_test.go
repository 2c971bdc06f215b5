package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserAssessment opens the street assessment of the demo city as
// its leader: the red and black lists and the ranking are drawn; clicking
// the first ranked street's overdue figure opens the case list of exactly
// that many cases, and its dispatched figure a list that says how many
// cases its dispatches fell in.
func TestBrowserAssessment(t *testing.T) {
	chromiumPath(t) // skip before starting the demo when there is no browser
	base := startDemo(t)
	ctx := newBrowser(t, 1280, 900, 120*time.Second)
	signIn(t, ctx, base, "leader")

	open := func() {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/assessment?level=street"), chromedp.WaitVisible(`#assess-ranking`)); err != nil {
			t.Fatalf("open the assessment: %v", err)
		}
	}
	open()
	var red int
	ovEval(t, ctx, `document.querySelectorAll("#assess-red tbody tr").length`, &red)
	var ranked int
	ovEval(t, ctx, `document.querySelectorAll("#assess-ranking tbody tr").length`, &ranked)
	if red == 0 || ranked < 2 {
		t.Fatalf("the demo city's streets: %d on the red list, %d ranked", red, ranked)
	}

	// click follows the first ranked street's link to a figure and returns
	// the figure, the list's total and the drill-down note.
	click := func(fig string) (figure, total, note string) {
		t.Helper()
		open()
		sel := `#assess-ranking tbody tr:first-child a[href*="fig=` + fig + `&"]`
		var got []string
		ovEval(t, ctx, `(function(){var a=document.querySelector('`+sel+`');return a?[a.getAttribute("href"),a.textContent.trim()]:[]})()`, &got)
		if len(got) != 2 {
			t.Fatalf("no %s figure on the first ranked street", fig)
		}
		if err := chromedp.Do(ctx, chromedp.Click(sel, chromedp.NodeVisible), chromedp.WaitVisible(`#case-drill`)); err != nil {
			t.Fatalf("click %s (%s): %v", fig, got[0], err)
		}
		toolbar, err := chromedp.Run(ctx, chromedp.Text(`.table-toolbar`))
		if err != nil {
			t.Fatalf("read the case count: %v", err)
		}
		note, err = chromedp.Run(ctx, chromedp.Text(`#case-drill`))
		if err != nil {
			t.Fatalf("read the drill-down note: %v", err)
		}
		return got[1], regexp.MustCompile(`\d+`).FindString(toolbar), note
	}

	figure, total, note := click("overdue")
	if inCases := regexp.MustCompile(`涉及 (\d+) 件工单`).FindStringSubmatch(note); inCases != nil {
		// A case overdue twice in the period counts twice: the note says
		// so, and the list holds the cases.
		if inCases[1] != total || !strings.Contains(note, " "+figure) {
			t.Fatalf("overdue %s: the note says %q, the list %s", figure, note, total)
		}
	} else if total != figure {
		t.Fatalf("overdue figure %s but the case list has %s (%s)", figure, total, note)
	}
	t.Logf("overdue: figure %s, list %s", figure, total)

	figure, total, note = click("dispatched")
	if !strings.Contains(note, "派单 "+figure) {
		t.Fatalf("dispatched %s: note %q", figure, note)
	}
	if inCases := regexp.MustCompile(`涉及 (\d+) 件工单`).FindStringSubmatch(note); inCases != nil && inCases[1] != total || inCases == nil && total != figure {
		t.Fatalf("dispatched %s: the note says %q, the list %s", figure, note, total)
	}
	t.Logf("dispatched: figure %s, list %s (%s)", figure, total, note)
}
