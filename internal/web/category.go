package web

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

// categoriesPage is the case category catalogue (工单分类目录): the tree
// with one collapsible block per 大类.
type categoriesPage struct {
	Page
	Filter     categoryQuery
	Types      []Option
	Groups     []categoryGroup
	Matches    int
	CSVURL     string
	XLSXURL    string
	CanWrite   bool
	Filtered   bool
	ColumnHelp []string
}

// categoryGroup is a top-level category and the rows beneath it, in tree
// order.
type categoryGroup struct {
	Top  categoryRow
	Rows []categoryRow
}

// categoryRow is one category as the table shows it.
type categoryRow struct {
	civic.Category
	Label   string
	Handler string
	Limits  []string // claim, feedback, complete, visit
	Indent  int      // levels below the 大类
	// Context marks an ancestor shown only so that a match stays in its
	// place in the tree; it did not match the filter itself.
	Context bool
	// CanWrite shows the row's edit and activate controls.
	CanWrite bool
}

// categoryQuery is the filter form as typed.
type categoryQuery struct {
	Q          string
	Type       string
	Accepted   string // "", "yes", "no"
	ActiveOnly bool
}

func parseCategoryQuery(q url.Values) categoryQuery {
	f := categoryQuery{Q: strings.TrimSpace(q.Get("q")), ActiveOnly: q.Get("active") == "1"}
	if t := civic.RequestType(q.Get("type")); t.Valid() {
		f.Type = string(t)
	}
	if a := q.Get("accepted"); a == "yes" || a == "no" {
		f.Accepted = a
	}
	return f
}

func (f categoryQuery) store() store.CategoryFilter {
	sf := store.CategoryFilter{Query: f.Q, Type: civic.RequestType(f.Type), IncludeInactive: !f.ActiveOnly}
	if f.Accepted != "" {
		yes := f.Accepted == "yes"
		sf.Accepted = &yes
	}
	return sf
}

func (f categoryQuery) any() bool {
	return f.Q != "" || f.Type != "" || f.Accepted != "" || f.ActiveOnly
}

func requestTypeOptions(lang, selected string) []Option {
	out := make([]Option, 0, len(civic.RequestTypes))
	for _, t := range civic.RequestTypes {
		out = append(out, Option{Value: string(t), Label: t.Label().In(lang), Selected: string(t) == selected})
	}
	return out
}

func categoryRowOf(c civic.Category, lang string, canWrite bool) categoryRow {
	r := categoryRow{Category: c, Label: c.Label(lang), Indent: c.Depth() - 1, CanWrite: canWrite}
	if c.Leaf && c.Accepted {
		r.Handler = c.Handler.String(lang)
		for _, s := range civic.Stages {
			r.Limits = append(r.Limits, c.Limit(s).String(lang))
		}
	}
	return r
}

// categoryTree groups a tree-ordered list under its top-level categories.
// Ancestors missing from matches are taken from all and marked as context.
func categoryTree(matches, all []civic.Category, lang string, canWrite bool) []categoryGroup {
	byCode := make(map[string]civic.Category, len(all))
	for _, c := range all {
		byCode[c.Code] = c
	}
	shown := make(map[string]bool, len(matches))
	for _, c := range matches {
		shown[c.Code] = true
	}
	var rows []categoryRow
	for _, c := range matches {
		// Ancestors first, from the top, if the filter left them out.
		for l := 2; l < len(c.Code); l += 2 {
			code := c.Code[:l]
			if a, ok := byCode[code]; ok && !shown[code] {
				shown[code] = true
				r := categoryRowOf(a, lang, canWrite)
				r.Context = true
				rows = append(rows, r)
			}
		}
		rows = append(rows, categoryRowOf(c, lang, canWrite))
	}
	var groups []categoryGroup
	for _, r := range rows {
		if r.ParentCode == "" || len(groups) == 0 {
			groups = append(groups, categoryGroup{Top: r})
			continue
		}
		g := &groups[len(groups)-1]
		g.Rows = append(g.Rows, r)
	}
	return groups
}

