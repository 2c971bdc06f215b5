package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

// overviewPage is the one-screen overview (一屏统览, DESIGN.md §3) of a
// scope, city down to grid: a period's big numbers and rates, and cards
// that each hold an ECharts chart, the same figures as a table (the no-JS
// fallback, and what tests read) and a CSV download. Every number that
// counts cases links to the case list behind it.
type overviewPage struct {
	Page
	Scope   civic.Region
	Path    []civic.Region
	Period  string
	Periods []ovTab
	From    string
	ToIncl  string // the period's last day, as the case list's "to" wants
	AsOf    string
	Figures []ovFigure
	Tables  []ovTable
	// MapLevel is the level key of the regions on the map: the scope's
	// children, or the scope itself when it is a grid.
	MapLevel string
	MapUnder string
	// OverdueURL lists the scope's cases overdue now.
	OverdueURL string
	// Data is the charts' input for overview.js.
	Data template.JS
}

// ovTab is one period tab.
type ovTab struct {
	Key, Label, URL string
	Active          bool
}

// ovFigure is one big number; URL is its drill-down, "" for rates.
type ovFigure struct {
	Key, Label, Value, Title, URL string
	Rate                          bool
}

// ovTable is one chart card's figures. Kind says how overview.js draws it
// (line, bar, pie, map); Rate marks the columns that are ratios.
type ovTable struct {
	ID, Title, Kind string
	Head            []string
	Rate            []bool
	Rows            []ovRow
}

type ovRow struct{ Cells []ovCell }

// ovCell is a cell's text, its number for the chart (nil for labels and
// missing rates) and its drill-down link.
type ovCell struct {
	Text string
	Num  *float64
	URL  string
}

var ovPeriods = []string{"today", "week", "month"}

func (h *Web) overview(w http.ResponseWriter, r *http.Request, c *rq) error {
	p, err := h.newOverviewPage(w, r, c)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("fragment") == "1" {
		h.fragment(w, c, http.StatusOK, "overview", "ov_live", p)
		return nil
	}
	h.render(w, c, http.StatusOK, "overview", p)
	return nil
}

// overviewCSV downloads one card's table.
func (h *Web) overviewCSV(w http.ResponseWriter, r *http.Request, c *rq) error {
	p, err := h.newOverviewPage(w, r, c)
	if err != nil {
		return err
	}
	id := r.URL.Query().Get("chart")
	for _, t := range p.Tables {
		if t.ID != id {
			continue
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		name := fmt.Sprintf("overview-%s-%s-%s.csv", p.Scope.Code, p.Period, t.ID)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		_, _ = w.Write([]byte("\ufeff")) // Excel reads UTF-8 only with a BOM
		cw := sheet.NewCSVWriter(w)
		_ = cw.Write(t.Head)
		for _, row := range t.Rows {
			rec := make([]string, len(row.Cells))
			for i, cl := range row.Cells {
				rec[i] = csvSafe(cl.Text)
			}
			_ = cw.Write(rec)
		}
		cw.Flush()
		return cw.Error()
	}
	return civic.NotFound("图表", "chart")
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '@') {
		return "'" + s
	}
	return s
}

