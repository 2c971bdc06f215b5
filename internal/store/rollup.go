package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// Roll-ups (issue 5, "performance by design"): case_flow counts events per
// China day × region, one column per kind; case_flow_category counts
// reports per day × region × category; case_stock counts cases per filing
// day × region by current state. Each row exists at three levels: level 0
// under the case's own region code (a grid, usually), level 1 under its
// street, level 2 under its community, level 3 under its city, so that a
// city overview reads a row per street and day (and per category and day),
// a street's a row per community and day. All are
// kept by addEvent, in the transaction of the event, so no write path is
// missed (every state change writes an event), with at most one upsert per
// table and level; all are a pure function of case_events and the cases'
// current region, category, source and filing time, so RebuildRollups
// recomputes them and a test proves the two agree.
//
// Attribution is to the case's current region, category and source, as in
// docs/METRICS.md ("the case's current category is used"): when an action
// changes a case's category, its contributions move (rollupCase −1 before,
// +1 after). Counts that go back to 0 leave their row; rows and columns
// with 0 mean nothing and are ignored when comparing.

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

// flowColumn maps the actions counted in case_flow to their column; other
// actions (comments, requests, whistles…) are not counted.
var flowColumn = map[string]string{
	"report": "report", "accept": "accept", "reject": "reject", "answer": "answer", "dispatch": "dispatch", "transfer": "transfer",
	"recall": "recall", "return": "returned", "claim": "claim", "feedback": "feedback", "handle": "handle",
	"verify_fail": "verify_fail", "verify_pass": "verify_pass", "reopen": "reopen", "merge": "merges", "warn": "warn", "escalate": "escalate",
}

// rollupTables are the roll-up tables, their key columns after level,
// region_code and day, and their count columns.
var rollupTables = []struct {
	name, key string
	cols      []string
}{
	{"case_flow", "", []string{"report", "src_resident", "src_patrol", "src_hotline", "src_qr", "src_api", "accept", "reject", "answer",
		"dispatch", "transfer", "recall", "returned", "claim", "claim_on_time", "feedback", "handle", "verify_fail", "verify_pass", "close_on_time",
		"visit_valid", "visit_satisfied", "visit_basic", "visit_dissatisfied", "visit_solved", "reopen", "merges", "warn", "escalate"}},
	{"case_flow_category", "category_code", []string{"report"}},
	{"case_stock", "", []string{"reported", "accepted", "rejected", "dispatched", "in_progress", "handled", "closed", "visited", "merged"}},
}

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

// RollupRow is one roll-up count, for comparisons and tests. Category is
// set in case_flow_category only; Column is the count's column.
type RollupRow struct {
	Table    string
	Level    int
	Region   string
	Day      string
	Category string
	Column   string
	N        int64
}

// rollupKey is one roll-up row; rollups maps it to its column counts.
type rollupKey struct {
	table    string
	level    int
	region   string
	day      string
	category string
}

type rollups map[rollupKey]map[string]int64

// rollupLevelLen is the length of the region codes each roll-up level
// keeps its counts under: 0 the case's own region (any length), 1 its
// street, 2 its community, 3 its city (district code).
var rollupLevelLen = [4]int{0, 9, 12, 6}

// add counts d in column col of table's row for the case's region at each
// level (see rollupLevelLen).
func (r rollups) add(table string, c rollupCaseAttrs, day, category, col string, d int64) {
	for level, n := range rollupLevelLen {
		region := c.region
		if n > 0 && len(region) > n {
			region = region[:n]
		}
		k := rollupKey{table, level, region, day, category}
		if r[k] == nil {
			r[k] = map[string]int64{}
		}
		r[k][col] += d
	}
}

// knownStock says whether a state has a case_stock column.
func knownStock(state string) bool {
	for _, c := range rollupTables[2].cols {
		if c == state {
			return true
		}
	}
	return false
}

