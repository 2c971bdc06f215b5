package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// caseDetailPage is one case: its summary, clocks, timeline and the
// actions the viewer may take now.
type caseDetailPage struct {
	Page
	Case     civic.Case
	Category string
	Staff    bool // the viewer works cases: staff details and internal events
	Own      bool // the viewer reported it
	Clocks   []caseClock
	Steps    []step
	Events   []caseEventRow
	Actions  []caseActionForm
	// Conflict is a refusal that is about the case, not the input:
	// someone else acted first, or the state no longer allows the action.
	Conflict string
	Basemap  basemap
	// Boundary is the region drawn around the point, for staff who may
	// read boundaries.
	Boundary    string
	BoundaryLvl string
	// PhoneLink offers the reporter's number as a tel: link: staff who
	// see it unmasked call reporters back.
	PhoneLink bool
	// Solved is the rating's "solved": "1", "0" or "" before a visit.
	Solved string
	// Photos are the case's photos by stage.
	Photos []photoGroup
	// Whistles are the departments summoned to the case and their check-ins.
	Whistles []civic.Whistle
	// Household is the house the case was reported from and, for viewers
	// who may read people there, who lives in it.
	Household store.CaseHousehold
	// FiledFor is the person the case was filed for when they are not
	// among the household shown.
	FiledFor *civic.Person
}

// careTags are the tags of a resident that matter to whoever handles a
// case at their home (an 80-year-old living alone); the rest (party
// membership, residence type) are not shown on a case.
func careTags(tags []civic.Tag) []civic.Tag {
	var out []civic.Tag
	has80 := false
	for _, t := range tags {
		has80 = has80 || t == civic.TagAge80
	}
	for _, t := range tags {
		switch t {
		case civic.TagAge60:
			if !has80 {
				out = append(out, t)
			}
		case civic.TagAge80, civic.TagChild, civic.TagAlone, civic.TagDisabled, civic.TagDibao, civic.TagKeyCare:
			out = append(out, t)
		}
	}
	return out
}

// actionChoices are the lists the action forms pick from, shared by all
// of a page's forms.
type actionChoices struct {
	Pending      []Option // pending extension or suspension requests
	Leaves       []leafGroup
	Orgs         []Option
	Regions      []Option
	Satisfaction []Option
}

// caseEventRow is one timeline entry as shown.
type caseEventRow struct {
	At       time.Time
	Actor    string
	Action   string
	Note     string
	ToState  string
	Internal bool
}

// caseActionForm is one action's small form, with what was typed and why
// it was refused when it was.
type caseActionForm struct {
	Name    string
	Label   string
	Open    bool
	Form    caseActForm
	Errs    FormErrors
	CaseID  int64
	Choices *actionChoices
	// Quick actions need nothing but a click.
	Quick bool
	// NoteLabel names the note field for this action ("" = no note);
	// NoteRequired marks the actions the store refuses without one.
	NoteLabel    string
	NoteRequired bool
	// Photos offers photo inputs (report-back and verification).
	Photos bool
	// LLM offers 起草回复 (a model's draft of the note) on report-backs
	// and answers when a model is configured.
	LLM bool
}

// actionNotes says, per action, what its note is and whether the store
// requires it. Actions not listed take an optional remark.
var actionNotes = map[civic.CaseAction]struct {
	key      string
	required bool
}{
	civic.ActReject:        {"case.note.reason", true},
	civic.ActAnswer:        {"case.note.answer", true},
	civic.ActReturn:        {"case.note.reason", true},
	civic.ActFeedback:      {"case.note.progress", true},
	civic.ActHandle:        {"case.note.result", true},
	civic.ActVerifyFail:    {"case.note.reason", true},
	civic.ActComment:       {"case.note.comment", true},
	civic.ActRequestExtend: {"case.note.reason", true},
	civic.ActRequestPause:  {"case.note.reason", true},
}

