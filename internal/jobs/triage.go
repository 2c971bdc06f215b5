package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/civicgrid/civicgrid/internal/store"
)

// Triage trains triage models in the background: the ones administrators
// queue, and one from closed cases every TriageSettings.EveryDays (also at
// the first start when no model exists yet). The schedule is a lease in the
// database (Store.ClaimRun), so one server queues the training however
// many run; a queued model is claimed by one server, which trains it
// outside any transaction, so requests never wait on it, renewing its
// claim while it trains (Store.TrainNextTriage).
type Triage struct {
	Store *store.Store
	Log   *slog.Logger
	// Every is how often the queue and the schedule are looked at.
	Every time.Duration
}

// triageSchedule is the lease name of the scheduled training.
const triageSchedule = "triage.train"

// TriageClaimHold is how long a server holds the schedule while it queues
// the training. The lease runs for the whole period only once the training
// is queued, so a server that dies between claiming and queueing delays
// the training by this long, not by a period.
const TriageClaimHold = time.Hour

// Run works until ctx ends.
func (j Triage) Run(ctx context.Context) {
	if j.Every <= 0 {
		j.Every = time.Minute
	}
	every(ctx, j.Every, j.Log, "triage", func(ctx context.Context) { j.Pass(ctx) })
}

// Pass queues the scheduled training if it is due and trains every queued
// model this server can claim; it returns the IDs of the models it trained
// (failed ones included).
func (j Triage) Pass(ctx context.Context) []int64 {
	log := j.Log
	if log == nil {
		log = slog.Default()
	}
	set, err := j.Store.TriageSettings(ctx)
	if err != nil {
		if ctx.Err() == nil {
			log.Error("triage settings", "err", err)
		}
		return nil
	}
	if set.EveryDays > 0 {
		won, err := j.Store.ClaimRun(ctx, triageSchedule, TriageClaimHold)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				log.Error("triage schedule lease", "err", err)
			}
		case won:
			if queued, err := j.Store.QueueScheduledTriage(ctx); err != nil {
				if ctx.Err() == nil {
					log.Error("queue scheduled triage training", "err", err)
				}
			} else if queued {
				log.Info("scheduled triage training queued")
				// The training is queued: the schedule's next period is
				// written even when ctx ended meanwhile (a shutdown), or
				// the short hold would stay and the first pass after it,
				// on any server, would queue and train a second model.
				if err := j.Store.RetryRun(context.WithoutCancel(ctx), triageSchedule, j.Store.Now().Add(time.Duration(set.EveryDays)*24*time.Hour)); err != nil {
					// The short hold stays: the next pass after it queues
					// one more training, which is harmless.
					log.Error("triage schedule next period", "err", err)
				}
			} else if err := j.Store.RetryRun(context.WithoutCancel(ctx), triageSchedule, j.Store.Now().Add(24*time.Hour)); err != nil {
				// Not enough closed cases yet, or a training pending:
				// look again tomorrow rather than a whole period later.
				log.Error("triage schedule retry", "err", err)
			}
		}
	}
	var trained []int64
	for ctx.Err() == nil {
		id, err := j.Store.TrainNextTriage(ctx)
		if id == 0 && err == nil {
			break
		}
		if id != 0 {
			trained = append(trained, id)
		}
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("triage training failed; the active model stays", "model", id, "err", err)
			}
			if id == 0 {
				break
			}
			continue
		}
		log.Info("triage model trained", "model", id)
	}
	return trained
}
