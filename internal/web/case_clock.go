package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/calendar"
	"github.com/civicgrid/civicgrid/internal/civic"
)

// clockPage explains one deadline of a case day by day.
type clockPage struct {
	Page
	Case    civic.Case
	Stage   string
	Explain calendar.Explanation
	Budget  string // the stage's time limit in words
	Days    []clockDay
}

// budgetWords says a time limit as a reader would: 2工作日, 2 working days.
func budgetWords(lang string, amount float64, unit string) string {
	n := strconv.FormatFloat(amount, 'f', -1, 64)
	if lang != "en" {
		if l := civic.TimeUnit(unit).Label(); l.ZH != "" {
			return n + l.ZH
		}
		return n + " " + unit
	}
	words := map[string]string{"work_hours": "working hours", "work_days": "working days", "hours": "hours"}[unit]
	if words == "" {
		words = unit
	}
	if amount == 1 {
		words = strings.TrimSuffix(words, "s")
	}
	return n + " " + words
}

// weekdayNames are the calendar's English weekday names in Chinese.
var weekdayNames = map[string]string{"Monday": "星期一", "Tuesday": "星期二", "Wednesday": "星期三", "Thursday": "星期四",
	"Friday": "星期五", "Saturday": "星期六", "Sunday": "星期日"}

type clockDay struct {
	Date, Weekday, Why, Counted, Left string
	Working                           bool
}

func (h *Web) caseClock(w http.ResponseWriter, r *http.Request, c *rq) error {
	cs, err := h.caseByRef(r, c)
	if err != nil {
		return err
	}
	stage := civic.Stage(r.PathValue("stage"))
	ex, err := h.store.ExplainDeadline(r.Context(), c.Actor, cs.ID, stage)
	if err != nil {
		return err
	}
	p := clockPage{Page: h.base(w, c, "clock.title", "/cases"), Case: cs, Stage: stage.Label().In(c.Lang), Explain: ex,
		Budget: budgetWords(c.Lang, ex.Budget.Amount, string(ex.Budget.Unit))}
	p.Crumbs = []Crumb{{Label: c.T("nav.cases"), URL: "/cases"}, {Label: cs.Number, URL: fmt.Sprintf("/cases/%d", cs.ID)}, {Label: c.T("clock.title")}}
	for _, d := range ex.Days {
		why := c.T("clock.workday")
		reason := d.Skipped
		if reason == "" {
			reason = d.Reason
		}
		switch {
		case reason == "weekend":
			why = c.T("clock.weekend")
		case strings.HasPrefix(reason, "holiday:"):
			why = c.T("clock.holiday") + " " + strings.TrimPrefix(reason, "holiday:")
		case strings.HasPrefix(reason, "makeup:"):
			why = c.T("clock.makeup") + " " + strings.TrimPrefix(reason, "makeup:")
		case reason == "paused":
			why = c.T("clock.paused")
		case reason == "outside_hours":
			why = c.T("clock.outside_hours")
		}
		wd := d.Weekday
		if c.Lang != "en" && weekdayNames[wd] != "" {
			wd = weekdayNames[wd]
		}
		p.Days = append(p.Days, clockDay{Date: fmt.Sprintf("%04d-%02d-%02d", d.Date.Y, d.Date.M, d.Date.D), Weekday: wd, Why: why,
			Counted: minutes(c, d.CountedMinutes), Left: minutes(c, d.RemainingMinutes), Working: d.CountedMinutes > 0})
	}
	h.render(w, c, http.StatusOK, "case_clock", p)
	return nil
}

func minutes(c *rq, m float64) string {
	if m <= 0 {
		return "—"
	}
	return fmt.Sprintf(c.T("clock.hm"), int(m)/60, int(m)%60)
}