// actionForm is the empty form of an action.
func actionForm(lang string, a civic.CaseAction) caseActionForm {
	f := caseActionForm{Name: string(a), Label: a.Label().In(lang), Form: caseActForm{Target: "suggested", Approve: "1"},
		Quick: a == civic.ActClaim, NoteLabel: tr(lang, "case.note.remark")}
	if n, ok := actionNotes[a]; ok {
		f.NoteLabel, f.NoteRequired = tr(lang, n.key), n.required
	}
	if f.Quick {
		f.NoteLabel = ""
	}
	return f
}

// caseActForm is an action form exactly as typed.
type caseActForm struct {
	// WhistleOrgs and LeadOrg are a whistle's departments and lead.
	WhistleOrgs  []string
	LeadOrg      string
	Action       string
	Note         string
	Target       string // suggested, org, region
	TargetOrg    string
	TargetRegion string
	Category     string
	Satisfaction string
	Solved       string
	MergeInto    string
	Amount       string
	RequestID    string
	Approve      string
}

var caseActFields = []string{"note", "target", "target_org_id", "target_region_code", "category_code", "satisfaction", "solved", "merge_into", "amount", "request_id", "approve", "photo"}

func readCaseActForm(r *http.Request) caseActForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return caseActForm{Action: v("action"), Note: v("note"), Target: v("target"), TargetOrg: v("target_org_id"), TargetRegion: v("target_region_code"),
		Category: v("category_code"), Satisfaction: v("satisfaction"), Solved: v("solved"), MergeInto: v("merge_into"),
		Amount: v("amount"), RequestID: v("request_id"), Approve: v("approve"), WhistleOrgs: r.PostForm["whistle_org_ids"], LeadOrg: v("lead_org_id")}
}

func (h *Web) caseDetail(w http.ResponseWriter, r *http.Request, c *rq) error {
	cs, err := h.caseByRef(r, c)
	if err != nil {
		return err
	}
	p, err := h.caseDetailPage(w, r, c, cs, caseActForm{}, FormErrors{})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "case_detail", p)
	return nil
}

