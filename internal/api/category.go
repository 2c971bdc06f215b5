package api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

// categoryInput is a category as clients send it. Accepted and Active are
// pointers so that leaving them out means true: a client that does not know
// about the 不受理清单 should not put every category on it.
type categoryInput struct {
	Code              string                          `json:"code"`
	Leaf              bool                            `json:"leaf"`
	Name              string                          `json:"name"`
	NameEN            string                          `json:"name_en"`
	Type              civic.RequestType               `json:"type"`
	Handler           civic.HandlerRule               `json:"handler"`
	Limits            map[civic.Stage]civic.TimeLimit `json:"limits"`
	Yellow            float64                         `json:"yellow"`
	Red               float64                         `json:"red"`
	Accepted          *bool                           `json:"accepted"`
	NotAcceptedReason string                          `json:"not_accepted_reason"`
	Active            *bool                           `json:"active"`
	Sort              int                             `json:"sort"`
}

func (in categoryInput) category() civic.Category {
	c := civic.Category{Code: in.Code, Leaf: in.Leaf, Name: in.Name, NameEN: in.NameEN, Type: in.Type, Handler: in.Handler,
		Limits: in.Limits, Yellow: in.Yellow, Red: in.Red, Accepted: true, NotAcceptedReason: in.NotAcceptedReason, Active: true, Sort: in.Sort}
	if in.Accepted != nil {
		c.Accepted = *in.Accepted
	}
	if in.Active != nil {
		c.Active = *in.Active
	}
	return c
}

// boolParam reads an optional true/false query parameter.
func boolParam(r *http.Request, name string) (*bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, civic.Invalid(civic.FieldErr(name, "%s 应为 true 或 false", "%s must be true or false", name))
	}
	return &b, nil
}

// listCategories serves the catalogue in tree order as JSON, or as a file
// in the import layout with ?format=csv or ?format=xlsx. The catalogue is
// small and never paged.
func (a *API) listCategories(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.CategoryFilter{Query: q.Get("q"), ParentCode: q.Get("parent")}
	if t := civic.RequestType(q.Get("type")); t != "" {
		if !t.Valid() {
			return civic.Invalid(civic.FieldErr("type", "未知的诉求类型", "unknown request type"))
		}
		f.Type = t
	}
	for name, dst := range map[string]*bool{"leaves": &f.OnlyLeaves, "include_inactive": &f.IncludeInactive} {
		b, err := boolParam(r, name)
		if err != nil {
			return err
		}
		if b != nil {
			*dst = *b
		}
	}
	if f.Accepted, err = boolParam(r, "accepted"); err != nil {
		return err
	}
	format := store.SheetFormat(q.Get("format"))
	if format != "" && format != "json" && format != store.SheetCSV && format != store.SheetXLSX {
		return civic.Invalid(civic.FieldErr("format", "format 应为 json、csv 或 xlsx", "format must be json, csv or xlsx"))
	}
	cs, err := a.store.ListCategories(r.Context(), act, f)
	if err != nil {
		return err
	}
	switch format {
	case store.SheetCSV, store.SheetXLSX:
		ct := "text/csv; charset=utf-8"
		if format == store.SheetXLSX {
			ct = sheet.ContentType
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="categories-%s.%s"`, a.store.Now().Format("20060102"), format))
		return store.WriteCategorySheet(w, cs, format, auth.Lang(r.Context()))
	}
	writeJSON(w, http.StatusOK, newList(cs, len(cs), store.Page{Limit: max(len(cs), 1)}))
	return nil
}

func (a *API) getCategory(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	c, err := a.store.GetCategory(r.Context(), act, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) createCategory(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in categoryInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := a.store.CreateCategory(r.Context(), act, in.category())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// updateCategory replaces a category's fields. The code in the path names
// it; a different code in the body is refused rather than silently ignored,
// because codes never change.
func (a *API) updateCategory(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in categoryInput
	if err := decode(r, &in); err != nil {
		return err
	}
	code := r.PathValue("code")
	if in.Code != "" && in.Code != code {
		return civic.Invalid(civic.FieldErr("code", "分类编码不能修改", "a category's code cannot change"))
	}
	in.Code = code
	c, err := a.store.UpdateCategory(r.Context(), act, in.category())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// setCategoryActive takes a category (and, when deactivating, its subtree)
// out of use or back into it.
func (a *API) setCategoryActive(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		Active *bool `json:"active"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Active == nil {
		return civic.Invalid(civic.FieldErr("active", "请填写 active（true 或 false）", "active (true or false) is required"))
	}
	code := r.PathValue("code")
	n, err := a.store.SetCategoryActive(r.Context(), act, code, *in.Active)
	if err != nil {
		return err
	}
	c, err := a.store.GetCategory(r.Context(), act, code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Category civic.Category `json:"category"`
		Changed  int            `json:"changed"`
	}{c, n})
	return nil
}

// importCategories takes a CSV or XLSX file (chosen by Content-Type) in
// the export layout and writes all of it or, if any row is refused,
// nothing, listing every refusal by row and column.
func (a *API) importCategories(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	// Refuse early so that a reader's upload is not parsed for nothing.
	if err := act.Must(civic.PermCategoryWrite); err != nil {
		return err
	}
	format, ok := store.SheetFormatOf(r.Header.Get("Content-Type"))
	if !ok {
		return civic.Errorf(civic.EInvalid, "请上传 CSV（Content-Type: text/csv）或 Excel 文件（%s）", "upload CSV (Content-Type: text/csv) or an Excel workbook (%s)", sheet.ContentType)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxImportBody+1))
	if err != nil {
		return civic.Errorf(civic.EInvalid, "读取上传内容失败：%v", "cannot read the upload: %v", err)
	}
	if len(body) > maxImportBody {
		return civic.Errorf(civic.EInvalid, "文件超过%dMB", "the file is larger than %d MB", maxImportBody>>20)
	}
	sh, err := store.ParseCategorySheet(body, format)
	if err != nil {
		return err
	}
	rep, err := a.store.ImportCategorySheet(r.Context(), act, sh)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
