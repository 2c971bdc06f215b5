// Package jobs runs civicgrid's background work. Every job asks the
// database what is due and acts idempotently, so it is restart-safe and may
// run in several server processes at once.
package jobs

import (
	"context"
	"log/slog"
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
	t := time.NewTicker(j.Every)
	defer t.Stop()
	for {
		j.pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
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
