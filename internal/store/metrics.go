package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/civicgrid/civicgrid/internal/calendar"
	"github.com/civicgrid/civicgrid/internal/civic"
)

// Case metrics (三率 and the rest, DESIGN.md §4) are computed from the
// timeline, not from the case row: the row forgets a dispatch once the case
// is returned, transferred or reopened, but the handler it went to is still
// assessed on it. docs/METRICS.md gives every formula and edge case.

// DefaultBasicWeight is how much a 基本满意 rating counts towards 满意率
// when the filter does not say.
const DefaultBasicWeight = 0.8

// metricsLookback is how far before a period the figures look for cases.
// A completion deadline in the period lies within one completion limit
// (plus extensions) of the case's last dispatch or resumption, both events;
// 120 days covers any limit a catalogue uses, holidays included.
const metricsLookback = 120 * 24 * time.Hour

// maxMetricsPeriod bounds one query: a year and a little.
const maxMetricsPeriod = 400 * 24 * time.Hour

// MetricsFilter chooses the cases and period of a metrics query.
type MetricsFilter struct {
	Under string // the case's region subtree
	// HandlerOrgID and HandlerRegion keep what was with that handler at the
	// time: an organisation, or a region (grid, community, street) acting
	// as handler.
	HandlerOrgID  int64
	HandlerRegion string
	// From and To are the period: events with From ≤ at < To.
	From, To time.Time
	// BasicWeight is w in 满意率 = (满意 + w·基本满意) ÷ valid visits; 0
	// means DefaultBasicWeight.
	BasicWeight float64
}

// Rate is one figure with the counts behind it. Ratio is nil when the
// denominator is 0. Pending counts what will enter the figure once its
// deadline has passed.
type Rate struct {
	Numerator   float64  `json:"numerator"`
	Denominator int      `json:"denominator"`
	Ratio       *float64 `json:"ratio"`
	Pending     int      `json:"pending,omitempty"`
}

// HandlingTime is the mean time from dispatch to close of the closes in
// the period, in natural hours and in working hours on the calendar
// (suspensions excluded).
type HandlingTime struct {
	Closed       int      `json:"closed"`
	NaturalHours *float64 `json:"natural_hours"`
	WorkHours    *float64 `json:"work_hours"`
}

// MetricsCounts are the plain counts of the period.
type MetricsCounts struct {
	Dispatched     int `json:"dispatched"` // dispatches and transfers
	Returned       int `json:"returned"`   // 退单
	Recalled       int `json:"recalled"`   // 撤回 (also automatic when a claim is overdue)
	Closed         int `json:"closed"`     // verify_pass
	Reworked       int `json:"reworked"`   // verify_fail
	Answered       int `json:"answered"`   // consultations answered directly
	Visits         int `json:"visits"`     // valid visits, co-reporters' included
	Satisfied      int `json:"satisfied"`
	BasicSatisfied int `json:"basic_satisfied"`
	Dissatisfied   int `json:"dissatisfied"`
	Solved         int `json:"solved"`
	Reopened       int `json:"reopened"`
}

// Metrics are the figures of one period over the cases a filter chooses.
type Metrics struct {
	From         time.Time     `json:"from"`
	To           time.Time     `json:"to"`
	BasicWeight  float64       `json:"basic_weight"`
	Response     Rate          `json:"response_rate"`     // 响应率
	Solved       Rate          `json:"solved_rate"`       // 解决率
	Satisfaction Rate          `json:"satisfaction_rate"` // 满意率
	Completion   Rate          `json:"completion_rate"`   // 办结率
	OnTime       Rate          `json:"on_time_rate"`      // 按期办结率
	Overdue      Rate          `json:"overdue_rate"`      // 超期率
	Rework       Rate          `json:"rework_rate"`       // 返工率
	HandlingTime HandlingTime  `json:"handling_time"`
	Counts       MetricsCounts `json:"counts"`
}

