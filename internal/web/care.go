package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// carePage is the grid worker's to-do list of care tasks (关爱提醒),
// phone-first: one card per task, most overdue first, with the visit and
// close forms on the card.
type carePage struct {
	Page
	State   string
	States  []Option
	Areas   []Option
	Under   string
	Rows    []civic.CareTask
	Pager   Pager
	Now     time.Time
	CanWork bool
	Errs    FormErrors
	// Refused is the visit or closing form that was refused, shown open
	// on its task with what was typed and why.
	Refused careRefusal
}

// careRefusal is a refused visit ("visit") or closing ("close") of a task.
type careRefusal struct {
	TaskID int64
	Kind   string
	Text   string
}

func (h *Web) careList(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.renderCare(w, r, c, FormErrors{}, careRefusal{})
}

func (h *Web) renderCare(w http.ResponseWriter, r *http.Request, c *rq, errs FormErrors, refused careRefusal) error {
	q := r.URL.Query()
	page := pageOf(q)
	state := civic.CareTaskState(q.Get("state"))
	if !state.Valid() {
		state = civic.CareOpen
	}
	under := underParam(q)
	rows, total, err := h.store.CareTasks(r.Context(), c.Actor, store.CareTaskFilter{Under: under, State: state, Page: storePage(page)})
	if err != nil {
		return err
	}
	if refused.TaskID != 0 && !slices.ContainsFunc(rows, func(t civic.CareTask) bool { return t.ID == refused.TaskID }) {
		// The refused task may be on another page of the list: it comes
		// first, with what was typed.
		if t, err := h.store.GetCareTask(r.Context(), c.Actor, refused.TaskID); err == nil {
			rows = append([]civic.CareTask{t}, rows...)
		}
	}
	p := carePage{Page: h.base(w, c, "care.title", "/care"), State: string(state), Under: under, Rows: rows, Pager: newPager("/care", q, page, total),
		CanWork: c.Actor.Can(civic.PermCareWork), Errs: errs, Now: h.store.Now(), Refused: refused}
	for _, s := range []civic.CareTaskState{civic.CareOpen, civic.CareDone, civic.CareDismissed, civic.CareLapsed} {
		p.States = append(p.States, Option{Value: string(s), Label: s.Label().In(c.Lang), Selected: s == state})
	}
	if p.Areas, err = h.areaOptions(r.Context(), c.Actor, under); err != nil {
		return err
	}
	h.render(w, c, pageStatus(errs), "care", p)
	return nil
}

