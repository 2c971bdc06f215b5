package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

// assessmentPage is the assessment (考核) of a month, quarter or year per
// handler, street or community: every figure of docs/METRICS.md with the
// counts behind it, each linked to its cases, a weighted score and rank,
// the red and black lists (红黑榜), the units with too few cases apart,
// each department's whistle record, and for administrators the weights.
type assessmentPage struct {
	Page
	Period   string
	Periods  []Option
	Level    string
	Levels   []Option
	Query    string // level=…&period=… for the export links
	Regions  bool   // street or community: the reported column
	Ranked   assessTable
	Apart    assessTable
	Red      assessTable
	Black    assessTable
	Settings civic.AssessmentSettings
	Whistles []whistleRow
	CanEdit  bool
	Weights  []weightField
	MinCases string
	TopN     string
	Errs     FormErrors
}

// whistleRow is a department's whistle record with its late check-ins.
type whistleRow struct {
	store.WhistleStat
	Late int
}

// assessTable is a table of units; Regions adds the reported column.
type assessTable struct {
	Rows    []assessRow
	Regions bool
}

// assessRow is one unit as shown.
type assessRow struct {
	Key, Name string
	Rank      string
	Score     string
	Cells     []assessCell
}

// assessCell is a figure: a main text and, for a rate, its numerator and
// denominator; each part links to its cases when it has a figure behind it.
type assessCell struct {
	Main, MainURL string
	Num, NumURL   string
	Den, DenURL   string
}

// weightField is one weight on the administrators' form.
type weightField struct {
	Key, Label, Value string
}

// assessQuery reads level and period (month= of the old monthly page and
// group_by= still work); bad values fall back to the defaults.
func (h *Web) assessQuery(q url.Values) (store.AssessmentQuery, error) {
	now := h.store.Now()
	code := q.Get("period")
	if code == "" {
		code = q.Get("month")
	}
	p, err := civic.ParsePeriod(code, now)
	if err != nil {
		return store.AssessmentQuery{}, err
	}
	l := civic.AssessLevel(q.Get("level"))
	switch q.Get("group_by") {
	case store.GroupByStreet:
		l = civic.AssessStreet
	case store.GroupByCommunity:
		l = civic.AssessCommunity
	}
	if !l.Valid() {
		l = civic.AssessOrg
	}
	return store.AssessmentQuery{Level: l, Period: p}, nil
}

func (h *Web) assessment(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.assessmentPage(w, r, c, nil, FormErrors{}, http.StatusOK)
}

func (h *Web) assessmentPage(w http.ResponseWriter, r *http.Request, c *rq, form *civic.AssessmentSettings, errs FormErrors, status int) error {
	ctx := r.Context()
	aq, err := h.assessQuery(r.URL.Query())
	if err != nil {
		return err
	}
	a, err := h.store.Assessment(ctx, c.Actor, aq)
	if err != nil {
		return err
	}
	p := assessmentPage{Page: h.base(w, c, "assess.title", "/assessment"), Period: aq.Period.Code, Level: string(aq.Level),
		Regions: aq.Level != civic.AssessOrg, Settings: a.Settings, CanEdit: c.Actor.Can(civic.PermAssessWeights), Errs: errs}
	p.Query = "level=" + url.QueryEscape(p.Level) + "&period=" + url.QueryEscape(p.Period)
	listed := false
	for _, pr := range civic.RecentPeriods(h.store.Now()) {
		p.Periods = append(p.Periods, Option{Value: pr.Code, Label: periodLabel(c, pr), Selected: pr.Code == p.Period})
		listed = listed || pr.Code == p.Period
	}
	if !listed {
		p.Periods = append([]Option{{Value: p.Period, Label: periodLabel(c, aq.Period), Selected: true}}, p.Periods...)
	}
	for _, l := range civic.AssessLevels {
		p.Levels = append(p.Levels, Option{Value: string(l), Label: c.T("assess.level." + string(l)), Selected: l == aq.Level})
	}
	rows := map[string]assessRow{}
	for _, u := range a.Units {
		row := assessRowOf(c, aq, u, p.Regions)
		rows[u.Key] = row
		if u.Ranked {
			p.Ranked.Rows = append(p.Ranked.Rows, row)
		} else {
			p.Apart.Rows = append(p.Apart.Rows, row)
		}
	}
	for _, k := range a.Red {
		p.Red.Rows = append(p.Red.Rows, rows[k])
	}
	for _, k := range a.Black {
		p.Black.Rows = append(p.Black.Rows, rows[k])
	}
	p.Ranked.Regions, p.Apart.Regions, p.Red.Regions, p.Black.Regions = p.Regions, p.Regions, p.Regions, p.Regions
	ws, err := h.store.WhistleStats(ctx, c.Actor, store.MetricsFilter{From: aq.Period.From, To: aq.Period.To})
	if err != nil {
		return err
	}
	for _, st := range ws {
		p.Whistles = append(p.Whistles, whistleRow{WhistleStat: st, Late: st.CheckedIn - st.OnTime})
	}
	st := a.Settings
	if form != nil {
		st = *form
	}
	for _, i := range civic.Indicators {
		p.Weights = append(p.Weights, weightField{Key: string(i), Label: c.T("assess.col." + string(i)), Value: strconv.FormatFloat(st.Weights[i], 'f', -1, 64)})
	}
	p.MinCases, p.TopN = strconv.Itoa(st.MinCases), strconv.Itoa(st.TopN)
	h.render(w, c, status, "assessment", p)
	return nil
}