// MetricsRow is one group of CaseMetricsBy. Key is "org:<id>" or
// "region:<code>" for a handler ("" for none: consultations answered
// directly), or a region or category code.
type MetricsRow struct {
	Key          string  `json:"key"`
	Name         string  `json:"name"`
	OrgID        int64   `json:"org_id,omitempty"`
	RegionCode   string  `json:"region_code,omitempty"`
	CategoryCode string  `json:"category_code,omitempty"`
	Metrics      Metrics `json:"metrics"`
}

// Metrics groupings.
const (
	GroupByOrg       = "org"
	GroupByStreet    = "region_level:street"
	GroupByCommunity = "region_level:community"
	GroupByGrid      = "region_level:grid"
	GroupByCategory  = "category"
)

// CaseMetrics computes the figures of a period over the cases the actor
// may assess: staff who oversee (PermCaseMetrics) those filed in their
// region scope, a handling organisation's own staff what was handled by
// their organisation.
func (s *Store) CaseMetrics(ctx context.Context, a civic.Actor, f MetricsFilter) (Metrics, error) {
	rows, err := s.CaseMetricsBy(ctx, a, f, "")
	if err != nil {
		return Metrics{}, err
	}
	return rows[0].Metrics, nil
}

// CaseMetricsBy computes the figures per group: GroupByOrg (the handler at
// the time of each event), GroupByStreet, GroupByCommunity, GroupByGrid
// (the case's place) or GroupByCategory. "" gives one row with key "". Rows
// are sorted by key.
func (s *Store) CaseMetricsBy(ctx context.Context, a civic.Actor, f MetricsFilter, groupBy string) ([]MetricsRow, error) {
	m, cases, err := s.metricsRunFor(ctx, a, f, groupBy)
	if err != nil {
		return nil, err
	}
	f = m.f
	for _, c := range cases {
		if err := m.walk(ctx, s, c); err != nil {
			return nil, err
		}
	}
	if groupBy == "" {
		t := m.tallies[""]
		if t == nil {
			t = &metricsTally{}
		}
		return []MetricsRow{{Metrics: t.metrics(f)}}, nil
	}
	return s.metricsRows(ctx, groupBy, f, m.tallies)
}

// metricsRunFor checks the actor and filter, reads the timelines of the
// cases concerned and returns a run ready to walk them, its filter
// normalised and narrowed to the actor.
func (s *Store) metricsRunFor(ctx context.Context, a civic.Actor, f MetricsFilter, groupBy string) (*metricsRun, []*metricsCase, error) {
	where, args, err := metricsScope(a, &f)
	if err != nil {
		return nil, nil, err
	}
	key, ok := metricsGroupings[groupBy]
	if !ok {
		return nil, nil, civic.Invalid(civic.FieldErr("group_by", "不支持的分组方式“%s”", "unknown grouping %q", groupBy))
	}
	if err := f.normalise(); err != nil {
		return nil, nil, err
	}
	cases, err := s.metricsCases(ctx, f, where, args)
	if err != nil {
		return nil, nil, err
	}
	cal, err := s.workCalendar(ctx)
	if err != nil {
		return nil, nil, err
	}
	return &metricsRun{f: f, now: s.Now(), cal: cal, key: key, rules: map[string]caseRules{}, tallies: map[string]*metricsTally{}}, cases, nil
}

func (f *MetricsFilter) normalise() error {
	var fs []civic.FieldError
	switch {
	case f.From.IsZero() || f.To.IsZero():
		fs = append(fs, civic.FieldErr("from", "请给出统计期间的起止时间", "give the start and end of the period"))
	case !f.From.Before(f.To):
		fs = append(fs, civic.FieldErr("to", "结束时间应晚于开始时间", "the end must be after the start"))
	case f.To.Sub(f.From) > maxMetricsPeriod:
		fs = append(fs, civic.FieldErr("to", "统计期间不超过400天", "the period is at most 400 days"))
	}
	if f.BasicWeight == 0 {
		f.BasicWeight = DefaultBasicWeight
	}
	if !(f.BasicWeight >= 0 && f.BasicWeight <= 1) {
		fs = append(fs, civic.FieldErr("basic_weight", "基本满意的权重应在0到1之间", "the weight of \"basically satisfied\" must be between 0 and 1"))
	}
	if len(fs) > 0 {
		return civic.Invalid(fs...)
	}
	f.From, f.To = f.From.UTC(), f.To.UTC()
	return nil
}

