package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// CaseInput is what an action needs beyond its name.
type CaseInput struct {
	Action civic.CaseAction
	Note   string
	// Dispatch and transfer: the handler, an organisation or a region
	// (grid, community or street). Neither means "the suggested route".
	TargetOrgID      int64
	TargetRegionCode string
	// Accept or dispatch may set or correct the category.
	CategoryCode string
	// Visit.
	Satisfaction civic.Satisfaction
	Solved       *bool
	// Merge: the surviving case.
	MergeInto int64
	// Request extension: extra time in the completion limit's unit.
	Amount float64
	// Decide: which request, and the decision.
	RequestID int64
	Approve   bool
	// Whistle: the departments summoned and which of them leads.
	WhistleOrgIDs []int64
	LeadOrgID     int64
}

var errRaced = civic.Errorf(civic.EConflict, "工单刚被其他人处理，请刷新后重试", "someone else acted on this case just now; reload and try again")

// ActOnCase takes one action on a case: it checks the actor's right to
// take it, applies the state machine, updates the case row and appends the
// event, all in one transaction. The update is conditional on the state
// read, so of two people claiming at once exactly one wins.
func (s *Store) ActOnCase(ctx context.Context, a civic.Actor, id int64, in CaseInput) (civic.Case, error) {
	if _, err := s.ActOnCaseKept(ctx, a, id, in); err != nil {
		return civic.Case{}, err
	}
	c, err := s.GetCase(ctx, a, id)
	if civic.ErrorCodeOf(err) == civic.ENotFound {
		// The action took the case out of the actor's sight (a return or
		// transfer by its handler): it succeeded; say where it stands and
		// nothing more.
		c, err = s.GetCase(ctx, civic.System, id)
		return civic.Case{ID: c.ID, Number: c.Number, State: c.State, CreatedAt: c.CreatedAt}, err
	}
	return c, err
}

// ActOnCaseKept is ActOnCase for a loader that keeps its own copy of every
// case it acts on (the demo's): instead of reading the case back as the
// actor may see it, it returns the case's own fields as the action left
// them, unmasked. Names the action changed (of a new category or handler)
// are not filled in. The checks and the effects are ActOnCase's; what is
// saved is a tenth of the demo's loading time.
func (s *Store) ActOnCaseKept(ctx context.Context, a civic.Actor, id int64, in CaseInput) (civic.Case, error) {
	in.Note = strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(in.Note) > MaxNote {
		return civic.Case{}, civic.Invalid(civic.FieldErr("note", "说明不超过%d字", "the note is at most %d characters", MaxNote))
	}
	var c civic.Case
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		c, err = tx.actCase(ctx, a, id, in)
		return err
	})
	if err != nil {
		return civic.Case{}, err
	}
	return c, nil
}

// act is ActOnCase inside a transaction, so that jobs can act on cases
// together with their own bookkeeping.
func (tx *Tx) act(ctx context.Context, a civic.Actor, id int64, in CaseInput) error {
	_, err := tx.actCase(ctx, a, id, in)
	return err
}

