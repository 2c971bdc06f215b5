package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

// listReports answers GET /api/v1/reports: the reports of regions in the
// caller's scope, newest period first; ?under=, ?kind=, ?template_id=, paged.
func (a *API) listReports(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	under, err := subtreeParam(r, act, "under")
	if err != nil {
		return err
	}
	f := store.ReportFilter{Under: under, Kind: civic.ReportKind(r.URL.Query().Get("kind")), Page: p}
	if f.Kind != "" && !f.Kind.Valid() {
		return civic.Invalid(civic.FieldErr("kind", "kind 应为 daily、weekly 或 monthly", "kind must be daily, weekly or monthly"))
	}
	if s := r.URL.Query().Get("template_id"); s != "" {
		if f.TemplateID, err = strconv.ParseInt(s, 10, 64); err != nil {
			return civic.Invalid(civic.FieldErr("template_id", "template_id 应为整数", "template_id must be an integer"))
		}
	}
	rs, total, err := a.store.ListReports(r.Context(), act, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(rs, total, p))
	return nil
}

// generateReport answers POST /api/v1/reports: a new report (or a new
// version of one) of a template for a region and the period containing a
// date.
func (a *API) generateReport(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		TemplateID int64  `json:"template_id"`
		RegionCode string `json:"region_code"`
		Period     string `json:"period"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	var fs []civic.FieldError
	if in.TemplateID <= 0 {
		fs = append(fs, civic.FieldErr("template_id", "请选择报表模板", "choose a report template"))
	}
	if strings.TrimSpace(in.Period) == "" {
		fs = append(fs, civic.FieldErr("period", "请填写报表期间", "give the report's period"))
	}
	if len(fs) > 0 {
		return civic.Invalid(fs...)
	}
	rep, err := a.store.GenerateReport(r.Context(), act, in.TemplateID, in.RegionCode, in.Period)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rep)
	return nil
}

// getReport answers GET /api/v1/reports/{id}: the report with its values,
// or with ?format=xlsx the workbook.
func (a *API) getReport(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rep, err := a.store.GetReport(r.Context(), act, id)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") != "xlsx" {
		writeJSON(w, http.StatusOK, rep)
		return nil
	}
	w.Header().Set("Content-Type", sheet.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="report-%d.xlsx"`, rep.ID))
	return store.WriteReportSheet(w, rep, auth.Lang(r.Context()))
}

// fillReport answers POST /api/v1/reports/{id}/fill: the manual rows of a
// draft by row index, and with "issue": true the report is issued.
func (a *API) fillReport(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Texts map[int]string `json:"texts"`
		Issue bool           `json:"issue"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	rep, err := a.store.FillReport(r.Context(), act, id, in.Texts, in.Issue)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// reportFigures answers GET /api/v1/reports/figures: the catalogue a
// template's rows choose from.
func (a *API) reportFigures(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	if err := act.Must(civic.PermCaseMetrics); err != nil {
		return err
	}
	fs := civic.ReportFigures()
	writeJSON(w, http.StatusOK, newList(fs, len(fs), pageOf(len(fs))))
	return nil
}

// listReportTemplates answers GET /api/v1/reports/templates.
func (a *API) listReportTemplates(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	ts, err := a.store.ListReportTemplates(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ts, len(ts), pageOf(len(ts))))
	return nil
}

// getReportTemplate answers GET /api/v1/reports/templates/{id}.
func (a *API) getReportTemplate(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := a.store.GetReportTemplate(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// reportTemplateInput is a template as clients send it.
type reportTemplateInput struct {
	Name       string            `json:"name"`
	Kind       civic.ReportKind  `json:"kind"`
	ScopeLevel string            `json:"scope_level"`
	RegionCode string            `json:"region_code"`
	Rows       []civic.ReportRow `json:"rows"`
	Active     bool              `json:"active"`
}

func (in reportTemplateInput) template(id int64) civic.ReportTemplate {
	return civic.ReportTemplate{ID: id, Name: in.Name, Kind: in.Kind, ScopeLevel: in.ScopeLevel, RegionCode: in.RegionCode, Rows: in.Rows, Active: in.Active}
}

// createReportTemplate answers POST /api/v1/reports/templates.
func (a *API) createReportTemplate(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in reportTemplateInput
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := a.store.SaveReportTemplate(r.Context(), act, in.template(0))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

// updateReportTemplate answers PUT /api/v1/reports/templates/{id}.
func (a *API) updateReportTemplate(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in reportTemplateInput
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := a.store.SaveReportTemplate(r.Context(), act, in.template(id))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// deleteReportTemplate answers DELETE /api/v1/reports/templates/{id}: a
// template no report was generated from; 409 otherwise.
func (a *API) deleteReportTemplate(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.store.DeleteReportTemplate(r.Context(), act, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