// caseDetailPage builds the page; failed names the action whose form
// comes back with its input and errors.
func (h *Web) caseDetailPage(w http.ResponseWriter, r *http.Request, c *rq, cs civic.Case, failed caseActForm, errs FormErrors) (caseDetailPage, error) {
	ctx := r.Context()
	cat, err := h.catalogue(ctx)
	if err != nil {
		return caseDetailPage{}, err
	}
	events, err := h.store.CaseEvents(ctx, c.Actor, cs.ID)
	if err != nil {
		return caseDetailPage{}, err
	}
	staff := c.Actor.Can(civic.PermCaseRead)
	// Staff come from the case list, reporters from their own.
	list, listKey := "/cases", "cases.title"
	if !staff {
		list, listKey = "/my/cases", "mycases.title"
	}
	p := caseDetailPage{Page: h.base(w, c, "case.title", list), Case: cs, Category: cat.name(c.Lang, cs.CategoryCode, cs.CategoryName),
		Staff: staff, Own: c.User.ID != 0 && c.User.ID == cs.ReporterID, Steps: progress(c.Lang, cs.State), Basemap: h.basemap()}
	p.Title = cs.Title
	p.Crumbs = []Crumb{{Label: c.T(listKey), URL: list}, {Label: cs.Number}}
	y, red := cat.thresholds(cs.CategoryCode)
	p.Clocks = clocks(c.Lang, cs, h.store.Now(), y, red)
	for _, e := range events {
		p.Events = append(p.Events, eventRow(c.Lang, e, staff))
	}
	photos, err := h.store.CasePhotos(ctx, c.Actor, cs.ID)
	if err != nil {
		return caseDetailPage{}, err
	}
	p.Photos = photoGroups(c.Lang, photos)
	pending := pendingRequests(c.Lang, events)
	ch := &actionChoices{Pending: pending}
	p.PhoneLink = staff && cs.ReporterPhone != "" && !strings.Contains(cs.ReporterPhone, "*")
	if cs.Solved != nil {
		p.Solved = map[bool]string{true: "1", false: "0"}[*cs.Solved]
	}
	if cs.HasLocation && c.Actor.Can(civic.PermRegionRead) && c.Actor.InScope(cs.RegionCode) {
		if l, ok := civic.LevelOfCode(cs.RegionCode); ok {
			p.Boundary, p.BoundaryLvl = cs.RegionCode, l.Key()
		}
	}
	p.Leaflet = cs.HasLocation
	for _, s := range []civic.Satisfaction{civic.Satisfied, civic.BasicSatisfied, civic.Dissatisfied} {
		ch.Satisfaction = append(ch.Satisfaction, Option{Value: string(s), Label: s.Label().In(c.Lang), Selected: string(s) == failed.Satisfaction})
	}
	whistles, err := h.store.CaseWhistles(ctx, c.Actor, cs.ID)
	if err != nil {
		return caseDetailPage{}, err
	}
	p.Whistles = whistles
	if cs.HouseID != 0 || cs.PersonID != 0 {
		if p.Household, err = h.store.CaseHousehold(ctx, c.Actor, cs.ID); err != nil {
			return caseDetailPage{}, err
		}
		for i := range p.Household.Members {
			p.Household.Members[i].Tags = careTags(p.Household.Members[i].Tags)
		}
		if pp := p.Household.Person; pp != nil {
			p.FiledFor = pp
			for _, m := range p.Household.Members {
				if m.ID == pp.ID {
					p.FiledFor = nil
				}
			}
			if p.FiledFor != nil {
				p.FiledFor.Tags = careTags(p.FiledFor.Tags)
			}
		}
	}
	summoned := false
	for _, wh := range whistles {
		summoned = summoned || (wh.OrgID == c.Actor.Scope.OrgID && wh.CheckedInAt == nil)
	}
	acts := availableActions(c.Actor, cs, len(pending), summoned)
	shown := false
	for _, a := range acts {
		f := actionForm(c.Lang, a)
		if a == civic.ActComment && !staff {
			// A reporter's comment is kept as an internal note for staff.
			f.Label, f.NoteLabel = c.T("case.supplement"), c.T("case.note.supplement")
		}
		if a == civic.ActVisit && !staff {
			// 回访 is the staff's word for calling back; the reporter rates.
			f.Label = c.T("case.rate_result")
		}
		f.CaseID, f.Choices = cs.ID, ch
		f.LLM = staff && h.cfg.LLM.Enabled() && llmReplyKinds[string(a)]
		if _, ok := store.PhotoStageOf(a); ok && h.cfg.Files != nil {
			f.Photos = true
		}
		if string(a) == failed.Action {
			f.Form, f.Errs, f.Open, shown = failed, errs, true, true
		}
		p.Actions = append(p.Actions, f)
		switch a {
		case civic.ActAccept, civic.ActDispatch, civic.ActTransfer:
			if ch.Leaves == nil {
				ch.Leaves = cat.groups(c.Lang, failed.Category)
			}
		}
		if (a == civic.ActDispatch || a == civic.ActTransfer || a == civic.ActWhistle) && ch.Orgs == nil {
			if ch.Orgs, ch.Regions, err = h.dispatchTargets(ctx, c, cs, failed); err != nil {
				return p, err
			}
		}
	}
	// A refusal whose form is no longer offered (the state moved on) is
	// said at the top of the actions instead.
	if errs.Any() && !shown {
		p.Conflict = strings.Join(append(errs.Summary, fieldMessages(errs)...), "；")
	}
	return p, nil
}

func fieldMessages(f FormErrors) []string {
	var out []string
	for _, m := range f.Fields {
		out = append(out, m)
	}
	return out
}

// eventRow shows an event. Residents see the role of the staff member who
// acted rather than their account name.
func eventRow(lang string, e civic.CaseEvent, staff bool) caseEventRow {
	row := caseEventRow{At: e.At, Action: e.Action.Label().In(lang), Note: e.Note, Internal: !e.Public}
	if note, ok := triageEventNote(lang, e); ok {
		row.Note = note
	}
	if e.Note == store.HotspotMergeNote {
		row.Note = inLang(lang, e.Note)
	}
	if note, ok := systemEventNote(lang, e); ok {
		row.Note = note
	}
	if e.ToState != "" && e.ToState != e.FromState {
		row.ToState = e.ToState.Label().In(lang)
	}
	role := e.ActorRole.Label().In(lang)
	switch {
	case e.ActorHidden && staff:
		row.Actor = aside(lang, tr(lang, "case.anonymous"), role)
	case e.ActorHidden:
		row.Actor = tr(lang, "case.reporter")
	case e.ActorID == 0:
		row.Actor = tr(lang, "case.system")
	case staff && role != "":
		row.Actor = aside(lang, e.ActorName, role)
	case staff:
		row.Actor = e.ActorName
	case e.ActorRole == civic.RoleResident || e.ActorRole == civic.RoleVolunteer:
		row.Actor = tr(lang, "case.reporter")
	default:
		row.Actor = role
	}
	return row
}

