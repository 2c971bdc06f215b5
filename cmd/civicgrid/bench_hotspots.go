package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/demo"
	"github.com/civicgrid/civicgrid/internal/store"
)

// benchHotspots measures hotspot detection (DetectHotspots) over the last
// 30 days of a SQLite demo city seeded with many synthetic cases (default
// 150,000 in those 30 days, plus a year-ago week for the rising
// baseline): city-wide for the operator and for one street.
func benchHotspots(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("bench hotspots", env, &c)
	n := fs.Int("cases", 150_000, "how many cases to seed over the last 30 days")
	runs := fs.Int("runs", 7, "detections per scenario")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the detections to this file")
	keep := fs.String("keep", "", "keep the seeded database at this path (reused if it exists)")
	if err := parse(fs, args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "civicgrid-bench-hotspots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c.db = filepath.Join(dir, "bench.db")
	reuse := false
	if *keep != "" {
		c.db = *keep
		_, err := os.Stat(*keep)
		reuse = err == nil
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
		slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
		start := time.Now()
		err = st.SeedBenchCases(ctx, len(at), func(i int) store.BenchCase {
			g := grids[rng.IntN(len(grids))]
			// Spread over about a kilometre around the grid's centre.
			bc := store.BenchCase{State: "visited", Category: cats[rng.IntN(len(cats))], Title: "压测工单", Region: g.Code,
				Lng: g.CenterLng + (rng.Float64()*2-1)*0.006, Lat: g.CenterLat + (rng.Float64()*2-1)*0.004,
				Phone: fmt.Sprintf("139%08d", rng.IntN(60000)), HandlerRegion: g.Code[:12], CreatedAt: at[i],
				Timeline: true, Satisfaction: "satisfied", Solved: true}
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
		fmt.Fprintf(env.Stdout, "seeded %d cases and their roll-ups in %v\n", len(at), time.Since(start).Round(time.Second))
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	measure := func(name string, a civic.Actor) error {
		var ds, cpu []time.Duration
		var found map[civic.HotspotKind]int
		for range *runs {
			t, c0 := time.Now(), processCPU()
			_, f, err := st.DetectHotspots(ctx, a, "", civic.HotspotParams{})
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			ds = append(ds, time.Since(t))
			cpu = append(cpu, processCPU()-c0)
			found = f
		}
		slices.Sort(ds)
		slices.Sort(cpu)
		fmt.Fprintf(env.Stdout, "%s: median %v, min %v, max %v over %d runs (target < 2s); CPU time median %v; warnings found %v (at most 100 of each kind listed)\n", name,
			ds[len(ds)/2].Round(time.Millisecond), ds[0].Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond), len(ds),
			cpu[len(cpu)/2].Round(time.Millisecond), found)
		return nil
	}
	city := grids[0].Code[:4]
	if err := measure("city-wide (operator)", civic.Actor{UserID: 1 << 40, Username: "bench", Role: civic.RoleOperator, Scope: civic.Scope{RegionCode: city}}); err != nil {
		return err
	}
	return measure("one street (street staff)", civic.Actor{UserID: 1 << 40, Username: "bench", Role: civic.RoleStreetStaff, Scope: civic.Scope{RegionCode: grids[0].Code[:9]}})
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