// actCase is act returning the case as the action left it.
func (tx *Tx) actCase(ctx context.Context, a civic.Actor, id int64, in CaseInput) (civic.Case, error) {
	s := tx.s
	c, err := scanCase(tx.queryRow(ctx, `SELECT `+caseCols+caseFrom+` WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return civic.Case{}, caseNotFound(id)
	}
	if err != nil {
		return civic.Case{}, fmt.Errorf("read case %d: %w", id, err)
	}
	if !caseVisible(a, c) {
		if ok, err := extraAccess(ctx, tx, id, a); err != nil || !ok {
			if err != nil {
				return civic.Case{}, err
			}
			return civic.Case{}, caseNotFound(id)
		}
	}
	if err := mayAct(a, c, in.Action); err != nil {
		return civic.Case{}, err
	}
	next, err := civic.NextState(c.State, in.Action)
	if err != nil {
		return civic.Case{}, err
	}
	from, readCategory := c.State, c.CategoryCode
	ev := caseEvent{public: true}
	if err := tx.apply(ctx, s, a, &c, next, in, &ev); err != nil {
		return civic.Case{}, err
	}
	if ev.repeat {
		return c, nil
	}
	if ev.skipUpdate {
		tx.remember(c)
		return c, tx.addEvent(ctx, a, id, in.Action, from, c.State, ev.noteOr(in.Note), ev.public, ev.data)
	}
	rules, err := caseRulesFor(ctx, tx, c.CategoryCode)
	if err != nil {
		return civic.Case{}, err
	}
	cal, err := s.workCalendar(ctx)
	if err != nil {
		return civic.Case{}, err
	}
	pauses, err := casePauses(ctx, tx, id)
	if err != nil {
		return civic.Case{}, err
	}
	c.State = next
	dues(cal, rules, &c, pauses)
	if in.Action == civic.ActDispatch || in.Action == civic.ActTransfer {
		// Metrics judge each dispatch by the limits in force when it was
		// made, so the event keeps them.
		ev.data = withDispatchTerms(ev.data, c)
	}
	// A new category moves the case's roll-up counts with it.
	recat := c.CategoryCode != readCategory
	if recat {
		if err := tx.rollupCase(ctx, id, -1); err != nil {
			return civic.Case{}, err
		}
	}
	if err := tx.saveCase(ctx, &c, from, firstAlert(schedule(cal, rules, &c, pauses))); err != nil {
		return civic.Case{}, err
	}
	if recat {
		if err := tx.rollupCase(ctx, id, 1); err != nil {
			return civic.Case{}, err
		}
	}
	tx.remember(c)
	return c, tx.addEvent(ctx, a, id, in.Action, from, next, ev.noteOr(in.Note), ev.public, ev.data)
}

// remember keeps what notifications need of a case the transaction has in
// hand, so that its event need not read the row back.
func (tx *Tx) remember(c civic.Case) {
	if tx.known == nil {
		tx.known = map[int64]caseBrief{}
	}
	b := caseBrief{title: c.Title, region: c.RegionCode, handlerRegion: c.HandlerRegionCode, created: c.CreatedAt, category: c.CategoryCode, source: string(c.Source)}
	if c.HandlerOrgID != 0 {
		b.handlerOrg = sql.NullInt64{Int64: c.HandlerOrgID, Valid: true}
	}
	if c.ReporterID != 0 {
		b.reporter = sql.NullInt64{Int64: c.ReporterID, Valid: true}
	}
	tx.known[c.ID] = b
}

type caseEvent struct {
	public     bool
	note       string
	data       string
	skipUpdate bool // the action changed other tables only
	repeat     bool // the same comment sent again: nothing to add
}

func (e caseEvent) noteOr(n string) string {
	if e.note != "" {
		return e.note
	}
	return n
}

// isHandler: the organisation the case is dispatched to, or staff whose
// scope holds the handling region; admins in scope may act for anyone.
func isHandler(a civic.Actor, c civic.Case) bool {
	switch {
	case a.IsSystem():
		return true
	case c.HandlerOrgID != 0:
		return a.Scope.OrgID == c.HandlerOrgID || (a.Role == civic.RoleAdmin && a.InScope(c.RegionCode))
	case c.HandlerRegionCode != "":
		return a.Scope.OrgID == 0 && a.InScope(c.HandlerRegionCode)
	}
	return false
}

// MayAct reports whether the actor's role and relation to the case allow
// the action, before the state machine and the action's own checks. Pages
// use it to offer only the actions that would be accepted.
func MayAct(a civic.Actor, c civic.Case, act civic.CaseAction) bool { return mayAct(a, c, act) == nil }

// mayAct checks role and relation for an action; state is checked after.
func mayAct(a civic.Actor, c civic.Case, act civic.CaseAction) error {
	own := a.UserID != 0 && a.UserID == c.ReporterID
	inScope := a.InScope(c.RegionCode) && a.Scope.OrgID == 0
	ok := false
	switch act {
	case civic.ActAccept, civic.ActReject, civic.ActAnswer, civic.ActDispatch, civic.ActRecall, civic.ActTransfer, civic.ActMerge:
		ok = a.Can(civic.PermCaseDispatch) && (inScope || a.Role == civic.RoleOperator)
	case civic.ActClaim, civic.ActReturn, civic.ActFeedback, civic.ActHandle, civic.ActRequestExtend, civic.ActRequestPause:
		ok = a.Can(civic.PermCaseHandle) && isHandler(a, c)
	case civic.ActVerifyPass, civic.ActVerifyFail:
		ok = a.Can(civic.PermCaseVerify) && inScope
	case civic.ActVisit:
		ok = own || (a.Can(civic.PermCaseVisit) && (inScope || a.Role == civic.RoleOperator))
	case civic.ActReopen:
		ok = own || ((a.Can(civic.PermCaseVisit) || a.Can(civic.PermCaseDispatch)) && (inScope || a.Role == civic.RoleOperator))
	case civic.ActDecide, civic.ActResume:
		ok = a.Can(civic.PermCaseApprove) && inScope
	case civic.ActComment:
		ok = a.Can(civic.PermCaseComment) || own
	case civic.ActWhistle:
		ok = a.Can(civic.PermCaseWhistle) && inScope
	case civic.ActCheckIn:
		ok = a.Scope.OrgID != 0 // the summons itself is checked when applied
	}
	if !ok {
		return civic.Forbidden()
	}
	return nil
}

func need(field, zh, en string) error {
	return civic.Invalid(civic.FieldError{Field: field, Msg: civic.T(zh, en)})
}

// apply makes an action's changes to c (and to side tables) in tx.
func (tx *Tx) apply(ctx context.Context, s *Store, a civic.Actor, c *civic.Case, next civic.CaseState, in CaseInput, ev *caseEvent) error {
	now := tx.now
	switch in.Action {
	case civic.ActAccept:
		if in.CategoryCode != "" {
			if _, err := rulesFor(ctx, tx, in.CategoryCode); err != nil {
				return err
			}
			c.CategoryCode = in.CategoryCode
		}
		if r, err := rulesFor(ctx, tx, c.CategoryCode); err == nil {
			c.RequestType = r.Type
		}
	case civic.ActReject:
		if in.Note == "" {
			return need("note", "请填写不予受理的理由", "give the reason for rejecting")
		}
	case civic.ActAnswer:
		if in.Note == "" {
			return need("note", "请填写答复内容", "write the answer given")
		}
		c.ClosedAt = &now
		if err := tx.endPause(ctx, c); err != nil {
			return err
		}
	case civic.ActDispatch, civic.ActTransfer:
		if in.CategoryCode != "" {
			c.CategoryCode = in.CategoryCode
		}
		rules, err := rulesFor(ctx, tx, c.CategoryCode)
		if err != nil {
			return err
		}
		c.RequestType = rules.Type
		if rules.Known && !rules.Accepted {
			return civic.Errorf(civic.EConflict, "该分类属于不受理事项：%s", "this category is not accepted: %s", rules.NotAcceptedReason)
		}
		rt, err := tx.target(ctx, a, c, in, rules)
		if err != nil {
			return err
		}
		if in.Action == civic.ActTransfer && rt.OrgID == c.HandlerOrgID && rt.RegionCode == c.HandlerRegionCode {
			return need("target", "转派对象与当前承办单位相同", "the case is already with that handler")
		}
		c.HandlerOrgID, c.HandlerRegionCode = rt.OrgID, rt.RegionCode
		c.DispatchedAt, c.ClaimedAt, c.FeedbackAt = &now, nil, nil
		// Extensions were granted to the previous handler's task.
		c.CompleteExtra = 0
		ev.note = strings.TrimSpace("派发至" + rt.Name + "。" + rt.Why.ZH + " " + in.Note)
		ev.data = rt.data()
	case civic.ActRecall:
		c.HandlerOrgID, c.HandlerRegionCode, c.DispatchedAt = 0, "", nil
		ev.public = false
	case civic.ActClaim:
		c.ClaimedAt = &now
	case civic.ActReturn:
		if in.Note == "" {
			return need("note", "请填写退单理由", "give the reason for returning the case")
		}
		c.ReturnCount++
		c.HandlerOrgID, c.HandlerRegionCode, c.DispatchedAt, c.ClaimedAt, c.FeedbackAt = 0, "", nil, nil, nil
		ev.public = false
	case civic.ActFeedback:
		if in.Note == "" {
			return need("note", "请填写进展情况", "describe the progress")
		}
		if c.FeedbackAt == nil {
			c.FeedbackAt = &now
		}
	case civic.ActHandle:
		if in.Note == "" {
			return need("note", "请填写办理结果", "describe what was done")
		}
		c.HandledAt = &now
		if c.FeedbackAt == nil {
			c.FeedbackAt = &now
		}
	case civic.ActVerifyPass:
		c.ClosedAt = &now
		if err := tx.endPause(ctx, c); err != nil {
			return err
		}
	case civic.ActVerifyFail:
		if in.Note == "" {
			return need("note", "请说明核查未通过的原因", "say why the work did not pass")
		}
		c.ReworkCount++
		c.HandledAt = nil
		// Quality control between staff; the reporter sees the case back
		// in progress.
		ev.public = false
	case civic.ActVisit:
		if !in.Satisfaction.Valid() || in.Solved == nil {
			return need("satisfaction", "请选择满意度和是否解决", "choose the satisfaction and whether it was solved")
		}
		c.Satisfaction, c.Solved, c.VisitedAt = in.Satisfaction, in.Solved, &now
		ev.data = fmt.Sprintf(`{"satisfaction":%q,"solved":%v}`, in.Satisfaction, *in.Solved)
	case civic.ActReopen:
		set := s.caseSettings()
		if c.Satisfaction != civic.Dissatisfied && (c.Solved == nil || *c.Solved) {
			return civic.Errorf(civic.EConflict, "只有评价为不满意或未解决的工单才能重办", "only cases rated dissatisfied or unsolved can be reopened")
		}
		if c.VisitedAt != nil && now.Sub(*c.VisitedAt) > time.Duration(set.ReopenDays)*24*time.Hour {
			return civic.Errorf(civic.EConflict, "回访已超过%d天，不能重办", "the visit was more than %d days ago; the case cannot be reopened", set.ReopenDays)
		}
		if c.ReopenCount >= set.ReopenCap {
			return civic.Errorf(civic.EConflict, "该工单已重办%d次，达到上限", "the case has been reopened %d times, the limit", c.ReopenCount)
		}
		c.ReopenCount++
		c.HandlerOrgID, c.HandlerRegionCode = 0, ""
		c.DispatchedAt, c.ClaimedAt, c.FeedbackAt, c.HandledAt, c.ClosedAt, c.VisitedAt = nil, nil, nil, nil, nil, nil
		c.Satisfaction, c.Solved, c.CompleteExtra = "", nil, 0
	case civic.ActMerge:
		if in.MergeInto == 0 {
			return need("merge_into", "请选择要并入的工单", "choose the case to merge into")
		}
		if in.MergeInto == c.ID {
			return need("merge_into", "不能并入工单本身", "a case cannot be merged into itself")
		}
		var st string
		var region string
		err := tx.queryRow(ctx, `SELECT state, region_code FROM cases WHERE id = ?`, in.MergeInto).Scan(&st, &region)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(region) && a.Role != civic.RoleOperator) {
			return caseNotFound(in.MergeInto)
		}
		if err != nil {
			return fmt.Errorf("read case %d: %w", in.MergeInto, err)
		}
		// Only into a case still being worked on: a handled or closed case
		// would close the merged reporters' problem without anyone acting.
		switch civic.CaseState(st) {
		case civic.StateReported, civic.StateAccepted, civic.StateDispatched, civic.StateInProgress:
		default:
			return civic.Errorf(civic.EConflict, "目标工单已办结或已合并，不能并入", "the target case is finished or merged itself")
		}
		c.MergedInto = in.MergeInto
		ev.data = fmt.Sprintf(`{"merged_into":%d}`, in.MergeInto)
		if err := tx.moveReporters(ctx, *c, in.MergeInto); err != nil {
			return err
		}
		if err := tx.addEvent(ctx, a, in.MergeInto, civic.ActMerge, civic.CaseState(st), civic.CaseState(st),
			"并入工单 "+c.Number+"（同一问题多人反映）", true, fmt.Sprintf(`{"merged":%d}`, c.ID)); err != nil {
			return err
		}
	case civic.ActComment:
		if in.Note == "" {
			return need("note", "请填写备注", "write the comment")
		}
		if a.UserID != 0 {
			// The same words from the same person moments after their
			// last event are the form sent twice (a double tap, a refresh):
			// the timeline keeps one. The case row is held so that two at
			// once see each other.
			repeat, err := tx.repeatedComment(ctx, a, c.ID, in.Note)
			if err != nil {
				return err
			}
			ev.repeat = repeat
		}
		// Staff notes are internal; a reporter's own addition is theirs to
		// see.
		ev.public, ev.skipUpdate = a.UserID != 0 && a.UserID == c.ReporterID, true
	case civic.ActRequestExtend, civic.ActRequestPause:
		return tx.request(ctx, s, a, c, in, ev)
	case civic.ActDecide:
		return tx.decide(ctx, s, a, c, in, ev)
	case civic.ActWhistle:
		return tx.whistle(ctx, a, c, in, ev)
	case civic.ActCheckIn:
		return tx.checkIn(ctx, a, c, in, ev)
	case civic.ActResume:
		if !c.Paused {
			return civic.Errorf(civic.EConflict, "工单没有挂账", "the case is not suspended")
		}
		if err := tx.endPause(ctx, c); err != nil {
			return err
		}
	default:
		return civic.Errorf(civic.EInvalid, "该操作不能在这里执行", "this action cannot be taken here")
	}
	return nil
}

// endPause ends a running suspension: on resume, and when a suspended case
// closes, so that no open pause outlives the case's clocks.
func (tx *Tx) endPause(ctx context.Context, c *civic.Case) error {
	if !c.Paused {
		return nil
	}
	if _, err := tx.exec(ctx, `UPDATE case_pauses SET paused_to = ? WHERE case_id = ? AND paused_to IS NULL`, tx.now, c.ID); err != nil {
		return fmt.Errorf("end pause: %w", err)
	}
	c.Paused = false
	return nil
}

// target resolves a dispatch target: a named organisation or region, or the
// category's route.
func (tx *Tx) target(ctx context.Context, a civic.Actor, c *civic.Case, in CaseInput, rules caseRules) (routing, error) {
	switch {
	case in.TargetOrgID != 0:
		var name, kind, code string
		err := tx.queryRow(ctx, `SELECT name, kind, region_code FROM organisations WHERE id = ?`, in.TargetOrgID).Scan(&name, &kind, &code)
		if errors.Is(err, sql.ErrNoRows) {
			return routing{}, need("target_org_id", "承办单位不存在", "the handling organisation does not exist")
		}
		if err != nil {
			return routing{}, fmt.Errorf("read organisation %d: %w", in.TargetOrgID, err)
		}
		switch civic.OrgKind(kind) {
		case civic.OrgDepartment, civic.OrgPropertyCompany, civic.OrgCoBuildingUnit, civic.OrgSocialOrg:
		default:
			return routing{}, need("target_org_id", "只能派给职能部门、物业公司、共建单位或社会组织；街道和社区请按区域派单", "dispatch to a department, property company, co-building unit or social organisation; streets and communities are dispatched by region")
		}
		// The organisation must serve the place (its jurisdiction covers
		// it) or lie within the dispatcher's own territory.
		if !civic.InSubtree(c.RegionCode, code) && !a.InScope(code) {
			return routing{}, need("target_org_id", "该单位的管辖范围不包括事发地", "that organisation's jurisdiction does not cover the place")
		}
		return routing{OrgID: in.TargetOrgID, Name: name, Rule: "manual", Why: civic.T("派单员指定", "chosen by the dispatcher")}, nil
	case in.TargetRegionCode != "":
		var name string
		var lvl int
		err := tx.queryRow(ctx, `SELECT name, level FROM regions WHERE code = ?`, in.TargetRegionCode).Scan(&name, &lvl)
		if errors.Is(err, sql.ErrNoRows) {
			return routing{}, need("target_region_code", "区域不存在", "the region does not exist")
		}
		if err != nil {
			return routing{}, fmt.Errorf("read region %s: %w", in.TargetRegionCode, err)
		}
		if l := civic.Level(lvl); l < civic.LevelStreet || l > civic.LevelGrid {
			return routing{}, need("target_region_code", "只能派给街道、社区或网格", "dispatch to a street, community or grid")
		}
		// A street, community or grid handles cases in its own territory.
		if !civic.InSubtree(c.RegionCode, in.TargetRegionCode) {
			return routing{}, need("target_region_code", "事发地不在该区域内，请派给事发地所在的街道、社区或网格", "the place is outside that region; dispatch to the street, community or grid it lies in")
		}
		return routing{RegionCode: in.TargetRegionCode, Name: name, Rule: "manual", Why: civic.T("派单员指定", "chosen by the dispatcher")}, nil
	}
	pl, err := placeOf(ctx, tx, *c)
	if err != nil {
		return routing{}, err
	}
	rt, err := route(ctx, tx, pl, rules)
	if err != nil {
		return routing{}, err
	}
	if !rt.found() {
		return routing{}, need("target", "无法自动确定承办单位，请指定", "no handler found; choose one")
	}
	return rt, nil
}

// request files an extension or suspension request for a supervisor.
func (tx *Tx) request(ctx context.Context, s *Store, a civic.Actor, c *civic.Case, in CaseInput, ev *caseEvent) error {
	set := s.caseSettings()
	kind, max := "extend", set.MaxExtensions
	if in.Action == civic.ActRequestPause {
		kind, max = "pause", set.MaxPauses
	}
	if in.Note == "" {
		return need("note", "请填写申请理由", "give the reason")
	}
	if kind == "extend" && (in.Amount <= 0 || in.Amount > set.MaxExtendDays) {
		return civic.Invalid(civic.FieldErr("amount", "延期时长应大于0且不超过%g", "the extension must be more than 0 and at most %g", set.MaxExtendDays))
	}
	if kind == "extend" && in.Amount*2 != math.Trunc(in.Amount*2) {
		// A deadline moves by working days or half days, not by seconds.
		return civic.Invalid(civic.FieldErr("amount", "延期时长以半个工作日为单位（如 0.5、1、3）", "the extension is in half working days (such as 0.5, 1, 3)"))
	}
	if kind == "pause" && c.Paused {
		return civic.Errorf(civic.EConflict, "工单已经挂账", "the case is already suspended")
	}
	var used, pending int
	if err := tx.queryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0)
		FROM case_requests WHERE case_id = ? AND kind = ?`, c.ID, kind).Scan(&used, &pending); err != nil {
		return fmt.Errorf("count requests: %w", err)
	}
	if pending > 0 {
		return civic.Errorf(civic.EConflict, "已有一个待审批的申请", "a request is already waiting for a decision")
	}
	if used >= max {
		return civic.Errorf(civic.EConflict, "已达到最多%d次的上限", "the limit of %d approved requests is reached", max)
	}
	rid, err := tx.insertID(ctx, `INSERT INTO case_requests (case_id, kind, amount, reason, status, requested_by, requested_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
		c.ID, kind, in.Amount, in.Note, a.UserID, tx.now)
	if err != nil {
		return fmt.Errorf("insert request: %w", err)
	}
	ev.public, ev.skipUpdate = false, true
	ev.data = fmt.Sprintf(`{"request_id":%d,"kind":%q,"amount":%g}`, rid, kind, in.Amount)
	return nil
}

// decide approves or refuses a pending request.
func (tx *Tx) decide(ctx context.Context, s *Store, a civic.Actor, c *civic.Case, in CaseInput, ev *caseEvent) error {
	var kind, status string
	var amount float64
	err := tx.queryRow(ctx, `SELECT kind, status, amount FROM case_requests WHERE id = ? AND case_id = ?`, in.RequestID, c.ID).Scan(&kind, &status, &amount)
	if errors.Is(err, sql.ErrNoRows) {
		return civic.NotFound(fmt.Sprintf("申请 %d", in.RequestID), fmt.Sprintf("request %d", in.RequestID))
	}
	if err != nil {
		return fmt.Errorf("read request %d: %w", in.RequestID, err)
	}
	if status != "pending" {
		return civic.Errorf(civic.EConflict, "该申请已审批", "the request has been decided already")
	}
	res, err := tx.exec(ctx, `UPDATE case_requests SET status = ?, decided_by = ?, decided_at = ?, decision_note = ? WHERE id = ? AND status = 'pending'`,
		map[bool]string{true: "approved", false: "refused"}[in.Approve], a.UserID, tx.now, in.Note, in.RequestID)
	if err != nil {
		return fmt.Errorf("decide request %d: %w", in.RequestID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errRaced
	}
	ev.public = false
	ev.data = fmt.Sprintf(`{"request_id":%d,"kind":%q,"approved":%v}`, in.RequestID, kind, in.Approve)
	if !in.Approve {
		ev.note = "不同意：" + in.Note
		ev.skipUpdate = true
		return nil
	}
	switch kind {
	case "extend":
		c.CompleteExtra += amount
		ev.note = fmt.Sprintf("同意延期 %g。%s", amount, in.Note)
	case "pause":
		if _, err := tx.exec(ctx, `INSERT INTO case_pauses (case_id, paused_from, reason) VALUES (?, ?, ?)`, c.ID, tx.now, in.Note); err != nil {
			return fmt.Errorf("insert pause: %w", err)
		}
		c.Paused = true
		ev.note = "同意挂账，计时暂停。" + in.Note
	}
	return nil
}

// saveCase writes the case row back if its state is still the one read.
func (tx *Tx) saveCase(ctx context.Context, c *civic.Case, readState civic.CaseState, nextAlert *time.Time) error {
	var org, merged, solved any
	if c.HandlerOrgID != 0 {
		org = c.HandlerOrgID
	}
	if c.MergedInto != 0 {
		merged = c.MergedInto
	}
	if c.Solved != nil {
		solved = *c.Solved
	}
	res, err := tx.exec(ctx, `UPDATE cases SET state = ?, category_code = ?, request_type = ?, handler_org_id = ?, handler_region_code = ?, paused = ?,
			rework_count = ?, reopen_count = ?, return_count = ?, merged_into = ?, complete_extra = ?, satisfaction = ?, solved = ?,
			dispatched_at = ?, claimed_at = ?, feedback_at = ?, handled_at = ?, closed_at = ?, visited_at = ?,
			claim_due = ?, feedback_due = ?, complete_due = ?, visit_due = ?, next_alert_at = ?, updated_at = ?
		WHERE id = ? AND state = ?`,
		string(c.State), c.CategoryCode, c.RequestType, org, c.HandlerRegionCode, c.Paused,
		c.ReworkCount, c.ReopenCount, c.ReturnCount, merged, c.CompleteExtra, string(c.Satisfaction), solved,
		nullTime(c.DispatchedAt), nullTime(c.ClaimedAt), nullTime(c.FeedbackAt), nullTime(c.HandledAt), nullTime(c.ClosedAt), nullTime(c.VisitedAt),
		nullTime(c.ClaimDue), nullTime(c.FeedbackDue), nullTime(c.CompleteDue), nullTime(c.VisitDue), nullTime(nextAlert), tx.now,
		c.ID, string(readState))
	if err != nil {
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errRaced
	}
	return nil
}

// CaseRequest is an extension or suspension request awaiting or past a
// supervisor's decision.
type CaseRequest struct {
	ID           int64      `json:"id"`
	CaseID       int64      `json:"case_id"`
	Kind         string     `json:"kind"` // extend or pause
	Amount       float64    `json:"amount,omitempty"`
	Reason       string     `json:"reason"`
	Status       string     `json:"status"` // pending, approved, refused
	RequestedBy  int64      `json:"requested_by"`
	RequestedAt  time.Time  `json:"requested_at"`
	DecidedAt    *time.Time `json:"decided_at,omitempty"`
	DecisionNote string     `json:"decision_note,omitempty"`
}

// CaseRequests lists a case's extension and suspension requests, newest
// first, for staff who may see the case.
func (s *Store) CaseRequests(ctx context.Context, a civic.Actor, id int64) ([]CaseRequest, error) {
	if _, err := s.GetCase(ctx, a, id); err != nil {
		return nil, err
	}
	if !a.Can(civic.PermCaseRead) {
		return nil, civic.Forbidden()
	}
	rows, err := s.query(ctx, `SELECT id, case_id, kind, amount, reason, status, requested_by, requested_at, decided_at, decision_note
		FROM case_requests WHERE case_id = ? ORDER BY id DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("case %d requests: %w", id, err)
	}
	defer rows.Close()
	var out []CaseRequest
	for rows.Next() {
		var r CaseRequest
		var decided sql.NullTime
		if err := rows.Scan(&r.ID, &r.CaseID, &r.Kind, &r.Amount, &r.Reason, &r.Status, &r.RequestedBy, &r.RequestedAt, &decided, &r.DecisionNote); err != nil {
			return nil, fmt.Errorf("scan request: %w", err)
		}
		r.RequestedAt = r.RequestedAt.UTC()
		if decided.Valid {
			t := decided.Time.UTC()
			r.DecidedAt = &t
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// withDispatchTerms adds the category and the deadlines a dispatch was
// given to its event data.
func withDispatchTerms(data string, c civic.Case) string {
	m := map[string]any{}
	_ = json.Unmarshal([]byte(orEmptyJSON(data)), &m)
	m["category"] = c.CategoryCode
	for k, t := range map[string]*time.Time{"claim_due": c.ClaimDue, "feedback_due": c.FeedbackDue, "complete_due": c.CompleteDue} {
		if t != nil {
			m[k] = t.Format(time.RFC3339)
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// commentRepeatWindow is how soon the same comment again counts as the
// same form sent twice.
const commentRepeatWindow = 2 * time.Minute

// repeatedComment reports whether the actor's last event on the case is
// the comment note, made within commentRepeatWindow.
func (tx *Tx) repeatedComment(ctx context.Context, a civic.Actor, caseID int64, note string) (bool, error) {
	var id int64
	if err := tx.queryRow(ctx, `SELECT id FROM cases WHERE id = ?`+tx.s.forUpdate(), caseID).Scan(&id); err != nil {
		return false, fmt.Errorf("lock case %d: %w", caseID, err)
	}
	var act, last string
	var at time.Time
	err := tx.queryRow(ctx, `SELECT action, note, at FROM case_events WHERE case_id = ? AND actor_id = ? ORDER BY id DESC LIMIT 1`, caseID, a.UserID).Scan(&act, &last, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the last event of case %d: %w", caseID, err)
	}
	return act == string(civic.ActComment) && last == note && tx.now.Sub(at) < commentRepeatWindow, nil
}