func periodLabel(c *rq, p civic.Period) string {
	switch p.Kind {
	case "quarter":
		return fmt.Sprintf(c.T("assess.period.quarter"), p.Code[:4], p.Code[6:])
	case "year":
		return fmt.Sprintf(c.T("assess.period.year"), p.Code)
	}
	return p.Code
}

// figureURL is the case list of one figure of one unit.
func figureURL(q store.AssessmentQuery, unit, fig string) string {
	v := url.Values{"level": {string(q.Level)}, "period": {q.Period.Code}, "unit": {unit}, "fig": {fig}}
	return "/cases?" + v.Encode()
}

func pct(r store.Rate) string {
	if r.Ratio == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *r.Ratio*100)
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func assessRowOf(c *rq, q store.AssessmentQuery, u store.AssessmentUnit, regions bool) assessRow {
	link := func(fig string) string { return figureURL(q, u.Key, fig) }
	count := func(n int, fig string) assessCell {
		return assessCell{Main: strconv.Itoa(n), MainURL: link(fig)}
	}
	ratio := func(r store.Rate, numFig, denFig string) assessCell {
		cl := assessCell{Main: pct(r), Num: num(r.Numerator), Den: strconv.Itoa(r.Denominator), DenURL: link(denFig)}
		if numFig != "" {
			cl.NumURL = link(numFig)
		}
		return cl
	}
	row := assessRow{Key: u.Key, Name: u.Name, Rank: "—", Score: "—"}
	if row.Name == "" {
		row.Name = u.Key
	}
	if u.Ranked {
		row.Rank = strconv.Itoa(u.Rank)
	}
	if u.Score != nil {
		row.Score = fmt.Sprintf("%.2f", *u.Score)
	}
	if regions {
		row.Cells = append(row.Cells, count(u.Reported, store.FigReported))
	}
	overdue := assessCell{Main: strconv.Itoa(u.Overdue), MainURL: link(store.FigOverdue), Num: pct(u.OverdueRate)}
	rework := assessCell{Main: strconv.Itoa(u.Reworked), MainURL: link(store.FigReworked), Num: pct(u.ReworkRate)}
	row.Cells = append(row.Cells,
		count(u.Dispatched, store.FigDispatched),
		count(u.Closed, store.FigClosed),
		ratio(u.Response, store.FigResponded, store.FigResponse),
		ratio(u.Solved, store.FigSolved, store.FigVisits),
		// (满意 + w·基本满意) is not a count of cases: the denominator links.
		ratio(u.Satisfaction, "", store.FigVisits),
		ratio(u.Completion, store.FigDueClosed, store.FigDue),
		overdue, rework,
		count(u.Returned, store.FigReturned),
		ratio(u.WhistleRate, store.FigWhistleOnTime, store.FigWhistleDecided))
	return row
}