// rollupDeltas adds the counts one event makes (times sign). lastDispatch
// gives the data and time of the case's last dispatch or transfer before
// the event; it is asked only for claims and closes. A claim on time
// counts on the day of the dispatch it answers, like the dispatch itself,
// so that a day's 响应率 is its own dispatches claimed in time ÷ its
// dispatches: counted on the day of the claim, Monday's claims of
// Saturday's dispatches gave Monday 150 % and Saturday 3 %.
func rollupDeltas(out rollups, c rollupCaseAttrs, e rollupEv, sign int64, lastDispatch func() (string, time.Time, error)) error {
	day := civic.Today(e.at)
	flow := func(col string) { out.add("case_flow", c, day, "", col, sign) }
	if col, ok := flowColumn[e.action]; ok {
		flow(col)
	}
	switch civic.CaseAction(e.action) {
	case civic.ActReport:
		switch civic.Source(c.source) {
		case civic.SourceResident, civic.SourcePatrol, civic.SourceHotline, civic.SourceQR, civic.SourceAPI:
			flow("src_" + c.source)
		}
		out.add("case_flow_category", c, day, c.category, "report", sign)
	case civic.ActClaim, civic.ActVerifyPass:
		d, dispatched, err := lastDispatch()
		if err != nil {
			return err
		}
		var terms struct {
			ClaimDue    *time.Time `json:"claim_due"`
			CompleteDue *time.Time `json:"complete_due"`
		}
		_ = json.Unmarshal([]byte(orEmptyJSON(d)), &terms)
		if e.action == string(civic.ActClaim) && (terms.ClaimDue == nil || !e.at.After(*terms.ClaimDue)) {
			dday := day
			if !dispatched.IsZero() {
				dday = civic.Today(dispatched)
			}
			out.add("case_flow", c, dday, "", KindClaimOnTime, sign)
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
		if knownStock(e.from) {
			out.add("case_stock", c, cday, "", e.from, -sign)
		}
		if knownStock(e.to) {
			out.add("case_stock", c, cday, "", e.to, sign)
		}
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
	if tx.noRollups {
		return nil
	}
	var c rollupCaseAttrs
	if b, ok := tx.known[caseID]; ok {
		// The transaction has the case in hand (intake, or an action).
		c = rollupCaseAttrs{region: b.region, category: b.category, source: b.source, created: b.created}
	} else if err := tx.queryRow(ctx, `SELECT region_code, category_code, source, created_at FROM cases WHERE id = ?`, caseID).
		Scan(&c.region, &c.category, &c.source, &c.created); err != nil {
		return fmt.Errorf("roll-ups: read case %d: %w", caseID, err)
	}
	out := rollups{}
	last := func() (string, time.Time, error) {
		var d string
		var at time.Time
		err := tx.queryRow(ctx, `SELECT data, at FROM case_events WHERE case_id = ? AND action IN ('dispatch', 'transfer') ORDER BY id DESC LIMIT 1`, caseID).Scan(&d, &at)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", time.Time{}, fmt.Errorf("roll-ups: last dispatch of case %d: %w", caseID, err)
		}
		return d, at, nil
	}
	if err := rollupDeltas(out, c, rollupEv{at: tx.now, action: string(act), from: string(from), to: string(to), dt: data}, 1, last); err != nil {
		return err
	}
	if tx.caseRollups != nil {
		tx.caseRollups.merge(out)
		return nil
	}
	tx.keepRollups(out)
	return nil
}

// merge adds the counts of o.
func (r rollups) merge(o rollups) {
	for k, cols := range o {
		if r[k] == nil {
			r[k] = map[string]int64{}
		}
		for c, n := range cols {
			r[k][c] += n
		}
	}
}

// keepRollups adds counts to what the transaction writes at its end.
func (tx *Tx) keepRollups(o rollups) {
	if tx.rollups == nil {
		tx.rollups = rollups{}
	}
	tx.rollups.merge(o)
}

// flushRollups writes the transaction's roll-up counts: called by write
// (and a Bulk run's write) after fn, before the commit.
func (tx *Tx) flushRollups(ctx context.Context) error {
	if len(tx.rollups) == 0 {
		return nil
	}
	out := tx.rollups
	tx.rollups = nil
	return tx.rollupApply(ctx, out)
}

// rollupCase adds (sign 1) or takes away (sign −1) all of a case's events
// under its current attributes: used around a change of category.
func (tx *Tx) rollupCase(ctx context.Context, caseID int64, sign int64) error {
	if tx.noRollups {
		return nil
	}
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
	out := rollups{}
	if err := walkRollupCase(out, c, evs, sign); err != nil {
		return err
	}
	tx.keepRollups(out)
	return nil
}

// walkRollupCase adds one case's whole timeline, in order.
func walkRollupCase(out rollups, c rollupCaseAttrs, evs []rollupEv, sign int64) error {
	last, lastAt := "", time.Time{}
	for _, e := range evs {
		if err := rollupDeltas(out, c, e, sign, func() (string, time.Time, error) { return last, lastAt, nil }); err != nil {
			return err
		}
		if isDispatch(e.action) {
			last, lastAt = e.dt, e.at
		}
	}
	return nil
}

// rollupApply upserts counts: one statement per row, the columns that
// change only, in key order.
func (tx *Tx) rollupApply(ctx context.Context, out rollups) error {
	keys := make([]rollupKey, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return lessKey(keys[i], keys[j]) })
	for _, k := range keys {
		var cols []string
		for c, n := range out[k] {
			if n != 0 {
				cols = append(cols, c)
			}
		}
		if len(cols) == 0 {
			continue
		}
		sort.Strings(cols)
		names, marks, sets := "level, region_code, day", "?, ?, ?", ""
		args := []any{k.level, k.region, k.day}
		conflict := "level, region_code, day"
		if k.table == "case_flow_category" {
			names, marks, conflict = names+", category_code", marks+", ?", conflict+", category_code"
			args = append(args, k.category)
		}
		for i, c := range cols {
			names += ", " + c
			marks += ", ?"
			if i > 0 {
				sets += ", "
			}
			sets += c + " = " + k.table + "." + c + " + excluded." + c
			args = append(args, out[k][c])
		}
		q := `INSERT INTO ` + k.table + ` (` + names + `) VALUES (` + marks + `) ON CONFLICT (` + conflict + `) DO UPDATE SET ` + sets
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("roll-ups: upsert %s: %w", k.table, err)
		}
	}
	return nil
}

