package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/civicgrid/civicgrid/internal/store"
)

// Reports makes the scheduled reports (日报/周报/月报): after midnight China
// time yesterday's daily reports, on Monday last week's, on the 1st last
// month's, for every active template's regions (docs/REPORTS.md). A pass
// runs under a lease (Store.ClaimRun), so one server computes them; the
// reports' unique index makes a second run, a concurrent one or one after a
// restart add nothing, and the reports missed while no server ran (up to
// about a month back, civic.DuePeriods) are made on the next pass. A
// template whose reports fail waits 1, 2, 4 … minutes, at most 6 hours,
// before the schedule tries it again, the wait kept on the template in
// the database so that every server keeps it (Store.RunScheduledReports).
type Reports struct {
	Store *store.Store
	Log   *slog.Logger
	// Every is how often the schedule is looked at.
	Every time.Duration
}

const reportsJob = "reports.schedule"

// Run works until ctx ends.
func (j Reports) Run(ctx context.Context) {
	if j.Every <= 0 {
		j.Every = 5 * time.Minute
	}
	every(ctx, j.Every, j.Log, "reports", func(ctx context.Context) { j.Pass(ctx) })
}

// Pass makes the reports that are due if this server wins the lease, and
// returns how many it made.
func (j Reports) Pass(ctx context.Context) int {
	log := j.Log
	if log == nil {
		log = slog.Default()
	}
	every := j.Every
	if every <= 0 {
		every = 5 * time.Minute
	}
	won, err := j.Store.ClaimRun(ctx, reportsJob, every)
	if err != nil || !won {
		if err != nil && ctx.Err() == nil {
			log.Error("reports lease", "err", err)
		}
		return 0
	}
	// A failure is logged once, on the pass that tried: the failing
	// templates are then left alone until their next attempt, and the
	// lease stays as it is (a retry every minute of the whole schedule
	// would try a template that keeps failing every minute for ever).
	n, err := j.Store.RunScheduledReports(ctx)
	if err != nil && ctx.Err() == nil {
		log.Error("scheduled reports failed", "made", n, "err", err)
	}
	if n > 0 {
		log.Info("scheduled reports", "made", n)
	}
	return n
}