func (h *Web) newOverviewPage(w http.ResponseWriter, r *http.Request, c *rq) (overviewPage, error) {
	ctx := r.Context()
	q := r.URL.Query()
	scope := underParam(url.Values{"under": {q.Get("scope")}})
	o, err := h.store.Overview(ctx, c.Actor, scope)
	if err != nil {
		return overviewPage{}, err
	}
	p := overviewPage{Page: h.base(w, c, "ov.title", "/overview"), Period: q.Get("period")}
	p.Leaflet = true
	if o.Scope != "" {
		if p.Scope, err = h.store.GetRegion(ctx, c.Actor, o.Scope); err != nil {
			return overviewPage{}, err
		}
		p.Scope.Boundary = nil
		if p.Path, err = h.store.RegionPath(ctx, c.Actor, o.Scope); err != nil {
			return overviewPage{}, err
		}
		for _, reg := range p.Path {
			cr := Crumb{Label: reg.Name}
			if reg.Code != o.Scope {
				cr.URL = "/overview?scope=" + url.QueryEscape(reg.Code)
			}
			p.Crumbs = append(p.Crumbs, cr)
		}
	}
	pi := 0
	for i, k := range ovPeriods {
		if k == p.Period {
			pi = i
		}
	}
	p.Period = ovPeriods[pi]
	for _, k := range ovPeriods {
		p.Periods = append(p.Periods, ovTab{Key: k, Label: c.T("ov.period." + k), URL: ovURL(o.Scope, k), Active: k == p.Period})
	}
	var per civic.OverviewPeriod
	if pi < len(o.Periods) {
		per = o.Periods[pi]
	}
	p.From, p.ToIncl = per.From, dayBefore(per.To)
	p.AsOf = o.AsOf.In(civic.ChinaTime).Format("2006-01-02 15:04:05")
	cat, err := h.catalogue(ctx)
	if err != nil {
		return overviewPage{}, err
	}
	catName := func(code string) string {
		if cc, ok := cat.byCode[code]; ok && cc.Name != "" {
			if c.Lang == "en" && cc.NameEN != "" {
				return cc.NameEN
			}
			return cc.Name
		}
		return code
	}
	// cases links to the case list of the scope, filtered further.
	cases := func(kv ...string) string {
		v := url.Values{}
		if o.Scope != "" {
			v.Set("under", o.Scope)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				v.Set(kv[i], kv[i+1])
			}
		}
		return "/cases?" + v.Encode()
	}
	inPeriod := func(kv ...string) string { return cases(append(kv, "from", p.From, "to", p.ToIncl)...) }

	var open int64
	for st, n := range o.ByState {
		if ovOpen(civic.CaseState(st)) {
			open += n
		}
	}
	count := func(key string, n int64, u string) ovFigure {
		return ovFigure{Key: key, Label: c.T("ov.fig." + key), Value: strconv.FormatInt(n, 10), URL: u}
	}
	p.Figures = []ovFigure{
		count("reported", per.Reported, inPeriod()),
		count("open", open, ""),
		count("warned", per.Warned, ""),
		count("escalated", per.Escalated, ""),
	}
	p.OverdueURL = cases("overdue", "1")
	p.Figures[1].Title = c.T("ov.fig.open_hint")
	rates := []struct {
		key string
		v   *float64
	}{{"response", per.Rates.Response}, {"solved", per.Rates.Solved}, {"satisfaction", per.Rates.Satisfaction}, {"completion", per.Rates.Completion}}
	for _, rt := range rates {
		p.Figures = append(p.Figures, ovFigure{Key: rt.key, Label: c.T("assess.col." + rt.key), Value: rateText(rt.v), Rate: true})
	}

	rateHead := []string{c.T("assess.col.response"), c.T("assess.col.solved"), c.T("assess.col.satisfaction"), c.T("assess.col.completion")}
	trend := func(id, title string, pts []civic.TrendPoint, monthly bool) ovTable {
		t := ovTable{ID: id, Title: title, Kind: "line",
			Head: append([]string{c.T("ov.col.date"), c.T("ov.col.reported"), c.T("ov.col.closed")}, rateHead...),
			Rate: []bool{false, false, false, true, true, true, true}}
		for _, pt := range pts {
			label, from, to := pt.Date, pt.Date, pt.Date
			if monthly && len(pt.Date) >= 7 {
				label = pt.Date[:7]
				if d, err := time.ParseInLocation(civic.DateLayout, pt.Date, civic.ChinaTime); err == nil {
					to = d.AddDate(0, 1, -1).Format(civic.DateLayout)
				}
			}
			t.Rows = append(t.Rows, ovRow{Cells: []ovCell{{Text: label}, numCell(pt.Reported, cases("from", from, "to", to)), numCell(pt.Closed, ""),
				rateCell(pt.Rates.Response), rateCell(pt.Rates.Solved), rateCell(pt.Rates.Satisfaction), rateCell(pt.Rates.Completion)}})
		}
		return t
	}
	p.Tables = append(p.Tables, trend("daily", c.T("ov.chart.daily"), o.Daily, false))

	src := ovTable{ID: "source", Title: c.T("ov.chart.source"), Kind: "pie", Head: []string{c.T("ov.col.source"), c.T("ov.col.reported")}, Rate: []bool{false, false}}
	for _, k := range sortedKeys(per.BySource) {
		src.Rows = append(src.Rows, ovRow{Cells: []ovCell{{Text: civic.Source(k).Label().In(c.Lang)}, numCell(per.BySource[k], inPeriod("source", k))}})
	}
	p.Tables = append(p.Tables, src)

	sta := ovTable{ID: "state", Title: c.T("ov.chart.state"), Kind: "bar", Head: []string{c.T("ov.col.state"), c.T("ov.col.cases")}, Rate: []bool{false, false}}
	for _, s := range civic.CaseStates {
		if n := per.ByState[string(s)]; n != 0 {
			sta.Rows = append(sta.Rows, ovRow{Cells: []ovCell{{Text: s.Label().In(c.Lang)}, numCell(n, inPeriod("state", string(s)))}})
		}
	}
	p.Tables = append(p.Tables, sta)

	cats := ovTable{ID: "category", Title: c.T("ov.chart.category"), Kind: "bar", Head: []string{c.T("ov.col.category"), c.T("ov.col.reported")}, Rate: []bool{false, false}}
	keys := sortedKeys(per.ByCategory)
	sort.SliceStable(keys, func(i, j int) bool { return per.ByCategory[keys[i]] > per.ByCategory[keys[j]] })
	for _, k := range keys[:min(10, len(keys))] {
		cats.Rows = append(cats.Rows, ovRow{Cells: []ovCell{{Text: catName(k)}, numCell(per.ByCategory[k], inPeriod("category", k))}})
	}
	p.Tables = append(p.Tables, cats)

	var week civic.OverviewPeriod
	if len(o.Periods) > 1 {
		week = o.Periods[1]
	}
	rise := ovTable{ID: "rising", Title: c.T("ov.chart.rising"), Kind: "bar",
		Head: []string{c.T("ov.col.category"), c.T("ov.col.week"), c.T("ov.col.prev4"), c.T("ov.col.last_year")}, Rate: []bool{false, false, false, false}}
	for _, ct := range o.Rising {
		avg := ct.Prev4Avg
		rise.Rows = append(rise.Rows, ovRow{Cells: []ovCell{{Text: catName(ct.Code)},
			numCell(ct.Week, cases("category", ct.Code, "from", week.From, "to", dayBefore(week.To))),
			{Text: strconv.FormatFloat(avg, 'f', 1, 64), Num: &avg}, numCell(ct.LastYear, "")}})
	}
	p.Tables = append(p.Tables, rise)

	// The map's regions: the scope's children with their names.
	names := map[string]string{}
	if o.Scope != "" {
		p.MapUnder = o.Scope
		lv := p.Scope.Level
		for i, l := range civic.Levels {
			if l == p.Scope.Level && i+1 < len(civic.Levels) && l < civic.LevelGrid {
				lv = civic.Levels[i+1]
			}
		}
		p.MapLevel = lv.Key()
		if lv == p.Scope.Level {
			names[p.Scope.Code] = p.Scope.Name
		} else if c.Actor.Can(civic.PermRegionRead) {
			kids, _, err := h.store.ListRegions(ctx, c.Actor, store.RegionFilter{ParentCode: o.Scope, Page: store.Page{Limit: 1000}})
			if err != nil {
				return overviewPage{}, err
			}
			for _, k := range kids {
				names[k.Code] = k.Name
			}
		}
	}
	var month civic.OverviewPeriod
	if len(o.Periods) > 0 {
		month = o.Periods[len(o.Periods)-1]
	}
	reg := ovTable{ID: "regions", Title: c.T("ov.chart.regions"), Kind: "map",
		Head: []string{c.T("ov.col.region"), c.T("ov.col.code"), c.T("ov.col.month_reported"), c.T("ov.col.open")}, Rate: []bool{false, false, false, false}}
	for _, rf := range o.Regions {
		name := names[rf.Code]
		if name == "" {
			name = rf.Code
		}
		drill := ""
		if rf.Code != o.Scope {
			drill = ovURL(rf.Code, p.Period)
		}
		under := url.Values{"under": {rf.Code}, "from": {month.From}, "to": {dayBefore(month.To)}}
		reg.Rows = append(reg.Rows, ovRow{Cells: []ovCell{{Text: name, URL: drill}, {Text: rf.Code},
			numCell(rf.Reported, "/cases?"+under.Encode()), numCell(rf.Open, "")}})
	}
	p.Tables = append(p.Tables, reg)
	p.Tables = append(p.Tables, trend("monthly", c.T("ov.chart.monthly"), o.Monthly, true))

	// People (for those who may read them): population and the tags that
	// drive care work, each linked to the people behind it, and the two
	// linkage rates as figures.
	if ps := o.People; ps != nil {
		people := func(kv ...string) string {
			v := url.Values{}
			if o.Scope != "" {
				v.Set("under", o.Scope)
			}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return "/people?" + v.Encode()
		}
		pt := ovTable{ID: "people", Title: c.T("ov.chart.people"), Kind: "bar", Head: []string{c.T("ov.col.group"), c.T("ov.col.people")}, Rate: []bool{false, false}}
		pt.Rows = append(pt.Rows, ovRow{Cells: []ovCell{{Text: c.T("ov.people.population")}, numCell(ps.Population, people())}})
		for _, tag := range civic.Tags {
			if n := ps.ByTag[string(tag)]; n > 0 {
				pt.Rows = append(pt.Rows, ovRow{Cells: []ovCell{{Text: tag.Label().In(c.Lang)}, numCell(n, people("tag", string(tag)))}})
			}
		}
		p.Tables = append(p.Tables, pt)
		lk := ps.Linkage
		peopleRate, houseRate := lk.PeopleRate(), lk.HouseRate()
		p.Figures = append(p.Figures,
			ovFigure{Key: "people_linked", Label: c.T("ov.fig.people_linked"), Value: rateText(&peopleRate), Rate: true,
				Title: fmt.Sprintf("%d / %d", lk.PeopleLinked, lk.People)},
			ovFigure{Key: "houses_complete", Label: c.T("ov.fig.houses_complete"), Value: rateText(&houseRate), Rate: true,
				Title: fmt.Sprintf("%d / %d", lk.HousesComplete, lk.Houses)})
	}

	data, err := json.Marshal(ovData(p))
	if err != nil {
		return overviewPage{}, err
	}
	p.Data = template.JS(data)
	return p, nil
}

