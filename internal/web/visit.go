package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// Household visits (走访): the worker finds the person or house in their
// grid, records what they saw and when to come back; the list shows what
// is due and what they did.

// pick is the person-or-house chooser of the visit and correction forms: a
// search box over the people and houses in scope, each result a link.
type pick struct {
	Action string // the form page the results link back to
	Q      string
	People []civic.Person
	Houses []civic.House
}

func (h *Web) pick(ctx context.Context, a civic.Actor, action, q string) (pick, error) {
	p := pick{Action: action, Q: strings.TrimSpace(q)}
	var err error
	if p.People, _, err = h.store.ListPeople(ctx, a, store.PeopleFilter{Query: p.Q, Page: store.Page{Limit: 20}}); err != nil {
		return p, err
	}
	if p.Houses, _, err = h.store.ListHouses(ctx, a, store.PlaceFilter{Query: p.Q, Page: store.Page{Limit: 20}}); err != nil {
		return p, err
	}
	return p, nil
}

// target is the person or house a form is about, from ?person= or ?house=.
type target struct {
	Person *civic.Person
	House  *civic.House
}

func (t target) Chosen() bool { return t.Person != nil || t.House != nil }

func (h *Web) target(ctx context.Context, a civic.Actor, person, house string) (target, error) {
	var t target
	if id, err := strconv.ParseInt(person, 10, 64); err == nil && id > 0 {
		p, err := h.store.GetPerson(ctx, a, id)
		if err != nil {
			return t, err
		}
		t.Person = &p
	} else if id, err := strconv.ParseInt(house, 10, 64); err == nil && id > 0 {
		hs, err := h.store.GetHouse(ctx, a, id)
		if err != nil {
			return t, err
		}
		t.House = &hs
	}
	return t, nil
}

// visitsPage lists visits due and the worker's recent ones.
type visitsPage struct {
	Page
	Due    []civic.Visit
	Recent []civic.Visit
	// CanRecord: the viewer records visits (leaders only read them, so
	// the list is not a set of links to a form they may not use).
	CanRecord bool
}

// visitItem is one row of the visits page: a link to the next visit's
// form for those who record visits.
type visitItem struct {
	Visit civic.Visit
	Link  bool
}

// Item is v as a row of p.
func (p visitsPage) Item(v civic.Visit) visitItem { return visitItem{Visit: v, Link: p.CanRecord} }

func (h *Web) visits(w http.ResponseWriter, r *http.Request, c *rq) error {
	ctx := r.Context()
	p := visitsPage{Page: h.base(w, c, "visit.title", "/field"), CanRecord: c.Actor.Can(civic.PermVisitRecord)}
	var err error
	if p.Due, _, err = h.store.ListVisits(ctx, c.Actor, store.VisitFilter{DueBy: h.today(), Page: store.Page{Limit: 100}}); err != nil {
		return err
	}
	if p.Recent, _, err = h.store.ListVisits(ctx, c.Actor, store.VisitFilter{VisitorID: c.Actor.UserID, Page: store.Page{Limit: 30}}); err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "visits", p)
	return nil
}

// visitForm is the visit form as typed.
type visitForm struct {
	Notes, Needs, NextVisit string
}

// visitFormPage picks whom to visit, then records the visit.
type visitFormPage struct {
	Page
	Pick   pick
	Target target
	Form   visitForm
	Errs   FormErrors
	Today  string
}

func (h *Web) newVisit(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	return h.showVisitForm(w, r, c, q.Get("person"), q.Get("house"), visitForm{}, FormErrors{}, http.StatusOK)
}

func (h *Web) showVisitForm(w http.ResponseWriter, r *http.Request, c *rq, person, house string, f visitForm, errs FormErrors, status int) error {
	ctx := r.Context()
	p := visitFormPage{Page: h.base(w, c, "visit.new", "/field"), Form: f, Errs: errs, Today: h.today()}
	p.Crumbs = []Crumb{{Label: c.T("field.title"), URL: "/field"}, {Label: p.Title}}
	var err error
	if p.Target, err = h.target(ctx, c.Actor, person, house); err != nil {
		return err
	}
	if !p.Target.Chosen() {
		if p.Pick, err = h.pick(ctx, c.Actor, "/visits/new", r.URL.Query().Get("q")); err != nil {
			return err
		}
	}
	h.render(w, c, status, "visit_form", p)
	return nil
}

func (h *Web) recordVisit(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := visitForm{Notes: v("notes"), Needs: v("needs"), NextVisit: v("next_visit")}
	vis := civic.Visit{Notes: f.Notes, Needs: f.Needs, NextVisit: f.NextVisit}
	vis.PersonID, _ = strconv.ParseInt(v("person"), 10, 64)
	vis.HouseID, _ = strconv.ParseInt(v("house"), 10, 64)
	if _, err := h.store.RecordVisit(r.Context(), c.Actor, vis); err != nil {
		errs, ferr := formErrors(err, c.Lang, "notes", "needs", "next_visit")
		if ferr != nil {
			return ferr
		}
		return h.showVisitForm(w, r, c, v("person"), v("house"), f, errs, errs.Status())
	}
	h.flash(w, "flash.visit_recorded")
	redirect(w, r, "/field")
	return nil
}
