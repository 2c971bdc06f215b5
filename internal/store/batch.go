package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// Intake files cases with group commit: concurrent submissions share one
// durable transaction, and each submitter is answered only after that
// commit. One fsync per case would cap intake at a few hundred cases a
// second on SQLite with synchronous=FULL; shared commits lift that cap
// without weakening durability. Each submission runs in its own savepoint,
// so one submission's failure never touches another's — except that
// PostgreSQL aborting the batch as a deadlock's victim (or a serialization
// failure) runs the whole batch again, as write does any transaction.
type Intake struct {
	s        *Store
	loc      *Locator
	reqs     chan *intakeReq
	maxBatch int
	stop     context.CancelFunc
	wg       sync.WaitGroup
	// batches and filed count commits and the submissions they carried,
	// for benchmarks and metrics.
	batches, filed atomic.Int64
}

// Stats reports how many shared commits the intake made and how many
// submissions they carried.
func (in *Intake) Stats() (batches, submissions int64) { return in.batches.Load(), in.filed.Load() }

type intakeReq struct {
	ctx  context.Context
	p    *preparedCase
	done chan intakeResult
}

type intakeResult struct {
	id       int64
	existing bool
	err      error
}

// NewIntake starts the batching loop; Close stops it.
func (s *Store) NewIntake(loc *Locator) *Intake {
	ctx, cancel := context.WithCancel(context.Background())
	in := &Intake{s: s, loc: loc, reqs: make(chan *intakeReq, 1024), maxBatch: 256, stop: cancel}
	in.wg.Add(1)
	go in.loop(ctx)
	return in
}

// Close stops the loop after the batch in flight.
func (in *Intake) Close() {
	in.stop()
	in.wg.Wait()
}

// Submit validates and routes a case in the caller's goroutine, then hands
// it to the batching loop and waits for the shared commit.
func (in *Intake) Submit(ctx context.Context, a civic.Actor, n NewCase) (civic.Case, bool, error) {
	p, err := in.s.prepareCase(ctx, a, in.loc, n)
	if err != nil {
		return civic.Case{}, false, err
	}
	req := &intakeReq{ctx: ctx, p: p, done: make(chan intakeResult, 1)}
	select {
	case in.reqs <- req:
	case <-ctx.Done():
		return civic.Case{}, false, ctx.Err()
	}
	var res intakeResult
	select {
	case res = <-req.done:
	case <-ctx.Done():
		// The case may still be committed; a retry with the same
		// idempotency key will find it.
		return civic.Case{}, false, ctx.Err()
	}
	if res.err != nil {
		return civic.Case{}, false, res.err
	}
	c, err := in.s.submittedCase(ctx, a, res.id)
	return c, res.existing, err
}

func (in *Intake) loop(ctx context.Context) {
	defer in.wg.Done()
	for {
		var batch []*intakeReq
		select {
		case <-ctx.Done():
			return
		case r := <-in.reqs:
			batch = append(batch, r)
		}
		// Take whatever else is already waiting: no timer, so a lone
		// submission is never delayed, and under load batches grow by
		// themselves while the previous commit is being synced.
	drain:
		for len(batch) < in.maxBatch {
			select {
			case r := <-in.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		in.commit(batch)
	}
}

func (in *Intake) commit(batch []*intakeReq) {
	results := make([]intakeResult, len(batch))
	err := in.s.write(context.Background(), func(tx *Tx) error {
		clear(results) // write may run this again
		for i, r := range batch {
			if r.ctx.Err() != nil {
				results[i].err = r.ctx.Err()
				continue
			}
			// One fixed savepoint name, released after every case: the
			// statements stay three texts that the statement cache keeps,
			// not three per position in the batch.
			if _, err := tx.exec(r.ctx, "SAVEPOINT intake_case"); err != nil {
				return fmt.Errorf("savepoint: %w", err)
			}
			// The case's roll-up counts join the batch's only if it stays.
			tx.caseRollups = rollups{}
			id, existing, err := tx.insertCase(r.ctx, r.p)
			kept := tx.caseRollups
			tx.caseRollups = nil
			if err == nil {
				tx.keepRollups(kept)
			}
			if retryableIn(err) {
				// A deadlock's victim or a serialization failure is the
				// whole batch's, not this submission's: write runs the
				// batch again.
				return err
			}
			if err != nil {
				if _, rerr := tx.exec(context.Background(), "ROLLBACK TO SAVEPOINT intake_case"); rerr != nil {
					return fmt.Errorf("roll back submission: %w", rerr)
				}
				results[i].err = err
			} else {
				results[i] = intakeResult{id: id, existing: existing}
			}
			if _, err := tx.exec(context.Background(), "RELEASE SAVEPOINT intake_case"); err != nil {
				return fmt.Errorf("release savepoint: %w", err)
			}
		}
		return nil
	})
	if err == nil {
		in.batches.Add(1)
		in.filed.Add(int64(len(batch)))
	}
	for i, r := range batch {
		res := results[i]
		if err != nil {
			// Nothing of the batch is durable: every submitter hears so and
			// may retry with the same key.
			res = intakeResult{err: fmt.Errorf("commit cases: %w", err)}
		}
		r.done <- res
	}
}
