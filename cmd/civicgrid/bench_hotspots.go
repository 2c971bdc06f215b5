package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/demo"
	"github.com/civicgrid/civicgrid/internal/store"
)

// benchHotspots measures hotspot detection (DetectHotspots) over the last
// 30 days of a SQLite demo city seeded with many synthetic cases (default
// 150,000 in those 30 days, plus a year-ago week for the rising
// baseline, plus planted bursts): city-wide for the operator, with and
// without each place's usual load and with a one-day window, and for one
// street. Beside the times it says how many planted bursts were found and
// how many clusters hold none of their cases.
func benchHotspots(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("bench hotspots", env, &c)
	n := fs.Int("cases", 150_000, "how many cases to seed over the last 30 days")
	runs := fs.Int("runs", 7, "detections per scenario")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the detections to this file")
	keep := fs.String("keep", "", "keep the seeded database at this path (reused if it exists)")
	bursts := fs.Int("bursts", 20, "planted bursts: cases of one category at one spot within a day")
	burstSize := fs.Int("burst-size", 12, "cases in a planted burst")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, reuse, done, err := openBenchStore(ctx, env, c, "hotspots", *keep)
	if err != nil {
		return err
	}
	defer done()
	if !reuse {
		if err := demo.Load(ctx, st, demo.Generate(demoSeed)); err != nil {
			return fmt.Errorf("load demo city: %w", err)
		}
		if _, err := st.EnsureDefaultCategories(ctx); err != nil {
			return fmt.Errorf("load categories: %w", err)
		}
	}
	grids, _, err := st.ListRegions(ctx, civic.System, store.RegionFilter{Level: civic.LevelGrid, Page: store.Page{Limit: 10000}})
	if err != nil {
		return err
	}
	var cats []string
	for g := 1; g <= 9; g++ {
		for k := 1; k <= 6; k++ {
			cats = append(cats, fmt.Sprintf("%02d%02d", g, k))
		}
	}
	fmt.Fprintf(env.Stdout, "civicgrid bench hotspots — %d CPU, %s, SQLite, %d cases in 30 days over %d grids\n", runtime.NumCPU(), versionString(), *n, len(grids))
	rng := rand.New(rand.NewPCG(17, 31))
	now := st.Now().UTC()
	lastYear := *n / 30 * 7 / 2 // half as busy a year ago
	if !reuse {
		// Cases are filed in time order, so their rows are too: the
		// year-ago week first, then the last 30 days.
		at := make([]time.Time, 0, *n+lastYear)
		for range lastYear {
			at = append(at, now.Add(-52*7*24*time.Hour-time.Duration(rng.Int64N(int64(7*24*time.Hour)))))
		}
		for range *n {
			at = append(at, now.Add(-time.Duration(rng.Int64N(int64(30*24*time.Hour)))))
		}
		cases := make([]store.BenchCase, 0, len(at)+*bursts**burstSize)
		for _, t := range at {
			g := grids[rng.IntN(len(grids))]
			// Spread over about a kilometre around the grid's centre.
			cases = append(cases, store.BenchCase{Category: cats[rng.IntN(len(cats))], Title: "压测工单", Region: g.Code,
				Lng: g.CenterLng + (rng.Float64()*2-1)*0.006, Lat: g.CenterLat + (rng.Float64()*2-1)*0.004,
				Phone: fmt.Sprintf("139%08d", rng.IntN(60000)), CreatedAt: t})
		}
		// Bursts: each of burstSize cases from distinct reporters, within
		// about 35 m of a spot and a day, somewhere in the busy city.
		for b := range *bursts {
			g := grids[rng.IntN(len(grids))]
			lng, lat := g.CenterLng+(rng.Float64()*2-1)*0.004, g.CenterLat+(rng.Float64()*2-1)*0.003
			cat := cats[rng.IntN(len(cats))]
			t0 := now.Add(-time.Duration(rng.Int64N(int64(29 * 24 * time.Hour))))
			for k := range *burstSize {
				cases = append(cases, store.BenchCase{Category: cat, Title: fmt.Sprintf("压测聚集 %d", b), Region: g.Code,
					Lng: lng + (rng.Float64()*2-1)*0.0004, Lat: lat + (rng.Float64()*2-1)*0.0003,
					Phone: fmt.Sprintf("138%04d%04d", b, k), CreatedAt: t0.Add(-time.Duration(rng.Int64N(int64(24 * time.Hour))))})
			}
		}
		slices.SortFunc(cases, func(a, b store.BenchCase) int { return a.CreatedAt.Compare(b.CreatedAt) })
		start := time.Now()
		err = st.SeedBenchCases(ctx, len(cases), func(i int) store.BenchCase {
			bc := cases[i]
			bc.State, bc.HandlerRegion, bc.Timeline, bc.Satisfaction, bc.Solved = "visited", bc.Region[:12], true, "satisfied", true
			if rng.IntN(5) == 0 {
				bc.State = "in_progress"
			}
			return bc
		})
		if err != nil {
			return err
		}
		// A deployment keeps its roll-ups as cases arrive; rising
		// categories read them.
		if _, err := st.RebuildRollups(ctx); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "seeded %d cases (%d in %d planted bursts) and their roll-ups in %v\n", len(cases), *bursts**burstSize, *bursts, time.Since(start).Round(time.Second))
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	measure := func(name string, a civic.Actor, p civic.HotspotParams) error {
		var ds, cpu []time.Duration
		var found map[civic.HotspotKind]int
		var hs []civic.Hotspot
		for range *runs {
			t, c0 := time.Now(), processCPU()
			h, f, err := st.DetectHotspots(ctx, a, "", p)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			ds = append(ds, time.Since(t))
			cpu = append(cpu, processCPU()-c0)
			hs, found = h, f
		}
		slices.Sort(ds)
		slices.Sort(cpu)
		fmt.Fprintf(env.Stdout, "%s: median %v, min %v, max %v over %d runs (target < 2s); CPU time median %v; warnings found %v\n", name,
			ds[len(ds)/2].Round(time.Millisecond), ds[0].Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond), len(ds),
			cpu[len(cpu)/2].Round(time.Millisecond), found)
		fmt.Fprintf(env.Stdout, "  %s\n", burstScore(hs, found, *burstSize))
		return nil
	}
	city := civic.Actor{UserID: 1 << 40, Username: "bench", Role: civic.RoleOperator, Scope: civic.Scope{RegionCode: grids[0].Code[:4]}}
	street := civic.Actor{UserID: 1 << 40, Username: "bench", Role: civic.RoleStreetStaff, Scope: civic.Scope{RegionCode: grids[0].Code[:9]}}
	// The default parameters list 100 warnings of each kind: every
	// cluster here, so the bursts are looked for among all of them.
	for _, m := range []struct {
		name string
		a    civic.Actor
		p    civic.HotspotParams
	}{
		{"city-wide (operator), usual load counted", city, civic.HotspotParams{}},
		{"city-wide (operator), usual load ignored", city, civic.HotspotParams{IgnoreUsual: true}},
		{"city-wide (operator), usual load counted, window 1 day", city, civic.HotspotParams{Window: 24 * time.Hour}},
		{"one street (street staff), usual load counted", street, civic.HotspotParams{}},
	} {
		if err := measure(m.name, m.a, m.p); err != nil {
			return err
		}
	}
	return nil
}

