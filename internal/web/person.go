package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// People (实有人口): search, a person's page with their houses, tags,
// visits and cases, the register and edit form, and unmasking. ID and
// phone numbers are shown masked everywhere; the unmask action answers a
// POST with the numbers in that one response (no-store), so a reload or
// the back button shows them masked again.

// peoplePage is the people search.
type peoplePage struct {
	Page
	Filter   peopleQuery
	Areas    []Option
	Tags     []Option
	Rows     []civic.Person
	Pager    Pager
	CanWrite bool
}

// peopleQuery is the search form as typed.
type peopleQuery struct {
	Q        string
	Tag      string
	Under    string
	Unlinked bool
}

func parsePeopleQuery(q url.Values) peopleQuery {
	f := peopleQuery{Q: strings.TrimSpace(q.Get("q")), Under: underParam(q), Unlinked: q.Get("unlinked") == "1"}
	if t, ok := civic.ParseTag(q.Get("tag")); ok {
		f.Tag = string(t)
	}
	return f
}

func tagOptions(lang string, selected []string, manualOnly bool) []Option {
	out := make([]Option, 0, len(civic.Tags))
	for _, t := range civic.Tags {
		if manualOnly && t.Derived() {
			continue
		}
		out = append(out, Option{Value: string(t), Label: t.Label().In(lang), Selected: slices.Contains(selected, string(t))})
	}
	return out
}

func (h *Web) people(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	pagerQ := q
	// The search form posts, so that an ID or phone number typed into it
	// never lands in the address bar, the browser history or access logs.
	// A name or address search gets its URL back, for paging and sharing.
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return err
		}
		q, pagerQ = r.PostForm, r.PostForm
		if _, number := civic.ExactNumber(q.Get("q")); number {
			pagerQ = url.Values{}
			for k, v := range q {
				if k != "q" {
					pagerQ[k] = v
				}
			}
		} else if isHX(r) {
			w.Header().Set("HX-Push-Url", "/people?"+q.Encode())
		} else {
			http.Redirect(w, r, "/people?"+q.Encode(), http.StatusSeeOther)
			return nil
		}
	}
	f := parsePeopleQuery(q)
	page := pageOf(q)
	rows, total, err := h.store.ListPeople(r.Context(), c.Actor, store.PeopleFilter{Under: f.Under, Query: f.Q, Tag: civic.Tag(f.Tag), Unlinked: f.Unlinked, Page: storePage(page)})
	if err != nil {
		return err
	}
	p := peoplePage{Page: h.base(w, c, "person.title", "/people"), Filter: f, Rows: rows, Pager: newPager("/people", pagerQ, page, total),
		Tags: tagOptions(c.Lang, []string{f.Tag}, false), CanWrite: c.Actor.Can(civic.PermPeopleWrite)}
	if !isHX(r) {
		if p.Areas, err = h.areaOptions(r.Context(), c.Actor, f.Under); err != nil {
			return err
		}
		// Grids too: a grid worker's search is by grid.
		grids, err := h.placeRegionOptions(r.Context(), c.Actor, f.Under, civic.LevelGrid)
		if err != nil {
			return err
		}
		p.Areas = mergeAreaOptions(p.Areas, grids)
	}
	h.list(w, r, c, "people", p)
	return nil
}

// mergeAreaOptions adds grids after their community in an area list,
// dropping a placeholder for a selected grid.
func mergeAreaOptions(areas, grids []Option) []Option {
	var out []Option
	for _, a := range areas {
		if _, isGrid := slices.BinarySearchFunc(grids, a.Value, func(o Option, v string) int { return strings.Compare(o.Value, v) }); isGrid {
			continue
		}
		out = append(out, a)
	}
	for _, g := range grids {
		at := len(out)
		for i, a := range out {
			if strings.HasPrefix(g.Value, a.Value) {
				at = i + 1
			}
		}
		for at < len(out) && strings.HasPrefix(out[at].Value, g.Value[:12]) && out[at].Value < g.Value {
			at++
		}
		g.Indent = true
		out = slices.Insert(out, at, g)
	}
	return out
}

