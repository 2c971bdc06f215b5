package store

import (
	"context"
	"fmt"
)

// RecomputeDeadlines recomputes the deadlines and next alert of every case
// whose clocks are running — of one category, or all when category is
// empty. Deadlines are a pure function of the stages' start times, the
// limits, the calendar and the pauses, so a changed calendar or limit moves
// open deadlines without losing time already spent or paused. It is called
// after every calendar or limit change and returns how many cases moved.
func (s *Store) RecomputeDeadlines(ctx context.Context, category string) (int, error) {
	s.invalidateCalendar()
	cal, err := s.workCalendar(ctx)
	if err != nil {
		return 0, err
	}
	moved := 0
	var after int64
	for {
		q := `SELECT id FROM cases WHERE state IN ('dispatched', 'in_progress', 'handled', 'closed') AND id > ?`
		args := []any{after}
		if category != "" {
			q += ` AND category_code = ?`
			args = append(args, category)
		}
		rows, err := s.query(ctx, q+` ORDER BY id LIMIT 200`, args...)
		if err != nil {
			return moved, fmt.Errorf("find open cases: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return moved, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) == 0 {
			return moved, nil
		}
		after = ids[len(ids)-1]
		// One transaction per page keeps the writer free for intake.
		// Counted when the page commits: write may run it again.
		pageMoved := 0
		err = s.write(ctx, func(tx *Tx) error {
			pageMoved = 0
			for _, id := range ids {
				c, err := scanCase(tx.queryRow(ctx, `SELECT `+caseCols+caseFrom+` WHERE c.id = ?`, id))
				if err != nil {
					return fmt.Errorf("read case %d: %w", id, err)
				}
				rules, err := caseRulesFor(ctx, tx, c.CategoryCode)
				if err != nil {
					return err
				}
				pauses, err := casePauses(ctx, tx, id)
				if err != nil {
					return err
				}
				before := [4]any{nullTime(c.ClaimDue), nullTime(c.FeedbackDue), nullTime(c.CompleteDue), nullTime(c.VisitDue)}
				dues(cal, rules, &c, pauses)
				after := [4]any{nullTime(c.ClaimDue), nullTime(c.FeedbackDue), nullTime(c.CompleteDue), nullTime(c.VisitDue)}
				if before != after {
					pageMoved++
				}
				// Alerts already fired stay fired (their key holds the clock
				// start); the schedule just moves the next one.
				_, err = tx.exec(ctx, `UPDATE cases SET claim_due = ?, feedback_due = ?, complete_due = ?, visit_due = ?, next_alert_at = ? WHERE id = ?`,
					after[0], after[1], after[2], after[3], nullTime(firstAlert(schedule(cal, rules, &c, pauses))), id)
				if err != nil {
					return fmt.Errorf("update deadlines of case %d: %w", id, err)
				}
			}
			return nil
		})
		if err != nil {
			return moved, err
		}
		moved += pageMoved
	}
}

// invalidateCalendar makes the next deadline computation re-read the
// calendar, right after a change in this process.
func (s *Store) invalidateCalendar() {
	s.cal.mu.Lock()
	s.cal.cal = nil
	s.cal.mu.Unlock()
}
