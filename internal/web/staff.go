package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

// staffPage is the grid staff ledger (网格员台账).
type staffPage struct {
	Page
	Filter    staffQuery
	Areas     []Option
	Positions []Option
	Rows      []civic.Staff
	Pager     Pager
	ExportURL string
	CanWrite  bool
	Today     string
}

// staffQuery is the filter form as typed.
type staffQuery struct {
	Q        string
	Under    string
	Position string
	Serving  bool
}

func parseStaffQuery(q url.Values) staffQuery {
	f := staffQuery{Q: strings.TrimSpace(q.Get("q")), Under: underParam(q), Serving: q.Get("serving") == "1"}
	if p := civic.Position(q.Get("position")); p.Valid() {
		f.Position = string(p)
	}
	return f
}

func (f staffQuery) store(today string, p store.Page) store.StaffFilter {
	sf := store.StaffFilter{Under: f.Under, Position: civic.Position(f.Position), Query: f.Q, Page: p}
	if f.Serving {
		sf.ActiveOn = today
	}
	return sf
}

// positionOptions lists the posts for a select.
func positionOptions(lang, selected string) []Option {
	out := make([]Option, 0, len(civic.Positions))
	for _, p := range civic.Positions {
		out = append(out, Option{Value: string(p), Label: p.Label().In(lang), Selected: string(p) == selected})
	}
	return out
}

func (h *Web) staffList(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	f := parseStaffQuery(q)
	page := pageOf(q)
	today := h.today()
	rows, total, err := h.store.ListStaff(r.Context(), c.Actor, f.store(today, storePage(page)))
	if err != nil {
		return err
	}
	p := staffPage{Page: h.base(w, c, "staff.title", "/staff"), Filter: f, Rows: rows, Pager: newPager("/staff", q, page, total),
		ExportURL: withQuery("/staff/export.xlsx", q), CanWrite: c.Actor.Can(civic.PermStaffWrite), Today: today,
		Positions: positionOptions(c.Lang, f.Position)}
	if !isHX(r) {
		if p.Areas, err = h.areaOptions(r.Context(), c.Actor, f.Under); err != nil {
			return err
		}
	}
	h.list(w, r, c, "staff", p)
	return nil
}

func (h *Web) exportStaff(w http.ResponseWriter, r *http.Request, c *rq) error {
	f := parseStaffQuery(r.URL.Query())
	today := h.today()
	t := sheet.Table{Sheet: c.T("staff.title"), Widths: []float64{18, 18, 12, 16, 16, 12, 12, 10, 30}}
	for _, k := range []string{"staff.grid_code", "staff.grid", "staff.name", "staff.position", "staff.phone", "staff.start_date", "staff.end_date", "staff.status", "staff.note"} {
		t.Header = append(t.Header, c.T(k))
	}
	for off := 0; ; off += exportPage {
		rows, total, err := h.store.ListStaff(r.Context(), c.Actor, f.store(today, store.Page{Limit: exportPage, Offset: off}))
		if err != nil {
			return err
		}
		for _, s := range rows {
			status := c.T("staff.left")
			if s.Active(today) {
				status = c.T("staff.serving")
			}
			t.Rows = append(t.Rows, []any{s.GridCode, s.GridName, s.Name, s.Position.Label().In(c.Lang), s.Phone, s.StartDate, s.EndDate, status, s.Note})
		}
		if off+exportPage >= total {
			break
		}
	}
	return sendXLSX(w, "staff-"+today+".xlsx", t)
}

// staffDetailPage shows one ledger entry.
type staffDetailPage struct {
	Page
	Staff    civic.Staff
	OrgName  string
	Serving  bool
	CanWrite bool
}

// staffOf loads the entry named in the path, within the user's scope.
func (h *Web) staffOf(r *http.Request, c *rq) (civic.Staff, error) {
	id, err := pathID(r)
	if err != nil {
		return civic.Staff{}, err
	}
	return h.store.GetStaff(r.Context(), c.Actor, id)
}

func (h *Web) staffDetail(w http.ResponseWriter, r *http.Request, c *rq) error {
	s, err := h.staffOf(r, c)
	if err != nil {
		return err
	}
	p := staffDetailPage{Page: h.base(w, c, "staff.title", "/staff"), Staff: s, Serving: s.Active(h.today()), CanWrite: c.Actor.Can(civic.PermStaffWrite)}
	if s.OrgID != 0 {
		// An organisation outside the viewer's scope stays unnamed.
		if o, err := h.store.GetOrganisation(r.Context(), c.Actor, s.OrgID); err == nil {
			p.OrgName = o.Name
		}
	}
	p.Title = s.Name
	p.Crumbs = []Crumb{{Label: c.T("staff.title"), URL: "/staff"}, {Label: s.Name}}
	h.render(w, c, http.StatusOK, "staff_detail", p)
	return nil
}

// staffForm is the add/edit form exactly as typed, so that a refused form
// comes back with the user's input.
type staffForm struct {
	ID        int64
	GridCode  string
	Name      string
	Position  string
	Phone     string
	OrgID     string
	StartDate string
	EndDate   string
	Note      string
}

var staffFields = []string{"grid_code", "name", "position", "phone", "org_id", "start_date", "end_date", "note"}