// careVisit records a household visit for a task's person or house; the
// visit closes the task in the same transaction.
func (h *Web) careVisit(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	t, err := h.store.GetCareTask(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	v := civic.Visit{PersonID: t.PersonID, HouseID: t.HouseID, Notes: r.PostFormValue("notes")}
	if _, err := h.store.RecordVisit(r.Context(), c.Actor, v); err != nil {
		errs, err := formErrors(err, c.Lang)
		if err != nil {
			return err
		}
		return h.renderCare(w, r, c, errs, careRefusal{TaskID: id, Kind: "visit", Text: v.Notes})
	}
	h.flash(w, "flash.care_visited")
	redirect(w, r, "/care")
	return nil
}

func (h *Web) careClose(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	note := r.PostFormValue("note")
	if _, err := h.store.CloseCareTask(r.Context(), c.Actor, id, note); err != nil {
		errs, err := formErrors(err, c.Lang)
		if err != nil {
			return err
		}
		return h.renderCare(w, r, c, errs, careRefusal{TaskID: id, Kind: "close", Text: note})
	}
	h.flash(w, "flash.care_closed")
	redirect(w, r, "/care")
	return nil
}

// careRulesPage lists the care alert rules and, for those who may, a form
// to add one.
type careRulesPage struct {
	Page
	Rules    []civic.CareRule
	CanWrite bool
	Editable map[int64]bool // the rules the user may switch on and off
	Form     careRuleForm
	Errs     FormErrors
	Tags     []Option
	Targets  []Option
	Periods  []Option
}

type careRuleForm struct {
	RegionCode, Name, Target, Period, Days string
	Tags                                   []string
}

func (h *Web) careRules(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.renderCareRules(w, r, c, careRuleForm{RegionCode: c.Actor.Scope.RegionCode, Target: "person", Period: "days", Days: "30"}, FormErrors{})
}

func (h *Web) renderCareRules(w http.ResponseWriter, r *http.Request, c *rq, f careRuleForm, errs FormErrors) error {
	rules, err := h.store.ListCareRules(r.Context(), c.Actor)
	if err != nil {
		return err
	}
	p := careRulesPage{Page: h.base(w, c, "care.rules", "/care"), Rules: rules, CanWrite: c.Actor.Can(civic.PermCareRules), Editable: map[int64]bool{}, Form: f, Errs: errs}
	for _, rule := range rules {
		p.Editable[rule.ID] = store.MayEditCareRule(c.Actor, rule.RegionCode)
	}
	for _, t := range civic.Tags {
		sel := false
		for _, s := range f.Tags {
			sel = sel || s == string(t)
		}
		p.Tags = append(p.Tags, Option{Value: string(t), Label: t.Label().In(c.Lang), Selected: sel})
	}
	for _, t := range []civic.CareTarget{civic.CareTargetPerson, civic.CareTargetHouse} {
		p.Targets = append(p.Targets, Option{Value: string(t), Label: t.Label().In(c.Lang), Selected: string(t) == f.Target})
	}
	for _, s := range []civic.CarePeriod{civic.CareEveryDays, civic.CareEveryMonth, civic.CareEveryQuarter} {
		p.Periods = append(p.Periods, Option{Value: string(s), Label: s.Label().In(c.Lang), Selected: string(s) == f.Period})
	}
	p.Crumbs = []Crumb{{Label: c.T("care.title"), URL: "/care"}, {Label: p.Title}}
	h.render(w, c, pageStatus(errs), "care_rules", p)
	return nil
}

// saveCareRule adds a rule (path without id) or switches one on or off.
func (h *Web) saveCareRule(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	var err error
	f := careRuleForm{RegionCode: strings.TrimSpace(r.PostFormValue("region_code")), Name: r.PostFormValue("name"), Target: r.PostFormValue("target"),
		Period: r.PostFormValue("period"), Days: strings.TrimSpace(r.PostFormValue("days")), Tags: r.PostForm["tags"]}
	if r.PathValue("id") != "" {
		id, perr := pathID(r)
		if perr != nil {
			return perr
		}
		var rule civic.CareRule
		if rule, err = h.store.GetCareRule(r.Context(), c.Actor, id); err != nil {
			return err
		}
		rule.Active = r.PostFormValue("active") == "1"
		_, err = h.store.SaveCareRule(r.Context(), c.Actor, rule)
	} else {
		rule := civic.CareRule{RegionCode: f.RegionCode, Name: f.Name, Target: civic.CareTarget(f.Target), Period: civic.CarePeriod(f.Period), Active: true}
		rule.Days, _ = strconv.Atoi(f.Days)
		for _, t := range f.Tags {
			rule.Tags = append(rule.Tags, civic.Tag(t))
		}
		_, err = h.store.SaveCareRule(r.Context(), c.Actor, rule)
	}
	if err == nil {
		h.flash(w, "flash.saved")
		redirect(w, r, "/care/rules")
		return nil
	}
	errs, err := formErrors(err, c.Lang, "region_code", "name", "target", "tags", "period", "days")
	if err != nil {
		return err
	}
	return h.renderCareRules(w, r, c, f, errs)
}

// pageStatus is 200 for a page shown plainly, the refusal's status when it
// carries a refused form.
func pageStatus(errs FormErrors) int {
	if !errs.Any() {
		return http.StatusOK
	}
	return errs.Status()
}