func lessKey(a, b rollupKey) bool {
	if a.table != b.table {
		return a.table < b.table
	}
	if a.level != b.level {
		return a.level < b.level
	}
	if a.region != b.region {
		return a.region < b.region
	}
	if a.day != b.day {
		return a.day < b.day
	}
	return a.category < b.category
}

// scanRollups walks the timelines of the cases matching where (on cases
// c) with events at or after since (zero: all), in order, and returns the
// roll-up counts they make: the rebuild and the scanning overview share it.
func (s *Store) scanRollups(ctx context.Context, q querier, where string, args []any, since time.Time) (rollups, error) {
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
	out := rollups{}
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

// RebuildRollups recomputes the roll-ups from case_events and the cases'
// current attributes, in one transaction, and returns how many rows it
// wrote.
func (s *Store) RebuildRollups(ctx context.Context) (int, error) {
	written := 0
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		written, err = tx.rebuildRollups(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("重建统计汇总失败 / rebuild roll-ups: %w", err)
	}
	return written, nil
}

// rebuildRollups is RebuildRollups inside tx (a migration that changes
// what the roll-ups count rebuilds them in its own transaction).
func (tx *Tx) rebuildRollups(ctx context.Context) (int, error) {
	out, err := tx.s.scanRollups(ctx, tx, "1=1", nil, time.Time{})
	if err != nil {
		return 0, err
	}
	for _, t := range rollupTables {
		if _, err := tx.exec(ctx, `DELETE FROM `+t.name); err != nil {
			return 0, fmt.Errorf("roll-ups: clear %s: %w", t.name, err)
		}
	}
	return tx.rollupInsert(ctx, out)
}

// rollupInsert writes counts into empty tables: multi-row INSERTs of every
// column, in key order. It returns the rows written.
func (tx *Tx) rollupInsert(ctx context.Context, out rollups) (int, error) {
	const per = 200
	keys := make([]rollupKey, 0, len(out))
	for k, cols := range out {
		for _, n := range cols {
			if n != 0 {
				keys = append(keys, k)
				break
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool { return lessKey(keys[i], keys[j]) })
	for _, t := range rollupTables {
		names := "level, region_code, day"
		if t.key != "" {
			names += ", " + t.key
		}
		names += ", " + strings.Join(t.cols, ", ")
		row := "(" + strings.Repeat("?, ", strings.Count(names, ",")) + "?)"
		var batch []rollupKey
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			args := make([]any, 0, len(batch)*(len(t.cols)+4))
			for _, k := range batch {
				args = append(args, k.level, k.region, k.day)
				if t.key != "" {
					args = append(args, k.category)
				}
				for _, c := range t.cols {
					args = append(args, out[k][c])
				}
			}
			q := `INSERT INTO ` + t.name + ` (` + names + `) VALUES ` + strings.TrimSuffix(strings.Repeat(row+", ", len(batch)), ", ")
			if _, err := tx.exec(ctx, q, args...); err != nil {
				return fmt.Errorf("roll-ups: insert %s: %w", t.name, err)
			}
			batch = batch[:0]
			return nil
		}
		for _, k := range keys {
			if k.table != t.name {
				continue
			}
			if batch = append(batch, k); len(batch) == per {
				if err := flush(); err != nil {
					return 0, err
				}
			}
		}
		if err := flush(); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// Rollups lists every roll-up count ≠ 0, one per row and column, sorted:
// for tests and checks.
func (s *Store) Rollups(ctx context.Context) ([]RollupRow, error) {
	var out []RollupRow
	for _, t := range rollupTables {
		key, order := "''", "level, region_code, day"
		if t.key != "" {
			key, order = t.key, order+", "+t.key
		}
		rows, err := s.query(ctx, `SELECT level, region_code, day, `+key+`, `+strings.Join(t.cols, ", ")+` FROM `+t.name+` ORDER BY `+order)
		if err != nil {
			return nil, fmt.Errorf("list roll-ups: %w", err)
		}
		for rows.Next() {
			r := RollupRow{Table: t.name}
			ns := make([]int64, len(t.cols))
			dest := []any{&r.Level, &r.Region, &r.Day, &r.Category}
			for i := range ns {
				dest = append(dest, &ns[i])
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("list roll-ups: %w", err)
			}
			for i, n := range ns {
				if n != 0 {
					r.Column, r.N = t.cols[i], n
					out = append(out, r)
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("list roll-ups: %w", err)
		}
	}
	return out, nil
}