// saveAssessmentWeights is the administrators' weights form.
func (h *Web) saveAssessmentWeights(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	st := civic.AssessmentSettings{Weights: map[civic.Indicator]float64{}}
	var fe FormErrors
	for _, i := range civic.Indicators {
		s := strings.TrimSpace(r.PostFormValue("w_" + string(i)))
		if s == "" {
			s = "0"
		}
		v, err := civic.ParseNumber(s)
		if err != nil {
			fe.addField("w_"+string(i), c.T("assess.bad_number"))
		}
		st.Weights[i] = v
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"min_cases", &st.MinCases}, {"top_n", &st.TopN}} {
		v, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(f.name)))
		if err != nil {
			fe.addField(f.name, c.T("assess.bad_number"))
		}
		*f.dst = v
	}
	back := "/assessment?" + url.Values{"level": {r.PostFormValue("level")}, "period": {r.PostFormValue("period")}}.Encode()
	if len(fe.Fields) == 0 {
		_, err := h.store.SetAssessmentSettings(r.Context(), c.Actor, st)
		if err == nil {
			h.flash(w, "flash.saved")
			redirect(w, r, back)
			return nil
		}
		if fe, err = formErrors(err, c.Lang); err != nil {
			return err
		}
	} else {
		fe.status = http.StatusUnprocessableEntity
	}
	r.URL.RawQuery = strings.TrimPrefix(back, "/assessment?")
	return h.assessmentPage(w, r, c, &st, fe, fe.status)
}

// assessmentExport downloads the assessment table as .xlsx or CSV.
func (h *Web) assessmentExport(w http.ResponseWriter, r *http.Request, c *rq) error {
	aq, err := h.assessQuery(r.URL.Query())
	if err != nil {
		return err
	}
	a, err := h.store.Assessment(r.Context(), c.Actor, aq)
	if err != nil {
		return err
	}
	t := sheet.Table{Sheet: c.T("assess.title")}
	for _, k := range []string{"assess.rank", "assess.unit", "assess.key", "assess.score", "assess.col.reported", "assess.col.dispatched", "assess.col.closed",
		"assess.col.response", "assess.col.solved", "assess.col.satisfaction", "assess.col.completion", "assess.col.overdue_count", "assess.col.overdue",
		"assess.col.rework_count", "assess.col.rework", "assess.col.returned", "assess.w.summoned", "assess.w.on_time", "assess.col.whistle"} {
		t.Header = append(t.Header, c.T(k))
	}
	ratio := func(r store.Rate) any {
		if r.Ratio == nil {
			return ""
		}
		return *r.Ratio
	}
	for _, u := range a.Units {
		var rank, score any = "", ""
		if u.Ranked {
			rank = u.Rank
		}
		if u.Score != nil {
			score = *u.Score
		}
		t.Rows = append(t.Rows, []any{rank, u.Name, u.Key, score, u.Reported, u.Dispatched, u.Closed,
			ratio(u.Response), ratio(u.Solved), ratio(u.Satisfaction), ratio(u.Completion), u.Overdue, ratio(u.OverdueRate),
			u.Reworked, ratio(u.ReworkRate), u.Returned, u.Whistles.Summoned, u.Whistles.OnTime, ratio(u.WhistleRate)})
	}
	name := "assessment-" + string(aq.Level) + "-" + aq.Period.Code
	if !strings.HasSuffix(r.URL.Path, ".csv") {
		return sendXLSX(w, name+".xlsx", t)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	_, _ = w.Write([]byte("\ufeff")) // Excel reads UTF-8 only with a BOM
	cw := sheet.NewCSVWriter(w)
	_ = cw.Write(t.Header)
	for _, row := range t.Rows {
		rec := make([]string, len(row))
		for i, v := range row {
			switch x := v.(type) {
			case float64:
				rec[i] = strconv.FormatFloat(x, 'f', -1, 64)
			default:
				rec[i] = csvSafe(fmt.Sprint(x))
			}
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}
