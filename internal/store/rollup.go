package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// Roll-ups (issue 5, "performance by design"): case_flow counts events per
// China day × region × category × source × kind, case_stock counts cases
// per China filing day × region × category × source × current state. Both
// are kept by addEvent, in the transaction of the event, so no write path
// is missed (every state change writes an event); both are a pure function
// of case_events and the cases' current region, category, source and
// filing time, so RebuildRollups recomputes them from scratch and a test
// proves the two agree.
//
// Attribution is to the case's current region, category and source, as in
// docs/METRICS.md ("the case's current category is used"): when an action
// changes a case's category, its contributions move (rollupCase −1 before,
// +1 after). A moved key keeps a row with n = 0; rows with n = 0 mean
// nothing and are ignored when comparing.

// Flow kinds besides the event actions themselves.
const (
	KindClaimOnTime       = "claim_on_time"      // claim at or before the claim deadline of the dispatch (none: on time)
	KindCloseOnTime       = "close_on_time"      // verify_pass at or before the completion deadline of the dispatch (none: on time)
	KindVisitValid        = "visit_valid"        // a visit, or a co-reporter's rating, with satisfaction and solved
	KindVisitSatisfied    = "visit_satisfied"    // 满意
	KindVisitBasic        = "visit_basic"        // 基本满意
	KindVisitDissatisfied = "visit_dissatisfied" // 不满意
	KindVisitSolved       = "visit_solved"       // 已解决
)

// rollupCaseAttrs are what a case's events are attributed to.
type rollupCaseAttrs struct {
	region, category, source string
	created                  time.Time
}

// rollupEv is one event as the roll-ups see it.
type rollupEv struct {
	at                   time.Time
	action, from, to, dt string
}

// RollupRow is one roll-up count, for comparisons and tests. Kind is the
// flow kind or, in case_stock, the state.
type RollupRow struct {
	Table, Day, Region, Category, Source, Kind string
	N                                          int64
}

type rollupKey struct{ table, day, region, category, source, kind string }

// rollupDeltas appends the counts one event adds (times sign). lastDispatch
// gives the data of the case's last dispatch or transfer before the event;
// it is asked only for claims and closes.
func rollupDeltas(out map[rollupKey]int64, c rollupCaseAttrs, e rollupEv, sign int64, lastDispatch func() (string, error)) error {
	day := civic.Today(e.at)
	flow := func(kind string) { out[rollupKey{"flow", day, c.region, c.category, c.source, kind}] += sign }
	flow(e.action)
	switch civic.CaseAction(e.action) {
	case civic.ActClaim, civic.ActVerifyPass:
		d, err := lastDispatch()
		if err != nil {
			return err
		}
		var terms struct {
			ClaimDue    *time.Time `json:"claim_due"`
			CompleteDue *time.Time `json:"complete_due"`
		}
		_ = json.Unmarshal([]byte(orEmptyJSON(d)), &terms)
		if e.action == string(civic.ActClaim) && (terms.ClaimDue == nil || !e.at.After(*terms.ClaimDue)) {
			flow(KindClaimOnTime)
		}
		if e.action == string(civic.ActVerifyPass) && (terms.CompleteDue == nil || !e.at.After(*terms.CompleteDue)) {
			flow(KindCloseOnTime)
		}
	case civic.ActVisit, civic.ActComment:
		var v struct {
			Satisfaction civic.Satisfaction `json:"satisfaction"`
			Solved       *bool              `json:"solved"`
			CoReporter   int64              `json:"co_reporter"`
		}
		if e.dt == "" || json.Unmarshal([]byte(e.dt), &v) != nil || v.Solved == nil {
			break
		}
		if e.action == string(civic.ActComment) && v.CoReporter == 0 {
			break
		}
		kind := map[civic.Satisfaction]string{civic.Satisfied: KindVisitSatisfied, civic.BasicSatisfied: KindVisitBasic, civic.Dissatisfied: KindVisitDissatisfied}[v.Satisfaction]
		if kind == "" {
			break
		}
		flow(KindVisitValid)
		flow(kind)
		if *v.Solved {
			flow(KindVisitSolved)
		}
	}
	if e.to != "" && e.from != e.to {
		cday := civic.Today(c.created)
		if e.from != "" {
			out[rollupKey{"stock", cday, c.region, c.category, c.source, e.from}] -= sign
		}
		out[rollupKey{"stock", cday, c.region, c.category, c.source, e.to}] += sign
	}
	return nil
}