// metricsScope returns the condition on cases c that the actor may assess
// and narrows f to a handling organisation's own work.
func metricsScope(a civic.Actor, f *MetricsFilter) (string, []any, error) {
	switch {
	case a.IsSystem():
		return "1=1", nil, nil
	case a.Scope.OrgID != 0:
		// A department or property company sees its own figures, wherever
		// the cases lay, and no one else's.
		if !a.Can(civic.PermCaseRead) || (f.HandlerOrgID != 0 && f.HandlerOrgID != a.Scope.OrgID) {
			return "", nil, civic.Forbidden()
		}
		f.HandlerOrgID = a.Scope.OrgID
		return "1=1", nil, nil
	case !a.Can(civic.PermCaseMetrics):
		return "", nil, civic.Forbidden()
	}
	w, args := scopeClause(a, "c.region_code")
	return w, args, nil
}

// metricsCase is what the figures need of one case.
type metricsCase struct {
	id               int64
	region, category string
	events           []metricsEvent
	pauses           []calendar.Interval
	extensions       []metricsExtension
}

type metricsEvent struct {
	at      time.Time
	action  civic.CaseAction
	toState civic.CaseState
	data    string
}

type metricsExtension struct {
	decided time.Time
	amount  float64
}

// metricsActions are the events the figures read; clockActions besides
// them can start or restart a completion clock.
var metricsActions = []civic.CaseAction{civic.ActDispatch, civic.ActTransfer, civic.ActRecall, civic.ActReturn, civic.ActClaim,
	civic.ActFeedback, civic.ActHandle, civic.ActVerifyPass, civic.ActVerifyFail, civic.ActVisit, civic.ActReopen, civic.ActMerge,
	civic.ActAnswer, civic.ActComment}

var clockActions = []civic.CaseAction{civic.ActDecide, civic.ActResume}

func actionList(as []civic.CaseAction) string {
	q := make([]string, len(as))
	for i, a := range as {
		q[i] = "'" + string(a) + "'"
	}
	return strings.Join(q, ",")
}

