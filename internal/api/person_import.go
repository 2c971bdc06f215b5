package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

// Imports and exports of people and houses (人口、房屋导入导出). An upload
// is queued and worked through in the background; clients poll the
// import for its progress and report.

// importKind reads the kind of an import from a path or form value.
func importKind(s string) (civic.ImportKind, error) {
	k := civic.ImportKind(s)
	if !k.Valid() {
		return "", civic.Invalid(civic.FieldErr("kind", "导入类型应为houses或people", "the import kind is houses or people"))
	}
	return k, nil
}

// importTemplate serves the blank sheet to fill in: .xlsx (with a sheet
// explaining the columns) or ?format=csv.
func (a *API) importTemplate(w http.ResponseWriter, r *http.Request) error {
	kind, err := importKind(r.PathValue("kind"))
	if err != nil {
		return err
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

// maxImportUpload bounds an import upload (the store refuses more).
const maxImportUpload = 200<<20 + 1<<20

// startImport queues an uploaded file: multipart/form-data with "kind"
// and "file".
func (a *API) startImport(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	kind, name, data, err := readImportUpload(w, r)
	if err != nil {
		return err
	}
	im, err := a.store.StartImport(r.Context(), act, kind, name, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, im)
	return nil
}

// readImportUpload reads the kind and the file of an import form.
func readImportUpload(w http.ResponseWriter, r *http.Request) (civic.ImportKind, string, []byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxImportUpload)
	if err := r.ParseMultipartForm(16 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", "", nil, civic.Invalid(civic.FieldErr("file", "文件太大，请分成几个文件导入", "the file is too large; split it"))
		}
		return "", "", nil, civic.Invalid(civic.FieldErr("file", "请以 multipart/form-data 上传 kind 和 file 字段", "upload multipart/form-data with a kind and a file part"))
	}
	defer r.MultipartForm.RemoveAll()
	kind, err := importKind(r.FormValue("kind"))
	if err != nil {
		return "", "", nil, err
	}
	f, fh, err := r.FormFile("file")
	if err != nil {
		return "", "", nil, civic.Invalid(civic.FieldErr("file", "请选择要导入的文件", "choose a file to import"))
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return "", "", nil, fmt.Errorf("read upload: %w", err)
	}
	return kind, fh.Filename, data, nil
}

func (a *API) listImports(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	ims, total, err := a.store.ListImports(r.Context(), act, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ims, total, p))
	return nil
}

func (a *API) getImport(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	im, err := a.store.GetImport(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, im)
	return nil
}

// importIssues lists an import's rejected (default) or merged rows.
func (a *API) importIssues(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	kind := civic.IssueRejected
	if r.URL.Query().Get("kind") == string(civic.IssueMerged) {
		kind = civic.IssueMerged
	}
	is, total, err := a.store.ImportIssues(r.Context(), act, id, kind, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(is, total, p))
	return nil
}

// importRejected serves the rejected rows as .xlsx, to fix and import
// again.
func (a *API) importRejected(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := a.store.RejectedRows(r.Context(), act, id, auth.Lang(r.Context()))
	if err != nil {
		return err
	}
	return a.writeSheet(w, "import-"+strconv.FormatInt(id, 10)+"-rejected", t)
}

// exportFilter reads under, tag and plain.
func exportFilter(r *http.Request, act civic.Actor) (store.ExportFilter, string, error) {
	under, err := subtreeParam(r, act, "under")
	if err != nil {
		return store.ExportFilter{}, "", err
	}
	q := r.URL.Query()
	f := store.ExportFilter{Under: under, Plain: q.Get("plain") == "1" || q.Get("plain") == "true"}
	if t := q.Get("tag"); t != "" {
		tag, ok := civic.ParseTag(t)
		if !ok {
			return f, "", civic.Invalid(civic.FieldErr("tag", "未知标签“%s”", "unknown tag %q", t))
		}
		f.Tag = tag
	}
	format := "csv"
	if q.Get("format") == "xlsx" {
		format = "xlsx"
	}
	return f, format, nil
}

// exportPeople serves the people in scope in the import template's
// columns, masked unless ?plain=1 and the caller may export plain.
func (a *API) exportPeople(w http.ResponseWriter, r *http.Request) error {
	return a.export(w, r, civic.ImportPeople)
}

// exportHouses serves the houses in scope in the import template's
// columns.
func (a *API) exportHouses(w http.ResponseWriter, r *http.Request) error {
	return a.export(w, r, civic.ImportHouses)
}

func (a *API) export(w http.ResponseWriter, r *http.Request, kind civic.ImportKind) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	f, format, err := exportFilter(r, act)
	if err != nil {
		return err
	}
	lang := auth.Lang(r.Context())
	if format == "xlsx" {
		w.Header().Set("Content-Type", sheet.ContentType)
	} else {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.%s"`, kind, a.store.Now().Format("20060102"), format))
	return store.WriteExport(w, format, kind.Label().In(lang), func(emit func([]string) error) (int, error) {
		if kind == civic.ImportHouses {
			return a.store.ExportHouses(r.Context(), act, f, lang, emit)
		}
		return a.store.ExportPeople(r.Context(), act, f, lang, emit)
	})
}