// pendingRequests finds extension and suspension requests not yet decided,
// from the timeline: each request event names its ID, and each decision
// names the one it decided.
func pendingRequests(lang string, events []civic.CaseEvent) []Option {
	type reqData struct {
		RequestID int64   `json:"request_id"`
		Kind      string  `json:"kind"`
		Amount    float64 `json:"amount"`
	}
	var order []int64
	open := map[int64]reqData{}
	for _, e := range events {
		if e.Data == "" {
			continue
		}
		var d reqData
		if json.Unmarshal([]byte(e.Data), &d) != nil || d.RequestID == 0 {
			continue
		}
		switch e.Action {
		case civic.ActRequestExtend, civic.ActRequestPause:
			order = append(order, d.RequestID)
			open[d.RequestID] = d
		case civic.ActDecide:
			delete(open, d.RequestID)
		}
	}
	var out []Option
	for _, id := range order {
		d, ok := open[id]
		if !ok {
			continue
		}
		label := fmt.Sprintf(tr(lang, "case.request_pause"), id)
		if d.Kind == "extend" {
			label = fmt.Sprintf(tr(lang, "case.request_extend"), id, strconv.FormatFloat(d.Amount, 'f', -1, 64))
		}
		out = append(out, Option{Value: strconv.FormatInt(id, 10), Label: label})
	}
	return out
}

// dispatchTargets lists the organisations a case can go to (departments
// and property companies) and the regions near it (its street, its
// community and the grids of that community).
func (h *Web) dispatchTargets(ctx context.Context, c *rq, cs civic.Case, f caseActForm) ([]Option, []Option, error) {
	a, lang := c.Actor, c.Lang
	var orgs []Option
	for _, k := range []civic.OrgKind{civic.OrgDepartment, civic.OrgPropertyCompany} {
		// ListOrganisations keeps to organisations whose jurisdiction lies
		// inside the user's scope, which hides the district departments a
		// community dispatcher must be able to send cases to. The list is
		// read as the system and cut to what may handle this case: those
		// whose jurisdiction covers the place, and those inside the
		// dispatcher's own scope.
		list, _, err := h.store.ListOrganisations(ctx, civic.System, store.OrgFilter{Kind: k, Page: store.Page{Limit: 10000}})
		if err != nil {
			return nil, nil, err
		}
		for _, o := range list {
			if !(o.RegionCode != "" && civic.InSubtree(cs.RegionCode, o.RegionCode)) && !a.InScope(o.RegionCode) {
				continue
			}
			id := strconv.FormatInt(o.ID, 10)
			orgs = append(orgs, Option{Value: id, Label: aside(lang, o.Name, k.Label().In(lang)), Selected: id == f.TargetOrg})
		}
	}
	var regions []Option
	add := func(code string, indent bool) error {
		if code == "" {
			return nil
		}
		reg, err := h.store.GetRegion(ctx, a, code)
		if err != nil {
			// A region above the dispatcher's scope is not theirs to pick.
			if civic.ErrorCodeOf(err) == civic.ENotFound {
				return nil
			}
			return err
		}
		regions = append(regions, Option{Value: code, Label: reg.Name + " · " + reg.Level.Label().In(lang), Indent: indent, Selected: code == f.TargetRegion})
		return nil
	}
	code := cs.RegionCode
	var street, community string
	if len(code) >= 9 {
		street = code[:9]
	}
	if len(code) >= 12 {
		community = code[:12]
	}
	if err := add(street, false); err != nil {
		return nil, nil, err
	}
	if err := add(community, true); err != nil {
		return nil, nil, err
	}
	if community != "" {
		grids, _, err := h.store.ListRegions(ctx, a, store.RegionFilter{Under: community, Level: civic.LevelGrid, Page: store.Page{Limit: 1000}})
		if err != nil {
			return nil, nil, err
		}
		for _, g := range grids {
			regions = append(regions, Option{Value: g.Code, Label: g.Name + " · " + g.Level.Label().In(lang), Indent: true, Selected: g.Code == f.TargetRegion})
		}
	}
	return orgs, regions, nil
}