// ovData is what overview.js draws: per table its kind, column names,
// labels, series and drill-down links.
func ovData(p overviewPage) map[string]any {
	charts := map[string]any{}
	for _, t := range p.Tables {
		var labels, links, codes []string
		series := make([][]*float64, len(t.Head))
		for _, row := range t.Rows {
			labels = append(labels, row.Cells[0].Text)
			link := row.Cells[0].URL
			for i, cl := range row.Cells {
				series[i] = append(series[i], cl.Num)
				if link == "" && cl.URL != "" {
					link = cl.URL
				}
			}
			links = append(links, link)
			if t.Kind == "map" {
				codes = append(codes, row.Cells[1].Text)
			}
		}
		charts[t.ID] = map[string]any{"kind": t.Kind, "head": t.Head, "rate": t.Rate, "labels": labels, "series": series, "links": links, "codes": codes}
	}
	return map[string]any{"scope": p.Scope.Code, "period": p.Period, "as_of": p.AsOf, "charts": charts}
}

func ovURL(scope, period string) string {
	v := url.Values{}
	if scope != "" {
		v.Set("scope", scope)
	}
	if period != "" && period != ovPeriods[0] {
		v.Set("period", period)
	}
	if len(v) == 0 {
		return "/overview"
	}
	return "/overview?" + v.Encode()
}

func ovOpen(s civic.CaseState) bool {
	switch s {
	case civic.StateReported, civic.StateAccepted, civic.StateDispatched, civic.StateInProgress, civic.StateHandled:
		return true
	}
	return false
}

func numCell(n int64, u string) ovCell {
	f := float64(n)
	if n == 0 {
		u = ""
	}
	return ovCell{Text: strconv.FormatInt(n, 10), Num: &f, URL: u}
}

func rateCell(r *float64) ovCell {
	if r == nil {
		return ovCell{Text: "—"}
	}
	v := *r * 100
	return ovCell{Text: rateText(r), Num: &v}
}

func rateText(r *float64) string {
	if r == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *r*100)
}

// dayBefore turns an exclusive period end into the inclusive last day.
func dayBefore(d string) string {
	t, err := time.ParseInLocation(civic.DateLayout, d, civic.ChinaTime)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 0, -1).Format(civic.DateLayout)
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
