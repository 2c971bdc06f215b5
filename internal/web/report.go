package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

// reportsPage is the list of reports (日报/周报/月报) in the user's scope
// with the form that generates one.
type reportsPage struct {
	Page
	Rows      []reportRow
	Pager     Pager
	Kinds     []Option
	Templates []Option
	Areas     []Option
	Under     string
	Kind      string
	// Generate form.
	Form    reportGenForm
	Errs    FormErrors
	Regions []Option
	CanEdit bool
	Today   string
}

type reportGenForm struct {
	TemplateID string
	Region     string
	Period     string
}

// reportRow is a report as the list shows it.
type reportRow struct {
	civic.Report
	KindLabel string
	LastDay   string
}

func (h *Web) reportRowOf(c *rq, r civic.Report) reportRow {
	return reportRow{Report: r, KindLabel: r.Kind.Label().In(c.Lang), LastDay: r.LastDay()}
}

func (h *Web) reports(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.reportsWith(w, r, c, reportGenForm{Period: h.today()}, FormErrors{}, http.StatusOK)
}

func (h *Web) reportsWith(w http.ResponseWriter, r *http.Request, c *rq, form reportGenForm, errs FormErrors, status int) error {
	ctx := r.Context()
	q := r.URL.Query()
	pg := pageOf(q)
	p := reportsPage{Page: h.base(w, c, "rep.title", "/reports"), Under: underParam(q), Kind: q.Get("kind"), Form: form, Errs: errs,
		CanEdit: c.Actor.Can(civic.PermReportTemplates), Today: h.today()}
	f := store.ReportFilter{Under: p.Under, Page: storePage(pg)}
	if k := civic.ReportKind(p.Kind); k.Valid() {
		f.Kind = k
	}
	rows, total, err := h.store.ListReports(ctx, c.Actor, f)
	if err != nil {
		return err
	}
	for _, rep := range rows {
		p.Rows = append(p.Rows, h.reportRowOf(c, rep))
	}
	p.Pager = newPager("/reports", q, pg, total)
	for _, k := range civic.ReportKinds {
		p.Kinds = append(p.Kinds, Option{Value: string(k), Label: k.Label().In(c.Lang), Selected: string(k) == p.Kind})
	}
	ts, err := h.store.ListReportTemplates(ctx, c.Actor)
	if err != nil {
		return err
	}
	for _, t := range ts {
		v := strconv.FormatInt(t.ID, 10)
		p.Templates = append(p.Templates, Option{Value: v, Label: aside(c.Lang, t.Name, t.Kind.Label().In(c.Lang)), Selected: v == form.TemplateID})
	}
	if p.Areas, err = h.areaOptions(ctx, c.Actor, p.Under); err != nil {
		return err
	}
	if p.Regions, err = h.areaOptions(ctx, c.Actor, form.Region); err != nil {
		return err
	}
	if sc := c.Actor.Scope.RegionCode; sc != "" && (form.Region == "" || form.Region == sc) {
		// The user's own region first: a community's staff report on their community.
		name := sc
		if reg, err := h.store.GetRegion(ctx, c.Actor, sc); err == nil {
			name = reg.Name
		}
		own := Option{Value: sc, Label: name, Selected: true}
		for i := range p.Regions {
			p.Regions[i].Selected = false
		}
		kept := []Option{own}
		for _, o := range p.Regions {
			if o.Value != sc {
				kept = append(kept, o)
			}
		}
		p.Regions = kept
	}
	h.render(w, c, status, "reports", p)
	return nil
}

// generateReport makes a report from the form and shows it.
func (h *Web) generateReport(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	form := reportGenForm{TemplateID: v("template_id"), Region: v("region_code"), Period: v("period")}
	id, _ := strconv.ParseInt(form.TemplateID, 10, 64)
	rep, err := h.store.GenerateReport(r.Context(), c.Actor, id, form.Region, form.Period)
	if err == nil {
		h.flash(w, "flash.rep_generated")
		redirect(w, r, "/reports/"+strconv.FormatInt(rep.ID, 10))
		return nil
	}
	errs, err := formErrors(err, c.Lang, "template_id", "region_code", "period")
	if err != nil {
		return err
	}
	return h.reportsWith(w, r, c, form, errs, errs.Status())
}

// reportViewPage is the printable report: A4, no navigation when printed, a
// header with the region, period and generation time.
type reportViewPage struct {
	Page
	Report    civic.Report
	KindLabel string
	LastDay   string
	Rows      []reportLine
	Errs      FormErrors
	Draft     bool
	XLSX      string
	IssuedAt  time.Time
}

