package web

import (
	"fmt"
	"net/http"
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
	Days    []clockDay
}

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
	p := clockPage{Page: h.base(w, c, "clock.title", "/cases"), Case: cs, Stage: stage.Label().In(c.Lang), Explain: ex}
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
		p.Days = append(p.Days, clockDay{Date: fmt.Sprintf("%04d-%02d-%02d", d.Date.Y, d.Date.M, d.Date.D), Weekday: d.Weekday, Why: why,
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
