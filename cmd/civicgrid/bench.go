package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/civicgrid/civicgrid/internal/store"
)

func cmdBench(ctx context.Context, args []string, env Env) error {
	if len(args) > 0 && args[0] == "cases" {
		return benchCases(ctx, args[1:], env)
	}
	if len(args) > 0 && args[0] == "caselists" {
		return benchLists(ctx, args[1:], env)
	}
	if len(args) > 0 && args[0] == "hotspots" {
		return benchHotspots(ctx, args[1:], env)
	}
	if len(args) > 0 && args[0] == "duplicates" {
		return benchDuplicates(ctx, args[1:], env)
	}
	if len(args) > 0 && args[0] == "insight" {
		return benchInsight(ctx, args[1:], env)
	}
	if len(args) > 0 && args[0] == "assessment" {
		return benchAssessment(ctx, args[1:], env)
	}
	if len(args) > 0 && args[0] == "people" {
		return benchPeople(ctx, args[1:], env)
	}
	if len(args) > 0 && args[0] == "triage" {
		return benchTriage(ctx, args[1:], env)
	}
	if len(args) == 0 || args[0] != "startup" {
		return usageError{"usage: civicgrid bench startup [--runs N] | bench cases [--seconds N] [--clients N] | bench caselists [--cases N] | bench people [--people N] [--houses N] [--grow N] | bench hotspots [--cases N] [--runs N] | bench insight [--cases N] | bench assessment [--cases N] [--runs N] | bench duplicates [--cases N] [--runs N] | bench triage [--cases N,N,…] [--max-examples N]"}
	}
	var c config
	fs := newFlags("bench startup", env, &c)
	runs := fs.Int("runs", 5, "how many times to measure each scenario")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	host, _ := os.Hostname()
	fmt.Fprintf(env.Stdout, "civicgrid bench startup — %s, %d CPU, %s, %s\n", host, runtime.NumCPU(), versionString(), time.Now().UTC().Format(time.RFC3339))
	var demoTimes, serveTimes []time.Duration
	for i := 0; i < *runs; i++ {
		dir, err := os.MkdirTemp("", "civicgrid-bench-")
		if err != nil {
			return err
		}
		db := filepath.Join(dir, "bench.db")
		d, err := timeToReady(ctx, self, "demo", db)
		if err != nil {
			os.RemoveAll(dir)
			return fmt.Errorf("demo run %d: %w", i+1, err)
		}
		s, err := timeToReady(ctx, self, "serve", db)
		os.RemoveAll(dir)
		if err != nil {
			return fmt.Errorf("serve run %d: %w", i+1, err)
		}
		demoTimes, serveTimes = append(demoTimes, d), append(serveTimes, s)
		fmt.Fprintf(env.Stdout, "run %d: demo on empty database ready in %v; serve on existing database ready in %v\n", i+1, d.Round(time.Millisecond), s.Round(time.Millisecond))
	}
	fmt.Fprintf(env.Stdout, "startup: demo on empty database %v median (target < 10s); serve on existing database %v median (target < 1s)\n",
		median(demoTimes).Round(time.Millisecond), median(serveTimes).Round(time.Millisecond))
	return nil
}

var servingAt = regexp.MustCompile(`serving at (http://\S+)`)

// timeToReady starts the binary as a new process, waits until /readyz
// answers 200 and returns the time since the process was started.
func timeToReady(ctx context.Context, self, cmd, db string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	// In English: servingAt reads the start-up line.
	p := exec.CommandContext(ctx, self, cmd, "--db", db, "--addr", "127.0.0.1:0", "--log-level", "warn", "--lang", "en")
	p.Env = append(os.Environ(), "CIVICGRID_DB=", "CIVICGRID_ADDR=")
	out, err := p.StdoutPipe()
	if err != nil {
		return 0, err
	}
	p.Stderr = os.Stderr
	start := time.Now()
	if err := p.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = p.Process.Signal(syscall.SIGTERM)
		_ = p.Wait()
	}()
	sc := bufio.NewScanner(out)
	var url string
	for sc.Scan() {
		if m := servingAt.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
			break
		}
	}
	if url == "" {
		return 0, fmt.Errorf("%s printed no URL", cmd)
	}
	go func() {
		for sc.Scan() {
		}
	}()
	for {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return time.Since(start), nil
			}
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// openBenchStore opens the SQLite store a bench scenario runs on, quietly
// (log level error): the file keep when given, reused if it exists (reuse
// says so, and the scenario skips its seeding), else a new file in a
// temporary directory. done closes the store and removes that directory.
func openBenchStore(ctx context.Context, env Env, c config, name, keep string) (st *store.Store, reuse bool, done func(), err error) {
	dir, err := os.MkdirTemp("", "civicgrid-bench-"+name+"-")
	if err != nil {
		return nil, false, nil, err
	}
	c.db = filepath.Join(dir, "bench.db")
	if keep != "" {
		c.db = keep
		_, err := os.Stat(keep)
		reuse = err == nil
	}
	c.logLevel = "error"
	st, err = openStore(ctx, c, c.logger(env))
	if err != nil {
		os.RemoveAll(dir)
		return nil, false, nil, err
	}
	return st, reuse, func() { st.Close(); os.RemoveAll(dir) }, nil
}

// startCPUProfile writes a CPU profile to path until stop is called; with
// no path it does nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
