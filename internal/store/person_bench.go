package store

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// BarePeopleInserts is the baseline the people import is compared with:
// the same CSV rows, read and written in the same batches with the same
// multi-row statements into a table of the people table's shape, but
// without validation, sealing, search terms, tags, links or indexes. It
// returns how many rows it wrote. It creates and fills a table
// bench_people_bare; use it only on a benchmark database.
func (s *Store) BarePeopleInserts(ctx context.Context, r io.Reader) (int, error) {
	_, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_people_bare (id INTEGER PRIMARY KEY, grid_code TEXT NOT NULL, name TEXT NOT NULL,
		gender TEXT NOT NULL, birth_date TEXT NOT NULL, id_type TEXT NOT NULL, id_sealed TEXT NOT NULL, id_hash TEXT NOT NULL, id_mask TEXT NOT NULL,
		phone_sealed TEXT NOT NULL, phone_hash TEXT NOT NULL, phone_mask TEXT NOT NULL, key_version INTEGER NOT NULL, residence_type TEXT NOT NULL,
		ethnic TEXT NOT NULL, workplace TEXT NOT NULL, note TEXT NOT NULL, houses INTEGER NOT NULL, address TEXT NOT NULL,
		created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)`)
	if err != nil {
		return 0, fmt.Errorf("create bare table: %w", err)
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	if _, err := cr.Read(); err != nil {
		return 0, fmt.Errorf("read header: %w", err)
	}
	n := 0
	var batch [][]any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.write(ctx, func(tx *Tx) error {
			return tx.insertRows(ctx, `INSERT INTO bench_people_bare (grid_code, name, gender, birth_date, id_type, id_sealed, id_hash, id_mask, phone_sealed, phone_hash,
				phone_mask, key_version, residence_type, ethnic, workplace, note, houses, address, created_at, updated_at)`,
				`(?, ?, ?, ?, ?, ?, '', '', ?, '', '', 0, ?, ?, ?, ?, 0, '', ?, ?)`, batch)
		})
		batch = batch[:0]
		return err
	}
	now := s.Now()
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, err
		}
		for len(rec) < 18 {
			rec = append(rec, "")
		}
		batch = append(batch, []any{rec[10], rec[0], rec[3], rec[4], rec[1], rec[2], rec[5], rec[6], rec[7], rec[8], rec[17], now, now})
		n++
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}

// SeedBenchPeople adds n people fast, for search benchmarks at city
// scale: sealed numbers, search terms and tags as the import writes them,
// in the import's batches, but without validation, merging or houses.
// next returns the i-th person. Use it only on a benchmark database.
func (s *Store) SeedBenchPeople(ctx context.Context, n int, next func(i int) civic.Person) error {
	run := &importRun{s: s, a: civic.System, kind: civic.ImportPeople}
	workers := runtime.GOMAXPROCS(0)
	for done := 0; done < n; done += importBatch {
		k := min(importBatch, n-done)
		people := make([]civic.Person, k)
		for i := range people {
			people[i] = next(done + i)
		}
		now := s.Now()
		fresh := make([]*personState, k)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < k; i += workers {
					p := people[i]
					sl, err := sealPerson(s.vault, p.IDNumber, p.Phone)
					if err != nil {
						errs[w] = err
						return
					}
					var manual []civic.Tag
					for _, t := range p.Tags {
						if !t.Derived() {
							manual = append(manual, t)
						}
					}
					r := &personRow{p: p, sl: sl, manual: manual, terms: personTerms(p.Name, "", p.GridCode)}
					fresh[i] = newPersonState(r, now)
				}
			}(w)
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		err := s.write(ctx, func(tx *Tx) error { return run.insertPeople(ctx, tx, fresh, "bench") })
		if err != nil {
			return fmt.Errorf("seed people: %w", err)
		}
	}
	return nil
}