// personPage is one person: masked numbers (or, right after an unmask,
// the numbers in clear), houses, tags with history, visits and cases.
type personPage struct {
	Page
	Person    civic.Person
	Current   []civic.HouseLink
	Past      []civic.HouseLink
	History   []civic.TagChange
	Visits    []civic.Visit
	Cases     []civic.Case
	CanWrite  bool
	CanUnmask bool
	CanCases  bool
	// Clear holds the numbers after an unmask, for this response only.
	Clear  *unmasked
	Reason string
	Errs   FormErrors
}

type unmasked struct {
	IDNumber, Phone string
}

func (h *Web) person(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.showPerson(w, r, c, nil, "", FormErrors{})
}

func (h *Web) showPerson(w http.ResponseWriter, r *http.Request, c *rq, clear *unmasked, reason string, errs FormErrors) error {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pp, err := h.store.GetPerson(ctx, c.Actor, id)
	if err != nil {
		return err
	}
	p := personPage{Page: h.base(w, c, "person.title", "/people"), Person: pp, CanWrite: c.Actor.Can(civic.PermPeopleWrite),
		CanUnmask: c.Actor.Can(civic.PermPeopleUnmask), CanCases: c.Actor.Can(civic.PermCaseRead), Clear: clear, Reason: reason, Errs: errs}
	links, err := h.store.PersonHouses(ctx, c.Actor, id)
	if err != nil {
		return err
	}
	for _, l := range links {
		if l.Current() {
			p.Current = append(p.Current, l)
		} else {
			p.Past = append(p.Past, l)
		}
	}
	if p.History, err = h.store.TagHistory(ctx, c.Actor, id); err != nil {
		return err
	}
	for i, ch := range p.History {
		if store.IsSystemTagReason(ch.Reason) {
			p.History[i].Reason = inLang(c.Lang, ch.Reason)
		}
	}
	if p.Visits, _, err = h.store.ListVisits(ctx, c.Actor, store.VisitFilter{PersonID: id, Page: store.Page{Limit: 20}}); err != nil {
		return err
	}
	if p.CanCases {
		if p.Cases, err = h.store.PersonCases(ctx, c.Actor, id); err != nil {
			return err
		}
	}
	p.Title = pp.Name
	p.Crumbs = []Crumb{{Label: c.T("person.title"), URL: "/people"}, {Label: pp.Name}}
	status := http.StatusOK
	if errs.Any() {
		status = errs.Status()
	}
	h.render(w, c, status, "person", p)
	return nil
}

// unmaskPerson shows the numbers in clear once, for a reason the store
// writes to the audit log.
func (h *Web) unmaskPerson(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	idNumber, phone, err := h.store.UnmaskPerson(r.Context(), c.Actor, id, reason)
	if err != nil {
		errs, err := formErrors(err, c.Lang, "reason")
		if err != nil {
			return err
		}
		return h.showPerson(w, r, c, nil, reason, errs)
	}
	return h.showPerson(w, r, c, &unmasked{IDNumber: idNumber, Phone: phone}, "", FormErrors{})
}

// personForm is the register and edit form as typed. On edit the ID and
// phone fields hold the masked numbers, which the store reads as
// "unchanged" unless retyped.
type personForm struct {
	ID                                                int64
	GridCode, Name, Gender, BirthDate, IDType         string
	IDNumber, Phone, ResidenceType, Ethnic, Workplace string
	Note, Reason                                      string
	Tags                                              []string
	// Derived are the tags the data sets, shown for information.
	Derived []civic.Tag
}

var personFields = []string{"grid_code", "name", "gender", "birth_date", "id_type", "id_number", "phone", "residence_type", "ethnic", "workplace", "note", "tags"}

func personFormOf(p civic.Person) personForm {
	f := personForm{ID: p.ID, GridCode: p.GridCode, Name: p.Name, Gender: string(p.Gender), BirthDate: p.BirthDate, IDType: string(p.IDType),
		IDNumber: p.IDNumber, Phone: p.Phone, ResidenceType: string(p.ResidenceType), Ethnic: p.Ethnic, Workplace: p.Workplace, Note: p.Note}
	for _, t := range p.Tags {
		if t.Derived() {
			f.Derived = append(f.Derived, t)
		} else {
			f.Tags = append(f.Tags, string(t))
		}
	}
	return f
}