func staffFormOf(s civic.Staff) staffForm {
	f := staffForm{ID: s.ID, GridCode: s.GridCode, Name: s.Name, Position: string(s.Position), Phone: s.Phone,
		StartDate: s.StartDate, EndDate: s.EndDate, Note: s.Note}
	if s.OrgID != 0 {
		f.OrgID = strconv.FormatInt(s.OrgID, 10)
	}
	return f
}

func readStaffForm(r *http.Request) staffForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return staffForm{GridCode: v("grid_code"), Name: v("name"), Position: v("position"), Phone: v("phone"), OrgID: v("org_id"),
		StartDate: v("start_date"), EndDate: v("end_date"), Note: v("note")}
}

// staff converts the form; an org field that is not a number is refused
// here because the store never sees it.
func (f staffForm) staff() (civic.Staff, *civic.FieldError) {
	s := civic.Staff{ID: f.ID, GridCode: f.GridCode, Name: f.Name, Position: civic.Position(f.Position), Phone: f.Phone,
		StartDate: f.StartDate, EndDate: f.EndDate, Note: f.Note}
	if f.OrgID != "" {
		id, err := strconv.ParseInt(f.OrgID, 10, 64)
		if err != nil || id <= 0 {
			fe := civic.FieldErr("org_id", "请选择所属组织", "choose an organisation")
			return s, &fe
		}
		s.OrgID = id
	}
	return s, nil
}

// staffFormPage is the add and edit page.
type staffFormPage struct {
	Page
	Form      staffForm
	Errs      FormErrors
	Positions []Option
	Grids     []Option
	Orgs      []Option
	Action    string
	Editing   bool
}

func (h *Web) staffFormPage(w http.ResponseWriter, r *http.Request, c *rq, f staffForm, errs FormErrors) (staffFormPage, error) {
	ctx := r.Context()
	p := staffFormPage{Page: h.base(w, c, "staff.new", "/staff"), Form: f, Errs: errs, Positions: positionOptions(c.Lang, f.Position),
		Action: "/staff/new"}
	if f.ID != 0 {
		p.Title, p.Editing, p.Action = c.T("staff.edit"), true, fmt.Sprintf("/staff/%d/edit", f.ID)
	}
	p.Crumbs = []Crumb{{Label: c.T("staff.title"), URL: "/staff"}, {Label: p.Title}}
	var err error
	if p.Grids, err = h.gridOptions(ctx, c.Actor); err != nil {
		return p, err
	}
	if p.Orgs, err = h.orgOptions(ctx, c.Actor, f.OrgID); err != nil {
		return p, err
	}
	return p, nil
}

// gridOptions lists the grids and micro-grids in scope for the grid field's
// suggestions.
func (h *Web) gridOptions(ctx context.Context, a civic.Actor) ([]Option, error) {
	var out []Option
	for _, l := range []civic.Level{civic.LevelGrid, civic.LevelMicroGrid} {
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

// orgOptions lists organisations in scope for a select.
func (h *Web) orgOptions(ctx context.Context, a civic.Actor, selected string) ([]Option, error) {
	orgs, _, err := h.store.ListOrganisations(ctx, a, store.OrgFilter{Covering: true, Page: store.Page{Limit: 10000}})
	if err != nil {
		return nil, err
	}
	out := make([]Option, 0, len(orgs))
	for _, o := range orgs {
		id := strconv.FormatInt(o.ID, 10)
		out = append(out, Option{Value: id, Label: o.Name, Selected: id == selected})
	}
	return out, nil
}

func (h *Web) newStaff(w http.ResponseWriter, r *http.Request, c *rq) error {
	// A grid's page links here with the grid filled in.
	f := staffForm{GridCode: r.URL.Query().Get("grid"), StartDate: h.today(), Position: string(civic.PositionFullTime)}
	p, err := h.staffFormPage(w, r, c, f, FormErrors{})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "staff_form", p)
	return nil
}

func (h *Web) createStaff(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.saveStaff(w, r, c, 0)
}

func (h *Web) editStaff(w http.ResponseWriter, r *http.Request, c *rq) error {
	s, err := h.staffOf(r, c)
	if err != nil {
		return err
	}
	p, err := h.staffFormPage(w, r, c, staffFormOf(s), FormErrors{})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "staff_form", p)
	return nil
}

func (h *Web) updateStaff(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return h.saveStaff(w, r, c, id)
}

// saveStaff creates (id 0) or updates an entry; a refused form is shown
// again with each message under its field.
func (h *Web) saveStaff(w http.ResponseWriter, r *http.Request, c *rq, id int64) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := readStaffForm(r)
	f.ID = id
	s, fe := f.staff()
	var err error
	if fe != nil {
		err = civic.Invalid(*fe)
	} else if id == 0 {
		s, err = h.store.CreateStaff(r.Context(), c.Actor, s)
	} else {
		s, err = h.store.UpdateStaff(r.Context(), c.Actor, s)
	}
	if err == nil {
		h.flash(w, "flash.saved")
		redirect(w, r, fmt.Sprintf("/staff/%d", s.ID))
		return nil
	}
	errs, err := formErrors(err, c.Lang, staffFields...)
	if err != nil {
		return err
	}
	p, err := h.staffFormPage(w, r, c, f, errs)
	if err != nil {
		return err
	}
	h.render(w, c, errs.Status(), "staff_form", p)
	return nil
}

func (h *Web) deleteStaff(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.store.DeleteStaff(r.Context(), c.Actor, id); err != nil {
		return err
	}
	h.flash(w, "flash.deleted")
	redirect(w, r, "/staff")
	return nil
}
