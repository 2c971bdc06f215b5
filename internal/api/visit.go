package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// Household visits (走访).

func (a *API) recordVisit(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		PersonID  int64  `json:"person_id"`
		HouseID   int64  `json:"house_id"`
		VisitedAt string `json:"visited_at"`
		Notes     string `json:"notes"`
		Needs     string `json:"needs"`
		NextVisit string `json:"next_visit"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	v := civic.Visit{PersonID: in.PersonID, HouseID: in.HouseID, Notes: in.Notes, Needs: in.Needs, NextVisit: in.NextVisit}
	if in.VisitedAt != "" {
		var perr error
		if v.VisitedAt, perr = time.Parse(time.RFC3339, in.VisitedAt); perr != nil {
			return civic.Invalid(civic.FieldErr("visited_at", "走访时间应为 RFC 3339 格式", "visited_at must be an RFC 3339 time"))
		}
	}
	v, err = a.store.RecordVisit(r.Context(), act, v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// listVisits lists visits in scope: ?mine=true the caller's own,
// ?due=true those due by today (China date), ?due_by= by a date.
func (a *API) listVisits(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	under, err := subtreeParam(r, act, "under")
	if err != nil {
		return err
	}
	f := store.VisitFilter{Under: under, DueBy: q.Get("due_by"), Page: p}
	for _, n := range []struct {
		name string
		dst  *int64
	}{{"person_id", &f.PersonID}, {"house_id", &f.HouseID}} {
		if s := q.Get(n.name); s != "" {
			if *n.dst, err = strconv.ParseInt(s, 10, 64); err != nil {
				return civic.Invalid(civic.FieldErr(n.name, "应为整数", "must be an integer"))
			}
		}
	}
	if q.Get("mine") == "true" {
		f.VisitorID = act.UserID
	}
	if q.Get("due") == "true" && f.DueBy == "" {
		f.DueBy = civic.Today(a.store.Now())
	}
	if f.From, f.To, err = dayRange(r); err != nil {
		return err
	}
	vs, total, err := a.store.ListVisits(r.Context(), act, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(vs, total, p))
	return nil
}
