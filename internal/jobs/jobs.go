// Package jobs runs civicgrid's background work. Every job asks the
// database what is due and acts idempotently, so it is restart-safe and may
// run in several server processes at once. A pass that panics is logged and
// the job runs again at its next tick; the server goes on.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/civicgrid/civicgrid/internal/store"
)

// Alerts fires case warnings, recalls and escalations as their moments come.
type Alerts struct {
	Store *store.Store
	Log   *slog.Logger
	// Every is how often the database is asked what is due.
	Every time.Duration
	// Batch bounds one pass, so a backlog is worked off in short
	// transactions.
	Batch int
}

// Run works until ctx ends.
func (j Alerts) Run(ctx context.Context) {
	if j.Every <= 0 {
		j.Every = 30 * time.Second
	}
	if j.Batch <= 0 {
		j.Batch = 500
	}
	if j.Log == nil {
		j.Log = slog.Default()
	}
	every(ctx, j.Every, j.Log, "alerts", j.pass)
}

func (j Alerts) pass(ctx context.Context) {
	for ctx.Err() == nil {
		// An error may name a case whose alerts failed while the others
		// fired (it waits store.AlertRetry): the pass goes on.
		n, err := j.Store.FireDueAlerts(ctx, j.Batch)
		if err != nil && ctx.Err() == nil {
			j.Log.Error("case alerts", "err", err)
		}
		if n > 0 {
			j.Log.Info("case alerts fired", "count", n)
		}
		if n < j.Batch {
			return
		}
	}
}

// every runs pass at once and then every d until ctx ends. A pass that
// panics is logged with its stack and the job goes on at its next tick:
// a job runs in a goroutine of its own, where a panic would end the whole
// server, every request in flight and every other job with it. What the
// pass held is the database's to recover (its transaction rolls back, its
// lease lapses).
func every(ctx context.Context, d time.Duration, log *slog.Logger, job string, pass func(context.Context)) {
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		if err := guard(ctx, pass); err != nil {
			log.Error("background job panicked", "job", job, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// guard runs pass and turns a panic into an error that carries its stack.
func guard(ctx context.Context, pass func(context.Context)) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	pass(ctx)
	return nil
}