func (f personForm) person() civic.Person {
	p := civic.Person{ID: f.ID, GridCode: f.GridCode, Name: f.Name, Gender: civic.Gender(f.Gender), BirthDate: f.BirthDate, IDType: civic.IDType(f.IDType),
		IDNumber: f.IDNumber, Phone: f.Phone, ResidenceType: civic.ResidenceType(f.ResidenceType), Ethnic: f.Ethnic, Workplace: f.Workplace, Note: f.Note}
	for _, t := range f.Tags {
		p.Tags = append(p.Tags, civic.Tag(t))
	}
	return p
}

type personFormPage struct {
	Page
	Form       personForm
	Errs       FormErrors
	Grids      []Option
	Genders    []Option
	IDTypes    []Option
	Residences []Option
	Tags       []Option
	Action     string
	Editing    bool
}

func (h *Web) personFormPage(w http.ResponseWriter, r *http.Request, c *rq, f personForm, errs FormErrors) (personFormPage, error) {
	p := personFormPage{Page: h.base(w, c, "person.new", "/people"), Form: f, Errs: errs, Action: "/people/new", Tags: tagOptions(c.Lang, f.Tags, true)}
	if f.ID != 0 {
		p.Title, p.Editing, p.Action = c.T("person.edit"), true, fmt.Sprintf("/people/%d/edit", f.ID)
	}
	p.Crumbs = []Crumb{{Label: c.T("person.title"), URL: "/people"}, {Label: p.Title}}
	for _, g := range []civic.Gender{civic.GenderMale, civic.GenderFemale} {
		p.Genders = append(p.Genders, Option{Value: string(g), Label: g.Label().In(c.Lang), Selected: string(g) == f.Gender})
	}
	for _, t := range civic.IDTypes {
		p.IDTypes = append(p.IDTypes, Option{Value: string(t), Label: t.Label().In(c.Lang), Selected: string(t) == f.IDType})
	}
	for _, rt := range civic.ResidenceTypes {
		p.Residences = append(p.Residences, Option{Value: string(rt), Label: rt.Label().In(c.Lang), Selected: string(rt) == f.ResidenceType})
	}
	var err error
	p.Grids, err = h.placeRegionOptions(r.Context(), c.Actor, f.GridCode, civic.LevelGrid, civic.LevelMicroGrid)
	return p, err
}

func (h *Web) newPerson(w http.ResponseWriter, r *http.Request, c *rq) error {
	f := personForm{GridCode: r.URL.Query().Get("grid"), IDType: string(civic.IDResident), ResidenceType: string(civic.ResidenceHukou), Ethnic: "汉族"}
	p, err := h.personFormPage(w, r, c, f, FormErrors{})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "person_form", p)
	return nil
}

func (h *Web) editPerson(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pp, err := h.store.GetPerson(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	p, err := h.personFormPage(w, r, c, personFormOf(pp), FormErrors{})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "person_form", p)
	return nil
}

func (h *Web) savePerson(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := personForm{GridCode: v("grid_code"), Name: v("name"), Gender: v("gender"), BirthDate: v("birth_date"), IDType: v("id_type"), IDNumber: v("id_number"),
		Phone: v("phone"), ResidenceType: v("residence_type"), Ethnic: v("ethnic"), Workplace: v("workplace"), Note: v("note"), Reason: v("reason"), Tags: r.PostForm["tags"]}
	var err error
	if f.ID, err = optionalPathID(r); err != nil {
		return err
	}
	pp, err := h.store.SavePerson(r.Context(), c.Actor, f.person(), f.Reason)
	if err == nil {
		h.flash(w, "flash.saved")
		redirect(w, r, fmt.Sprintf("/people/%d", pp.ID))
		return nil
	}
	errs, err := formErrors(err, c.Lang, personFields...)
	if err != nil {
		return err
	}
	p, err := h.personFormPage(w, r, c, f, errs)
	if err != nil {
		return err
	}
	h.render(w, c, errs.Status(), "person_form", p)
	return nil
}
