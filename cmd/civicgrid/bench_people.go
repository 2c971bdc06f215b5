package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/demo"
	"github.com/civicgrid/civicgrid/internal/store"
)

// benchPeople measures the people import and people search at city scale
// on SQLite: it writes a synthetic population of the demo city as the two
// import sheets (CSV), imports houses and then people the way an upload is
// imported (validation, sealing, merging, search terms, tags, links,
// counters), and compares the people import with a bare bulk INSERT of
// the same rows in the same run. Then it grows the population (bulk, no
// validation) and times exact ID and phone searches and a name search
// within a street.
func benchPeople(ctx context.Context, args []string, env Env) error {
	var c config
	fs := newFlags("bench people", env, &c)
	nPeople := fs.Int("people", 1_000_000, "people to import")
	nHouses := fs.Int("houses", 400_000, "houses to import")
	grow := fs.Int("grow", 3_000_000, "people in the database for the search measurements (0: skip them)")
	queries := fs.Int("queries", 200, "queries per scenario and run")
	runs := fs.Int("runs", 3, "runs of each search scenario (the median p95 is reported)")
	if err := parse(fs, args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "civicgrid-bench-people-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c.db = filepath.Join(dir, "bench.db")
	c.logLevel = "error"
	st, err := openStore(ctx, c, c.logger(env))
	if err != nil {
		return err
	}
	defer st.Close()
	city := demo.Generate(demoSeed)
	if err := demo.Load(ctx, st, city); err != nil {
		return fmt.Errorf("load demo city: %w", err)
	}
	var grids []string
	for _, r := range city.Regions {
		if r.Level == civic.LevelGrid {
			grids = append(grids, r.Code)
		}
	}
	fmt.Fprintf(env.Stdout, "civicgrid bench people — %d CPU, %s, SQLite WAL synchronous=FULL, %d people, %d houses in %d grids\n",
		runtime.NumCPU(), versionString(), *nPeople, *nHouses, len(grids))

	housesCSV, peopleCSV := filepath.Join(dir, "houses.csv"), filepath.Join(dir, "people.csv")
	start := time.Now()
	hf, err := os.Create(housesCSV)
	if err != nil {
		return err
	}
	pf, err := os.Create(peopleCSV)
	if err != nil {
		return err
	}
	stats, err := demo.WritePopulation(demo.Population{Seed: demoSeed, Grids: grids, Houses: *nHouses, People: *nPeople, Now: time.Now().UTC()}, hf, pf)
	if err == nil {
		err = hf.Close()
	}
	if err == nil {
		err = pf.Close()
	}
	if err != nil {
		return fmt.Errorf("write population: %w", err)
	}
	fmt.Fprintf(env.Stdout, "generated %d houses in %d compounds and %d buildings, %d people, in %v\n",
		stats.Houses, stats.Compounds, stats.Buildings, stats.People, time.Since(start).Round(time.Millisecond))

	importFile := func(kind civic.ImportKind, path string, total int) (civic.Import, time.Duration, error) {
		f, err := os.Open(path)
		if err != nil {
			return civic.Import{}, 0, err
		}
		defer f.Close()
		t := time.Now()
		im, err := st.ImportNow(ctx, civic.System, kind, filepath.Base(path), "csv", f, total)
		return im, time.Since(t), err
	}
	hi, hd, err := importFile(civic.ImportHouses, housesCSV, stats.Houses)
	if err != nil {
		return fmt.Errorf("import houses: %w", err)
	}
	fmt.Fprintf(env.Stdout, "houses: %d created, %d rejected in %v (%.0f rows/s)\n", hi.Created, hi.Rejected, hd.Round(time.Millisecond), float64(hi.Done)/hd.Seconds())
	pi, pd, err := importFile(civic.ImportPeople, peopleCSV, stats.People)
	if err != nil {
		return fmt.Errorf("import people: %w", err)
	}
	fmt.Fprintf(env.Stdout, "people: %d created, %d merged, %d rejected in %v\n", pi.Created, pi.Merged, pi.Rejected, pd.Round(time.Millisecond))
	bf, err := os.Open(peopleCSV)
	if err != nil {
		return err
	}
	t := time.Now()
	bare, err := st.BarePeopleInserts(ctx, bf)
	bf.Close()
	if err != nil {
		return fmt.Errorf("bare insert: %w", err)
	}
	bd := time.Since(t)
	rate, bareRate := float64(pi.Done)/pd.Seconds(), float64(bare)/bd.Seconds()
	fmt.Fprintf(env.Stdout, "import: %.0f rows/s (bare insert %.0f rows/s, ratio %.1f)\n", rate, bareRate, bareRate/rate)
	fmt.Fprintf(env.Stdout, "import of %d houses and %d people: %v (target < 3m0s)\n", hi.Done, pi.Done, (hd + pd).Round(time.Second))
	if *grow <= 0 {
		return nil
	}

	// Samples to search for, drawn from the imported file.
	type sample struct{ name, id, phone, grid string }
	var samples []sample
	sf, err := os.Open(peopleCSV)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(3, 4))
	cr := csv.NewReader(sf)
	cr.FieldsPerRecord = -1
	_, _ = cr.Read()
	for i := 0; ; i++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			sf.Close()
			return err
		}
		s := sample{rec[0], rec[2], rec[5], rec[10]}
		if len(samples) < 5000 {
			samples = append(samples, s)
		} else if j := rng.IntN(i + 1); j < len(samples) {
			samples[j] = s
		}
	}
	sf.Close()
	if extra := *grow - pi.Created; extra > 0 {
		t := time.Now()
		next := demo.NewPersonSource(demoSeed, time.Now().UTC())
		if err := st.SeedBenchPeople(ctx, extra, func(i int) civic.Person { return next(grids[i%len(grids)]) }); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "grew to %d people in %v\n", pi.Created+extra, time.Since(t).Round(time.Second))
	}
	streetActor := func(grid string) civic.Actor {
		return civic.Actor{UserID: 1 << 40, Username: "bench", Role: civic.RoleStreetStaff, Scope: civic.Scope{RegionCode: grid[:9]}}
	}
	measure := func(name string, target time.Duration, q func(s sample) (int, error)) error {
		var p95s []time.Duration
		rows, n := 0, 0
		for run := 0; run < *runs; run++ {
			var ds []time.Duration
			for i := 0; i < *queries; i++ {
				s := samples[rng.IntN(len(samples))]
				t := time.Now()
				k, err := q(s)
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				ds = append(ds, time.Since(t))
				rows += k
				n++
			}
			slices.Sort(ds)
			p95s = append(p95s, ds[int(0.95*float64(len(ds)-1))])
		}
		var parts []string
		for _, p := range p95s {
			parts = append(parts, p.Round(10*time.Microsecond).String())
		}
		fmt.Fprintf(env.Stdout, "%s: p95 %v median of runs %v (target p95 < %v; %.1f rows per answer)\n", name, median(p95s).Round(10*time.Microsecond), parts, target, float64(rows)/float64(n))
		return nil
	}
	err = measure("search by exact ID number (street staff)", 10*time.Millisecond, func(s sample) (int, error) {
		_, n, err := st.ListPeople(ctx, streetActor(s.grid), store.PeopleFilter{Query: s.id})
		return n, err
	})
	if err != nil {
		return err
	}
	err = measure("search by exact phone (street staff)", 10*time.Millisecond, func(s sample) (int, error) {
		if s.phone == "" {
			s.phone = "13800000000"
		}
		_, n, err := st.ListPeople(ctx, streetActor(s.grid), store.PeopleFilter{Query: s.phone})
		return n, err
	})
	if err != nil {
		return err
	}
	return measure("search by name within a street", 100*time.Millisecond, func(s sample) (int, error) {
		_, n, err := st.ListPeople(ctx, streetActor(s.grid), store.PeopleFilter{Query: s.name})
		return n, err
	})
}
