package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestDemoPostgres runs the demo city on PostgreSQL, as a deployment trying
// civicgrid on its own database server would: it loads, serves, a street's
// staff sign in and see their cases, every page each user reaches answers
// and every form refuses wrong values, and `serve` on the same database
// afterwards starts at once with the same cases.
func TestDemoPostgres(t *testing.T) {
	if !slices.Contains(testdb.Engines(t), store.Postgres) {
		t.Skip("CIVICGRID_TEST_PG is not set")
	}
	dsn := testdb.DSN(t, store.Postgres)
	keys := filepath.Join(t.TempDir(), "civicgrid.keys")

	start := time.Now()
	base, stop := startCommand(t, 5*time.Minute, "demo", "--db", dsn, "--keys", keys)
	t.Logf("demo on PostgreSQL ready in %v", time.Since(start).Round(time.Millisecond))
	if n := streetCases(t, base); n < 100 {
		t.Fatalf("the street sees %d cases of the demo's history", n)
	}
	// Every page each user reaches answers as it does on SQLite
	// (TestDemoCrawl), and every form that writes refuses wrong values
	// in the user's language: PostgreSQL is stricter about types than
	// SQLite, so a value the edge let through would show here as a
	// server error.
	users := []string{"admin", "leader", "street", "community", "grid", "handler", "operator", "volunteer", "resident"}
	var problems []string
	posts := map[string][]crawlForm{}
	for _, user := range users {
		n, nf, ps, forms := crawlAs(t, base, user, "zh")
		t.Logf("%s: %d pages, %d forms sent wrong values", user, n, nf)
		problems = append(problems, ps...)
		posts[user] = forms
	}
	for i := len(users) - 1; i >= 0; i-- {
		_, ps := postAs(t, base, users[i], posts[users[i]])
		problems = append(problems, ps...)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		t.Fatalf("%d problems on PostgreSQL:\n%s", len(problems), strings.Join(problems, "\n"))
	}
	first := streetCases(t, base)
	stop()

	start = time.Now()
	base, stop = startCommand(t, time.Minute, "serve", "--db", dsn, "--keys", keys)
	t.Logf("serve on the demo's PostgreSQL database ready in %v", time.Since(start).Round(time.Millisecond))
	if again := streetCases(t, base); again != first {
		t.Fatalf("after a restart the street sees %d cases, before %d", again, first)
	}
	stop()
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

// streetCases signs in to the API as the demo's street staff and counts the
// cases of their street.
func streetCases(t *testing.T, base string) int {
	t.Helper()
	client := signedIn(t, base, "street", "zh")
	resp, err := client.Get(base + "/api/v1/cases?limit=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Total int `json:"total"`
		Items []struct {
			RegionCode string `json:"region_code"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("case list: %d %v", resp.StatusCode, err)
	}
	if len(list.Items) != 1 || !strings.HasPrefix(list.Items[0].RegionCode, "110101001") {
		t.Fatalf("case list: %s", fmt.Sprint(list))
	}
	return list.Total
}
