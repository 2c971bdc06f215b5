package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/civicgrid/civicgrid/internal/calendar"
	"github.com/civicgrid/civicgrid/internal/civic"
)

// Alert levels: yellow and red warnings at the category's fractions of a
// stage's budget, and overdue at the deadline itself.
const (
	AlertYellow  = "yellow"
	AlertRed     = "red"
	AlertOverdue = "overdue"
)

// AlertRetry is how long a case whose alerts failed waits before the
// runner tries it again, so that it does not head every pass.
const AlertRetry = 5 * time.Minute

// alert is one moment on one of a case's running clocks.
type alert struct {
	stage civic.Stage
	level string
	start time.Time // when the clock started; a restarted clock is new
	at    time.Time
	share float64
}

// schedule lists every alert of the clocks running in the case's state.
// A suspended case has none: its clocks stand still.
func schedule(cal *calendar.Calendar, r caseRules, c *civic.Case, pauses []calendar.Interval) []alert {
	if c.Paused {
		return nil
	}
	var out []alert
	add := func(stage civic.Stage, start *time.Time, b calendar.Budget) {
		if start == nil || b.Amount <= 0 {
			return
		}
		for _, lv := range []struct {
			level string
			f     float64
		}{{AlertYellow, r.Yellow}, {AlertRed, r.Red}, {AlertOverdue, 1}} {
			if lv.f <= 0 {
				continue
			}
			at := cal.Deadline(*start, calendar.Budget{Amount: b.Amount * lv.f, Unit: b.Unit}, pauses)
			if at.IsZero() {
				continue
			}
			out = append(out, alert{stage: stage, level: lv.level, start: start.UTC(), at: at.UTC(), share: lv.f})
		}
	}
	comp := r.Complete
	comp.Amount += c.CompleteExtra
	switch c.State {
	case civic.StateDispatched:
		add(civic.StageClaim, c.DispatchedAt, r.Claim)
		fallthrough
	case civic.StateInProgress:
		if c.FeedbackAt == nil {
			add(civic.StageFeedback, c.DispatchedAt, r.Feedback)
		}
		add(civic.StageComplete, c.DispatchedAt, comp)
	case civic.StateClosed:
		add(civic.StageVisit, c.ClosedAt, r.Visit)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// firstAlert is the earliest moment of a schedule, nil if none.
func firstAlert(as []alert) *time.Time {
	if len(as) == 0 {
		return nil
	}
	t := as[0].at
	return &t
}

var stageWords = map[civic.Stage]civic.Text{
	civic.StageClaim:    civic.T("签收", "claim"),
	civic.StageFeedback: civic.T("反馈", "feedback"),
	civic.StageComplete: civic.T("办结", "completion"),
	civic.StageVisit:    civic.T("回访", "return visit"),
}

// FireDueAlerts fires every warning and deadline that has come, case by
// case, and returns how many fired. It is driven by database state alone
// (cases.next_alert_at), so a restart loses nothing; each alert is recorded
// under a unique key before it acts, so it fires exactly once however many
// servers run it at the same time. An overdue claim recalls the case to its
// dispatcher; an overdue completion escalates it to the street's
// supervisors with priority. A case whose alerts fail is left for
// AlertRetry while the pass goes on with the others; the error names it,
// and the count is of what fired all the same.
func (s *Store) FireDueAlerts(ctx context.Context, limit int) (int, error) {
	n, _, err := s.FireDueAlertsOn(ctx, limit)
	return n, err
}

// FireDueAlertsOn is FireDueAlerts also saying which cases it looked at
// (each may have moved), for a caller that keeps copies of cases and must
// know which to read again: the demo loader.
func (s *Store) FireDueAlertsOn(ctx context.Context, limit int) (int, []int64, error) {
	now := s.Now()
	rows, err := s.query(ctx, `SELECT id FROM cases WHERE next_alert_at <= ? ORDER BY next_alert_at LIMIT ?`, now, limit)
	if err != nil {
		return 0, nil, fmt.Errorf("find due alerts: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, nil, fmt.Errorf("scan case id: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	fired := 0
	var on []int64
	var failed []error
	for _, id := range ids {
		n, err := s.fireCaseAlerts(ctx, id)
		if err != nil {
			err = fmt.Errorf("alerts of case %d: %w", id, err)
			if ctx.Err() != nil {
				return fired, on, err
			}
			// One case's lasting trouble must not hold back the city's
			// warnings: the cases are taken oldest moment first, so a
			// case that fails every time would head every pass. It waits
			// AlertRetry, the others go on, and the pass reports it.
			failed = append(failed, err)
			if derr := s.deferAlerts(ctx, id); derr != nil {
				failed = append(failed, derr)
			}
			continue
		}
		on = append(on, id)
		fired += n
	}
	return fired, on, errors.Join(failed...)
}

// deferAlerts moves a failed case's next alert AlertRetry ahead, unless
// another server has moved it meanwhile. The alert keeps its own moment:
// only when the runner looks again changes.
func (s *Store) deferAlerts(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE cases SET next_alert_at = ? WHERE id = ? AND next_alert_at <= ?`, tx.now.Add(AlertRetry), id, tx.now); err != nil {
			return fmt.Errorf("defer alerts of case %d: %w", id, err)
		}
		return nil
	})
}

func (s *Store) fireCaseAlerts(ctx context.Context, id int64) (int, error) {
	fired := 0
	err := s.write(ctx, func(tx *Tx) error {
		fired = 0
		// On PostgreSQL another server may be on this case: skip it rather
		// than wait; it will do the same work, and the unique key keeps
		// every alert single.
		c, err := scanCase(tx.queryRow(ctx, `SELECT `+caseCols+caseFrom+` WHERE c.id = ?`+s.lockRowSkip("c"), id))
		if err != nil {
			if errors.Is(err, errNoRow) {
				return nil
			}
			return fmt.Errorf("read case: %w", err)
		}
		rules, err := caseRulesFor(ctx, tx, c.CategoryCode)
		if err != nil {
			return err
		}
		cal, err := s.workCalendar(ctx)
		if err != nil {
			return err
		}
		pauses, err := casePauses(ctx, tx, id)
		if err != nil {
			return err
		}
		var next *time.Time
		for _, al := range schedule(cal, rules, &c, pauses) {
			if al.at.After(tx.now) {
				t := al.at
				next = &t
				break
			}
			res, err := tx.exec(ctx, `INSERT INTO case_alerts (case_id, stage, level, clock_start, due_at, fired_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				id, string(al.stage), al.level, al.start, al.at, tx.now)
			if err != nil {
				return fmt.Errorf("record alert: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue // fired before
			}
			fired++
			changed, err := tx.alertEffect(ctx, &c, al)
			if err != nil {
				return err
			}
			if changed {
				// The action rescheduled the case itself.
				return nil
			}
		}
		if _, err := tx.exec(ctx, `UPDATE cases SET next_alert_at = ? WHERE id = ?`, nullTime(next), id); err != nil {
			return fmt.Errorf("reschedule alerts: %w", err)
		}
		return nil
	})
	return fired, err
}

// alertEffect records an alert in the timeline and acts on it. It reports
// whether the case changed state (and so was rescheduled by the action).
func (tx *Tx) alertEffect(ctx context.Context, c *civic.Case, al alert) (bool, error) {
	w := stageWords[al.stage]
	data := fmt.Sprintf(`{"stage":%q,"level":%q,"due":%q}`, al.stage, al.level, al.at.Format(time.RFC3339))
	switch {
	case al.level == AlertOverdue && al.stage == civic.StageClaim:
		err := tx.act(ctx, civic.System, c.ID, CaseInput{Action: civic.ActRecall, Note: "超过签收时限未签收，自动撤回至派单员重新派单"})
		return err == nil, err
	case al.level == AlertOverdue && al.stage == civic.StageComplete:
		if _, err := tx.exec(ctx, `UPDATE cases SET priority = 1 WHERE id = ?`, c.ID); err != nil {
			return false, fmt.Errorf("escalate: %w", err)
		}
		return false, tx.addEvent(ctx, civic.System, c.ID, civic.ActEscalate, c.State, c.State,
			"已超过"+w.ZH+"时限，升级至街道督办", false, data)
	case al.level == AlertOverdue:
		return false, tx.addEvent(ctx, civic.System, c.ID, civic.ActEscalate, c.State, c.State, "已超过"+w.ZH+"时限", false, data)
	}
	label := map[string]string{AlertYellow: "黄色预警", AlertRed: "红色预警"}[al.level]
	return false, tx.addEvent(ctx, civic.System, c.ID, civic.ActWarn, c.State, c.State,
		fmt.Sprintf("%s：%s时限已用%.0f%%", label, w.ZH, al.share*100), false, data)
}
