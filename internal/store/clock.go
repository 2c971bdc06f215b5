package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/civicgrid/civicgrid/internal/calendar"
	"github.com/civicgrid/civicgrid/internal/civic"
)

// caseRules is what a case's category decides: whether it is accepted,
// who handles it, and the time limit of each stage.
type caseRules struct {
	Known                            bool
	Name                             string
	Type                             string
	Accepted                         bool
	NotAcceptedReason                string
	Target                           string // property, grid, community, street, department
	Department                       string
	Claim, Feedback, Complete, Visit calendar.Budget
	Yellow, Red                      float64
}

// defaultRules apply while a case has no category ("don't know" at intake)
// and to categories whose limits are missing.
var defaultRules = caseRules{
	Accepted: true, Target: "community",
	Claim:    calendar.Budget{Amount: 2, Unit: calendar.WorkHours},
	Feedback: calendar.Budget{Amount: 1, Unit: calendar.WorkDays},
	Complete: calendar.Budget{Amount: 5, Unit: calendar.WorkDays},
	Visit:    calendar.Budget{Amount: 2, Unit: calendar.WorkDays},
	Yellow:   0.5, Red: 0.8,
}

// rulesFor reads the rules of a category chosen now (at intake, accept or
// dispatch): an empty code gives the defaults with Known false; an unknown
// code, a category that is not a leaf or one that has been retired is
// refused.
func rulesFor(ctx context.Context, q querier, code string) (caseRules, error) {
	r, leaf, active, err := readRules(ctx, q, code)
	if err != nil {
		return caseRules{}, err
	}
	if r.Known && (!leaf || !active) {
		return caseRules{}, civic.Invalid(civic.FieldErr("category_code", "请选择一个启用中的具体小类", "choose an active leaf category"))
	}
	return r, nil
}

// caseRulesFor reads the rules a filed case keeps: its category's, even
// after the category is retired, so that open cases can still be worked,
// warned and recomputed with the limits they were filed under; the
// defaults when the case has no category or it no longer exists.
func caseRulesFor(ctx context.Context, q querier, code string) (caseRules, error) {
	b := bulkOf(q)
	if r, ok := b.rulesOf(code); ok {
		return r, nil
	}
	r, _, _, err := readRules(ctx, q, code)
	if civic.ErrorCodeOf(err) == civic.EInvalid {
		return defaultRules, nil
	}
	if err == nil {
		b.keepRules(code, r)
	}
	return r, err
}

// readRules reads a category's rules with whether it is a leaf and active.
// An empty code gives the defaults with Known false; an unknown code is
// refused as invalid input.
func readRules(ctx context.Context, q querier, code string) (r caseRules, leaf, active bool, err error) {
	if code == "" {
		return defaultRules, false, false, nil
	}
	r = defaultRules
	var claimA, feedA, compA, visitA float64
	var claimU, feedU, compU, visitU string
	err = q.queryRow(ctx, `SELECT name, request_type, accepted, not_accepted_reason, handler_target, handler_department,
			claim_amount, claim_unit, feedback_amount, feedback_unit, complete_amount, complete_unit, visit_amount, visit_unit,
			yellow, red, leaf, active FROM categories WHERE code = ?`, code).
		Scan(&r.Name, &r.Type, &r.Accepted, &r.NotAcceptedReason, &r.Target, &r.Department,
			&claimA, &claimU, &feedA, &feedU, &compA, &compU, &visitA, &visitU, &r.Yellow, &r.Red, &leaf, &active)
	if errors.Is(err, sql.ErrNoRows) {
		return caseRules{}, false, false, civic.Invalid(civic.FieldErr("category_code", "分类“%s”不存在", "category %q does not exist", code))
	}
	if err != nil {
		return caseRules{}, false, false, fmt.Errorf("read category %s: %w", code, err)
	}
	r.Known = true
	set := func(dst *calendar.Budget, a float64, u string) {
		if a > 0 && u != "" {
			*dst = calendar.Budget{Amount: a, Unit: calendar.Unit(u)}
		}
	}
	set(&r.Claim, claimA, claimU)
	set(&r.Feedback, feedA, feedU)
	set(&r.Complete, compA, compU)
	set(&r.Visit, visitA, visitU)
	if r.Yellow <= 0 || r.Red <= 0 || r.Yellow >= r.Red {
		r.Yellow, r.Red = defaultRules.Yellow, defaultRules.Red
	}
	if r.Target == "" {
		r.Target = defaultRules.Target
	}
	return r, leaf, active, nil
}

// calendarCache keeps the effective working calendar, re-reading it when
// its stored revision moves (checked at most once a second).
type calendarCache struct {
	mu      sync.Mutex
	rev     int64
	cal     *calendar.Calendar
	checked time.Time
}

