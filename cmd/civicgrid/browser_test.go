package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/civicgrid/civicgrid/internal/web"
)

// chromiumPath finds the browser for end-to-end tests. With
// CIVICGRID_REQUIRE_BROWSER=1 (the test command, CI) a missing browser
// fails the test instead of skipping it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	found := func(p string) string {
		// Without the front-end libraries the pages load but nothing
		// live happens, and a test would wait minutes for what never
		// comes.
		if missing := web.VendorMissing(); len(missing) > 0 {
			t.Fatalf("the test binary has no web assets (%s): run scripts/assets.sh first, as scripts/test.sh does", strings.Join(missing, ", "))
		}
		return p
	}
	if p := os.Getenv("CIVICGRID_CHROMIUM"); p != "" {
		return found(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return found(p)
		}
	}
	if os.Getenv("CIVICGRID_REQUIRE_BROWSER") == "1" {
		t.Fatal("CIVICGRID_REQUIRE_BROWSER=1 but no Chromium was found")
	}
	t.Skip("no Chromium; set CIVICGRID_CHROMIUM")
	return ""
}

// newBrowser starts a headless Chromium (the flags CI needs) with a window
// of w×h and returns its context, bounded by timeout once the browser is
// up; everything is closed when the test ends.
func newBrowser(t *testing.T, w, h int, timeout time.Duration) context.Context {
	t.Helper()
	ctx := startBrowser(t, chromiumPath(t), w, h)
	ctx, cancelT := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancelT)
	return ctx
}

// browserStarts is how many times startBrowser tries: Chromium now and then
// dies before it opens its DevTools port (seen once in CI, with only
// crash-reporter lines in its output), and a test should not fail for that.
const browserStarts = 3

// startBrowser starts a headless Chromium at exe with a window of w×h and
// returns its context, with no deadline; everything is closed when the test
// ends. A browser that dies while starting is started again, up to
// browserStarts times in all.
func startBrowser(t *testing.T, exe string, w, h int) context.Context {
	t.Helper()
	var err error
	for try := 1; try <= browserStarts; try++ {
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
			chromedp.WindowSize(w, h),
		}
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(actx)
		// The first action starts the browser; it must not run under a timeout.
		if err = chromedp.Do(ctx, chromedp.Navigate("about:blank")); err == nil {
			t.Cleanup(cancelA)
			t.Cleanup(cancel)
			return ctx
		}
		cancel()
		cancelA()
		t.Logf("start browser (try %d of %d): %v", try, browserStarts, err)
	}
	t.Fatalf("start browser: %d tries failed, the last with: %v", browserStarts, err)
	return nil
}

// signIn signs user in to the demo at base with the demo password.
func signIn(t *testing.T, ctx context.Context, base, user string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, user),
		chromedp.SendKeys(`#password`, "Civic2026!"),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitNotPresent(`#password`),
	); err != nil {
		t.Fatalf("sign in as %s: %v", user, err)
	}
}

// mustDo runs browser actions, or fails the test with what was being done
// and the start of the page's main text.
func mustDo(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Text("main"))
		t.Fatalf("%s: %v\npage: %.800s", what, err, body)
	}
}

// mustGet runs a browser action that reads a string, or fails the test.
func mustGet(t *testing.T, ctx context.Context, what string, a chromedp.Action[string]) string {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// startDemo runs the real `civicgrid demo` on a free port and returns its URL.
func startDemo(t *testing.T) string {
	t.Helper()
	return startDemoAt(t, filepath.Join(t.TempDir(), "demo.db"))
}

// startDemoAt runs the demo on the SQLite file db, which a test may open
// beside the server to add what the demo city lacks.
func startDemoAt(t *testing.T, db string) string {
	t.Helper()
	base, _ := startCommand(t, 2*time.Minute, "demo", "--db", db)
	return base
}

// startCommand runs the command with args on a free loopback port until
// stop is called (or the test ends), and returns its address once ready.
func startCommand(t *testing.T, wait time.Duration, args ...string) (base string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out, errb syncBuffer
	env := Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, Ready: func(u string) { ready <- u }}
	go func() {
		done <- run(ctx, append(args, "--addr", "127.0.0.1:0", "--log-level", "warn"), env)
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: %v\n%s", args[0], err, errb.String())
		}
	}
	t.Cleanup(stop)
	select {
	case u := <-ready:
		return u, stop
	case err := <-done:
		stopped = true
		t.Fatalf("%s exited: %v\n%s", args[0], err, errb.String())
	case <-time.After(wait):
		t.Fatalf("%s not ready after %v:\n%s", args[0], wait, errb.String())
	}
	return "", stop
}

// TestBrowserGridMap signs in to the demo city in a real headless Chromium
// as the admin, opens the grid map, waits for the polygons and clicks a
// grid to see its staff card.
func TestBrowserGridMap(t *testing.T) {
	exe := chromiumPath(t)
	base := startDemo(t)

	ctx := startBrowser(t, exe, 1280, 900)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, "admin"),
		chromedp.SendKeys(`#password`, "Civic2026!"),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitNotPresent(`#password`),
		chromedp.Navigate(base+"/map"),
		chromedp.WaitVisible(`#map`),
	)
	if err != nil {
		t.Fatalf("sign in and open the map: %v", err)
	}
	drawn, err := chromedp.Run(ctx, chromedp.Poll[string](`document.body.dataset.mapReady && document.body.dataset.mapReady !== "0" && document.body.dataset.mapReady`,
		chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("wait for the map's polygons: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`path.region-grid`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("click a grid: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body.innerText.includes("专职网格员")`, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("the grid card with its staff did not appear: %v", err)
	}
	// The case list of the demo city's history, and one case's timeline.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/cases"), chromedp.WaitVisible(`a[href^="/cases/"]`)); err != nil {
		t.Fatalf("case list: %v", err)
	}
	// The demo's history is many pages: the pager shows which one this is
	// (its number was white on white).
	pager, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function(){var e=document.querySelector(".pager span.current");if(!e)return[];var s=getComputedStyle(e);return[e.textContent.trim(),s.color,s.backgroundColor]})()`))
	if err != nil || len(pager) != 3 || pager[0] != "1" || pager[1] == pager[2] {
		t.Errorf("the pager's current page: %q %v", pager, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`main tbody a[href^="/cases/"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("open a case: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`.timeline`)); err != nil {
		t.Fatalf("the case page shows no timeline: %v", err)
	}
	n, _ := strconv.Atoi(drawn)
	if n < 300 {
		t.Fatalf("map drew %d features, want the demo city's 300+ grids", n)
	}
	t.Logf("map drew %d features", n)
}

// TestStartBrowserRetries starts, through a wrapper that dies the first time
// as Chromium once did in CI, a browser that must still come up.
func TestStartBrowserRetries(t *testing.T) {
	exe := chromiumPath(t)
	dir := t.TempDir()
	wrapper := filepath.Join(dir, "chromium")
	script := "#!/bin/sh\nif [ ! -e " + filepath.Join(dir, "once") + " ]; then touch " + filepath.Join(dir, "once") +
		"; echo 'died before DevTools' >&2; exit 1; fi\nexec " + exe + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := startBrowser(t, wrapper, 400, 300)
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.location.href`))
	if err != nil || href != "about:blank" {
		t.Fatalf("the second start: %q, %v", href, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "once")); err != nil {
		t.Fatalf("the wrapper's first run did not happen: %v", err)
	}
}
