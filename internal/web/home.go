package web

import (
	"net/http"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// homePage greets the user and sums up their scope.
type homePage struct {
	Page
	ScopeName  string
	ScopeCode  string
	Streets    int
	Comms      int
	Grids      int
	Unstaffed  int
	StaffNow   int
	Links      []NavItem
	CanStaffW  bool
	ScopeLevel string
	// Queues are the case queues that are the user's to work (待派单, 我的
	// 待办, 待核查, …), each with its count: what staff open the system for.
	Queues []caseTab
	// Territory: the region counts, for staff of a region (a department's
	// or company's staff work cases, not grids); Below says which levels
	// lie below the scope (a grid worker counts no streets).
	Territory bool
	Below     map[string]bool
}

// welcomePage is the home of residents and volunteers: reporting a
// problem first, then how their own reports stand.
type welcomePage struct {
	Page
	CanReport bool
	// Open and ToRate count the user's reports still being handled and
	// those closed and waiting for their rating.
	Open, ToRate int
	Links        []NavItem
}

func (h *Web) home(w http.ResponseWriter, r *http.Request, c *rq) error {
	if !c.Actor.Can(civic.PermRegionRead) {
		return h.welcome(w, r, c)
	}
	ctx := r.Context()
	p := homePage{Page: h.base(w, c, "home.title", "/"), ScopeCode: c.User.Scope.RegionCode, ScopeName: c.User.ScopeName,
		CanStaffW: c.Actor.Can(civic.PermStaffWrite)}
	if l, ok := civic.LevelOfCode(p.ScopeCode); ok {
		p.ScopeLevel = l.Label().In(c.Lang)
	}
	one := store.Page{Limit: 1}
	var err error
	if c.Actor.Can(civic.PermCaseRead) {
		tabs, err := h.queueTabs(ctx, c, "")
		if err != nil {
			return err
		}
		p.Queues = tabs[1:] // every case in scope is no queue to work
	}
	p.Territory = c.Actor.Scope.OrgID == 0
	p.Below = map[string]bool{}
	scopeLevel, ok := civic.LevelOfCode(p.ScopeCode)
	for _, l := range []civic.Level{civic.LevelStreet, civic.LevelCommunity, civic.LevelGrid} {
		p.Below[l.Key()] = !ok || l > scopeLevel
	}
	for _, n := range []struct {
		level civic.Level
		dst   *int
	}{{civic.LevelStreet, &p.Streets}, {civic.LevelCommunity, &p.Comms}, {civic.LevelGrid, &p.Grids}} {
		if _, *n.dst, err = h.store.ListRegions(ctx, c.Actor, store.RegionFilter{Level: n.level, Page: one}); err != nil {
			return err
		}
	}
	if _, p.Unstaffed, err = h.store.ListGrids(ctx, c.Actor, store.GridFilter{Unstaffed: true, Page: one}); err != nil {
		return err
	}
	if c.Actor.Can(civic.PermStaffRead) {
		if _, p.StaffNow, err = h.store.ListStaff(ctx, c.Actor, store.StaffFilter{ActiveOn: h.today(), Page: one}); err != nil {
			return err
		}
	}
	// Quick links are the navigation without home and account.
	for _, n := range p.Nav {
		if n.URL != "/" && n.URL != "/account" {
			p.Links = append(p.Links, n)
		}
	}
	h.render(w, c, http.StatusOK, "home", p)
	return nil
}

func (h *Web) welcome(w http.ResponseWriter, r *http.Request, c *rq) error {
	p := welcomePage{Page: h.base(w, c, "welcome.title", "/"), CanReport: c.Actor.Can(civic.PermCaseReport)}
	if c.User.ID != 0 {
		one := store.Page{Limit: 1}
		open := []civic.CaseState{civic.StateReported, civic.StateAccepted, civic.StateDispatched, civic.StateInProgress, civic.StateHandled}
		var err error
		if _, p.Open, err = h.store.ListCases(r.Context(), c.Actor, store.CaseFilter{ReporterID: c.User.ID, States: open, Page: one}); err != nil {
			return err
		}
		if _, p.ToRate, err = h.store.ListCases(r.Context(), c.Actor, store.CaseFilter{ReporterID: c.User.ID, States: []civic.CaseState{civic.StateClosed}, Page: one}); err != nil {
			return err
		}
	}
	for _, n := range p.Nav {
		if n.URL != "/" && n.URL != "/account" && n.URL != "/report" {
			p.Links = append(p.Links, n)
		}
	}
	h.render(w, c, http.StatusOK, "welcome", p)
	return nil
}
