package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/demo"
	"github.com/civicgrid/civicgrid/internal/server"
	"github.com/civicgrid/civicgrid/internal/store"
)

// benchCases measures case intake through the HTTP API on a fresh SQLite
// demo city (WAL, synchronous=FULL: every acknowledged case is durable)
// with routing, deadlines, events and read-back, and compares it with bare
// durable inserts of the case row using the same batch size the intake's
// group commit reached.
func benchCases(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("bench cases", env, &c)
	seconds := fs.Int("seconds", 10, "how long to submit cases")
	clients := fs.Int("clients", 64, "concurrent HTTP clients")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the submission phase to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	c.logLevel = "error" // the server below logs as quietly as the store
	st, _, done, err := openBenchStore(ctx, env, c, "cases", "")
	if err != nil {
		return err
	}
	defer done()
	if err := demo.Load(ctx, st, demo.Generate(demoSeed)); err != nil {
		return fmt.Errorf("load demo city: %w", err)
	}
	admin, err := st.GetUserByName(ctx, civic.System, "admin")
	if err != nil {
		return err
	}
	_, token, err := st.CreateToken(ctx, store.ActorOf(admin, ""), "bench")
	if err != nil {
		return err
	}
	accepted := true
	cats, err := st.ListCategories(ctx, civic.System, store.CategoryFilter{OnlyLeaves: true, Accepted: &accepted})
	if err != nil {
		return err
	}
	grids, _, err := st.ListRegions(ctx, civic.System, store.RegionFilter{Level: civic.LevelGrid, Page: store.Page{Limit: 10000}})
	if err != nil {
		return err
	}
	srv, err := server.New(ctx, server.Config{Store: st, Log: c.logger(env), AlertsEvery: -1})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln) }()
	base := "http://" + ln.Addr().String()

	fmt.Fprintf(env.Stdout, "civicgrid bench cases — %d CPU, %s, SQLite WAL synchronous=FULL, %d clients, %ds, %d categories, %d grids\n",
		runtime.NumCPU(), versionString(), *clients, *seconds, len(cats), len(grids))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients, MaxConnsPerHost: *clients}}
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	deadline := time.Now().Add(time.Duration(*seconds) * time.Second)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < *clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; time.Now().Before(deadline); i++ {
				g := grids[rng.IntN(len(grids))]
				cat := cats[rng.IntN(len(cats))]
				body, _ := json.Marshal(map[string]any{"source": "api", "category_code": cat.Code, "title": cat.Name + "问题反映",
					"description": "基准测试提交：" + g.Name + "附近" + cat.Name, "lng": g.CenterLng, "lat": g.CenterLat, "reporter_phone": "13800000000"})
				req, _ := http.NewRequest("POST", base+"/api/v1/cases", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d-%d", w, i))
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %s", resp.StatusCode, b))
					continue
				}
				ok.Add(1)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	batches, filed := srv.IntakeStats()
	stop()
	if err := <-served; err != nil {
		return err
	}
	if f := failed.Load(); f > 0 {
		fmt.Fprintf(env.Stdout, "failed submissions: %d (first: %v)\n", f, firstErr.Load())
	}
	rate := float64(ok.Load()) / elapsed.Seconds()
	avgBatch := 1.0
	if batches > 0 {
		avgBatch = float64(filed) / float64(batches)
	}
	n := int(min(ok.Load(), 50000))
	bareTime, err := st.BareCaseInserts(ctx, n, int(avgBatch+0.5))
	if err != nil {
		return err
	}
	bare := float64(n) / bareTime.Seconds()
	fmt.Fprintf(env.Stdout, "filed %d cases in %v over %d commits (%.1f cases per commit)\n", ok.Load(), elapsed.Round(time.Millisecond), batches, avgBatch)
	fmt.Fprintf(env.Stdout, "intake: %.0f cases/s (bare insert %.0f rows/s, ratio %.1f)\n", rate, bare, bare/rate)
	return nil
}
