package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// organisationsPage lists organisations (departments, property companies,
// party organisations …) in the user's scope.
type organisationsPage struct {
	Page
	Filter   orgQuery
	Kinds    []Option
	Rows     []civic.Organisation
	Pager    Pager
	CanWrite bool
}

type orgQuery struct {
	Q    string
	Kind string
}

func kindOptions(lang, selected string) []Option {
	out := make([]Option, 0, len(civic.OrgKinds))
	for _, k := range civic.OrgKinds {
		out = append(out, Option{Value: string(k), Label: k.Label().In(lang), Selected: string(k) == selected})
	}
	return out
}

func (h *Web) organisations(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	f := orgQuery{Q: strings.TrimSpace(q.Get("q"))}
	if k := civic.OrgKind(q.Get("kind")); k.Valid() {
		f.Kind = string(k)
	}
	page := pageOf(q)
	rows, total, err := h.store.ListOrganisations(r.Context(), c.Actor, store.OrgFilter{Kind: civic.OrgKind(f.Kind), Query: f.Q, Page: storePage(page)})
	if err != nil {
		return err
	}
	p := organisationsPage{Page: h.base(w, c, "orgs.title", "/organisations"), Filter: f, Kinds: kindOptions(c.Lang, f.Kind),
		Rows: rows, Pager: newPager("/organisations", q, page, total), CanWrite: c.Actor.Can(civic.PermOrgWrite)}
	h.list(w, r, c, "organisations", p)
	return nil
}

// orgForm is the organisation form as typed.
type orgForm struct {
	ID         int64
	Name       string
	Kind       string
	RegionCode string
	Phone      string
	Address    string
}

var orgFields = []string{"name", "kind", "region_code", "phone", "address"}

// orgFormPage is the add and edit page.
type orgFormPage struct {
	Page
	Form    orgForm
	Errs    FormErrors
	Kinds   []Option
	Regions []Option
	Action  string
	Editing bool
}

func (h *Web) orgFormPage(w http.ResponseWriter, r *http.Request, c *rq, f orgForm, errs FormErrors) (orgFormPage, error) {
	p := orgFormPage{Page: h.base(w, c, "orgs.new", "/organisations"), Form: f, Errs: errs, Kinds: kindOptions(c.Lang, f.Kind), Action: "/organisations/new"}
	if f.ID != 0 {
		p.Title, p.Editing, p.Action = c.T("orgs.edit"), true, fmt.Sprintf("/organisations/%d/edit", f.ID)
	}
	p.Crumbs = []Crumb{{Label: c.T("orgs.title"), URL: "/organisations"}, {Label: p.Title}}
	var err error
	p.Regions, err = h.jurisdictionOptions(r.Context(), c.Actor)
	return p, err
}

// jurisdictionOptions suggests regions down to communities; a grid's code
// can still be typed.
func (h *Web) jurisdictionOptions(ctx context.Context, a civic.Actor) ([]Option, error) {
	var out []Option
	for _, l := range []civic.Level{civic.LevelCity, civic.LevelDistrict, civic.LevelStreet, civic.LevelCommunity} {
		rs, _, err := h.store.ListRegions(ctx, a, store.RegionFilter{Level: l, Page: store.Page{Limit: 10000}})
		if err != nil {
			return nil, err
		}
		for _, g := range rs {
			out = append(out, Option{Value: g.Code, Label: g.Name})
		}
	}
	return out, nil
}

func (h *Web) newOrganisation(w http.ResponseWriter, r *http.Request, c *rq) error {
	p, err := h.orgFormPage(w, r, c, orgForm{RegionCode: c.Actor.Scope.RegionCode}, FormErrors{})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "organisation_form", p)
	return nil
}

func (h *Web) createOrganisation(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.saveOrganisation(w, r, c, 0)
}

func (h *Web) editOrganisation(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := h.store.GetOrganisation(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	f := orgForm{ID: o.ID, Name: o.Name, Kind: string(o.Kind), RegionCode: o.RegionCode, Phone: o.Phone, Address: o.Address}
	p, err := h.orgFormPage(w, r, c, f, FormErrors{})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "organisation_form", p)
	return nil
}

func (h *Web) updateOrganisation(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return h.saveOrganisation(w, r, c, id)
}

func (h *Web) saveOrganisation(w http.ResponseWriter, r *http.Request, c *rq, id int64) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := orgForm{ID: id, Name: v("name"), Kind: v("kind"), RegionCode: v("region_code"), Phone: v("phone"), Address: v("address")}
	o := civic.Organisation{ID: id, Name: f.Name, Kind: civic.OrgKind(f.Kind), RegionCode: f.RegionCode, Phone: f.Phone, Address: f.Address}
	var err error
	if id == 0 {
		_, err = h.store.CreateOrganisation(r.Context(), c.Actor, o)
	} else {
		_, err = h.store.UpdateOrganisation(r.Context(), c.Actor, o)
	}
	if err == nil {
		h.flash(w, "flash.saved")
		redirect(w, r, "/organisations")
		return nil
	}
	errs, err := formErrors(err, c.Lang, orgFields...)
	if err != nil {
		return err
	}
	p, err := h.orgFormPage(w, r, c, f, errs)
	if err != nil {
		return err
	}
	h.render(w, c, errs.Status(), "organisation_form", p)
	return nil
}