func (s *Store) workCalendar(ctx context.Context) (*calendar.Calendar, error) {
	s.cal.mu.Lock()
	defer s.cal.mu.Unlock()
	now := s.Now()
	// A clock that stands still (tests, the demo loader) still hits.
	if s.cal.cal != nil && now.Sub(s.cal.checked) < time.Second && !now.Before(s.cal.checked) {
		return s.cal.cal, nil
	}
	// Write transactions call this holding their connection; the check
	// must not wait for another from the pool they fill (cacheReader).
	q := s.cacheReader()
	rev, err := calendarRevision(ctx, q)
	if err != nil {
		return nil, err
	}
	if s.cal.cal == nil || rev != s.cal.rev {
		c, _, err := calendarSnapshotOn(ctx, q)
		if err != nil {
			return nil, err
		}
		s.cal.cal, s.cal.rev = c, rev
	}
	s.cal.checked = now
	return s.cal.cal, nil
}

// dues computes a case's deadlines from the times its stages started, its
// rules, the calendar and its pauses — a pure function, so that a changed
// calendar or limit recomputes open deadlines without losing time already
// spent or paused.
func dues(cal *calendar.Calendar, r caseRules, c *civic.Case, pauses []calendar.Interval) {
	c.ClaimDue, c.FeedbackDue, c.CompleteDue, c.VisitDue = nil, nil, nil, nil
	at := func(start *time.Time, b calendar.Budget) *time.Time {
		if start == nil || b.Amount <= 0 {
			return nil
		}
		t := cal.Deadline(*start, b, pauses).UTC()
		return &t
	}
	if c.DispatchedAt != nil {
		c.ClaimDue = at(c.DispatchedAt, r.Claim)
		c.FeedbackDue = at(c.DispatchedAt, r.Feedback)
		comp := r.Complete
		comp.Amount += c.CompleteExtra
		c.CompleteDue = at(c.DispatchedAt, comp)
	}
	if c.ClosedAt != nil {
		c.VisitDue = at(c.ClosedAt, r.Visit)
	}
}

// casePauses reads a case's approved suspensions as calendar intervals.
func casePauses(ctx context.Context, q querier, id int64) ([]calendar.Interval, error) {
	rows, err := q.query(ctx, `SELECT paused_from, paused_to FROM case_pauses WHERE case_id = ? ORDER BY paused_from`, id)
	if err != nil {
		return nil, fmt.Errorf("case %d pauses: %w", id, err)
	}
	defer rows.Close()
	var out []calendar.Interval
	for rows.Next() {
		var from time.Time
		var to sql.NullTime
		if err := rows.Scan(&from, &to); err != nil {
			return nil, fmt.Errorf("scan pause: %w", err)
		}
		iv := calendar.Interval{From: from.UTC()}
		if to.Valid {
			iv.To = to.Time.UTC()
		}
		out = append(out, iv)
	}
	return out, rows.Err()
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// ExplainDeadline shows how a case's deadline for a stage was computed:
// from which start, with which limit, and day by day which working time
// counted and which days were skipped and why (weekend, holiday, make-up
// working day, suspension).
func (s *Store) ExplainDeadline(ctx context.Context, a civic.Actor, id int64, stage civic.Stage) (calendar.Explanation, error) {
	c, err := s.GetCase(ctx, a, id)
	if err != nil {
		return calendar.Explanation{}, err
	}
	r, err := caseRulesFor(ctx, s, c.CategoryCode)
	if err != nil {
		return calendar.Explanation{}, err
	}
	var start *time.Time
	var b calendar.Budget
	switch stage {
	case civic.StageClaim:
		start, b = c.DispatchedAt, r.Claim
	case civic.StageFeedback:
		start, b = c.DispatchedAt, r.Feedback
	case civic.StageComplete:
		start, b = c.DispatchedAt, r.Complete
		b.Amount += c.CompleteExtra
	case civic.StageVisit:
		start, b = c.ClosedAt, r.Visit
	default:
		return calendar.Explanation{}, civic.NotFound("时限 "+string(stage), "stage "+string(stage))
	}
	if start == nil {
		return calendar.Explanation{}, civic.Errorf(civic.EConflict, "该时限尚未开始计时", "this clock has not started")
	}
	cal, err := s.workCalendar(ctx)
	if err != nil {
		return calendar.Explanation{}, err
	}
	pauses, err := casePauses(ctx, s, id)
	if err != nil {
		return calendar.Explanation{}, err
	}
	return cal.Explain(*start, b, pauses), nil
}
