package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
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
	// Keys and photos in a temporary directory: on PostgreSQL their
	// defaults are the working directory, which here is the source tree.
	dir := t.TempDir()
	keys, files := filepath.Join(dir, "civicgrid.keys"), filepath.Join(dir, "files")

	start := time.Now()
	base, stop := startCommand(t, 5*time.Minute, "demo", "--db", dsn, "--keys", keys, "--files", files)
	t.Logf("demo on PostgreSQL ready in %v", time.Since(start).Round(time.Millisecond))
	if n := streetCases(t, base); n < 100 {
		t.Fatalf("the street sees %d cases of the demo's history", n)
	}
	// Every page each user reaches answers as it does on SQLite
	// (TestDemoCrawl), and every form that writes refuses wrong values
	// in the user's language: PostgreSQL is stricter about types than
	// SQLite, so a value the edge let through would show here as a
	// server error.
	if problems := crawlDemo(t, base, "zh"); len(problems) > 0 {
		t.Fatalf("%d problems on PostgreSQL:\n%s", len(problems), strings.Join(problems, "\n"))
	}
	first := streetCases(t, base)
	stop()

	start = time.Now()
	base, stop = startCommand(t, time.Minute, "serve", "--db", dsn, "--keys", keys, "--files", files)
	t.Logf("serve on the demo's PostgreSQL database ready in %v", time.Since(start).Round(time.Millisecond))
	if again := streetCases(t, base); again != first {
		t.Fatalf("after a restart the street sees %d cases, before %d", again, first)
	}
	stop()
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
