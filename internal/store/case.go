package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// CaseSettings are the configurable limits of the loop.
type CaseSettings struct {
	ReopenDays    int // a dissatisfied reporter may reopen within this many days of the visit
	ReopenCap     int // at most this many reopenings
	MaxExtensions int // approved extensions per case
	MaxExtendDays float64
	MaxPauses     int // approved suspensions per case
	// CheckInHours is how long (working hours) a summoned department has
	// to check in after a whistle.
	CheckInHours float64
}

// DefaultCaseSettings are used when Options leave them zero.
var DefaultCaseSettings = CaseSettings{ReopenDays: 7, ReopenCap: 2, MaxExtensions: 2, MaxExtendDays: 15, MaxPauses: 2, CheckInHours: 2}

// CaseSettings are the loop's limits in force, defaults filled in.
func (s *Store) CaseSettings() CaseSettings { return s.caseSettings() }

// caseSettings are the store's settings with defaults filled in.
func (s *Store) caseSettings() CaseSettings {
	c := s.cases
	d := DefaultCaseSettings
	if c.ReopenDays <= 0 {
		c.ReopenDays = d.ReopenDays
	}
	if c.ReopenCap <= 0 {
		c.ReopenCap = d.ReopenCap
	}
	if c.MaxExtensions <= 0 {
		c.MaxExtensions = d.MaxExtensions
	}
	if c.MaxExtendDays <= 0 {
		c.MaxExtendDays = d.MaxExtendDays
	}
	if c.MaxPauses <= 0 {
		c.MaxPauses = d.MaxPauses
	}
	if c.CheckInHours <= 0 {
		c.CheckInHours = d.CheckInHours
	}
	return c
}

const caseCols = `c.id, c.state, c.category_code, COALESCE(cat.name, ''), c.request_type, c.title, c.description, c.source,
	c.has_location, c.lng, c.lat, c.address, c.region_code, COALESCE(r.name, ''), COALESCE(c.reporter_id, 0), c.reporter_name, c.reporter_phone, c.anonymous,
	COALESCE(c.handler_org_id, 0), COALESCE(o.name, ''), c.handler_region_code, COALESCE(hr.name, ''), c.priority, c.paused,
	c.rework_count, c.reopen_count, c.return_count, COALESCE(c.merged_into, 0), c.complete_extra, c.satisfaction, c.solved,
	c.dispatched_at, c.claimed_at, c.feedback_at, c.handled_at, c.closed_at, c.visited_at,
	c.claim_due, c.feedback_due, c.complete_due, c.visit_due, c.created_at, c.updated_at, COALESCE(c.house_id, 0), COALESCE(c.person_id, 0)`

const caseFrom = ` FROM cases c
	LEFT JOIN categories cat ON cat.code = c.category_code
	LEFT JOIN regions r ON r.code = c.region_code
	LEFT JOIN organisations o ON o.id = c.handler_org_id
	LEFT JOIN regions hr ON hr.code = c.handler_region_code`

