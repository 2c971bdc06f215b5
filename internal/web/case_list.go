package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// casesPage is the staff case list (工单) with its queues as tabs.
type casesPage struct {
	Page
	Filter     caseQuery
	Tabs       []caseTab
	TabStates  bool // the active tab fixes the states, so the state filter is hidden
	States     []Option
	Sources    []Option
	Categories []Option
	Areas      []Option
	Rows       []caseRow
	Pager      Pager
	Notes      []string
	Drill      string // which assessment figure the list shows, if any
	CanReport  bool
	ResetURL   string
}

// caseQuery is the filter form as typed.
type caseQuery struct {
	Tab      string
	State    string
	Q        string
	Category string
	Source   string
	Under    string
	From, To string
	Overdue  bool
	// The cases behind one figure of an assessment (/assessment):
	// level, period, unit key and figure name.
	Level, Period, Unit, Fig string
}

// caseTab is one queue. A queue is a saved filter that the user's role
// makes meaningful.
type caseTab struct {
	Key    string
	Label  string
	URL    string
	Count  int
	Active bool
}

// caseQueues are the tabs in order; "" is every case in scope.
var caseQueues = []string{"", "dispatch", "tasks", "verify", "visit", "approve", "overdue"}

// queueTabs are the actor's queues in order, "" (every case) first, each
// but that one counted: the case list's tabs and the home page's tiles.
func (h *Web) queueTabs(ctx context.Context, c *rq, active string) ([]caseTab, error) {
	var tabs []caseTab
	for _, key := range caseQueues {
		tf, ok := queue(c.Actor, key)
		if !ok {
			continue
		}
		t := caseTab{Key: key, Label: c.T("cases.tab." + tabName(key)), URL: "/cases", Active: key == active}
		if key != "" {
			t.URL += "?tab=" + key
			// The counts are what makes a queue useful at a glance.
			tf.Page = store.Page{Limit: 1}
			var err error
			if _, t.Count, err = h.store.ListCases(ctx, c.Actor, tf); err != nil {
				return nil, err
			}
		}
		tabs = append(tabs, t)
	}
	return tabs, nil
}

// queue returns the filter of a tab for the actor, or false when the tab
// is not theirs.
func queue(a civic.Actor, tab string) (store.CaseFilter, bool) {
	switch tab {
	case "":
		return store.CaseFilter{}, true
	case "dispatch":
		return store.CaseFilter{States: []civic.CaseState{civic.StateReported, civic.StateAccepted}}, a.Can(civic.PermCaseDispatch)
	case "tasks":
		f := store.CaseFilter{States: []civic.CaseState{civic.StateDispatched, civic.StateInProgress}}
		// A department or property company works what is dispatched to
		// it; grid, community and street staff what is dispatched to their
		// own level of the region tree.
		if a.Scope.OrgID != 0 {
			f.HandlerOrgID = a.Scope.OrgID
		} else {
			f.HandlerRegion = a.Scope.RegionCode
		}
		return f, a.Can(civic.PermCaseHandle) && (f.HandlerOrgID != 0 || f.HandlerRegion != "")
	case "verify":
		return store.CaseFilter{States: []civic.CaseState{civic.StateHandled}}, a.Can(civic.PermCaseVerify)
	case "visit":
		return store.CaseFilter{States: []civic.CaseState{civic.StateClosed}}, a.Can(civic.PermCaseVisit)
	case "approve":
		// Supervisors decide extension and suspension requests.
		return store.CaseFilter{PendingRequest: true}, a.Can(civic.PermCaseApprove)
	case "overdue":
		return store.CaseFilter{Overdue: true}, true
	}
	return store.CaseFilter{}, false
}

// parseCaseQuery reads the filters; values that are not what they claim
// to be are dropped rather than passed on.
func parseCaseQuery(q url.Values) caseQuery {
	f := caseQuery{Tab: q.Get("tab"), Q: strings.TrimSpace(q.Get("q")), Under: underParam(q), Overdue: q.Get("overdue") == "1",
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
		Level: q.Get("level"), Period: q.Get("period"), Unit: q.Get("unit"), Fig: q.Get("fig")}
	if s := civic.CaseState(q.Get("state")); s.Valid() {
		f.State = string(s)
	}
	if s := civic.Source(q.Get("source")); s.Valid() {
		f.Source = string(s)
	}
	if c := strings.TrimSpace(q.Get("category")); c != "" && isDigitString(c) {
		f.Category = c
	}
	return f
}

