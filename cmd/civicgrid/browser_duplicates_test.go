package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/vault"
)

// TestBrowserDuplicates: in the demo city, a neighbour has reported a
// broken lamp; the resident opens the report form in a real Chromium,
// types the same problem in other words and places it (as the map does,
// without events): the form offers the open case, and 附议 joins it
// instead of filing a second one. Then a community dispatcher sees the
// likely duplicate on a second report's page.
func TestBrowserDuplicates(t *testing.T) {
	chromiumPath(t) // skip before starting the demo when there is no browser
	db := filepath.Join(t.TempDir(), "demo.db")
	base := startDemoAt(t, db)

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
	const grid = "110101001001001"
	region, err := st.GetRegion(bg, civic.System, grid)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.GetUserByName(bg, civic.System, "volunteer")
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := st.SubmitCase(bg, store.ActorOf(u, ""), st.NewLocator(0), store.NewCase{Source: civic.SourceResident, Title: "3号楼前路灯不亮", CategoryCode: "0401",
		Description: "3号楼门前的路灯坏了好几天，晚上一片漆黑", HasLocation: true, Lng: region.CenterLng, Lat: region.CenterLat, ReporterName: "邻居"})
	if err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t, 1280, 900, 120*time.Second)
	signIn(t, ctx, base, "resident")
	place := fmt.Sprintf(`document.getElementById("lng").value = "%.6f"; document.getElementById("lat").value = "%.6f"`, region.CenterLng+0.0004, region.CenterLat)
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/report"), chromedp.WaitVisible(`#title`),
		chromedp.SendKeys(`#title`, "三号楼路灯坏了"),
		chromedp.SendKeys(`#description`, "楼前路灯晚上不亮，走路看不见"),
		chromedp.Evaluate[chromedp.Void](place),
	)
	if err != nil {
		t.Fatalf("fill the report form: %v", err)
	}
	// Without map tiles, the map outlines the resident's own community.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll("#case-pick path").length > 0`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the report map draws no outline of the resident's community: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector("#dup-suggestions") && document.querySelector("#dup-suggestions").innerText.includes("3号楼前路灯不亮")`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the form did not offer the open case: %v", err)
	}
	// With the category chosen, the older "nearby" box would offer the
	// same case again; it leaves out what the duplicates box offers.
	nearbyAPI := fmt.Sprintf(`fetch("/api/v1/cases/nearby?lng=%.6f&lat=%.6f&category=0401").then(r => r.json()).then(j => (j.items || []).some(n => n.id === %d))`,
		region.CenterLng+0.0004, region.CenterLat, first.ID)
	err = chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("category_code").value = "0401"`),
		chromedp.Sleep(3500*time.Millisecond),
	)
	if err != nil {
		t.Fatalf("choose the category: %v", err)
	}
	cat, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("category_code").value`))
	apiHas, err1 := chromedp.Run(ctx, chromedp.Evaluate[bool](nearbyAPI, chromedp.EvalAwaitPromise))
	boxHas, err2 := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`!!document.querySelector('#nearby [formaction="/cases/%d/join"]')`, first.ID)))
	if cat != "0401" || err1 != nil || err2 != nil || !apiHas || boxHas {
		t.Fatalf("category %q; the nearby API lists the case: %v %v (want true); the nearby box offers it too: %v %v (want false)", cat, apiHas, err1, boxHas, err2)
	}
	join := fmt.Sprintf(`#dup-suggestions button[formaction="/cases/%d/join"]`, first.ID)
	if err := chromedp.Do(ctx, chromedp.Click(join, chromedp.NodeVisible), chromedp.WaitVisible(`.timeline`)); err != nil {
		t.Fatalf("join the case: %v", err)
	}
	rs, err := st.CaseReporters(bg, civic.System, first.ID)
	if err != nil || len(rs) != 1 {
		t.Fatalf("co-reporters after 附议: %+v %v", rs, err)
	}

	// A photo over 10 MB is left out of the form as it is chosen, with a
	// word why: sent, nine such would make the form too large to read,
	// and the server could not give back what was typed.
	var tinyPNG bytes.Buffer
	if err := png.Encode(&tinyPNG, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	small, big := filepath.Join(dir, "small.png"), filepath.Join(dir, "big.jpg")
	if err := os.WriteFile(small, tinyPNG.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, 11<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/report"), chromedp.WaitVisible(`#title`),
		chromedp.SetUploadFiles(`input[data-photo-input][multiple]`, []string{small, big}),
	)
	if err != nil {
		t.Fatalf("choose photos: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(function(){var i=document.querySelector("input[data-photo-input][multiple]"), w=document.querySelector("[data-photo-warn]");
		return i.files.length === 1 && i.files[0].name === "small.png" && !w.hidden && w.textContent.includes("超过10MB，已去掉：big.jpg")})()`,
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-photo-warn]").textContent + " / " + document.querySelector("input[data-photo-input][multiple]").files.length`))
		t.Fatalf("the photo over 10 MB is still chosen: %q %v", got, err)
	}

	// A second report of it filed anyway: the community's dispatcher sees
	// the first on its page, with a merge into it.
	second, _, err := st.SubmitCase(bg, store.ActorOf(u, ""), st.NewLocator(0), store.NewCase{Source: civic.SourceResident, Title: "三号楼路灯坏了",
		Description: "楼前路灯晚上不亮", HasLocation: true, Lng: region.CenterLng + 0.0003, Lat: region.CenterLat, ReporterName: "邻居"})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`fetch("/logout", {method: "POST"})`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	signIn(t, ctx, base, "community")
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/cases/%d", base, second.ID)), chromedp.WaitVisible(`#case-duplicates`)); err != nil {
		t.Fatalf("the case page shows no likely duplicates: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#case-duplicates").innerText.includes("3号楼前路灯不亮") && !!document.querySelector('#case-duplicates input[name="merge_into"]')`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the likely duplicate and its merge button: %v", err)
	}
}