// actOnCase takes one action from a detail page's form. The store decides;
// a refusal comes back on the same page, with the input kept.
func (h *Web) actOnCase(w http.ResponseWriter, r *http.Request, c *rq) error {
	cs, err := h.caseByRef(r, c)
	if err != nil {
		return err
	}
	if err := parseUpload(w, r); err != nil {
		return err
	}
	defer cleanUpload(r)
	f := readCaseActForm(r)
	in, ferr := h.caseInput(r.Context(), c, f)
	if ferr == nil {
		ferr = h.takeAction(r.Context(), c, cs.ID, in, postedPhotos(r))
		if ferr == nil {
			if _, err := h.store.GetCase(r.Context(), c.Actor, cs.ID); civic.ErrorCodeOf(err) == civic.ENotFound {
				// The action took the case out of the user's hands (a
				// handler returning or transferring it).
				h.flash(w, "flash.case_handed_on")
				redirect(w, r, "/cases")
				return nil
			}
			h.flash(w, "flash.case_acted")
			redirect(w, r, "/cases/"+strconv.FormatInt(cs.ID, 10))
			return nil
		}
	}
	errs, err := formErrors(ferr, c.Lang, caseActFields...)
	if err != nil {
		return err
	}
	if len(postedPhotos(r)) > 0 && errs.Fields["photo"] == "" && errs.Status() != http.StatusConflict {
		// A browser cannot be given files back.
		errs.addField("photo", c.T("photo.reselect"))
	}
	// Show the case as it is now: after a conflict it has moved on.
	if cs, err = h.store.GetCase(r.Context(), c.Actor, cs.ID); err != nil {
		return err
	}
	if errs.Status() == http.StatusConflict {
		// Someone else acted, or the state no longer allows it: a message
		// about the case, not about what was typed.
		f.Action = ""
	}
	p, err := h.caseDetailPage(w, r, c, cs, f, errs)
	if err != nil {
		return err
	}
	h.render(w, c, errs.Status(), "case_detail", p)
	return nil
}

// caseInput converts an action form. What the store never sees as typed
// (numbers, a case number to merge into) is checked here.
func (h *Web) caseInput(ctx context.Context, c *rq, f caseActForm) (store.CaseInput, error) {
	act := civic.CaseAction(f.Action)
	if !act.Valid() || act == civic.ActReport {
		return store.CaseInput{}, civic.Invalid(civic.FieldErr("action", "未知的操作“%s”", "unknown action %q", f.Action))
	}
	in := store.CaseInput{Action: act, Note: f.Note, CategoryCode: f.Category, Satisfaction: civic.Satisfaction(f.Satisfaction)}
	switch f.Solved {
	case "1":
		in.Solved = ptr(true)
	case "0":
		in.Solved = ptr(false)
	}
	switch act {
	case civic.ActDispatch, civic.ActTransfer:
		switch f.Target {
		case "org":
			id, err := strconv.ParseInt(f.TargetOrg, 10, 64)
			if err != nil || id <= 0 {
				return in, civic.Invalid(civic.FieldErr("target_org_id", "请选择承办单位", "choose the handling organisation"))
			}
			in.TargetOrgID = id
		case "region":
			if f.TargetRegion == "" {
				return in, civic.Invalid(civic.FieldErr("target_region_code", "请选择承办的街道、社区或网格", "choose the street, community or grid to handle it"))
			}
			in.TargetRegionCode = f.TargetRegion
		}
	case civic.ActMerge:
		id, err := h.mergeTarget(ctx, c, f.MergeInto)
		if err != nil {
			return in, err
		}
		in.MergeInto = id
	case civic.ActRequestExtend:
		a, err := civic.ParseNumber(f.Amount)
		if err != nil || a != a {
			return in, civic.Invalid(civic.FieldErr("amount", "请填写延期时长（数字）", "enter the extra time as a number"))
		}
		in.Amount = a
	case civic.ActWhistle:
		for _, v := range f.WhistleOrgs {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil {
				in.WhistleOrgIDs = append(in.WhistleOrgIDs, id)
			}
		}
		if f.LeadOrg != "" {
			id, err := strconv.ParseInt(f.LeadOrg, 10, 64)
			if err != nil {
				return in, civic.Invalid(civic.FieldErr("lead_org_id", "请选择牵头部门", "choose the lead department"))
			}
			in.LeadOrgID = id
		}
	case civic.ActDecide:
		id, err := strconv.ParseInt(f.RequestID, 10, 64)
		if err != nil || id <= 0 {
			return in, civic.Invalid(civic.FieldErr("request_id", "请选择要审批的申请", "choose the request to decide"))
		}
		in.RequestID, in.Approve = id, f.Approve == "1"
	}
	return in, nil
}

