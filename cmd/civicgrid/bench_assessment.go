package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/demo"
	"github.com/civicgrid/civicgrid/internal/store"
)

// benchAssessment measures assessments (考核) at city scale: the demo city
// with many synthetic cases (default 150,000, a busy city's month) filed
// over last month with timelines, then the month's assessment of every
// handler, street and community, each level --runs times.
func benchAssessment(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("bench assessment", env, &c)
	n := fs.Int("cases", 150_000, "how many cases to seed over last month")
	runs := fs.Int("runs", 5, "assessments per level")
	keep := fs.String("keep", "", "keep the seeded SQLite database at this path (reused if it exists)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the assessments to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, reuse, done, err := openBenchStore(ctx, env, c, "assessment", *keep)
	if err != nil {
		return err
	}
	defer done()
	// Last month in China time: every seeded case falls in it.
	now := time.Now().In(civic.ChinaTime)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, civic.ChinaTime).AddDate(0, -1, 0)
	period := civic.MonthPeriod(first.Year(), first.Month())
	fmt.Fprintf(env.Stdout, "civicgrid bench assessment — %d CPU, %s, SQLite WAL, %d cases in %s, %s\n",
		runtime.NumCPU(), versionString(), *n, period.Code, time.Now().UTC().Format(time.RFC3339))
	if !reuse {
		if err := demo.Load(ctx, st, demo.Generate(demoSeed)); err != nil {
			return fmt.Errorf("load demo city: %w", err)
		}
		grids, _, err := st.ListRegions(ctx, civic.System, store.RegionFilter{Level: civic.LevelGrid, Page: store.Page{Limit: 10000}})
		if err != nil {
			return err
		}
		cats, err := st.ListCategories(ctx, civic.System, store.CategoryFilter{OnlyLeaves: true})
		if err != nil {
			return err
		}
		states := []string{"visited", "visited", "visited", "visited", "visited", "closed", "handled", "in_progress", "in_progress", "dispatched"}
		sats := []string{"satisfied", "satisfied", "satisfied", "basic_satisfied", "dissatisfied"}
		span := int(period.To.Sub(period.From).Minutes()) - 12*60 // the timeline's steps stay in the month
		rng := rand.New(rand.NewPCG(17, 71))
		start := time.Now()
		err = st.SeedBenchCases(ctx, *n, func(i int) store.BenchCase {
			g := grids[rng.IntN(len(grids))]
			return store.BenchCase{State: states[rng.IntN(len(states))], Category: cats[rng.IntN(len(cats))].Code, Title: "基准工单", Desc: g.Name,
				Region: g.Code, Lng: g.CenterLng, Lat: g.CenterLat, HandlerRegion: g.Code[:12],
				CreatedAt: period.From.Add(time.Duration(rng.IntN(span)) * time.Minute).UTC(), Timeline: true,
				Satisfaction: sats[rng.IntN(len(sats))], Solved: rng.IntN(10) < 8}
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "seeded %d cases with timelines in %v\n", *n, time.Since(start).Round(time.Second))
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	for _, level := range civic.AssessLevels {
		var ds []time.Duration
		var units int
		for range *runs {
			t := time.Now()
			a, err := st.Assessment(ctx, civic.System, store.AssessmentQuery{Level: level, Period: period})
			if err != nil {
				return fmt.Errorf("assessment by %s: %w", level, err)
			}
			ds = append(ds, time.Since(t))
			units = len(a.Units)
		}
		slices.Sort(ds)
		fmt.Fprintf(env.Stdout, "assessment by %s: %d units, median %v, min %v, max %v over %d runs\n",
			level, units, ds[len(ds)/2].Round(time.Millisecond), ds[0].Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond), len(ds))
	}
	return nil
}