// metricsCases reads the timelines of every case in scope with an event
// in the period or in the lookback before it, with their suspensions and
// approved extensions.
func (s *Store) metricsCases(ctx context.Context, f MetricsFilter, where string, args []any) ([]*metricsCase, error) {
	add := func(cond string, v ...any) { where += " AND " + cond; args = append(args, v...) }
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		add("c.region_code >= ? AND c.region_code < ?", lo, hi)
	}
	// The place alone, for the pauses and extensions below.
	placeWhere, placeArgs := where, slices.Clone(args)
	// Narrow to cases that were ever with the handler; the exact
	// attribution is made event by event below. Dispatch data is written
	// by json.Marshal, so the fragments below match it exactly.
	handed := `c.id IN (SELECT case_id FROM case_events WHERE action IN ('dispatch','transfer') AND `
	if f.HandlerOrgID != 0 {
		id := strconv.FormatInt(f.HandlerOrgID, 10)
		add(handed+`(data LIKE ? ESCAPE '\' OR data LIKE ? ESCAPE '\'))`, likeContains(`"org_id":`+id+`,`), likeContains(`"org_id":`+id+`}`))
	}
	if f.HandlerRegion != "" {
		add(handed+`data LIKE ? ESCAPE '\')`, likeContains(`"region_code":"`+f.HandlerRegion+`"`))
	}

	// The events are read in parts side by side, by ranges of case ids:
	// reading them is nearly all of an assessment's time, and a server's
	// cores can each read a part. Each part asks which of its cases have
	// an event in the period (SQLite builds that set as a temporary
	// index, the costliest step, so each builds only its own).
	bounds, err := s.metricsShardBounds(ctx, f.From.Add(-metricsLookback))
	if err != nil {
		return nil, err
	}
	inPart := where + ` AND c.id >= ? AND c.id < ? AND c.id IN (SELECT case_id FROM case_events WHERE action IN (` +
		actionList(slices.Concat(metricsActions, clockActions)) + `) AND at >= ? AND at < ? AND case_id >= ? AND case_id < ?)`
	parts := make([][]*metricsCase, len(bounds)-1)
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for k := range parts {
		lo, hi := bounds[k], bounds[k+1]
		wg.Go(func() {
			parts[k], errs[k] = s.metricsEvents(ctx, inPart, append(slices.Clone(args), lo, hi, f.From.Add(-metricsLookback), f.To, lo, hi))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []*metricsCase
	for _, p := range parts {
		out = append(out, p...)
	}
	if len(out) == 0 {
		return nil, nil
	}
	// The parts are ascending ranges, each read in id order: out is in id
	// order as it stands.
	byID := make(map[int64]*metricsCase, len(out))
	for _, c := range out {
		byID[c.id] = c
	}

	// Pauses and extensions are few (a case in a hundred or so): those of
	// the place are read and the ones of cases not read above dropped
	// here, rather than asking again which cases the period holds, which
	// costs as much as reading their events.
	prows, err := s.query(ctx, `SELECT p.case_id, p.paused_from, p.paused_to FROM case_pauses p JOIN cases c ON c.id = p.case_id
		WHERE `+placeWhere+` ORDER BY p.case_id, p.paused_from`, placeArgs...)
	if err != nil {
		return nil, fmt.Errorf("read pauses for metrics: %w", err)
	}
	defer prows.Close()
	for prows.Next() {
		var id int64
		var from time.Time
		var to sql.NullTime
		if err := prows.Scan(&id, &from, &to); err != nil {
			return nil, fmt.Errorf("scan pause: %w", err)
		}
		if c := byID[id]; c != nil {
			iv := calendar.Interval{From: from.UTC()}
			if to.Valid {
				iv.To = to.Time.UTC()
			}
			c.pauses = append(c.pauses, iv)
		}
	}
	if err := prows.Err(); err != nil {
		return nil, fmt.Errorf("read pauses for metrics: %w", err)
	}

	xrows, err := s.query(ctx, `SELECT r.case_id, r.decided_at, r.amount FROM case_requests r JOIN cases c ON c.id = r.case_id
		WHERE `+placeWhere+` AND r.status = 'approved' AND r.kind = 'extend' AND r.decided_at IS NOT NULL ORDER BY r.case_id, r.id`, placeArgs...)
	if err != nil {
		return nil, fmt.Errorf("read extensions for metrics: %w", err)
	}
	defer xrows.Close()
	for xrows.Next() {
		var id int64
		var x metricsExtension
		if err := xrows.Scan(&id, &x.decided, &x.amount); err != nil {
			return nil, fmt.Errorf("scan extension: %w", err)
		}
		if c := byID[id]; c != nil {
			c.extensions = append(c.extensions, metricsExtension{decided: x.decided.UTC(), amount: x.amount})
		}
	}
	return out, xrows.Err()
}

// metricsShards is how many parts metricsCases reads side by side, one a
// core of the development machine; the SQLite reader pool holds four
// connections (docs/BENCHMARKS.md, "Assessments and reports").
const metricsShards = 2

// metricsShardBounds splits case ids into metricsShards ranges, bounds[k]
// to bounds[k+1] (the last unbounded): the cases filed since `since` split
// evenly, older ones with the first part (few of them have events in a
// period). In a bulk load, whose one transaction reads one query at a
// time, there is one range.
func (s *Store) metricsShardBounds(ctx context.Context, since time.Time) ([]int64, error) {
	all := []int64{math.MinInt64, math.MaxInt64}
	if s.bulkTx() != nil {
		return all, nil
	}
	var lo, hi sql.NullInt64
	if err := s.queryRow(ctx, `SELECT (SELECT min(id) FROM cases WHERE created_at >= ?), (SELECT max(id) FROM cases)`, since).Scan(&lo, &hi); err != nil {
		return nil, fmt.Errorf("split cases for metrics: %w", err)
	}
	if !lo.Valid || !hi.Valid || hi.Int64-lo.Int64 < 2*metricsShards {
		return all, nil
	}
	bounds := []int64{math.MinInt64}
	for k := 1; k < metricsShards; k++ {
		bounds = append(bounds, lo.Int64+(hi.Int64-lo.Int64+1)*int64(k)/metricsShards)
	}
	return append(bounds, math.MaxInt64), nil
}

// coReporterComment is the condition "event e's data has a co_reporter
// key", which keeps, of the comments, the co-reporters' ratings. The _ is
// escaped: to LIKE it is any one character, so "co-reporter" matched too.
const coReporterComment = `e.data LIKE '%"co\_reporter"%' ESCAPE '\'`

// metricsEvents reads the metrics events of the cases where selects, each
// case's in order.
func (s *Store) metricsEvents(ctx context.Context, where string, args []any) ([]*metricsCase, error) {
	// The cases drive the read (CROSS JOIN keeps SQLite's planner from
	// turning it around): the period's case ids, each case's row, then its
	// events in order from case_events_case. Led by the events instead,
	// SQLite walked every event of these actions in the whole history and
	// sorted them: four times slower on a month of 150,000 cases, and worse
	// with every year kept (docs/BENCHMARKS.md, "Assessments at city scale").
	rows, err := s.query(ctx, `SELECT e.case_id, c.region_code, c.category_code, e.at, e.action, e.to_state, e.data
		FROM cases c CROSS JOIN case_events e
		WHERE e.case_id = c.id AND `+where+` AND e.action IN (`+actionList(metricsActions)+`) AND (e.action <> 'comment' OR `+coReporterComment+`)
		ORDER BY e.case_id, e.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read case events for metrics: %w", err)
	}
	defer rows.Close()
	var out []*metricsCase
	var c *metricsCase
	for rows.Next() {
		var id int64
		var region, category string
		var e metricsEvent
		if err := rows.Scan(&id, &region, &category, &e.at, &e.action, &e.toState, &e.data); err != nil {
			return nil, fmt.Errorf("scan case event: %w", err)
		}
		e.at = e.at.UTC()
		if c == nil || c.id != id {
			c = &metricsCase{id: id, region: region, category: category}
			out = append(out, c)
		}
		c.events = append(c.events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read case events for metrics: %w", err)
	}
	return out, nil
}

// handlerAt is who had a case at some moment: an organisation or a region
// acting as handler; the zero value is nobody.
type handlerAt struct {
	OrgID      int64  `json:"org_id"`
	RegionCode string `json:"region_code"`
}

func handlerOf(data string) handlerAt {
	var h handlerAt
	_ = json.Unmarshal([]byte(data), &h)
	return h
}

// subject is what a fact is about, for filters and grouping.
type subject struct {
	h                handlerAt
	region, category string
}

var metricsGroupings = map[string]func(subject) string{
	"": func(subject) string { return "" },
	GroupByOrg: func(s subject) string {
		switch {
		case s.h.OrgID != 0:
			return "org:" + strconv.FormatInt(s.h.OrgID, 10)
		case s.h.RegionCode != "":
			return "region:" + s.h.RegionCode
		}
		return ""
	},
	GroupByStreet:    func(s subject) string { return prefixOf(s.region, civic.LevelStreet) },
	GroupByCommunity: func(s subject) string { return prefixOf(s.region, civic.LevelCommunity) },
	GroupByGrid:      func(s subject) string { return prefixOf(s.region, civic.LevelGrid) },
	GroupByCategory:  func(s subject) string { return s.category },
}

// metricsTally holds the counts of one group.
type metricsTally struct {
	dispatched, responded, unresponded, responsePending int
	due, dueClosed, dueOverdue, duePending              int
	closed, closedOnTime                                int
	naturalHours, workHours                             float64
	verifyPass, verifyFail                              int
	visits, satisfied, basic, dissatisfied, solved      int
	returned, recalled, reopened, answered              int
}

// metricsRun walks timelines and tallies facts per group.
type metricsRun struct {
	f       MetricsFilter
	now     time.Time
	cal     *calendar.Calendar
	key     func(subject) string
	rules   map[string]caseRules
	tallies map[string]*metricsTally
}

func (m *metricsRun) in(t time.Time) bool { return !t.Before(m.f.From) && t.Before(m.f.To) }

// tally returns the group a fact about sub counts in, or nil when the
// filter leaves the fact out.
func (m *metricsRun) tally(sub subject) *metricsTally {
	if (m.f.HandlerOrgID != 0 && sub.h.OrgID != m.f.HandlerOrgID) || (m.f.HandlerRegion != "" && sub.h.RegionCode != m.f.HandlerRegion) {
		return nil
	}
	k := m.key(sub)
	t := m.tallies[k]
	if t == nil {
		t = &metricsTally{}
		m.tallies[k] = t
	}
	return t
}

func (m *metricsRun) count(sub subject, at time.Time, fn func(t *metricsTally)) {
	if !m.in(at) {
		return
	}
	if t := m.tally(sub); t != nil {
		fn(t)
	}
}

// assignment is one stretch of a case with one handler: from a dispatch
// or transfer to the close, or to the return, recall, transfer or merge
// that took the case away (rerouted). Its clocks all start at the dispatch.
type assignment struct {
	h                     handlerAt
	start, round          time.Time // round: the last reopening before start
	claim, contact, ended time.Time
	closed                bool
}

func (m *metricsRun) walk(ctx context.Context, q querier, c *metricsCase) error {
	var as []*assignment
	var cur *assignment
	var h handlerAt // who has (or last had) the case: visits and reopenings are theirs
	var round time.Time
	sub := func() subject { return subject{h: h, region: c.region, category: c.category} }
	end := func(at time.Time) {
		if cur != nil {
			cur.ended = at
			cur = nil
		}
	}
	for _, e := range c.events {
		switch e.action {
		case civic.ActDispatch, civic.ActTransfer:
			end(e.at)
			h = handlerOf(e.data)
			cur = &assignment{h: h, start: e.at, round: round}
			as = append(as, cur)
		case civic.ActClaim:
			if cur != nil && cur.claim.IsZero() {
				cur.claim = e.at
			}
		case civic.ActFeedback, civic.ActHandle:
			if cur != nil && cur.contact.IsZero() {
				cur.contact = e.at
			}
		case civic.ActVerifyFail:
			m.count(sub(), e.at, func(t *metricsTally) { t.verifyFail++ })
		case civic.ActVerifyPass:
			m.count(sub(), e.at, func(t *metricsTally) { t.verifyPass++ })
			if cur != nil {
				cur.closed = true
			}
			end(e.at)
		case civic.ActReturn, civic.ActRecall:
			ret := e.action == civic.ActReturn
			m.count(sub(), e.at, func(t *metricsTally) {
				if ret {
					t.returned++
				} else {
					t.recalled++
				}
			})
			end(e.at)
			h = handlerAt{}
		case civic.ActMerge:
			// The survivor of a merge gets a merge event too, and goes on.
			if e.toState == civic.StateMerged {
				end(e.at)
			}
		case civic.ActReopen:
			m.count(sub(), e.at, func(t *metricsTally) { t.reopened++ })
			h, round = handlerAt{}, e.at
		case civic.ActAnswer:
			m.count(sub(), e.at, func(t *metricsTally) { t.answered++ })
		case civic.ActVisit, civic.ActComment:
			m.visit(sub(), e)
		}
	}
	rules, err := m.rulesOf(ctx, q, c.category)
	if err != nil {
		return err
	}
	for _, a := range as {
		m.assess(c, a, rules)
	}
	return nil
}

// visit counts a reporter's rating, or a co-reporter's (a comment event
// carrying one).
func (m *metricsRun) visit(sub subject, e metricsEvent) {
	var v struct {
		Satisfaction civic.Satisfaction `json:"satisfaction"`
		Solved       *bool              `json:"solved"`
		CoReporter   int64              `json:"co_reporter"`
	}
	if json.Unmarshal([]byte(e.data), &v) != nil || !v.Satisfaction.Valid() || v.Solved == nil {
		return
	}
	if e.action == civic.ActComment && v.CoReporter == 0 {
		return
	}
	m.count(sub, e.at, func(t *metricsTally) {
		t.visits++
		switch v.Satisfaction {
		case civic.Satisfied:
			t.satisfied++
		case civic.BasicSatisfied:
			t.basic++
		default:
			t.dissatisfied++
		}
		if *v.Solved {
			t.solved++
		}
	})
}

// rulesOf reads a category's limits once per run, as filed cases keep them
// (caseRulesFor): a category retired since keeps its own limits.
func (m *metricsRun) rulesOf(ctx context.Context, q querier, code string) (caseRules, error) {
	if r, ok := m.rules[code]; ok {
		return r, nil
	}
	r, err := caseRulesFor(ctx, q, code)
	if err != nil {
		return caseRules{}, err
	}
	m.rules[code] = r
	return r, nil
}

// outcome is how one step of an assignment stands against its limit.
type outcome int

const (
	stepVoid    outcome = iota // the case left the handler before the limit
	stepMet                    // done within the limit
	stepMissed                 // the limit passed first
	stepPending                // not done, and the limit is still ahead
)

// stepOutcome judges a step done at done (zero: not done) against due
// (zero: no limit) for an assignment that ended at end (zero: still on).
func stepOutcome(done, due, end, now time.Time) outcome {
	switch {
	case !done.IsZero() && (due.IsZero() || !done.After(due)):
		return stepMet
	case !end.IsZero() && (due.IsZero() || end.Before(due)):
		return stepVoid
	case due.IsZero() || now.Before(due):
		return stepPending
	}
	return stepMissed
}

// deadline is a stage's deadline, zero when the stage has no limit or an
// open suspension holds its clock.
func (m *metricsRun) deadline(start time.Time, b calendar.Budget, pauses []calendar.Interval) time.Time {
	if b.Amount <= 0 {
		return time.Time{}
	}
	return m.cal.Deadline(start, b, pauses).UTC()
}

// assess tallies what an assignment contributes: its dispatch and response
// to the period it started in, its completion deadline to the period that
// deadline falls in, its close to the period it closed in.
func (m *metricsRun) assess(c *metricsCase, a *assignment, r caseRules) {
	sub := subject{h: a.h, region: c.region, category: c.category}
	// Extensions add up on the case until it is reopened, as on the case
	// row; those approved after the assignment ended are not its own.
	comp := r.Complete
	for _, x := range c.extensions {
		if x.decided.After(a.round) && (a.ended.IsZero() || x.decided.Before(a.ended)) {
			comp.Amount += x.amount
		}
	}
	claimDue := m.deadline(a.start, r.Claim, c.pauses)
	feedbackDue := m.deadline(a.start, r.Feedback, c.pauses)
	completeDue := m.deadline(a.start, comp, c.pauses)

	m.count(sub, a.start, func(t *metricsTally) {
		t.dispatched++
		res := stepOutcome(a.claim, claimDue, a.ended, m.now)
		if res == stepMet {
			// Claimed in time: now the first contact (a progress note or
			// the report back) within the feedback limit.
			if res = stepOutcome(a.contact, feedbackDue, a.ended, m.now); res == stepVoid {
				res = stepMet
			}
		}
		switch res {
		case stepMet:
			t.responded++
		case stepMissed:
			t.unresponded++
		case stepPending:
			t.responsePending++
		}
	})

	if !completeDue.IsZero() {
		m.count(sub, completeDue, func(t *metricsTally) {
			switch {
			case !a.closed && !a.ended.IsZero() && a.ended.Before(completeDue):
				// Returned, recalled, transferred or merged in time: the
				// next handler's deadline counts, not this one.
			case a.closed && a.ended.Before(m.f.To):
				t.due++
				t.dueClosed++
				if a.ended.After(completeDue) {
					t.dueOverdue++
				}
			case !m.now.Before(completeDue):
				t.due++
				t.dueOverdue++
			default:
				t.duePending++
			}
		})
	}

	if a.closed {
		m.count(sub, a.ended, func(t *metricsTally) {
			t.closed++
			if completeDue.IsZero() || !a.ended.After(completeDue) {
				t.closedOnTime++
			}
			t.naturalHours += a.ended.Sub(a.start).Hours()
			t.workHours += m.cal.Elapsed(a.start, a.ended, calendar.WorkHours, c.pauses)
		})
	}
}

func rate(num float64, den int) Rate {
	r := Rate{Numerator: round6(num), Denominator: den}
	if den > 0 {
		v := round6(num / float64(den))
		r.Ratio = &v
	}
	return r
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func (t *metricsTally) metrics(f MetricsFilter) Metrics {
	m := Metrics{From: f.From, To: f.To, BasicWeight: f.BasicWeight}
	m.Response = rate(float64(t.responded), t.responded+t.unresponded)
	m.Response.Pending = t.responsePending
	m.Solved = rate(float64(t.solved), t.visits)
	m.Satisfaction = rate(float64(t.satisfied)+f.BasicWeight*float64(t.basic), t.visits)
	m.Completion = rate(float64(t.dueClosed), t.due)
	m.Completion.Pending = t.duePending
	m.OnTime = rate(float64(t.closedOnTime), t.closed)
	m.Overdue = rate(float64(t.dueOverdue), t.due)
	m.Overdue.Pending = t.duePending
	m.Rework = rate(float64(t.verifyFail), t.verifyFail+t.verifyPass)
	m.HandlingTime.Closed = t.closed
	if t.closed > 0 {
		nat := math.Round(t.naturalHours/float64(t.closed)*100) / 100
		work := math.Round(t.workHours/float64(t.closed)*100) / 100
		m.HandlingTime.NaturalHours, m.HandlingTime.WorkHours = &nat, &work
	}
	m.Counts = MetricsCounts{Dispatched: t.dispatched, Returned: t.returned, Recalled: t.recalled, Closed: t.closed,
		Reworked: t.verifyFail, Answered: t.answered, Visits: t.visits, Satisfied: t.satisfied, BasicSatisfied: t.basic,
		Dissatisfied: t.dissatisfied, Solved: t.solved, Reopened: t.reopened}
	return m
}

// metricsRows names the groups and sorts them by key.
func (s *Store) metricsRows(ctx context.Context, groupBy string, f MetricsFilter, tallies map[string]*metricsTally) ([]MetricsRow, error) {
	out := make([]MetricsRow, 0, len(tallies))
	var orgIDs, regions, categories []any
	for k, t := range tallies {
		row := MetricsRow{Key: k, Metrics: t.metrics(f)}
		switch {
		case groupBy == GroupByCategory:
			row.CategoryCode = k
			categories = append(categories, k)
		case strings.HasPrefix(k, "org:"):
			row.OrgID, _ = strconv.ParseInt(k[4:], 10, 64)
			orgIDs = append(orgIDs, row.OrgID)
		case strings.HasPrefix(k, "region:"):
			row.RegionCode = k[7:]
			regions = append(regions, row.RegionCode)
		case groupBy != GroupByOrg:
			row.RegionCode = k
			regions = append(regions, k)
		}
		out = append(out, row)
	}
	orgs, err := s.namesOf(ctx, "organisations", "id", orgIDs)
	if err != nil {
		return nil, err
	}
	regionNames, err := s.namesOf(ctx, "regions", "code", regions)
	if err != nil {
		return nil, err
	}
	catNames, err := s.namesOf(ctx, "categories", "code", categories)
	if err != nil {
		return nil, err
	}
	for i := range out {
		r := &out[i]
		switch {
		case r.OrgID != 0:
			r.Name = orgs[strconv.FormatInt(r.OrgID, 10)]
		case r.CategoryCode != "":
			r.Name = catNames[r.CategoryCode]
		case r.RegionCode != "":
			r.Name = regionNames[r.RegionCode]
		case groupBy == GroupByOrg:
			r.Name = "无承办单位（直接答复）"
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// namesOf maps keys of a table with a name column to their names.
func (s *Store) namesOf(ctx context.Context, table, col string, keys []any) (map[string]string, error) {
	out := map[string]string{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := s.query(ctx, `SELECT `+col+`, name FROM `+table+` WHERE `+col+` IN (`+marks(len(keys))+`)`, keys...)
	if err != nil {
		return nil, fmt.Errorf("names of %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, n string
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("scan %s name: %w", table, err)
		}
		out[k] = n
	}
	return out, rows.Err()
}