// isDispatch says whether an action starts a handler's clocks.
func isDispatch(action string) bool {
	return action == string(civic.ActDispatch) || action == string(civic.ActTransfer)
}

// rollupEvent adds one new event of a case to the roll-ups. Called by
// addEvent only, after the event row is written.
func (tx *Tx) rollupEvent(ctx context.Context, caseID int64, act civic.CaseAction, from, to civic.CaseState, data string) error {
	var c rollupCaseAttrs
	if b, ok := tx.known[caseID]; ok {
		// The transaction has the case in hand (intake, or an action).
		c = rollupCaseAttrs{region: b.region, category: b.category, source: b.source, created: b.created}
	} else if err := tx.queryRow(ctx, `SELECT region_code, category_code, source, created_at FROM cases WHERE id = ?`, caseID).
		Scan(&c.region, &c.category, &c.source, &c.created); err != nil {
		return fmt.Errorf("roll-ups: read case %d: %w", caseID, err)
	}
	out := map[rollupKey]int64{}
	last := func() (string, error) {
		var d string
		err := tx.queryRow(ctx, `SELECT data FROM case_events WHERE case_id = ? AND action IN ('dispatch', 'transfer') ORDER BY id DESC LIMIT 1`, caseID).Scan(&d)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("roll-ups: last dispatch of case %d: %w", caseID, err)
		}
		return d, nil
	}
	if err := rollupDeltas(out, c, rollupEv{at: tx.now, action: string(act), from: string(from), to: string(to), dt: data}, 1, last); err != nil {
		return err
	}
	return tx.rollupApply(ctx, out)
}