func (h *Web) categories(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	f := parseCategoryQuery(q)
	ctx := r.Context()
	matches, err := h.store.ListCategories(ctx, c.Actor, f.store())
	if err != nil {
		return err
	}
	all := matches
	if f.any() {
		if all, err = h.store.ListCategories(ctx, c.Actor, store.CategoryFilter{IncludeInactive: true}); err != nil {
			return err
		}
	}
	canWrite := c.Actor.Can(civic.PermCategoryWrite)
	p := categoriesPage{Page: h.base(w, c, "categories.title", "/categories"), Filter: f, Types: requestTypeOptions(c.Lang, f.Type),
		Groups: categoryTree(matches, all, c.Lang, canWrite), Matches: len(matches), CanWrite: canWrite,
		Filtered: f.any(), CSVURL: withQuery("/categories/export.csv", q), XLSXURL: withQuery("/categories/export.xlsx", q)}
	for _, t := range store.CategoryColumnHelp {
		p.ColumnHelp = append(p.ColumnHelp, t.In(c.Lang))
	}
	h.list(w, r, c, "categories", p)
	return nil
}

// exportCategories sends the listed categories in the import layout, so
// that an export can be edited in a spreadsheet and uploaded again.
func (h *Web) exportCategories(w http.ResponseWriter, r *http.Request, c *rq) error {
	format, ok := store.SheetFormatOf(r.URL.Path)
	if !ok {
		return civic.NotFound("该页面", "page")
	}
	cs, err := h.store.ListCategories(r.Context(), c.Actor, parseCategoryQuery(r.URL.Query()).store())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := store.WriteCategorySheet(&buf, cs, format, c.Lang); err != nil {
		return err
	}
	ct := "text/csv; charset=utf-8"
	if format == store.SheetXLSX {
		ct = sheet.ContentType
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="categories-%s.%s"`, h.today(), format))
	_, err = buf.WriteTo(w)
	return err
}

// categoryForm is the add/edit form exactly as typed, so that a refused
// form comes back with the user's input; limits stay text ("2工作日").
type categoryForm struct {
	Code              string
	Leaf              bool
	Name              string
	NameEN            string
	Type              string
	Handler           string
	Department        string
	Limits            map[string]string // by stage
	Yellow            string
	Red               string
	Accepted          bool
	NotAcceptedReason string
	Active            bool
	Sort              string
}

var categoryFields = []string{"code", "leaf", "name", "name_en", "type", "handler", "department", "claim", "feedback", "complete", "visit",
	"yellow", "red", "not_accepted_reason", "sort"}

func fmtFraction(f float64) string {
	if f == 0 {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func categoryFormOf(c civic.Category, lang string) categoryForm {
	f := categoryForm{Code: c.Code, Leaf: c.Leaf, Name: c.Name, NameEN: c.NameEN, Type: string(c.Type), Handler: string(c.Handler.Target),
		Department: c.Handler.Department, Limits: map[string]string{}, Yellow: fmtFraction(c.Yellow), Red: fmtFraction(c.Red),
		Accepted: c.Accepted, NotAcceptedReason: c.NotAcceptedReason, Active: c.Active, Sort: strconv.Itoa(c.Sort)}
	for _, s := range civic.Stages {
		f.Limits[string(s)] = c.Limit(s).String(lang)
	}
	return f
}

func readCategoryForm(r *http.Request) categoryForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := categoryForm{Code: v("code"), Leaf: v("leaf") == "1", Name: v("name"), NameEN: v("name_en"), Type: v("type"), Handler: v("handler"),
		Department: v("department"), Limits: map[string]string{}, Yellow: v("yellow"), Red: v("red"), Accepted: v("accepted") == "1",
		NotAcceptedReason: v("not_accepted_reason"), Active: true, Sort: v("sort")}
	for _, s := range civic.Stages {
		f.Limits[string(s)] = v(string(s))
	}
	return f
}

// category converts the form. Text that is not a number or a limit is
// refused here, together with whatever Validate finds in the rest, so
// that one submission shows every problem.
func (f categoryForm) category() (civic.Category, error) {
	c := civic.Category{Code: f.Code, Leaf: f.Leaf, Name: f.Name, NameEN: f.NameEN, Type: civic.RequestType(f.Type),
		Handler: civic.HandlerRule{Target: civic.HandlerTarget(f.Handler), Department: f.Department}, Accepted: f.Accepted,
		NotAcceptedReason: f.NotAcceptedReason, Active: f.Active}
	var fes []civic.FieldError
	for _, s := range civic.Stages {
		l, fe := civic.ParseTimeLimit(f.Limits[string(s)])
		if fe != nil {
			fe.Field = string(s)
			fes = append(fes, *fe)
			continue
		}
		if !l.IsZero() {
			if c.Limits == nil {
				c.Limits = map[civic.Stage]civic.TimeLimit{}
			}
			c.Limits[s] = l
		}
	}
	num := func(field, s string, dst *float64) {
		if s == "" {
			return
		}
		v, err := civic.ParseNumber(s)
		if err != nil {
			fes = append(fes, civic.FieldErr(field, "请填写0到1之间的小数（如 0.5）", "enter a fraction between 0 and 1 (e.g. 0.5)"))
			return
		}
		*dst = v
	}
	num("yellow", f.Yellow, &c.Yellow)
	num("red", f.Red, &c.Red)
	if f.Sort != "" {
		n, err := strconv.Atoi(f.Sort)
		if err != nil {
			fes = append(fes, civic.FieldErr("sort", "排序应为整数", "sort must be an integer"))
		}
		c.Sort = n
	}
	if len(fes) == 0 {
		return c, nil
	}
	typed := map[string]bool{}
	for _, fe := range fes {
		typed[fe.Field] = true
	}
	check := c
	if err := check.Validate(); err != nil {
		for _, fe := range civic.AsError(err).Fields {
			if !typed[fe.Field] {
				fes = append(fes, fe)
			}
		}
	}
	return c, civic.Invalid(fes...)
}

// categoryFormPage is the add, edit and (for readers) view page.
type categoryFormPage struct {
	Page
	Form        categoryForm
	Errs        FormErrors
	Types       []Option
	Handlers    []Option
	Departments []string
	Stages      []stageField
	Action      string
	Editing     bool
	ReadOnly    bool
	CanWrite    bool
}

// stageField is one time-limit input.
type stageField struct {
	Key, Label, Value, Err string
}

func (h *Web) categoryFormPage(w http.ResponseWriter, r *http.Request, c *rq, f categoryForm, errs FormErrors, editing, readOnly bool) (categoryFormPage, error) {
	p := categoryFormPage{Page: h.base(w, c, "categories.new", "/categories"), Form: f, Errs: errs, Types: requestTypeOptions(c.Lang, f.Type),
		Action: "/categories/new", Editing: editing, ReadOnly: readOnly, CanWrite: c.Actor.Can(civic.PermCategoryWrite)}
	if editing {
		p.Action = "/categories/" + url.PathEscape(f.Code) + "/edit"
		p.Title = c.T("categories.edit")
		if readOnly {
			p.Title = f.Name
		}
	}
	p.Crumbs = []Crumb{{Label: c.T("categories.title"), URL: "/categories"}, {Label: p.Title}}
	for _, t := range civic.HandlerTargets {
		p.Handlers = append(p.Handlers, Option{Value: string(t), Label: t.Label().In(c.Lang), Selected: string(t) == f.Handler})
	}
	for _, s := range civic.Stages {
		p.Stages = append(p.Stages, stageField{Key: string(s), Label: s.Label().In(c.Lang), Value: f.Limits[string(s)], Err: errs.Fields[string(s)]})
	}
	// Suggest the department names the catalogue already routes to.
	all, err := h.store.ListCategories(r.Context(), c.Actor, store.CategoryFilter{IncludeInactive: true, OnlyLeaves: true})
	if err != nil {
		return p, err
	}
	for _, cat := range all {
		if d := cat.Handler.Department; d != "" && !slices.Contains(p.Departments, d) {
			p.Departments = append(p.Departments, d)
		}
	}
	slices.Sort(p.Departments)
	return p, nil
}

func (h *Web) newCategory(w http.ResponseWriter, r *http.Request, c *rq) error {
	// A group's "add" link names the parent; the code then starts with it.
	f := categoryForm{Accepted: true, Active: true, Limits: map[string]string{}, Yellow: "0.5", Red: "0.8", Sort: "0"}
	if parent := r.URL.Query().Get("parent"); civic.ValidCategoryCode(parent) {
		f.Code, f.Leaf = parent, true
	}
	p, err := h.categoryFormPage(w, r, c, f, FormErrors{}, false, false)
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "category_form", p)
	return nil
}

func (h *Web) createCategory(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.saveCategory(w, r, c, false)
}

// categoryDetail shows a category: as the edit form to those who may
// change it, read-only to everyone else.
func (h *Web) categoryDetail(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.showCategory(w, r, c, !c.Actor.Can(civic.PermCategoryWrite))
}

func (h *Web) editCategory(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.showCategory(w, r, c, false)
}

func (h *Web) showCategory(w http.ResponseWriter, r *http.Request, c *rq, readOnly bool) error {
	cat, err := h.store.GetCategory(r.Context(), c.Actor, r.PathValue("code"))
	if err != nil {
		return err
	}
	p, err := h.categoryFormPage(w, r, c, categoryFormOf(cat, c.Lang), FormErrors{}, true, readOnly)
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "category_form", p)
	return nil
}

func (h *Web) updateCategory(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.saveCategory(w, r, c, true)
}

// saveCategory creates or updates a category; a refused form is shown
// again with each message under its field.
func (h *Web) saveCategory(w http.ResponseWriter, r *http.Request, c *rq, editing bool) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := readCategoryForm(r)
	if editing {
		// The code names the category and never changes.
		f.Code = r.PathValue("code")
		cur, err := h.store.GetCategory(r.Context(), c.Actor, f.Code)
		if err != nil {
			return err
		}
		f.Active = cur.Active
	}
	cat, err := f.category()
	if err == nil {
		if editing {
			cat, err = h.store.UpdateCategory(r.Context(), c.Actor, cat)
		} else {
			cat, err = h.store.CreateCategory(r.Context(), c.Actor, cat)
		}
	}
	if err == nil {
		h.flash(w, "flash.saved")
		redirect(w, r, "/categories#cat-"+cat.Code)
		return nil
	}
	errs, err := formErrors(err, c.Lang, categoryFields...)
	if err != nil {
		return err
	}
	p, err := h.categoryFormPage(w, r, c, f, errs, editing, false)
	if err != nil {
		return err
	}
	h.render(w, c, errs.Status(), "category_form", p)
	return nil
}

// setCategoryActive takes a category out of use or back in; deactivating a
// group takes its subtree with it.
func (h *Web) setCategoryActive(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	code := r.PathValue("code")
	active := r.PostFormValue("active") == "1"
	if _, err := h.store.SetCategoryActive(r.Context(), c.Actor, code, active); err != nil {
		return err
	}
	key := "flash.category_deactivated"
	if active {
		key = "flash.category_activated"
	}
	h.flash(w, key)
	redirect(w, r, "/categories#cat-"+code)
	return nil
}

// importPage reports an upload: what was written, or every reason
// the file was refused (nothing is written then).
// maxCategoryUpload bounds an import file; a catalogue is far smaller.
const maxCategoryUpload = 8 << 20

func (h *Web) importCategories(w http.ResponseWriter, r *http.Request, c *rq) error {
	p := importPage{Back: "/categories", DoneKey: "categories.import_done", BackKey: "categories.import_back", Page: h.base(w, c, "categories.import_title", "/categories")}
	p.Crumbs = []Crumb{{Label: c.T("categories.title"), URL: "/categories"}, {Label: c.T("categories.import_title")}}
	refuse := func(status int, problem string, reasons []string) error {
		p.Problem, p.Reasons = problem, reasons
		h.render(w, c, status, "import", p)
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxCategoryUpload)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return refuse(http.StatusUnprocessableEntity, c.T("categories.import_nofile"), nil)
	}
	defer file.Close()
	p.FileName = hdr.Filename
	format, ok := store.SheetFormatOf(hdr.Filename)
	if !ok {
		return refuse(http.StatusUnprocessableEntity, c.T("categories.import_badtype"), nil)
	}
	data, err := io.ReadAll(file)
	if err != nil {
		return refuse(http.StatusUnprocessableEntity, c.T("categories.import_nofile"), nil)
	}
	sh, err := store.ParseCategorySheet(data, format)
	if err == nil {
		p.Report, err = h.store.ImportCategorySheet(r.Context(), c.Actor, sh)
	}
	if err != nil {
		e := civic.AsError(err)
		if e.Code != civic.EInvalid && e.Code != civic.EForbidden {
			return err
		}
		var reasons []string
		for _, f := range e.Fields {
			reasons = append(reasons, f.Msg.In(c.Lang))
		}
		return refuse(auth.StatusOf(e.Code), e.Msg.In(c.Lang), reasons)
	}
	h.render(w, c, http.StatusOK, "import", p)
	return nil
}