// reportLine is one row of the printed report.
type reportLine struct {
	Index  int
	Label  string
	Value  string
	Note   string
	Link   string
	Manual bool
	Text   string
	Items  []reportItemLine
}

type reportItemLine struct {
	Rank  int
	Code  string
	Name  string
	Count int64
	Link  string
}

// reportValueText formats a value as the page shows it.
func reportValueText(c *rq, v civic.ReportValue) (value, note string) {
	if v.Value == nil {
		return "—", c.T("rep.no_data")
	}
	switch v.Kind {
	case civic.FigureRate:
		return fmt.Sprintf("%.1f%%", *v.Value*100), fmt.Sprintf("%g / %d", v.Numerator, v.Denominator)
	case civic.FigureHours:
		return fmt.Sprintf("%.1f", *v.Value), ""
	}
	return strconv.FormatInt(int64(*v.Value), 10), ""
}

// caseListLink is the case list behind a count of cases filed in the
// report's period (whole days, China time).
func caseListLink(rep civic.Report, extra url.Values) string {
	q := url.Values{"under": {rep.RegionCode}, "from": {rep.From}, "to": {rep.LastDay()}}
	for k, v := range extra {
		q[k] = v
	}
	return "/cases?" + q.Encode()
}

func (h *Web) reportView(w http.ResponseWriter, r *http.Request, c *rq) error {
	ref := r.PathValue("ref")
	xlsx := strings.HasSuffix(ref, ".xlsx")
	id, err := strconv.ParseInt(strings.TrimSuffix(ref, ".xlsx"), 10, 64)
	if err != nil {
		return civic.NotFound("报表", "report")
	}
	rep, err := h.store.GetReport(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	if xlsx {
		var buf bytes.Buffer
		if err := store.WriteReportSheet(&buf, rep, c.Lang); err != nil {
			return err
		}
		w.Header().Set("Content-Type", sheet.ContentType)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="report-%d-%s.xlsx"`, rep.ID, rep.From))
		_, err := buf.WriteTo(w)
		return err
	}
	h.renderReport(w, c, rep, FormErrors{}, http.StatusOK)
	return nil
}

func (h *Web) renderReport(w http.ResponseWriter, c *rq, rep civic.Report, errs FormErrors, status int) {
	p := reportViewPage{Page: h.base(w, c, "rep.title", "/reports"), Report: rep, KindLabel: rep.Kind.Label().In(c.Lang), LastDay: rep.LastDay(),
		Errs: errs, Draft: rep.State == civic.ReportDraft, XLSX: fmt.Sprintf("/reports/%d.xlsx", rep.ID)}
	p.Title = rep.RegionName + " " + rep.TemplateName
	if rep.IssuedAt != nil {
		p.IssuedAt = *rep.IssuedAt
	}
	p.Crumbs = []Crumb{{Label: c.T("rep.title"), URL: "/reports"}, {Label: p.Title}}
	for i, v := range rep.Values {
		l := reportLine{Index: i, Label: v.Label.In(c.Lang), Manual: v.Manual, Text: v.Text}
		switch {
		case v.Manual:
		case v.Kind == civic.FigureList:
			for _, it := range v.Items {
				name := it.Name
				if name == "" {
					name = it.Code
				}
				l.Items = append(l.Items, reportItemLine{Rank: len(l.Items) + 1, Code: it.Code, Name: name, Count: it.Count, Link: caseListLink(rep, url.Values{"category": {it.Code}})})
			}
		default:
			l.Value, l.Note = reportValueText(c, v)
			switch {
			case v.Figure == "cases.received":
				l.Link = caseListLink(rep, nil)
			case strings.HasPrefix(v.Figure, "cases.src."):
				l.Link = caseListLink(rep, url.Values{"source": {strings.TrimPrefix(v.Figure, "cases.src.")}})
			}
		}
		p.Rows = append(p.Rows, l)
	}
	h.render(w, c, status, "report", p)
}

// fillReport saves the manual rows of a draft, and issues it when asked.
func (h *Web) fillReport(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return civic.NotFound("报表", "report")
	}
	texts := map[int]string{}
	for k, vs := range r.PostForm {
		if n, ok := strings.CutPrefix(k, "text_"); ok {
			i, err := strconv.Atoi(n)
			if err != nil {
				continue
			}
			texts[i] = strings.Join(vs, "\n")
		}
	}
	issue := r.PostFormValue("issue") == "1"
	rep, err := h.store.FillReport(r.Context(), c.Actor, id, texts, issue)
	if err == nil {
		h.flash(w, map[bool]string{true: "flash.rep_issued", false: "flash.saved"}[issue])
		redirect(w, r, "/reports/"+strconv.FormatInt(rep.ID, 10))
		return nil
	}
	errs, ferr := formErrors(err, c.Lang)
	if ferr != nil {
		return ferr
	}
	cur, gerr := h.store.GetReport(r.Context(), c.Actor, id)
	if gerr != nil {
		return gerr
	}
	for i, t := range texts {
		if i >= 0 && i < len(cur.Values) && cur.Values[i].Manual {
			cur.Values[i].Text = t
		}
	}
	h.renderReport(w, c, cur, errs, errs.Status())
	return nil
}

// reportTemplatesPage lists the templates and the figure catalogue they
// choose from.
type reportTemplatesPage struct {
	Page
	Templates []reportTemplateRow
	Figures   []figureRow
	CanEdit   bool
}

type reportTemplateRow struct {
	civic.ReportTemplate
	KindLabel  string
	ScopeLabel string
	Figures    int
	Manual     int
}

type figureRow struct {
	Key, Name, Definition, Source string
}

func (h *Web) scopeLabel(c *rq, t civic.ReportTemplate) string {
	if t.RegionCode != "" {
		return t.RegionCode
	}
	return fmt.Sprintf(c.T("rep.every_level"), t.Level().Label().In(c.Lang))
}

func (h *Web) reportTemplates(w http.ResponseWriter, r *http.Request, c *rq) error {
	ts, err := h.store.ListReportTemplates(r.Context(), c.Actor)
	if err != nil {
		return err
	}
	p := reportTemplatesPage{Page: h.base(w, c, "rep.templates", "/reports"), CanEdit: c.Actor.Can(civic.PermReportTemplates)}
	p.Crumbs = []Crumb{{Label: c.T("rep.title"), URL: "/reports"}, {Label: p.Title}}
	for _, t := range ts {
		row := reportTemplateRow{ReportTemplate: t, KindLabel: t.Kind.Label().In(c.Lang), ScopeLabel: h.scopeLabel(c, t)}
		for _, rr := range t.Rows {
			if rr.Manual {
				row.Manual++
			} else {
				row.Figures++
			}
		}
		p.Templates = append(p.Templates, row)
	}
	for _, f := range civic.ReportFigures() {
		src := c.T("rep.src_cases")
		if f.Source == civic.FromPeople {
			src = c.T("rep.src_people")
		}
		p.Figures = append(p.Figures, figureRow{Key: f.Key, Name: f.Name.In(c.Lang), Definition: f.Definition.In(c.Lang), Source: src})
	}
	h.render(w, c, http.StatusOK, "report_templates", p)
	return nil
}

// reportTemplateFormPage edits a template; rows are one per line:
// "figure", "figure | label" or "手填 | label" (manual).
type reportTemplateFormPage struct {
	Page
	Form    reportTemplateForm
	Errs    FormErrors
	Action  string
	Kinds   []Option
	Levels  []Option
	Figures []figureRow
	// Uses is how many reports were generated from the template being
	// edited: one that has any cannot be deleted, only switched off.
	Uses int
}

type reportTemplateForm struct {
	ID         int64
	Name       string
	Kind       string
	ScopeLevel string
	RegionCode string
	Rows       string
	Active     bool
}

// manualWords start a manual row in the rows box.
var manualWords = []string{"手填", "manual"}

// templateRowsText writes rows as the form shows them.
func templateRowsText(rows []civic.ReportRow) string {
	var b strings.Builder
	for _, r := range rows {
		switch {
		case r.Manual:
			b.WriteString(manualWords[0] + " | " + r.Label)
		case r.Label != "":
			b.WriteString(r.Figure + " | " + r.Label)
		default:
			b.WriteString(r.Figure)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// parseTemplateRows reads the rows box; the store validates the result.
func parseTemplateRows(s string) []civic.ReportRow {
	var rows []civic.ReportRow
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		key, label, _ := strings.Cut(line, "|")
		key, label = strings.TrimSpace(key), strings.TrimSpace(label)
		manual := false
		for _, m := range manualWords {
			manual = manual || strings.EqualFold(key, m)
		}
		if manual {
			rows = append(rows, civic.ReportRow{Manual: true, Label: label})
		} else {
			rows = append(rows, civic.ReportRow{Figure: key, Label: label})
		}
	}
	return rows
}

func (h *Web) reportTemplateFormPage(w http.ResponseWriter, c *rq, f reportTemplateForm, errs FormErrors) reportTemplateFormPage {
	p := reportTemplateFormPage{Page: h.base(w, c, "rep.template_new", "/reports"), Form: f, Errs: errs, Action: "/reports/templates/new"}
	if f.ID != 0 {
		p.Title = c.T("rep.template_edit")
		p.Action = fmt.Sprintf("/reports/templates/%d/edit", f.ID)
	}
	p.Crumbs = []Crumb{{Label: c.T("rep.title"), URL: "/reports"}, {Label: c.T("rep.templates"), URL: "/reports/templates"}, {Label: p.Title}}
	for _, k := range civic.ReportKinds {
		p.Kinds = append(p.Kinds, Option{Value: string(k), Label: k.Label().In(c.Lang), Selected: string(k) == f.Kind})
	}
	for _, l := range []civic.Level{civic.LevelCity, civic.LevelDistrict, civic.LevelStreet, civic.LevelCommunity, civic.LevelGrid} {
		p.Levels = append(p.Levels, Option{Value: l.Key(), Label: l.Label().In(c.Lang), Selected: l.Key() == f.ScopeLevel})
	}
	for _, fg := range civic.ReportFigures() {
		p.Figures = append(p.Figures, figureRow{Key: fg.Key, Name: fg.Name.In(c.Lang), Definition: fg.Definition.In(c.Lang)})
	}
	return p
}

func (h *Web) newReportTemplate(w http.ResponseWriter, r *http.Request, c *rq) error {
	f := reportTemplateForm{Kind: string(civic.ReportMonthly), ScopeLevel: civic.LevelStreet.Key(), Active: true,
		Rows: "cases.received\ncases.closed\nrate.satisfaction\npeople.population\n" + manualWords[0] + " | " + c.T("rep.manual_example") + "\n"}
	h.render(w, c, http.StatusOK, "report_template_form", h.reportTemplateFormPage(w, c, f, FormErrors{}))
	return nil
}

func (h *Web) editReportTemplate(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return civic.NotFound("报表模板", "report template")
	}
	t, err := h.store.GetReportTemplate(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	f := reportTemplateForm{ID: t.ID, Name: t.Name, Kind: string(t.Kind), ScopeLevel: t.ScopeLevel, RegionCode: t.RegionCode, Rows: templateRowsText(t.Rows), Active: t.Active}
	p := h.reportTemplateFormPage(w, c, f, FormErrors{})
	if p.Uses, err = h.store.ReportTemplateUses(r.Context(), c.Actor, t.ID); err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "report_template_form", p)
	return nil
}

// deleteReportTemplate removes a template no report was generated from.
func (h *Web) deleteReportTemplate(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return civic.NotFound("报表模板", "report template")
	}
	if err := h.store.DeleteReportTemplate(r.Context(), c.Actor, id); err != nil {
		return err
	}
	h.flash(w, "flash.deleted")
	redirect(w, r, "/reports/templates")
	return nil
}

// saveReportTemplate creates (no id in the path) or replaces a template.
func (h *Web) saveReportTemplate(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := reportTemplateForm{Name: v("name"), Kind: v("kind"), ScopeLevel: v("scope_level"), RegionCode: v("region_code"), Rows: r.PostFormValue("rows"), Active: v("active") == "1"}
	if s := r.PathValue("id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return civic.NotFound("报表模板", "report template")
		}
		f.ID = id
	}
	_, err := h.store.SaveReportTemplate(r.Context(), c.Actor, civic.ReportTemplate{ID: f.ID, Name: f.Name, Kind: civic.ReportKind(f.Kind),
		ScopeLevel: f.ScopeLevel, RegionCode: f.RegionCode, Rows: parseTemplateRows(f.Rows), Active: f.Active})
	if err == nil {
		h.flash(w, "flash.saved")
		redirect(w, r, "/reports/templates")
		return nil
	}
	errs, err := formErrors(err, c.Lang, "name", "kind", "scope_level", "region_code")
	if err != nil {
		return err
	}
	h.render(w, c, errs.Status(), "report_template_form", h.reportTemplateFormPage(w, c, f, errs))
	return nil
}
