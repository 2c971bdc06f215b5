package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// Care alerts (关爱提醒). Rules live in care_rules (defaults come with the
// migration); EvaluateCareRules, run by the care job, files one open task
// per (rule, person or house) that has had no qualifying contact in the
// rule's window, under the grid of the person or house. A qualifying
// contact is a household visit (visits) to the person or to a house they
// live in now, or a party member's contact (party_contacts) with such a
// house; for a household rule, a visit to the house or to anyone living in
// it, or a party contact with it. Recording a visit or contact closes the
// tasks it satisfies in the same transaction; the job's pass closes any
// others (a visit recorded some other way) and lets go of tasks whose
// target no longer matches its rule.

// tagsOf splits a stored comma list of tags.
func tagsOf(s string) []civic.Tag {
	var out []civic.Tag
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, civic.Tag(t))
		}
	}
	return out
}

func joinTags(ts []civic.Tag) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ",")
}

const careRuleCols = `r.id, r.region_code, r.name, r.target, r.tags, r.period, r.days, r.active, r.created_at, r.updated_at`

func scanCareRule(sc interface{ Scan(...any) error }, extra ...any) (civic.CareRule, error) {
	var r civic.CareRule
	var target, tags, period string
	var created, updated textTime
	err := sc.Scan(append([]any{&r.ID, &r.RegionCode, &r.Name, &target, &tags, &period, &r.Days, &r.Active, &created, &updated}, extra...)...)
	r.Target, r.Tags, r.Period = civic.CareTarget(target), tagsOf(tags), civic.CarePeriod(period)
	r.CreatedAt, r.UpdatedAt = created.T, updated.T
	return r, err
}

// ruleVisible reports whether a rule concerns the actor: it applies
// everywhere, above their scope, or inside it.
func ruleVisible(a civic.Actor, region string) bool {
	return a.IsSystem() || region == "" || a.InScope(region) || civic.InSubtree(a.Scope.RegionCode, region)
}

// ListCareRules lists the rules that apply in the actor's scope, with the
// number of open tasks each has there.
func (s *Store) ListCareRules(ctx context.Context, a civic.Actor) ([]civic.CareRule, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return nil, err
	}
	where, args := scopeClause(a, "t.grid_code")
	rows, err := s.query(ctx, `SELECT `+careRuleCols+`, (SELECT COUNT(*) FROM care_tasks t WHERE t.rule_id = r.id AND t.state = 'open' AND `+where+`)
		FROM care_rules r ORDER BY r.region_code, r.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list care rules: %w", err)
	}
	defer rows.Close()
	var out []civic.CareRule
	for rows.Next() {
		var open int
		r, err := scanCareRule(rows, &open)
		if err != nil {
			return nil, fmt.Errorf("scan care rule: %w", err)
		}
		r.OpenTasks = open
		if ruleVisible(a, r.RegionCode) {
			out = append(out, r)
		}
	}
	return out, rows.Err()
}

// GetCareRule returns a rule that applies in the actor's scope.
func (s *Store) GetCareRule(ctx context.Context, a civic.Actor, id int64) (civic.CareRule, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return civic.CareRule{}, err
	}
	r, err := scanCareRule(s.queryRow(ctx, `SELECT `+careRuleCols+` FROM care_rules r WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !ruleVisible(a, r.RegionCode)) {
		return civic.CareRule{}, civic.NotFound(fmt.Sprintf("关爱规则 %d", id), fmt.Sprintf("care rule %d", id))
	}
	if err != nil {
		return civic.CareRule{}, fmt.Errorf("get care rule %d: %w", id, err)
	}
	return r, nil
}

// mayEditRule checks that the actor may change a rule of region: one
// applying everywhere needs a city-wide administrator, others the region
// in scope.
// MayEditCareRule reports whether a may change a rule of region ("" for
// everywhere): what SaveCareRule checks, for pages to offer only what they
// may.
func MayEditCareRule(a civic.Actor, region string) bool {
	return a.Can(civic.PermCareRules) && mayEditRule(a, region) == nil
}

