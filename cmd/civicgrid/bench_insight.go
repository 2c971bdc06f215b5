package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/demo"
	"github.com/civicgrid/civicgrid/internal/store"
)

// benchInsight measures the insight overview from the roll-ups against the
// same overview computed by scanning the cases' timelines, on a SQLite
// demo city seeded with many synthetic cases (default 5,000,000) with
// timelines, the roll-ups rebuilt from them (timed too). With --db
// postgres://… it runs on that (empty) PostgreSQL database instead.
func benchInsight(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("bench insight", env, &c)
	n := fs.Int("cases", 5_000_000, "how many cases to seed")
	queries := fs.Int("queries", 50, "overviews from the roll-ups per scenario")
	scans := fs.Int("scans", 3, "overviews by scanning per scenario (0: the roll-ups only)")
	keep := fs.String("keep", "", "keep the seeded SQLite database at this path (reused if it exists)")
	seeded := fs.Bool("seeded", false, "with --db postgres://…: the database is already seeded by an earlier run")
	if err := parse(fs, args); err != nil {
		return err
	}
	pg := strings.HasPrefix(c.db, "postgres://") || strings.HasPrefix(c.db, "postgresql://")
	dir, err := os.MkdirTemp("", "civicgrid-bench-insight-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	reuse := false
	switch {
	case pg:
		// An empty database of its own: the run fills it.
		reuse = *seeded
	case *keep != "":
		c.db = *keep
		if _, err := os.Stat(*keep); err == nil {
			reuse = true
		}
	default:
		c.db = filepath.Join(dir, "bench.db")
	}
	c.logLevel = "error"
	st, err := openStore(ctx, c, c.logger(env))
	if err != nil {
		return err
	}
	defer st.Close()
	if !reuse {
		if err := demo.Load(ctx, st, demo.Generate(demoSeed)); err != nil {
			return fmt.Errorf("load demo city: %w", err)
		}
	}
	grids, _, err := st.ListRegions(ctx, civic.System, store.RegionFilter{Level: civic.LevelGrid, Page: store.Page{Limit: 10000}})
	if err != nil {
		return err
	}
	streets, _, err := st.ListRegions(ctx, civic.System, store.RegionFilter{Level: civic.LevelStreet, Page: store.Page{Limit: 10000}})
	if err != nil {
		return err
	}
	cats, err := st.ListCategories(ctx, civic.System, store.CategoryFilter{})
	if err != nil {
		return err
	}
	var codes []string
	for _, k := range cats {
		if len(k.Code) == 4 {
			codes = append(codes, k.Code)
		}
	}
	if len(codes) == 0 {
		codes = []string{"0101"}
	}
	states := []string{"visited", "visited", "visited", "visited", "visited", "closed", "handled", "in_progress", "in_progress", "dispatched", "reported"}
	sats := []string{"satisfied", "satisfied", "satisfied", "basic_satisfied", "dissatisfied"}
	engine := "SQLite WAL"
	if pg {
		engine = "PostgreSQL"
	}
	fmt.Fprintf(env.Stdout, "civicgrid bench insight — %d CPU, %s, %s, %d cases, %d grids, %d categories, %s\n",
		runtime.NumCPU(), versionString(), engine, *n, len(grids), len(codes), time.Now().UTC().Format(time.RFC3339))
	if !reuse {
		rng := rand.New(rand.NewPCG(13, 31))
		start := time.Now()
		now := time.Now().UTC()
		err = st.SeedBenchCases(ctx, *n, func(i int) store.BenchCase {
			g := grids[rng.IntN(len(grids))]
			return store.BenchCase{State: states[rng.IntN(len(states))], Category: codes[rng.IntN(len(codes))], Title: "基准工单", Desc: g.Name,
				Region: g.Code, Lng: g.CenterLng, Lat: g.CenterLat, HandlerRegion: g.Code[:12],
				CreatedAt: now.Add(-time.Duration(rng.IntN(400*24*60)) * time.Minute), Timeline: true,
				Satisfaction: sats[rng.IntN(len(sats))], Solved: rng.IntN(10) < 8}
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "seeded %d cases with timelines in %v\n", *n, time.Since(start).Round(time.Second))
		start = time.Now()
		rows, err := st.RebuildRollups(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "rebuilt roll-ups from events: %d rows in %v\n", rows, time.Since(start).Round(time.Millisecond))
	}
	p95 := func(k int, q func() error) (time.Duration, error) {
		var ds []time.Duration
		for i := 0; i < k; i++ {
			t := time.Now()
			if err := q(); err != nil {
				return 0, err
			}
			ds = append(ds, time.Since(t))
		}
		slices.Sort(ds)
		return ds[int(0.95*float64(len(ds)-1)+0.5)], nil
	}
	rng := rand.New(rand.NewPCG(2, 9))
	scenarios := []struct {
		name   string
		target time.Duration
		scope  func() string
	}{
		{"city", 200 * time.Millisecond, func() string { return "" }},
		{"street", 100 * time.Millisecond, func() string { return streets[rng.IntN(len(streets))].Code }},
	}
	// Every overview from the roll-ups first, then the scans: a scan of
	// millions of timelines evicts the roll-ups from the caches, and a
	// server answering overviews all day has them warm.
	fast := make([]time.Duration, len(scenarios))
	for i, sc := range scenarios {
		if fast[i], err = p95(*queries, func() error { _, err := st.Overview(ctx, civic.System, sc.scope()); return err }); err != nil {
			return fmt.Errorf("overview %s: %w", sc.name, err)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for i, sc := range scenarios {
		if *scans <= 0 { // a re-measure of the roll-ups only
			fmt.Fprintf(env.Stdout, "overview %s: p95 %.1f ms (target < %v; scan not run)\n", sc.name, ms(fast[i]), sc.target)
			continue
		}
		slow, err := p95(*scans, func() error { _, err := st.OverviewByScan(ctx, civic.System, sc.scope()); return err })
		if err != nil {
			return fmt.Errorf("overview %s by scan: %w", sc.name, err)
		}
		fmt.Fprintf(env.Stdout, "overview %s: p95 %.1f ms (target < %v; scan %.0f ms, ratio %.0f)\n", sc.name, ms(fast[i]), sc.target, ms(slow), ms(slow)/ms(fast[i]))
	}
	return nil
}
