package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

// The import and export page of people and houses (人口房屋导入导出):
// blank templates, an upload form, the recent imports with their progress
// (polled while one runs) and report, and export downloads.

// personImportPage lists imports and offers uploads and exports.
type personImportPage struct {
	Page
	CanImport bool
	CanPlain  bool
	Areas     []Option
	Imports   []civic.Import
	// Running is true while an import is unfinished, so the list polls.
	Running bool
	// Kind and Errs are a refused upload's choice and why it was refused.
	Kind string
	Errs FormErrors
}

func (h *Web) personImport(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.renderPersonImport(w, r, c, "", FormErrors{})
}

func (h *Web) renderPersonImport(w http.ResponseWriter, r *http.Request, c *rq, kind string, errs FormErrors) error {
	p := personImportPage{Page: h.base(w, c, "pimport.title", "/people/import"), CanImport: c.Actor.Can(civic.PermPeopleWrite),
		CanPlain: c.Actor.Can(civic.PermPeopleExportPlain), Kind: kind, Errs: errs}
	if p.CanImport {
		var err error
		if p.Imports, _, err = h.store.ListImports(r.Context(), c.Actor, store.Page{Limit: 20}); err != nil {
			return err
		}
		for _, im := range p.Imports {
			p.Running = p.Running || !im.State.Finished()
		}
	}
	if isHX(r) {
		h.fragment(w, c, http.StatusOK, "person_import", "_imports", p)
		return nil
	}
	var err error
	if p.Areas, err = h.areaOptions(r.Context(), c.Actor, ""); err != nil {
		return err
	}
	h.render(w, c, pageStatus(errs), "person_import", p)
	return nil
}

// maxImportUpload bounds an upload; the store refuses more than 200 MB.
const maxImportUpload = 201 << 20

func (h *Web) uploadPersonImport(w http.ResponseWriter, r *http.Request, c *rq) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxImportUpload)
	defer cleanUpload(r)
	// A refused upload shows the page again with the reason at its field;
	// the kind chosen stays chosen (a browser cannot be given a file back).
	refused := func(err error) error {
		errs, ferr := formErrors(err, c.Lang, "file", "kind")
		if ferr != nil {
			return ferr
		}
		return h.renderPersonImport(w, r, c, r.FormValue("kind"), errs)
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return refused(civic.Invalid(civic.FieldErr("file", "文件超过200MB，请分成几个文件导入", "the file is larger than 200 MB; split it into several")))
		}
		return refused(civic.Invalid(civic.FieldErr("file", "请选择要导入的文件", "choose a file to import")))
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		return refused(civic.Invalid(civic.FieldErr("file", "文件太大或上传中断", "the file is too large or the upload broke off")))
	}
	im, err := h.store.StartImport(r.Context(), c.Actor, civic.ImportKind(r.FormValue("kind")), hdr.Filename, data)
	if err != nil {
		return refused(err)
	}
	h.flash(w, "flash.import_queued")
	http.Redirect(w, r, fmt.Sprintf("/imports/%d", im.ID), http.StatusSeeOther)
	return nil
}

// personImportDetail is one import's progress and report.
type personImportDetail struct {
	Page
	Import        civic.Import
	Rejected      []civic.ImportIssue
	RejectedTotal int
	Merged        []civic.ImportIssue
	MergedTotal   int
}

func (h *Web) personImportDetail(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	im, err := h.store.GetImport(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	// A failed import's reason is kept in both languages.
	im.Error = inLang(c.Lang, im.Error)
	p := personImportDetail{Page: h.base(w, c, "pimport.title", "/people/import"), Import: im}
	p.Title = fmt.Sprintf("%s · %s", c.T("pimport.import"), im.FileName)
	p.Crumbs = []Crumb{{Label: c.T("pimport.title"), URL: "/people/import"}, {Label: im.FileName}}
	if im.State.Finished() {
		if p.Rejected, p.RejectedTotal, err = h.store.ImportIssues(r.Context(), c.Actor, id, civic.IssueRejected, store.Page{Limit: 200}); err != nil {
			return err
		}
		if p.Merged, p.MergedTotal, err = h.store.ImportIssues(r.Context(), c.Actor, id, civic.IssueMerged, store.Page{Limit: 200}); err != nil {
			return err
		}
	}
	if isHX(r) {
		h.fragment(w, c, http.StatusOK, "person_import_detail", "_progress", p)
		return nil
	}
	h.render(w, c, http.StatusOK, "person_import_detail", p)
	return nil
}

func (h *Web) personImportRejected(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := h.store.RejectedRows(r.Context(), c.Actor, id, c.Lang)
	if err != nil {
		return err
	}
	return sendXLSX(w, fmt.Sprintf("import-%d-rejected.xlsx", id), t)
}

func (h *Web) personImportTemplate(w http.ResponseWriter, r *http.Request, c *rq) error {
	kind := civic.ImportKind(r.PathValue("kind"))
	if !kind.Valid() {
		return civic.NotFound("模板", "template")
	}
	if r.URL.Query().Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-template.csv"`, kind))
		return store.WriteTemplateCSV(w, kind)
	}
	w.Header().Set("Content-Type", sheet.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-template.xlsx"`, kind))
	return sheet.WriteBook(w, store.ImportTemplate(kind)...)
}

// personExport downloads people or houses in scope, masked unless plain
// is asked for and allowed.
func (h *Web) personExport(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	kind := civic.ImportPeople
	if q.Get("kind") == string(civic.ImportHouses) {
		kind = civic.ImportHouses
	}
	f := store.ExportFilter{Under: strings.TrimSpace(q.Get("under")), Plain: q.Get("plain") == "1"}
	if f.Under != "" && !c.Actor.InScope(f.Under) {
		return civic.NotFound(f.Under, f.Under)
	}
	format := "csv"
	if q.Get("format") == "xlsx" {
		format = "xlsx"
		w.Header().Set("Content-Type", sheet.ContentType)
	} else {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.%s"`, kind, h.today(), format))
	return store.WriteExport(w, format, kind.Label().In(c.Lang), func(emit func([]string) error) (int, error) {
		if kind == civic.ImportHouses {
			return h.store.ExportHouses(r.Context(), c.Actor, f, c.Lang, emit)
		}
		return h.store.ExportPeople(r.Context(), c.Actor, f, c.Lang, emit)
	})
}