func mayEditRule(a civic.Actor, region string) error {
	if region == "" {
		if err := a.MustCityWide(civic.PermCareRules); err != nil {
			return err
		}
		if a.Role != civic.RoleAdmin {
			return civic.Errorf(civic.EForbidden, "适用全部地区的规则只能由全市管理员修改", "only a city-wide administrator may change a rule that applies everywhere")
		}
		return nil
	}
	if !a.InScope(region) {
		return civic.OutOfScope("region_code", "该区域不在您的管辖范围内", "the area is outside your scope")
	}
	return nil
}

// SaveCareRule creates a rule (ID 0) or replaces one's fields; deactivate
// a rule rather than delete it, so its tasks keep their name. Open tasks of
// a changed rule that no longer match are let go on the job's next pass.
func (s *Store) SaveCareRule(ctx context.Context, a civic.Actor, r civic.CareRule) (civic.CareRule, error) {
	if err := a.Must(civic.PermCareRules); err != nil {
		return r, err
	}
	var before *civic.CareRule
	if r.ID != 0 {
		b, err := s.GetCareRule(ctx, a, r.ID)
		if err != nil {
			return r, err
		}
		if err := mayEditRule(a, b.RegionCode); err != nil {
			return r, err
		}
		before = &b
	}
	if err := r.Validate(); err != nil {
		return r, err
	}
	if err := mayEditRule(a, r.RegionCode); err != nil {
		return r, err
	}
	err := s.write(ctx, func(tx *Tx) error {
		if r.RegionCode != "" {
			if ok, err := regionExists(ctx, tx, r.RegionCode); err != nil {
				return err
			} else if !ok {
				return civic.Invalid(civic.FieldErr("region_code", "区域“%s”不存在", "region %q does not exist", r.RegionCode))
			}
		}
		if before == nil {
			id, err := tx.insertID(ctx, `INSERT INTO care_rules (region_code, name, target, tags, period, days, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				r.RegionCode, r.Name, string(r.Target), joinTags(r.Tags), string(r.Period), r.Days, r.Active, tx.now, tx.now)
			if err != nil {
				return fmt.Errorf("insert care rule: %w", err)
			}
			r.ID = id
			return tx.audit(ctx, a, "care_rule.create", "care_rule", id, r.RegionCode, nil, r)
		}
		if _, err := tx.exec(ctx, `UPDATE care_rules SET region_code = ?, name = ?, target = ?, tags = ?, period = ?, days = ?, active = ?, updated_at = ? WHERE id = ?`,
			r.RegionCode, r.Name, string(r.Target), joinTags(r.Tags), string(r.Period), r.Days, r.Active, tx.now, r.ID); err != nil {
			return fmt.Errorf("update care rule %d: %w", r.ID, err)
		}
		return tx.audit(ctx, a, "care_rule.update", "care_rule", r.ID, r.RegionCode, before, r)
	})
	if err != nil {
		return civic.CareRule{}, err
	}
	return s.GetCareRule(ctx, a, r.ID)
}

// ruleMatch is the SQL condition that a person (alias p) or house (alias
// h) matches a rule's tags and region, with its arguments.
func ruleMatch(r civic.CareRule) (string, []any) {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(r.Tags)), ", ")
	tagged := `SELECT person_id FROM person_tags WHERE tag IN (` + marks + `) GROUP BY person_id HAVING COUNT(*) = ?`
	var args []any
	for _, t := range r.Tags {
		args = append(args, string(t))
	}
	args = append(args, len(r.Tags))
	col := "p.grid_code"
	cond := "p.id IN (" + tagged + ")"
	if r.Target == civic.CareTargetHouse {
		col = "h.grid_code"
		cond = "h.id IN (SELECT l.house_id FROM person_houses l WHERE l.move_out = '' AND l.person_id IN (" + tagged + "))"
	}
	if r.RegionCode != "" {
		lo, hi := civic.ScopePrefixRange(r.RegionCode)
		cond += " AND " + col + " >= ? AND " + col + " < ?"
		args = append(args, lo, hi)
	}
	return cond, args
}

// contactedSince is the SQL condition that the person (target person,
// column id) or house (target house) had a qualifying contact at or after
// the time expression since.
func contactedSince(target civic.CareTarget, id, since string) string {
	if target == civic.CareTargetHouse {
		return `(EXISTS (SELECT 1 FROM visits v WHERE v.house_id = ` + id + ` AND v.visited_at >= ` + since + `)
			OR EXISTS (SELECT 1 FROM person_houses l JOIN visits v ON v.person_id = l.person_id WHERE l.house_id = ` + id + ` AND l.move_out = '' AND v.visited_at >= ` + since + `)
			OR EXISTS (SELECT 1 FROM party_contacts c WHERE c.house_id = ` + id + ` AND c.contacted_at >= ` + since + `))`
	}
	return `(EXISTS (SELECT 1 FROM visits v WHERE v.person_id = ` + id + ` AND v.visited_at >= ` + since + `)
		OR EXISTS (SELECT 1 FROM person_houses l JOIN visits v ON v.house_id = l.house_id WHERE l.person_id = ` + id + ` AND l.move_out = '' AND v.visited_at >= ` + since + `)
		OR EXISTS (SELECT 1 FROM person_houses l JOIN party_contacts c ON c.house_id = l.house_id WHERE l.person_id = ` + id + ` AND l.move_out = '' AND c.contacted_at >= ` + since + `))`
}

// CarePass is what one evaluation did.
type CarePass struct {
	Created, Closed, Lapsed int
}

// EvaluateCareRules brings the care tasks up to date with every rule:
// tasks whose target no longer matches (or whose rule is off) lapse, tasks
// with a qualifying contact close, and every matching target without a
// contact in its window and without an open task gets one. It works in
// transactions of at most batch targets, is idempotent, and may run in
// several servers at once: the unique index on open tasks files each once.
func (s *Store) EvaluateCareRules(ctx context.Context, batch int) (CarePass, error) {
	var pass CarePass
	if batch <= 0 {
		batch = 500
	}
	rules, err := s.ListCareRules(ctx, civic.System)
	if err != nil {
		return pass, err
	}
	// One rule's lasting trouble must not keep the rules after it from
	// being evaluated: the pass goes on and reports it (the care job then
	// runs again sooner).
	var failed []error
	for _, r := range rules {
		if ctx.Err() != nil {
			return pass, ctx.Err()
		}
		if err := s.evaluateCareRule(ctx, r, batch, &pass); err != nil {
			failed = append(failed, fmt.Errorf("care rule %d: %w", r.ID, err))
		}
	}
	return pass, errors.Join(failed...)
}

// evaluateCareRule settles one rule's open tasks and, if it is active,
// files its new ones.
func (s *Store) evaluateCareRule(ctx context.Context, r civic.CareRule, batch int, pass *CarePass) error {
	if err := s.settleCareTasks(ctx, r, pass); err != nil {
		return err
	}
	if !r.Active {
		return nil
	}
	for {
		n, err := s.fileCareTasks(ctx, r, batch, pass)
		if err != nil {
			return err
		}
		if n < batch {
			return nil
		}
	}
}

// settleCareTasks lapses and closes a rule's open tasks as their targets
// and contacts say.
func (s *Store) settleCareTasks(ctx context.Context, r civic.CareRule, pass *CarePass) error {
	// Counted when the transaction commits: a rolled-back one changed
	// nothing.
	var got CarePass
	err := s.write(ctx, func(tx *Tx) error {
		got = CarePass{}
		alias, table := "p", "people"
		if r.Target == civic.CareTargetHouse {
			alias, table = "h", "houses"
		}
		cond, args := ruleMatch(r)
		q := `SELECT t.id, t.grid_code FROM care_tasks t WHERE t.rule_id = ? AND t.state = 'open'`
		qargs := []any{r.ID}
		if r.Active {
			q += ` AND NOT EXISTS (SELECT 1 FROM ` + table + ` ` + alias + ` WHERE ` + alias + `.id = t.target_id AND ` + alias + `.grid_code = t.grid_code AND ` + cond + `)`
			qargs = append(qargs, args...)
		}
		// Tasks are ended in ID order here and wherever else they end
		// (closeCareTasks), so that two transactions ending some of the
		// same tasks lock them in one order and never deadlock.
		lapsed, err := tx.taskIDs(ctx, q+` ORDER BY t.id`, qargs...)
		if err != nil {
			return err
		}
		for _, t := range lapsed {
			if err := tx.endCareTask(ctx, civic.System, t, civic.CareLapsed, ""); err != nil {
				return err
			}
		}
		got.Lapsed = len(lapsed)
		done, err := tx.taskIDs(ctx, `SELECT t.id, t.grid_code FROM care_tasks t WHERE t.rule_id = ? AND t.state = 'open' AND `+
			contactedSince(r.Target, "t.target_id", "t.window_start")+` ORDER BY t.id`, r.ID)
		if err != nil {
			return err
		}
		for _, t := range done {
			if err := tx.endCareTask(ctx, civic.System, t, civic.CareDone, ""); err != nil {
				return err
			}
		}
		got.Closed = len(done)
		return nil
	})
	if err == nil {
		pass.Lapsed += got.Lapsed
		pass.Closed += got.Closed
	}
	return err
}

// taskRef is a task's ID and grid, as the audit wants them.
type taskRef struct {
	id   int64
	grid string
}

func (tx *Tx) taskIDs(ctx context.Context, q string, args ...any) ([]taskRef, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find care tasks: %w", err)
	}
	defer rows.Close()
	var out []taskRef
	for rows.Next() {
		var t taskRef
		if err := rows.Scan(&t.id, &t.grid); err != nil {
			return nil, fmt.Errorf("scan care task: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// endCareTask moves an open task to state, with who and why.
func (tx *Tx) endCareTask(ctx context.Context, a civic.Actor, t taskRef, state civic.CareTaskState, note string) error {
	by := a.DisplayName
	if by == "" {
		by = a.Username
	}
	if _, err := tx.exec(ctx, `UPDATE care_tasks SET state = ?, closed_at = ?, closed_by = ?, note = ? WHERE id = ? AND state = 'open'`,
		string(state), tx.now, by, note, t.id); err != nil {
		return fmt.Errorf("close care task %d: %w", t.id, err)
	}
	return tx.audit(ctx, a, "care_task."+string(state), "care_task", t.id, t.grid, nil, map[string]string{"state": string(state), "note": note})
}

// fileCareTasks files tasks for up to batch matching targets without a
// contact in the rule's window and returns how many targets it saw.
func (s *Store) fileCareTasks(ctx context.Context, r civic.CareRule, batch int, pass *CarePass) (int, error) {
	seen, created := 0, 0
	err := s.write(ctx, func(tx *Tx) error {
		seen, created = 0, 0
		start, due := r.Window(tx.now)
		alias, table := "p", "people"
		if r.Target == civic.CareTargetHouse {
			alias, table = "h", "houses"
		}
		cond, args := ruleMatch(r)
		q := `SELECT ` + alias + `.id, ` + alias + `.grid_code FROM ` + table + ` ` + alias + ` WHERE ` + cond + `
			AND NOT EXISTS (SELECT 1 FROM care_tasks t WHERE t.rule_id = ? AND t.target_id = ` + alias + `.id AND t.state = 'open')
			AND NOT ` + contactedSince(r.Target, alias+".id", "?") + ` ORDER BY ` + alias + `.id LIMIT ?`
		args = append(args, r.ID, start, start, start, batch)
		targets, err := tx.taskIDs(ctx, q, args...)
		if err != nil {
			return err
		}
		seen = len(targets)
		for _, t := range targets {
			var person, house any
			if r.Target == civic.CareTargetHouse {
				house = t.id
			} else {
				person = t.id
			}
			id, err := tx.insertID(ctx, `INSERT INTO care_tasks (rule_id, target_id, person_id, house_id, grid_code, state, window_start, due_at, created_at)
				VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?) ON CONFLICT DO NOTHING`, r.ID, t.id, person, house, t.grid, start, due, tx.now)
			if errors.Is(err, sql.ErrNoRows) {
				continue // another server filed it first
			}
			if err != nil {
				return fmt.Errorf("insert care task: %w", err)
			}
			created++
			if err := tx.audit(ctx, civic.System, "care_task.create", "care_task", id, t.grid, nil,
				map[string]any{"rule_id": r.ID, "rule": r.Name, "target": r.Target, "target_id": t.id}); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		pass.Created += created
	}
	return seen, err
}

// closeCareTasks closes the open tasks a contact at `at` with a person
// and/or house satisfies: the person's and their household's, the house's
// and its residents'. It returns how many closed.
func (tx *Tx) closeCareTasks(ctx context.Context, a civic.Actor, personID, houseID int64, at time.Time) (int, error) {
	ts, err := tx.taskIDs(ctx, `SELECT t.id, t.grid_code FROM care_tasks t WHERE t.state = 'open' AND t.window_start <= ? AND (
		t.person_id = ? OR t.house_id = ?
		OR t.person_id IN (SELECT person_id FROM person_houses WHERE house_id = ? AND move_out = '')
		OR t.house_id IN (SELECT house_id FROM person_houses WHERE person_id = ? AND move_out = ''))
		ORDER BY t.id`,
		at.UTC(), personID, houseID, houseID, personID)
	if err != nil {
		return 0, err
	}
	for _, t := range ts {
		if err := tx.endCareTask(ctx, a, t, civic.CareDone, ""); err != nil {
			return 0, err
		}
	}
	return len(ts), nil
}

const careTaskCols = `t.id, t.rule_id, r.name, r.target, COALESCE(t.person_id, 0), COALESCE(p.name, ''), COALESCE(t.house_id, 0),
	COALESCE(h.address, p.address, ''), t.grid_code, COALESCE(g.name, ''), t.state, t.window_start, t.due_at, t.created_at, t.closed_at, t.closed_by, t.note`
const careTaskFrom = ` FROM care_tasks t JOIN care_rules r ON r.id = t.rule_id LEFT JOIN people p ON p.id = t.person_id LEFT JOIN houses h ON h.id = t.house_id
	LEFT JOIN regions g ON g.code = t.grid_code`

func scanCareTask(sc interface{ Scan(...any) error }) (civic.CareTask, error) {
	var t civic.CareTask
	var target, state string
	var closed sql.NullTime
	err := sc.Scan(&t.ID, &t.RuleID, &t.RuleName, &target, &t.PersonID, &t.PersonName, &t.HouseID, &t.Address, &t.GridCode, &t.GridName, &state,
		&t.WindowStart, &t.DueAt, &t.CreatedAt, &closed, &t.ClosedBy, &t.Note)
	t.Target, t.State = civic.CareTarget(target), civic.CareTaskState(state)
	t.WindowStart, t.DueAt, t.CreatedAt = t.WindowStart.UTC(), t.DueAt.UTC(), t.CreatedAt.UTC()
	if closed.Valid {
		c := closed.Time.UTC()
		t.ClosedAt = &c
	}
	return t, err
}

// CareTaskFilter narrows CareTasks.
type CareTaskFilter struct {
	Under    string
	State    civic.CareTaskState // default open
	RuleID   int64
	PersonID int64
	HouseID  int64
	Page
}

// CareTasks lists tasks in the actor's scope: open ones most overdue
// first, closed ones latest first. This is the grid worker's to-do list.
func (s *Store) CareTasks(ctx context.Context, a civic.Actor, f CareTaskFilter) ([]civic.CareTask, int, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return nil, 0, err
	}
	if f.State == "" {
		f.State = civic.CareOpen
	}
	if !f.State.Valid() {
		return nil, 0, civic.Invalid(civic.FieldErr("state", "状态应为open、done、dismissed或lapsed", "the state is open, done, dismissed or lapsed"))
	}
	where, args := scopeClause(a, "t.grid_code")
	where += " AND t.state = ?"
	args = append(args, string(f.State))
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where += " AND t.grid_code >= ? AND t.grid_code < ?"
		args = append(args, lo, hi)
	}
	for _, c := range []struct {
		col string
		v   int64
	}{{"t.rule_id", f.RuleID}, {"t.person_id", f.PersonID}, {"t.house_id", f.HouseID}} {
		if c.v != 0 {
			where += " AND " + c.col + " = ?"
			args = append(args, c.v)
		}
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM care_tasks t WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count care tasks: %w", err)
	}
	order := "t.due_at, t.id"
	if f.State != civic.CareOpen {
		order = "t.closed_at DESC, t.id DESC"
	}
	p := f.Page.normal()
	rows, err := s.query(ctx, `SELECT `+careTaskCols+careTaskFrom+` WHERE `+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list care tasks: %w", err)
	}
	defer rows.Close()
	var out []civic.CareTask
	for rows.Next() {
		t, err := scanCareTask(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan care task: %w", err)
		}
		out = append(out, t)
	}
	return out, total, rows.Err()
}

// GetCareTask returns a task in the actor's scope.
func (s *Store) GetCareTask(ctx context.Context, a civic.Actor, id int64) (civic.CareTask, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return civic.CareTask{}, err
	}
	t, err := scanCareTask(s.queryRow(ctx, `SELECT `+careTaskCols+careTaskFrom+` WHERE t.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(t.GridCode)) {
		return civic.CareTask{}, civic.NotFound(fmt.Sprintf("关爱提醒 %d", id), fmt.Sprintf("care task %d", id))
	}
	if err != nil {
		return civic.CareTask{}, fmt.Errorf("get care task %d: %w", id, err)
	}
	return t, nil
}

// CloseCareTask closes an open task without a contact (the person is in
// hospital, has moved away…); the note says why.
func (s *Store) CloseCareTask(ctx context.Context, a civic.Actor, id int64, note string) (civic.CareTask, error) {
	if err := a.Must(civic.PermCareWork); err != nil {
		return civic.CareTask{}, err
	}
	note = strings.TrimSpace(note)
	if n := len([]rune(note)); n == 0 || n > 500 {
		return civic.CareTask{}, civic.Invalid(civic.FieldErr("note", "请说明关闭原因（不超过500字）", "say why the task is closed (at most 500 characters)"))
	}
	t, err := s.GetCareTask(ctx, a, id)
	if err != nil {
		return t, err
	}
	err = s.write(ctx, func(tx *Tx) error {
		var state string
		if err := tx.queryRow(ctx, `SELECT state FROM care_tasks WHERE id = ?`+tx.s.forUpdate(), id).Scan(&state); err != nil {
			return fmt.Errorf("read care task %d: %w", id, err)
		}
		if state != string(civic.CareOpen) {
			l := civic.CareTaskState(state).Label()
			return &civic.Error{Code: civic.EConflict, Msg: civic.T("该提醒已处理（"+l.ZH+"）", "the task is already settled ("+l.EN+")")}
		}
		return tx.endCareTask(ctx, a, taskRef{id, t.GridCode}, civic.CareDismissed, note)
	})
	if err != nil {
		return civic.CareTask{}, err
	}
	return s.GetCareTask(ctx, a, id)
}

// ClaimRun takes the named periodic job if it is due, and sets it due
// again after every. Only one server wins each period: the claim is a
// conditional update of the job's row. A job that fails may be made due
// sooner with RetryRun.
func (s *Store) ClaimRun(ctx context.Context, job string, every time.Duration) (bool, error) {
	won := false
	err := s.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `INSERT INTO care_runs (job, due_at) VALUES (?, ?) ON CONFLICT DO NOTHING`, job, tx.now); err != nil {
			return fmt.Errorf("register job %s: %w", job, err)
		}
		res, err := tx.exec(ctx, `UPDATE care_runs SET due_at = ? WHERE job = ? AND due_at <= ?`, tx.now.Add(every), job, tx.now)
		if err != nil {
			return fmt.Errorf("claim job %s: %w", job, err)
		}
		n, err := res.RowsAffected()
		won = n == 1
		return err
	})
	return won, err
}

// RetryRun makes a job due at `at`.
func (s *Store) RetryRun(ctx context.Context, job string, at time.Time) error {
	return s.write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE care_runs SET due_at = ? WHERE job = ?`, at.UTC(), job)
		return err
	})
}