// mergeTarget resolves the case to merge into, by number or ID, within
// what the user may see.
func (h *Web) mergeTarget(ctx context.Context, c *rq, ref string) (int64, error) {
	bad := civic.Invalid(civic.FieldErr("merge_into", "请填写要并入的工单编号", "enter the number of the case to merge into"))
	if ref == "" {
		return 0, bad
	}
	var t civic.Case
	var err error
	if _, _, ok := civic.ParseCaseNumber(ref); ok {
		t, err = h.store.GetCaseByNumber(ctx, c.Actor, ref)
	} else if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil && id > 0 {
		t, err = h.store.GetCase(ctx, c.Actor, id)
	} else {
		return 0, bad
	}
	if civic.ErrorCodeOf(err) == civic.ENotFound {
		return 0, civic.Invalid(civic.FieldErr("merge_into", "找不到工单 %s", "case %s not found", ref))
	}
	if err != nil {
		return 0, err
	}
	return t.ID, nil
}

func ptr[T any](v T) *T { return &v }

// systemEventNote words in English what intake wrote in Chinese: the
// channel of the report (居民上报) and the automatic dispatch with its
// reason, which the event's data keeps in both languages.
func systemEventNote(lang string, e civic.CaseEvent) (string, bool) {
	if lang != "en" {
		return "", false
	}
	switch {
	case e.Action == civic.ActReport:
		for _, s := range []civic.Source{civic.SourceResident, civic.SourcePatrol, civic.SourceHotline, civic.SourceQR, civic.SourceAPI} {
			if l := s.Label(); l.ZH == e.Note {
				return l.EN, true
			}
		}
	case e.Data == `{"priority":"deputy"}`:
		// 两代表一委员反映（name），优先办理
		who := e.Note
		if _, after, ok := strings.Cut(who, "（"); ok {
			who, _, _ = strings.Cut(after, "）")
		}
		return "Raised by a deputy (" + who + "): handled first", true
	case e.Action == civic.ActDispatch || e.Action == civic.ActTransfer:
		// The routing the event's data keeps: intake's "已派发至<name>…",
		// or a dispatcher's "派发至<name>。<why> <their note>".
		var d struct {
			Name string     `json:"name"`
			Why  civic.Text `json:"why"`
		}
		if json.Unmarshal([]byte(e.Data), &d) != nil || d.Name == "" || d.Why.EN == "" {
			break
		}
		if e.ActorID == 0 && strings.HasPrefix(e.Note, "已派发至") {
			return "Dispatched to " + d.Name + ": " + d.Why.EN, true
		}
		if note, ok := strings.CutPrefix(e.Note, "派发至"+d.Name+"。"+d.Why.ZH); ok {
			out := "Dispatched to " + d.Name + ". " + d.Why.EN
			if note = strings.TrimSpace(note); note != "" {
				out += " " + note
			}
			return out, true
		}
	}
	return "", false
}
