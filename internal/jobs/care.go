package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/civicgrid/civicgrid/internal/store"
)

// Care keeps the people register's time-driven state current: care tasks
// (关爱提醒) filed and settled hourly, short-term rental stays ended when
// their departure day has passed, and age tags refreshed daily. Each piece
// runs under a lease in the database (Store.ClaimRun), so one server does
// it per period however many run; each is idempotent, so a pass cut short
// by a restart is simply done again.
type Care struct {
	Store *store.Store
	Log   *slog.Logger
	// Every is how often the leases are looked at.
	Every time.Duration
}

// careJob is one piece of the care pass and how often it runs.
type careJob struct {
	name  string
	every time.Duration
	run   func(ctx context.Context, s *store.Store) (int, error)
}

var careJobs = []careJob{
	{"care.tasks", time.Hour, func(ctx context.Context, s *store.Store) (int, error) {
		p, err := s.EvaluateCareRules(ctx, 500)
		return p.Created + p.Closed + p.Lapsed, err
	}},
	{"rentals.end", time.Hour, func(ctx context.Context, s *store.Store) (int, error) { return s.EndRentals(ctx) }},
	// A month's lookback catches up after any outage shorter than that.
	{"people.tags", 24 * time.Hour, func(ctx context.Context, s *store.Store) (int, error) { return s.RefreshDerivedTags(ctx, 31) }},
}

// Run works until ctx ends.
func (j Care) Run(ctx context.Context) {
	if j.Every <= 0 {
		j.Every = 5 * time.Minute
	}
	if j.Log == nil {
		j.Log = slog.Default()
	}
	every(ctx, j.Every, j.Log, "care", func(ctx context.Context) { j.Pass(ctx) })
}

// Pass runs every piece whose lease is due and returns which ran.
func (j Care) Pass(ctx context.Context) []string {
	log := j.Log
	if log == nil {
		log = slog.Default()
	}
	var ran []string
	for _, c := range careJobs {
		if ctx.Err() != nil {
			return ran
		}
		won, err := j.Store.ClaimRun(ctx, c.name, c.every)
		if err != nil {
			// Shutting down is not a failure worth an error line.
			if ctx.Err() == nil {
				log.Error("care job lease", "job", c.name, "err", err)
			}
			continue
		}
		if !won {
			continue
		}
		ran = append(ran, c.name)
		n, err := c.run(ctx, j.Store)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("care job", "job", c.name, "err", err)
			}
			// Try again soon rather than a whole period later.
			if rerr := j.Store.RetryRun(context.WithoutCancel(ctx), c.name, j.Store.Now().Add(5*time.Minute)); rerr != nil {
				log.Error("care job retry", "job", c.name, "err", rerr)
			}
			continue
		}
		if n > 0 {
			log.Info("care job", "job", c.name, "changes", n)
		}
	}
	return ran
}