// rollupCase adds (sign 1) or takes away (sign −1) all of a case's events
// under its current attributes: used around a change of category.
func (tx *Tx) rollupCase(ctx context.Context, caseID int64, sign int64) error {
	var c rollupCaseAttrs
	if err := tx.queryRow(ctx, `SELECT region_code, category_code, source, created_at FROM cases WHERE id = ?`, caseID).
		Scan(&c.region, &c.category, &c.source, &c.created); err != nil {
		return fmt.Errorf("roll-ups: read case %d: %w", caseID, err)
	}
	rows, err := tx.query(ctx, `SELECT at, action, from_state, to_state, data FROM case_events WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return fmt.Errorf("roll-ups: events of case %d: %w", caseID, err)
	}
	var evs []rollupEv
	for rows.Next() {
		var e rollupEv
		if err := rows.Scan(&e.at, &e.action, &e.from, &e.to, &e.dt); err != nil {
			rows.Close()
			return fmt.Errorf("roll-ups: events of case %d: %w", caseID, err)
		}
		evs = append(evs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("roll-ups: events of case %d: %w", caseID, err)
	}
	out := map[rollupKey]int64{}
	if err := walkRollupCase(out, c, evs, sign); err != nil {
		return err
	}
	return tx.rollupApply(ctx, out)
}

// walkRollupCase adds one case's whole timeline, in order.
func walkRollupCase(out map[rollupKey]int64, c rollupCaseAttrs, evs []rollupEv, sign int64) error {
	last := ""
	for _, e := range evs {
		if err := rollupDeltas(out, c, e, sign, func() (string, error) { return last, nil }); err != nil {
			return err
		}
		if isDispatch(e.action) {
			last = e.dt
		}
	}
	return nil
}

// rollupApply upserts counts; cheap single-row upserts in key order.
func (tx *Tx) rollupApply(ctx context.Context, out map[rollupKey]int64) error {
	keys := make([]rollupKey, 0, len(out))
	for k, n := range out {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return lessKey(keys[i], keys[j]) })
	for _, k := range keys {
		q := `INSERT INTO case_flow (day, region_code, category_code, source, kind, n) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (day, region_code, category_code, source, kind) DO UPDATE SET n = case_flow.n + excluded.n`
		if k.table == "stock" {
			q = `INSERT INTO case_stock (day, region_code, category_code, source, state, n) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (day, region_code, category_code, source, state) DO UPDATE SET n = case_stock.n + excluded.n`
		}
		if _, err := tx.exec(ctx, q, k.day, k.region, k.category, k.source, k.kind, out[k]); err != nil {
			return fmt.Errorf("roll-ups: upsert %s: %w", k.table, err)
		}
	}
	return nil
}

func lessKey(a, b rollupKey) bool {
	if a.table != b.table {
		return a.table < b.table
	}
	if a.day != b.day {
		return a.day < b.day
	}
	if a.region != b.region {
		return a.region < b.region
	}
	if a.category != b.category {
		return a.category < b.category
	}
	if a.source != b.source {
		return a.source < b.source
	}
	return a.kind < b.kind
}

// scanRollups walks the timelines of the cases matching where (on cases
// c) with events at or after since (zero: all), in order, and returns the
// roll-up counts they make: the rebuild and the scanning overview share it.
func (s *Store) scanRollups(ctx context.Context, q querier, where string, args []any, since time.Time) (map[rollupKey]int64, error) {
	cond := ""
	if !since.IsZero() {
		cond = " AND e.at >= ?"
		args = append(append([]any{}, args...), since.UTC())
	}
	rows, err := q.query(ctx, `SELECT c.id, c.region_code, c.category_code, c.source, c.created_at, e.at, e.action, e.from_state, e.to_state, e.data
		FROM cases c JOIN case_events e ON e.case_id = c.id WHERE `+where+cond+` ORDER BY c.id, e.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("roll-ups: scan events: %w", err)
	}
	defer rows.Close()
	out := map[rollupKey]int64{}
	var cur int64 = -1
	var attrs rollupCaseAttrs
	var evs []rollupEv
	flush := func() error {
		if cur < 0 {
			return nil
		}
		return walkRollupCase(out, attrs, evs, 1)
	}
	for rows.Next() {
		var id int64
		var c rollupCaseAttrs
		var e rollupEv
		if err := rows.Scan(&id, &c.region, &c.category, &c.source, &c.created, &e.at, &e.action, &e.from, &e.to, &e.dt); err != nil {
			return nil, fmt.Errorf("roll-ups: scan events: %w", err)
		}
		if id != cur {
			if err := flush(); err != nil {
				return nil, err
			}
			cur, attrs, evs = id, c, evs[:0]
		}
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("roll-ups: scan events: %w", err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// RebuildRollups recomputes both roll-ups from case_events and the cases'
// current attributes, in one transaction, and returns how many rows it
// wrote.
func (s *Store) RebuildRollups(ctx context.Context) (int, error) {
	written := 0
	err := s.write(ctx, func(tx *Tx) error {
		out, err := s.scanRollups(ctx, tx, "1=1", nil, time.Time{})
		if err != nil {
			return err
		}
		for _, t := range []string{"case_flow", "case_stock"} {
			if _, err := tx.exec(ctx, `DELETE FROM `+t); err != nil {
				return fmt.Errorf("roll-ups: clear %s: %w", t, err)
			}
		}
		for k, n := range out {
			if n == 0 {
				delete(out, k)
			}
		}
		written = len(out)
		return tx.rollupApply(ctx, out)
	})
	if err != nil {
		return 0, fmt.Errorf("重建统计汇总失败 / rebuild roll-ups: %w", err)
	}
	return written, nil
}

// Rollups lists every roll-up row with n ≠ 0, sorted: for tests and checks.
func (s *Store) Rollups(ctx context.Context) ([]RollupRow, error) {
	var out []RollupRow
	for _, t := range []struct{ name, table, col string }{{"flow", "case_flow", "kind"}, {"stock", "case_stock", "state"}} {
		rows, err := s.query(ctx, `SELECT day, region_code, category_code, source, `+t.col+`, n FROM `+t.table+` WHERE n <> 0 ORDER BY day, region_code, category_code, source, `+t.col)
		if err != nil {
			return nil, fmt.Errorf("list roll-ups: %w", err)
		}
		for rows.Next() {
			r := RollupRow{Table: t.name}
			if err := rows.Scan(&r.Day, &r.Region, &r.Category, &r.Source, &r.Kind, &r.N); err != nil {
				rows.Close()
				return nil, fmt.Errorf("list roll-ups: %w", err)
			}
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("list roll-ups: %w", err)
		}
	}
	return out, nil
}
