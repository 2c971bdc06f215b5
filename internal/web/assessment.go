package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// assessmentPage is the month's case metrics per handler, street or
// community — the figures a street or district is assessed on (响应率,
// 解决率, 满意率, 办结率 …, see docs/METRICS.md) — and each department's
// whistle record. Every figure shows its counts on hover.
type assessmentPage struct {
	Page
	Month    string // YYYY-MM
	Months   []Option
	GroupBy  string
	Groups   []Option
	Columns  []string
	Rows     []assessmentRow
	Whistles []whistleRow
}

// whistleRow is a department's whistle record with its late check-ins.
type whistleRow struct {
	store.WhistleStat
	Late int
}

type assessmentRow struct {
	Name  string
	Cells []assessmentCell
	Hours string
}

type assessmentCell struct{ Text, Title string }

func cell(r store.Rate) assessmentCell {
	if r.Ratio == nil {
		return assessmentCell{Text: "—", Title: "0 / 0"}
	}
	return assessmentCell{Text: fmt.Sprintf("%.1f%%", *r.Ratio*100), Title: fmt.Sprintf("%g / %d", r.Numerator, r.Denominator)}
}

func (h *Web) assessment(w http.ResponseWriter, r *http.Request, c *rq) error {
	now := h.store.Now().In(civic.ChinaTime)
	month := r.URL.Query().Get("month")
	start, err := time.ParseInLocation("2006-01", month, civic.ChinaTime)
	if err != nil {
		start = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, civic.ChinaTime)
	}
	p := assessmentPage{Page: h.base(w, c, "assess.title", "/assessment"), Month: start.Format("2006-01"), GroupBy: r.URL.Query().Get("group_by")}
	for i := 0; i < 12; i++ {
		m := time.Date(now.Year(), now.Month()-time.Month(i), 1, 0, 0, 0, 0, civic.ChinaTime).Format("2006-01")
		p.Months = append(p.Months, Option{Value: m, Label: m, Selected: m == p.Month})
	}
	groups := []string{store.GroupByOrg, store.GroupByStreet, store.GroupByCommunity, store.GroupByCategory}
	if p.GroupBy == "" {
		p.GroupBy = store.GroupByOrg
	}
	for _, g := range groups {
		p.Groups = append(p.Groups, Option{Value: g, Label: c.T("assess.by." + g), Selected: g == p.GroupBy})
	}
	f := store.MetricsFilter{From: start, To: start.AddDate(0, 1, 0)}
	rows, err := h.store.CaseMetricsBy(r.Context(), c.Actor, f, p.GroupBy)
	if err != nil {
		return err
	}
	for _, k := range []string{"response", "solved", "satisfaction", "completion", "on_time", "overdue", "rework"} {
		p.Columns = append(p.Columns, c.T("assess.col."+k))
	}
	for _, row := range rows {
		m := row.Metrics
		name := row.Name
		if name == "" {
			name = c.T("assess.no_handler")
		}
		ar := assessmentRow{Name: name, Cells: []assessmentCell{cell(m.Response), cell(m.Solved), cell(m.Satisfaction), cell(m.Completion), cell(m.OnTime), cell(m.Overdue), cell(m.Rework)}, Hours: "—"}
		if m.HandlingTime.NaturalHours != nil {
			ar.Hours = fmt.Sprintf("%.1f", *m.HandlingTime.NaturalHours)
		}
		p.Rows = append(p.Rows, ar)
	}
	ws, err := h.store.WhistleStats(r.Context(), c.Actor, f)
	if err != nil {
		return err
	}
	for _, st := range ws {
		p.Whistles = append(p.Whistles, whistleRow{WhistleStat: st, Late: st.CheckedIn - st.OnTime})
	}
	h.render(w, c, http.StatusOK, "assessment", p)
	return nil
}