func isDigitString(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// filter turns the form into a store filter on top of the tab's; dates are
// China dates, and "to" includes its whole day. Bad dates come back as
// notes for the page.
func (f caseQuery) filter(base store.CaseFilter, lang string) (store.CaseFilter, []string) {
	var notes []string
	sf := base
	if len(sf.States) == 0 && f.State != "" {
		sf.States = []civic.CaseState{civic.CaseState(f.State)}
	}
	sf.Query, sf.CategoryCode, sf.Source, sf.Under = f.Q, f.Category, civic.Source(f.Source), f.Under
	sf.Overdue = sf.Overdue || f.Overdue
	for _, d := range []struct {
		s    string
		dst  *time.Time
		next bool
	}{{f.From, &sf.From, false}, {f.To, &sf.To, true}} {
		if d.s == "" {
			continue
		}
		t, err := time.ParseInLocation(civic.DateLayout, d.s, civic.ChinaTime)
		if err != nil {
			notes = append(notes, tr(lang, "cases.bad_date")+d.s)
			continue
		}
		if d.next {
			t = t.AddDate(0, 0, 1)
		}
		*d.dst = t
	}
	return sf, notes
}

func (h *Web) caseList(w http.ResponseWriter, r *http.Request, c *rq) error {
	ctx := r.Context()
	q := r.URL.Query()
	f := parseCaseQuery(q)
	base, ok := queue(c.Actor, f.Tab)
	if !ok {
		f.Tab, base = "", store.CaseFilter{}
	}
	sf, notes := f.filter(base, c.Lang)
	drill, err := h.caseDrill(ctx, c, f, &sf)
	if err != nil {
		return err
	}
	page := pageOf(q)
	sf.Page = storePage(page)
	rows, total, err := h.store.ListCases(ctx, c.Actor, sf)
	if err != nil {
		return err
	}
	cat, err := h.catalogue(ctx)
	if err != nil {
		return err
	}
	p := casesPage{Page: h.base(w, c, "cases.title", "/cases"), Filter: f, TabStates: len(base.States) > 0,
		Rows: h.caseRows(c.Lang, cat, rows, false), Pager: newPager("/cases", q, page, total), Notes: notes, Drill: drill,
		CanReport: c.Actor.Can(civic.PermCaseReport), ResetURL: "/cases"}
	if f.Tab != "" {
		p.ResetURL += "?tab=" + f.Tab
	}
	if isHX(r) {
		h.list(w, r, c, "cases", p)
		return nil
	}
	if p.Tabs, err = h.queueTabs(ctx, c, f.Tab); err != nil {
		return err
	}
	for _, s := range civic.CaseStates {
		p.States = append(p.States, Option{Value: string(s), Label: s.Label().In(c.Lang), Selected: string(s) == f.State})
	}
	for _, s := range []civic.Source{civic.SourceResident, civic.SourcePatrol, civic.SourceHotline, civic.SourceQR, civic.SourceAPI} {
		p.Sources = append(p.Sources, Option{Value: string(s), Label: s.Label().In(c.Lang), Selected: string(s) == f.Source})
	}
	p.Categories = cat.options(c.Lang, f.Category)
	if p.Areas, err = h.areaOptions(ctx, c.Actor, f.Under); err != nil {
		return err
	}
	h.list(w, r, c, "cases", p)
	return nil
}

// caseDrill narrows the list to the cases behind an assessment figure
// when the query names one, and says which in the user's language. The
// store recomputes the figure in the user's scope: nothing but the
// figure's name travels in the URL.
func (h *Web) caseDrill(ctx context.Context, c *rq, f caseQuery, sf *store.CaseFilter) (string, error) {
	if f.Fig == "" && f.Unit == "" {
		return "", nil
	}
	p, err := civic.ParsePeriod(f.Period, h.store.Now())
	if err != nil {
		return "", err
	}
	fig := store.AssessmentFigure{AssessmentQuery: store.AssessmentQuery{Level: civic.AssessLevel(f.Level), Period: p}, Unit: f.Unit, Figure: f.Fig}
	name, err := h.store.AssessmentUnitName(ctx, f.Unit)
	if err != nil {
		return "", err
	}
	if name == "" {
		name = f.Unit
	}
	// The figure counts events (a case dispatched twice counts twice);
	// the list shows each case once, so say both when they differ. The
	// cases are computed once, here, for the note and the list.
	ids, n, err := h.store.AssessmentCases(ctx, c.Actor, fig)
	if err != nil {
		return "", err
	}
	sf.IDs = ids
	text := fmt.Sprintf(c.T("assess.drill"), name, periodLabel(c, p), c.T("assess.fig."+f.Fig), n)
	if n != len(ids) {
		text += fmt.Sprintf(c.T("assess.drill_cases"), len(ids))
	}
	return text, nil
}

func tabName(key string) string {
	if key == "" {
		return "all"
	}
	return key
}

// myCasesPage lists what the user reported, with how far each has got.
type myCasesPage struct {
	Page
	Rows      []caseRow
	Pager     Pager
	CanReport bool
}

func (h *Web) myCases(w http.ResponseWriter, r *http.Request, c *rq) error {
	ctx := r.Context()
	q := r.URL.Query()
	page := pageOf(q)
	rows, total, err := h.store.ListCases(ctx, c.Actor, store.CaseFilter{ReporterID: c.User.ID, Page: storePage(page)})
	if err != nil {
		return err
	}
	cat, err := h.catalogue(ctx)
	if err != nil {
		return err
	}
	p := myCasesPage{Page: h.base(w, c, "mycases.title", "/my/cases"), Rows: h.caseRows(c.Lang, cat, rows, true),
		Pager: newPager("/my/cases", q, page, total), CanReport: c.Actor.Can(civic.PermCaseReport)}
	h.list(w, r, c, "case_mine", p)
	return nil
}