// burstScore says how the planted bursts fared among the clusters: a
// burst is found when one cluster holds at least half of its cases and is
// at most five times its size (a neighbourhood-wide cluster that swallows
// it does not point at it); a cluster with no planted case at all is a
// chance meeting of the background, a false alarm.
func burstScore(hs []civic.Hotspot, found map[civic.HotspotKind]int, size int) string {
	bursts := map[string]bool{}
	chance, chanceCases, holding, holdingCases, clusters := 0, 0, 0, 0, 0
	for _, h := range hs {
		if h.Kind != civic.HotspotCluster && h.Kind != civic.HotspotManyReporters {
			continue
		}
		clusters++
		by := map[string]int{}
		for _, c := range h.Cases {
			if strings.HasPrefix(c.Title, "压测聚集") {
				by[c.Title]++
			}
		}
		if len(by) == 0 {
			chance++
			chanceCases += h.Size
			continue
		}
		for title, k := range by {
			if 2*k >= size && h.Size <= 5*size {
				if !bursts[title] {
					holding++
					holdingCases += h.Size
				}
				bursts[title] = true
			}
		}
	}
	mean := func(sum, n int) float64 {
		if n == 0 {
			return 0
		}
		return float64(sum) / float64(n)
	}
	return fmt.Sprintf("clusters %d (listed %d): planted bursts found %d (their clusters %.1f cases on average); clusters with no planted case %d (%.1f cases on average)",
		found[civic.HotspotCluster]+found[civic.HotspotManyReporters], clusters, len(bursts), mean(holdingCases, holding), chance, mean(chanceCases, chance))
}

// processCPU is the CPU time (user + system) this process has used, all
// threads: on a shared machine it says what a measurement cost when the
// wall clock also counts others' work.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
