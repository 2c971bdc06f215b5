package jobs_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/jobs"
)

// panicLog counts the records that report a job's panic and ends the
// job's context at the second: the job survived one.
type panicLog struct {
	mu     sync.Mutex
	panics int
	stop   context.CancelFunc
}

func (h *panicLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *panicLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *panicLog) WithGroup(string) slog.Handler            { return h }
func (h *panicLog) Handle(_ context.Context, r slog.Record) error {
	if !strings.Contains(r.Message, "panic") {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.panics++
	if h.panics == 2 {
		h.stop()
	}
	return nil
}

// TestJobPanicKeepsServer: a job whose pass panics (here: no store at
// all; in life a bug or a file that trips a parser) logs it and runs
// again at its next tick. Before, the panic ended the goroutine and with
// it the whole server: every request in flight, and every other job.
func TestJobPanicKeepsServer(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(ctx context.Context, log *slog.Logger)
	}{
		{"alerts", func(ctx context.Context, log *slog.Logger) { jobs.Alerts{Log: log, Every: time.Millisecond}.Run(ctx) }},
		{"webhooks", func(ctx context.Context, log *slog.Logger) { jobs.Webhooks{Log: log, Every: time.Millisecond}.Run(ctx) }},
		{"care", func(ctx context.Context, log *slog.Logger) { jobs.Care{Log: log, Every: time.Millisecond}.Run(ctx) }},
		{"imports", func(ctx context.Context, log *slog.Logger) { jobs.Imports{Log: log, Every: time.Millisecond}.Run(ctx) }},
		{"reports", func(ctx context.Context, log *slog.Logger) { jobs.Reports{Log: log, Every: time.Millisecond}.Run(ctx) }},
		{"triage", func(ctx context.Context, log *slog.Logger) { jobs.Triage{Log: log, Every: time.Millisecond}.Run(ctx) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			h := &panicLog{stop: stop}
			tc.run(ctx, slog.New(h)) // returns once two panics were logged
			if h.panics < 2 {
				t.Fatalf("%d panics logged", h.panics)
			}
		})
	}
}