func scanCase(sc interface{ Scan(...any) error }) (civic.Case, error) {
	var c civic.Case
	var solved sql.NullBool
	var times [11]sql.NullTime
	err := sc.Scan(&c.ID, &c.State, &c.CategoryCode, &c.CategoryName, &c.RequestType, &c.Title, &c.Description, &c.Source,
		&c.HasLocation, &c.Lng, &c.Lat, &c.Address, &c.RegionCode, &c.RegionName, &c.ReporterID, &c.ReporterName, &c.ReporterPhone, &c.Anonymous,
		&c.HandlerOrgID, &c.HandlerOrgName, &c.HandlerRegionCode, &c.HandlerName, &c.Priority, &c.Paused,
		&c.ReworkCount, &c.ReopenCount, &c.ReturnCount, &c.MergedInto, &c.CompleteExtra, &c.Satisfaction, &solved,
		&times[0], &times[1], &times[2], &times[3], &times[4], &times[5], &times[6], &times[7], &times[8], &times[9],
		&c.CreatedAt, &c.UpdatedAt, &c.HouseID, &c.PersonID)
	if err != nil {
		return c, err
	}
	if solved.Valid {
		c.Solved = &solved.Bool
	}
	dst := []**time.Time{&c.DispatchedAt, &c.ClaimedAt, &c.FeedbackAt, &c.HandledAt, &c.ClosedAt, &c.VisitedAt, &c.ClaimDue, &c.FeedbackDue, &c.CompleteDue, &c.VisitDue}
	for i, d := range dst {
		if times[i].Valid {
			t := times[i].Time.UTC()
			*d = &t
		}
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if c.HandlerName == "" {
		c.HandlerName = c.HandlerOrgName
	}
	c.Number = civic.CaseNumber(c.CreatedAt, c.ID)
	return c, nil
}

// caseVisible decides who may see a case: reporters their own, a handler
// organisation the cases dispatched to it, other staff everything filed in
// their region scope.
func caseVisible(a civic.Actor, c civic.Case) bool {
	switch {
	case a.IsSystem():
		return true
	case a.UserID != 0 && c.ReporterID == a.UserID:
		return true
	case !a.Can(civic.PermCaseRead):
		return false
	case a.Scope.OrgID != 0:
		return c.HandlerOrgID == a.Scope.OrgID
	}
	return a.InScope(c.RegionCode)
}

// caseScopeClause is caseVisible as SQL.
func caseScopeClause(a civic.Actor) (string, []any) {
	switch {
	case a.IsSystem():
		return "1=1", nil
	case !a.Can(civic.PermCaseRead):
		return "(c.reporter_id = ? OR EXISTS (SELECT 1 FROM case_reporters cr WHERE cr.case_id = c.id AND cr.user_id = ?))", []any{a.UserID, a.UserID}
	case a.Scope.OrgID != 0:
		return "(c.handler_org_id = ? OR c.reporter_id = ? OR EXISTS (SELECT 1 FROM case_whistles w WHERE w.case_id = c.id AND w.org_id = ?))",
			[]any{a.Scope.OrgID, a.UserID, a.Scope.OrgID}
	}
	// Only the region range, no "OR it is my own report": an OR here would
	// keep the database from using the region index on every list. Staff
	// who reported a case elsewhere find it with the mine filter, which
	// replaces this clause (see ListCases). An empty scope sees nothing,
	// as caseVisible says.
	return scopeClause(a, "c.region_code")
}

// extraAccess grants sight of a case beyond caseVisible: to a department
// summoned by a whistle, and to a co-reporter who is not staff. Staff see
// cases by their scope only: a co-reporter's view is a resident's (public
// events, no actions), and staff would read it with their own powers.
func extraAccess(ctx context.Context, q querier, id int64, a civic.Actor) (bool, error) {
	ok, err := extraAccessAmong(ctx, q, []any{id}, a)
	return ok[id], err
}

// maskCase hides what the viewer may not see: reporters' phones from
// everyone but the reporter and staff who handle intake and visits, and an
// anonymous reporter's identity from all but the reporter.
func (s *Store) maskCase(a civic.Actor, c *civic.Case) {
	c.ReporterPhone = s.openCasePhone(c.ReporterPhone)
	own := a.UserID != 0 && a.UserID == c.ReporterID
	if own || a.IsSystem() {
		return
	}
	if c.Anonymous {
		// The person a case was filed for would name the reporter.
		c.ReporterName, c.ReporterPhone, c.ReporterID, c.PersonID = "", "", 0, 0
		return
	}
	if !a.Can(civic.PermCaseRead) {
		// A co-reporter sees the case, not who else reported it (as
		// CaseReporters hides the other co-reporters from them), nor the
		// numbers the first reporter wrote into it.
		c.ReporterName, c.ReporterPhone, c.ReporterID, c.PersonID, c.HouseID = "", "", 0, 0, 0
		c.Title, c.Description, c.Address = civic.MaskNumbersInText(c.Title), civic.MaskNumbersInText(c.Description), civic.MaskNumbersInText(c.Address)
		return
	}
	if !seesReporterPhones(a) {
		// The number a reporter wrote into the case is theirs as much as
		// the one in its field.
		c.ReporterPhone = civic.MaskPhone(c.ReporterPhone)
		c.Title, c.Description = civic.MaskNumbersInText(c.Title), civic.MaskNumbersInText(c.Description)
	}
}

// seesReporterPhones: staff who call reporters back for clarification and
// return visits see their phone numbers; others see them masked.
func seesReporterPhones(a civic.Actor) bool {
	switch a.Role {
	case civic.RoleOperator, civic.RoleAdmin, civic.RoleCommunityStaff, civic.RoleStreetStaff:
		return true
	}
	return a.IsSystem()
}

func caseNotFound(id int64) error {
	return civic.NotFound(fmt.Sprintf("工单 %d", id), fmt.Sprintf("case %d", id))
}

// GetCase returns a case the actor may see. A merged case's number keeps
// working: callers follow MergedInto to the survivor.
func (s *Store) GetCase(ctx context.Context, a civic.Actor, id int64) (civic.Case, error) {
	c, err := s.visibleCase(ctx, a, id)
	if err != nil {
		return civic.Case{}, err
	}
	s.maskCase(a, &c)
	return c, nil
}

// visibleCase is GetCase before masking: for the store's own decisions
// about who reported it.
func (s *Store) visibleCase(ctx context.Context, a civic.Actor, id int64) (civic.Case, error) {
	c, err := scanCase(s.queryRow(ctx, `SELECT `+caseCols+caseFrom+` WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return civic.Case{}, caseNotFound(id)
	}
	if err != nil {
		return civic.Case{}, fmt.Errorf("get case %d: %w", id, err)
	}
	if !caseVisible(a, c) {
		if ok, err := extraAccess(ctx, s, id, a); err != nil || !ok {
			if err != nil {
				return civic.Case{}, err
			}
			return civic.Case{}, caseNotFound(id)
		}
	}
	return c, nil
}

// GetCaseByNumber resolves a case number (the date must match too, so that
// numbers cannot be guessed from IDs alone).
func (s *Store) GetCaseByNumber(ctx context.Context, a civic.Actor, number string) (civic.Case, error) {
	id, date, ok := civic.ParseCaseNumber(number)
	if !ok {
		return civic.Case{}, civic.NotFound("工单 "+number, "case "+number)
	}
	c, err := s.GetCase(ctx, a, id)
	if err != nil {
		return c, err
	}
	if !strings.HasPrefix(c.Number, date) {
		return civic.Case{}, civic.NotFound("工单 "+number, "case "+number)
	}
	return c, nil
}

// CaseFilter narrows ListCases.
type CaseFilter struct {
	States       []civic.CaseState
	Under        string // region subtree
	HandlerOrgID int64
	// HandlerRegion keeps cases dispatched to this region (a grid,
	// community or street acting as handler).
	HandlerRegion string
	CategoryCode  string // a category or any below it
	// CategoryCodes keeps cases under any of these categories (nil: no
	// such filter), for a caller that asks about several at once.
	CategoryCodes []string
	Source        civic.Source
	Query         string // a case number, or words in the title, description or address
	Phone         string // reporter phone, exact
	ReporterID    int64
	From, To      time.Time
	Overdue       bool // an open clock is past due
	// PendingRequest keeps cases with an extension or suspension request
	// waiting for a supervisor.
	PendingRequest bool
	// Figure keeps the cases behind one figure of an assessment
	// (AssessmentCases), in the actor's scope.
	Figure *AssessmentFigure
	// IDs keeps only these cases (nil: no such filter), for a caller that
	// has already asked AssessmentCases; the actor's scope still applies.
	IDs []int64
	// Newest orders by creation time alone, newest first, instead of
	// urgent cases first: for a caller that pages through cases as they
	// came in (Open311). The ID breaks ties, so pages never overlap.
	Newest bool
	Page
}

// ListCases returns cases the actor may see, urgent first and then newest
// (or newest first, with f.Newest), and the total.
func (s *Store) ListCases(ctx context.Context, a civic.Actor, f CaseFilter) ([]civic.Case, int, error) {
	where, args := caseScopeClause(a)
	switch {
	case f.ReporterID != 0 && f.ReporterID == a.UserID && !a.Can(civic.PermCaseRead):
		// One's own reports (and co-reports) are visible wherever they are.
		where, args = "1=1", nil
	case f.ReporterID != 0 && f.ReporterID == a.UserID:
		// Staff see their own reports wherever they are, and the cases
		// they joined within their scope (extraAccess).
		where, args = "(c.reporter_id = ? OR ("+where+"))", append([]any{a.UserID}, args...)
	case f.HandlerOrgID != 0 && f.HandlerOrgID == a.Scope.OrgID && a.Can(civic.PermCaseRead):
		// An organisation's own tasks are its staff's to see; saying so
		// lets the task list use its index alone. Residents and
		// volunteers, who may read only their own cases, keep their
		// clause whatever they filter on.
		where, args = "1=1", nil
	case f.HandlerRegion != "" && a.Scope.OrgID == 0 && a.Can(civic.PermCaseRead) && a.InScope(f.HandlerRegion):
		// Cases handled by a region lie in it (dispatch to a region must
		// cover the place), so the region scope is implied.
		where, args = "1=1", nil
	}
	add := func(cond string, v ...any) { where += " AND " + cond; args = append(args, v...) }
	if len(f.States) > 0 {
		var vs []any
		for _, st := range f.States {
			vs = append(vs, string(st))
		}
		add("c.state IN ("+marks(len(vs))+")", vs...)
	}
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		add("c.region_code >= ? AND c.region_code < ?", lo, hi)
	}
	if f.HandlerOrgID != 0 {
		add("c.handler_org_id = ?", f.HandlerOrgID)
	}
	if f.HandlerRegion != "" {
		add("c.handler_region_code = ?", f.HandlerRegion)
	}
	if f.CategoryCode != "" {
		lo, hi := civic.ScopePrefixRange(f.CategoryCode)
		add("c.category_code >= ? AND c.category_code < ?", lo, hi)
	}
	if len(f.CategoryCodes) > 0 {
		var conds []string
		var vs []any
		for _, code := range f.CategoryCodes {
			lo, hi := civic.ScopePrefixRange(code)
			conds = append(conds, "(c.category_code >= ? AND c.category_code < ?)")
			vs = append(vs, lo, hi)
		}
		add("("+strings.Join(conds, " OR ")+")", vs...)
	}
	if f.Source != "" {
		add("c.source = ?", string(f.Source))
	}
	if f.ReporterID != 0 {
		add("(c.reporter_id = ? OR EXISTS (SELECT 1 FROM case_reporters cr WHERE cr.case_id = c.id AND cr.user_id = ?))", f.ReporterID, f.ReporterID)
	}
	if f.Phone != "" {
		if !civic.ValidPhone(f.Phone) {
			return nil, 0, civic.Invalid(civic.FieldErr("phone", "电话号码格式不正确", "the phone number is not valid"))
		}
		if a.Can(civic.PermCaseRead) && !seesReporterPhones(a) {
			// Who sees phones masked finds a case by one a limited
			// number of times: else the search would unmask them.
			if err := s.numberSearch(ctx, a, "case", f.Phone); err != nil {
				return nil, 0, err
			}
		}
		match, vs := s.phoneMatch("c.reporter_phone", "c.reporter_phone_hash", f.Phone)
		if a.IsSystem() {
			add(match, vs...)
		} else {
			// An anonymous report keeps its phone from everyone but its
			// reporter: a match would tell whose number filed it.
			add(match+" AND (c.anonymous = ? OR c.reporter_id = ?)", append(vs, false, a.UserID)...)
		}
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if id, _, ok := civic.ParseCaseNumber(q); ok {
			add("c.id = ?", id)
		} else if cond, v := s.textMatch(q); cond != "" {
			if a.Can(civic.PermCaseRead) && !seesReporterPhones(a) && civic.MaskNumbersInText(q) != q {
				// Numbers in a case's text are masked for this reader; a
				// search by one would tell them what it is, so it counts
				// as a search by number.
				if err := s.numberSearch(ctx, a, "case", q); err != nil {
					return nil, 0, err
				}
			}
			add(cond, v...)
		}
	}
	if !f.From.IsZero() {
		add("c.created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("c.created_at < ?", f.To.UTC())
	}
	if f.PendingRequest {
		add("EXISTS (SELECT 1 FROM case_requests rq WHERE rq.case_id = c.id AND rq.status = 'pending')")
	}
	if f.Overdue {
		now := s.Now()
		add(`((c.state = 'dispatched' AND c.claim_due < ?) OR (c.state IN ('dispatched','in_progress') AND (c.complete_due < ? OR (c.feedback_at IS NULL AND c.feedback_due < ?))) OR (c.state = 'closed' AND c.visit_due < ?)) AND c.paused = ?`, now, now, now, now, false)
	}
	only := f.IDs
	if f.Figure != nil {
		var err error
		if only, _, err = s.AssessmentCases(ctx, a, *f.Figure); err != nil {
			return nil, 0, err
		}
	}
	if only != nil {
		if len(only) == 0 {
			add("1=0")
		} else {
			// Integers, written inline (no injection possible) so that
			// thousands of them need no bind parameters.
			lits := make([]string, len(only))
			for i, id := range only {
				lits[i] = strconv.FormatInt(id, 10)
			}
			add("c.id IN (" + strings.Join(lits, ",") + ")")
		}
	}
	p := f.Page.normal()
	if s.searchOnly(a, f) {
		// A word search over the actor's region scope: words and regions
		// are all index terms, so the index answers alone.
		ids, total, ok, err := s.searchIDs(ctx, f.Query, []string{a.Scope.RegionCode, f.Under}, p)
		if err != nil {
			return nil, 0, err
		}
		if ok {
			out, err := s.casesByID(ctx, a, ids, "c.id DESC")
			// The index decided the scope; the rows say it again, so that
			// an index out of step with the cases never shows one outside.
			kept := slices.DeleteFunc(slices.Clone(out), func(c civic.Case) bool {
				return !a.InScope(c.RegionCode) || f.Under != "" && !civic.InSubtree(c.RegionCode, f.Under)
			})
			return kept, total - (len(out) - len(kept)), err
		}
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM cases c WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count cases: %w", err)
	}
	// First the page's IDs, which the list indexes answer without reading
	// a single row; then the rows of that page only. Sorting full rows of
	// every match would read thousands of rows to show fifty.
	order := "c.priority DESC, c.id DESC"
	if f.Newest {
		order = "c.created_at DESC, c.id DESC"
	}
	idRows, err := s.query(ctx, `SELECT c.id FROM cases c WHERE `+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list cases: %w", err)
	}
	var ids []any
	for idRows.Next() {
		var id int64
		if err := idRows.Scan(&id); err != nil {
			idRows.Close()
			return nil, 0, fmt.Errorf("scan case id: %w", err)
		}
		ids = append(ids, id)
	}
	idRows.Close()
	if err := idRows.Err(); err != nil {
		return nil, total, err
	}
	out, err := s.casesByID(ctx, a, ids, order)
	return out, total, err
}

// searchOnly reports whether a list is a plain word search over a region
// scope, which the search index answers alone.
func (s *Store) searchOnly(a civic.Actor, f CaseFilter) bool {
	if strings.TrimSpace(f.Query) == "" || a.IsSystem() || a.Scope.OrgID != 0 || !a.Can(civic.PermCaseRead) {
		return false
	}
	if _, _, isNumber := civic.ParseCaseNumber(strings.TrimSpace(f.Query)); isNumber {
		return false
	}
	g := f
	g.Query, g.Under, g.Page = "", "", Page{}
	return reflect.DeepEqual(g, CaseFilter{})
}

// casesByID reads the rows of a page of case IDs in the given order.
func (s *Store) casesByID(ctx context.Context, a civic.Actor, ids []any, order string) ([]civic.Case, error) {
	out, err := s.caseRows(ctx, ids, order)
	for i := range out {
		s.maskCase(a, &out[i])
	}
	return out, err
}

// caseRows reads the rows of case IDs in the given order, unmasked.
func (s *Store) caseRows(ctx context.Context, ids []any, order string) ([]civic.Case, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.query(ctx, `SELECT `+caseCols+caseFrom+` WHERE c.id IN (`+marks(len(ids))+`) ORDER BY `+order, ids...)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	var out []civic.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("scan case: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// GetCases returns the cases among ids that the actor may see, as GetCase
// returns them one by one, in the order of ids and each once; an ID of no
// case, or of one out of the actor's sight, is left out. It costs the same
// few queries however many IDs it is given, for a caller that would
// otherwise ask GetCase in a loop (Open311's lists of requests).
func (s *Store) GetCases(ctx context.Context, a civic.Actor, ids []int64) ([]civic.Case, error) {
	var args []any
	seen := map[int64]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			args = append(args, id)
		}
	}
	rows, err := s.caseRows(ctx, args, "c.id")
	if err != nil {
		return nil, err
	}
	var others []any
	for _, c := range rows {
		if !caseVisible(a, c) {
			others = append(others, c.ID)
		}
	}
	extra, err := extraAccessAmong(ctx, s, others, a)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]civic.Case, len(rows))
	for _, c := range rows {
		if caseVisible(a, c) || extra[c.ID] {
			s.maskCase(a, &c)
			byID[c.ID] = c
		}
	}
	var out []civic.Case
	for _, id := range args {
		if c, ok := byID[id.(int64)]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// extraAccessAmong is extraAccess for several cases at once, one query
// for each kind of access: the IDs among ids that the actor sees beyond
// caseVisible.
func extraAccessAmong(ctx context.Context, q querier, ids []any, a civic.Actor) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	in := ` AND case_id IN (` + marks(len(ids)) + `)`
	var found []int64
	if a.Scope.OrgID != 0 {
		summoned, err := idsOf(ctx, q, `SELECT case_id FROM case_whistles WHERE org_id = ?`+in, append([]any{a.Scope.OrgID}, ids...)...)
		if err != nil {
			return nil, fmt.Errorf("look up summons: %w", err)
		}
		found = append(found, summoned...)
	}
	if !a.Can(civic.PermCaseRead) && a.UserID != 0 {
		joined, err := idsOf(ctx, q, `SELECT case_id FROM case_reporters WHERE user_id = ?`+in, append([]any{a.UserID}, ids...)...)
		if err != nil {
			return nil, fmt.Errorf("look up co-reporters: %w", err)
		}
		found = append(found, joined...)
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// marks is n comma-separated bind parameters, for an IN list.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// CaseEvents returns a case's timeline, oldest first: every event for staff
// who may see the case, only the public ones for its reporter.
func (s *Store) CaseEvents(ctx context.Context, a civic.Actor, id int64) ([]civic.CaseEvent, error) {
	c, err := s.visibleCase(ctx, a, id)
	if err != nil {
		return nil, err
	}
	hidden, err := s.hiddenReporters(ctx, a, c)
	if err != nil {
		return nil, err
	}
	q := `SELECT id, case_id, at, actor_id, actor_name, actor_role, action, from_state, to_state, note, public, data FROM case_events WHERE case_id = ?`
	args := []any{id}
	if !a.IsSystem() && !a.Can(civic.PermCaseRead) {
		q += " AND public = ?"
		args = append(args, true)
	}
	rows, err := s.query(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("case %d events: %w", id, err)
	}
	defer rows.Close()
	// A co-reporter reads the timeline of someone else's report: numbers
	// in its notes (a handler writing "已电话联系13912345678") may be the
	// first reporter's, masked as in the case's own text (maskCase).
	coReporter := !a.IsSystem() && !a.Can(civic.PermCaseRead) && (a.UserID == 0 || a.UserID != c.ReporterID)
	var out []civic.CaseEvent
	for rows.Next() {
		var e civic.CaseEvent
		if err := rows.Scan(&e.ID, &e.CaseID, &e.At, &e.ActorID, &e.ActorName, &e.ActorRole, &e.Action, &e.FromState, &e.ToState, &e.Note, &e.Public, &e.Data); err != nil {
			return nil, fmt.Errorf("scan case event: %w", err)
		}
		e.At = e.At.UTC()
		if hidden(e) {
			e.ActorID, e.ActorName, e.ActorHidden = 0, "", true
		}
		if coReporter {
			e.Note = civic.MaskNumbersInText(e.Note)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// hiddenReporters says which of a case's events the actor may not see
// the author of, as GetCase and CaseReporters hide the same people: an
// anonymous reporter's (or co-reporter's) own events from everyone but
// themselves, and, to a co-reporter, what other residents did.
func (s *Store) hiddenReporters(ctx context.Context, a civic.Actor, c civic.Case) (func(civic.CaseEvent) bool, error) {
	if a.IsSystem() {
		return func(civic.CaseEvent) bool { return false }, nil
	}
	anon := map[int64]bool{}
	if c.Anonymous && c.ReporterID != 0 {
		anon[c.ReporterID] = true
	}
	rows, err := s.query(ctx, `SELECT user_id FROM case_reporters WHERE case_id = ? AND anonymous = ? AND user_id IS NOT NULL`, c.ID, true)
	if err != nil {
		return nil, fmt.Errorf("case %d anonymous co-reporters: %w", c.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("scan co-reporter: %w", err)
		}
		anon[u] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	staff := a.Can(civic.PermCaseRead)
	return func(e civic.CaseEvent) bool {
		if e.ActorID == 0 || a.UserID != 0 && e.ActorID == a.UserID {
			return false
		}
		if anon[e.ActorID] {
			return true
		}
		return !staff && (e.ActorRole == civic.RoleResident || e.ActorRole == civic.RoleVolunteer)
	}, nil
}

// addEvent appends one event to a case's timeline.
func (tx *Tx) addEvent(ctx context.Context, a civic.Actor, caseID int64, act civic.CaseAction, from, to civic.CaseState, note string, public bool, data string) error {
	name := a.DisplayName
	if name == "" {
		name = a.Username
	}
	if a.IsSystem() {
		name = "系统"
	}
	_, err := tx.exec(ctx, `INSERT INTO case_events (case_id, at, actor_id, actor_name, actor_role, action, from_state, to_state, note, public, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		caseID, tx.now, a.UserID, name, string(a.Role), string(act), string(from), string(to), note, public, data)
	if err != nil {
		return fmt.Errorf("append %s event to case %d: %w", act, caseID, err)
	}
	if err := tx.rollupEvent(ctx, caseID, act, from, to, data); err != nil {
		return err
	}
	return tx.notify(ctx, caseID, act, public, note, data)
}
