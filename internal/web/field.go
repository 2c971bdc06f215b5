package web

import (
	"net/http"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// fieldPage is the grid worker's phone home (/field): today's patrol, the
// quick actions, their corrections waiting for review and the visits due.
type fieldPage struct {
	Page
	Patrol     civic.Patrol
	OnPatrol   bool
	Today      []civic.Patrol // today's patrols, stopped ones
	Pending    []civic.Correction
	Reviewed   []civic.Correction
	Due        []civic.Visit
	CanPropose bool
	Now        time.Time
}

func (h *Web) field(w http.ResponseWriter, r *http.Request, c *rq) error {
	ctx := r.Context()
	p := fieldPage{Page: h.base(w, c, "field.title", "/field"), CanPropose: c.Actor.Can(civic.PermPeoplePropose), Now: h.store.Now()}
	var err error
	if p.Patrol, p.OnPatrol, err = h.store.OpenPatrol(ctx, c.Actor); err != nil {
		return err
	}
	day, _ := time.ParseInLocation(civic.DateLayout, h.today(), civic.ChinaTime)
	ps, _, err := h.store.ListPatrols(ctx, c.Actor, store.PatrolFilter{Mine: true, From: day, Page: store.Page{Limit: 10}})
	if err != nil {
		return err
	}
	for _, pt := range ps {
		if !pt.Open() {
			p.Today = append(p.Today, pt)
		}
	}
	if p.CanPropose {
		if p.Pending, _, err = h.store.ListCorrections(ctx, c.Actor, store.CorrectionFilter{Mine: true, State: civic.CorrectionPending, Page: store.Page{Limit: 20}}); err != nil {
			return err
		}
		// Decisions of the last week, so the proposer sees the outcome.
		all, _, err := h.store.ListCorrections(ctx, c.Actor, store.CorrectionFilter{Mine: true, Page: store.Page{Limit: 20}})
		if err != nil {
			return err
		}
		for _, cr := range all {
			if cr.ReviewedAt != nil && p.Now.Sub(*cr.ReviewedAt) < 7*24*time.Hour {
				p.Reviewed = append(p.Reviewed, cr)
			}
		}
	}
	if c.Actor.Can(civic.PermPeopleRead) {
		if p.Due, _, err = h.store.ListVisits(ctx, c.Actor, store.VisitFilter{DueBy: h.today(), Page: store.Page{Limit: 20}}); err != nil {
			return err
		}
	}
	h.render(w, c, http.StatusOK, "field", p)
	return nil
}
