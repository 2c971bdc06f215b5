package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/civicgrid/civicgrid/internal/store"
)

// Imports works through queued spreadsheet imports of houses and people.
// Each import is taken with a lease that every batch renews, so an import
// runs in one process at a time; one left behind by a crashed process is
// resumed by another after ImportLease, and one whose process shuts down
// is handed back and resumed at once.
type Imports struct {
	Store *store.Store
	Log   *slog.Logger
	// Every is how often the database is asked for waiting imports.
	Every time.Duration
}

// Run works until ctx ends.
func (j Imports) Run(ctx context.Context) {
	if j.Every <= 0 {
		j.Every = 3 * time.Second
	}
	if j.Log == nil {
		j.Log = slog.Default()
	}
	every(ctx, j.Every, j.Log, "imports", func(ctx context.Context) {
		if _, err := j.Pass(ctx); err != nil && ctx.Err() == nil {
			j.Log.Error("people imports", "err", err)
		}
	})
}

// Pass runs waiting imports one after another until none is left, and
// reports how many it finished.
func (j Imports) Pass(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		id, token, ok, err := j.Store.ClaimImport(ctx)
		if err != nil || !ok {
			return n, err
		}
		start := time.Now()
		if err := j.Store.RunImport(ctx, id, token); err != nil {
			if ctx.Err() != nil {
				// Shutting down: hand the import back, so that another
				// server resumes it now rather than after the lease.
				if rerr := j.Store.ReleaseImport(context.WithoutCancel(ctx), id, token); rerr != nil {
					return n, fmt.Errorf("hand back import %d: %w", id, rerr)
				}
				return n, ctx.Err()
			}
			return n, err
		}
		if j.Log != nil {
			j.Log.Info("import finished", "import", id, "took", time.Since(start).Round(time.Millisecond))
		}
		n++
	}
	return n, ctx.Err()
}
