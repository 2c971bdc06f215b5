package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// benchTriage measures training a model from closed cases the way the
// background job does (TrainNextTriage: the figures on a held-out split,
// then the model) as a deployment's closed cases grow. It loads the demo
// city, then adds closed cases whose texts are the demo's own closed
// cases' again (each with a serial number, so that no two are the same)
// until each size is reached, and trains at each; the setting
// max_examples (default 20,000) limits what a model learns from.
func benchTriage(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("bench triage", env, &c)
	sizesFlag := fs.String("cases", "5000,10000,20000,40000", "closed cases to train from, in increasing order, comma-separated")
	limit := fs.Int("max-examples", 0, "the setting max_examples for the run (0: as the deployment's default)")
	if err := parse(fs, args); err != nil {
		return err
	}
	var sizes []int
	for _, f := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 || (len(sizes) > 0 && n <= sizes[len(sizes)-1]) {
			return usageError{"--cases: increasing positive numbers, e.g. 5000,10000,20000"}
		}
		sizes = append(sizes, n)
	}
	dir, err := os.MkdirTemp("", "civicgrid-bench-triage-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c.db, c.keysFile, c.logLevel = filepath.Join(dir, "bench.db"), filepath.Join(dir, "bench.keys"), "error"
	log := c.logger(env)
	if err := loadDemo(ctx, c, log, time.Now()); err != nil {
		return fmt.Errorf("load demo city: %w", err)
	}
	st, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer st.Close()
	set, err := st.TriageSettings(ctx)
	if err != nil {
		return err
	}
	if *limit > 0 {
		set.MaxExamples = *limit
		if set, err = st.SetTriageSettings(ctx, civic.System, set); err != nil {
			return err
		}
	}
	base, _, _, err := st.TriageExamples(ctx, 1, 1_000_000)
	if err != nil {
		return err
	}
	grids, _, err := st.ListRegions(ctx, civic.System, store.RegionFilter{Level: civic.LevelGrid, Page: store.Page{Limit: 10000}})
	if err != nil || len(grids) == 0 {
		return fmt.Errorf("demo grids: %d, %v", len(grids), err)
	}
	fmt.Fprintf(env.Stdout, "civicgrid bench triage — %d CPU, %s, %s, SQLite; the demo's %d closed cases, max_examples %d\n",
		runtime.NumCPU(), versionString(), time.Now().UTC().Format(time.RFC3339), len(base), set.MaxExamples)
	have := len(base)
	now := st.Now().UTC()
	for _, n := range sizes {
		if n > have {
			add := n - have
			err := st.SeedBenchCases(ctx, add, func(i int) store.BenchCase {
				e, g := base[(have+i)%len(base)], grids[(have+i)%len(grids)]
				return store.BenchCase{State: string(civic.StateClosed), Category: e.Label, Title: e.Title,
					Desc: fmt.Sprintf("%s（同类第%d件）", e.Text, have+i), Region: g.Code, HandlerRegion: g.Code,
					Lng: g.CenterLng, Lat: g.CenterLat, CreatedAt: now.Add(-time.Duration(i%90) * 24 * time.Hour)}
			})
			if err != nil {
				return err
			}
			have = n
		}
		q, err := st.QueueTriageModel(ctx, civic.System, civic.TriageFromCases, store.TriageUpload{})
		if err != nil {
			return err
		}
		start := time.Now()
		id, err := st.TrainNextTriage(ctx)
		if err != nil || id != q.ID {
			return fmt.Errorf("train %d: %v", q.ID, err)
		}
		took := time.Since(start)
		m, err := st.GetTriageModel(ctx, civic.System, id)
		if err != nil {
			return err
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		// Its figures are left out: the texts repeat, so the held-out
		// split holds copies of what was learnt and scores 1.
		fmt.Fprintf(env.Stdout, "%d closed cases: learnt from %d in %d categories in %.1f s; heap in use %d MB\n",
			have, m.Examples, m.Labels, took.Seconds(), ms.HeapInuse>>20)
		if m.Note != "" {
			fmt.Fprintf(env.Stdout, "  %s\n", m.Note)
		}
	}
	return nil
}
