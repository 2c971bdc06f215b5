package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// Patrols (巡网走格): the grid worker's phone starts one, posts its track
// while the page is open, adds findings, turns a finding into a case with
// one call, and stops it. Supervisors list patrols in scope.

func (a *API) startPatrol(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		GridCode string `json:"grid_code"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return err
		}
	}
	p, err := a.store.StartPatrol(r.Context(), act, in.GridCode)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

// dayRange reads ?from= and ?to= as China calendar days (to inclusive) or
// RFC 3339 times (to exclusive).
func dayRange(r *http.Request) (from, to time.Time, err error) {
	q := r.URL.Query()
	for _, d := range []struct {
		name string
		dst  *time.Time
		days int
	}{{"from", &from, 0}, {"to", &to, 1}} {
		s := q.Get(d.name)
		if s == "" {
			continue
		}
		t, perr := time.Parse(time.RFC3339, s)
		if perr != nil {
			day, derr := time.ParseInLocation(civic.DateLayout, s, civic.ChinaTime)
			if derr != nil {
				return from, to, civic.Invalid(civic.FieldErr(d.name, "日期格式应为 2026-03-01 或 RFC 3339", "dates look like 2026-03-01 or RFC 3339"))
			}
			t = day.AddDate(0, 0, d.days)
		}
		*d.dst = t
	}
	return from, to, nil
}

func (a *API) listPatrols(w http.ResponseWriter, r *http.Request) error {
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
	f := store.PatrolFilter{Under: under, Mine: r.URL.Query().Get("mine") == "true", Page: p}
	if s := r.URL.Query().Get("worker_id"); s != "" {
		if f.WorkerID, err = strconv.ParseInt(s, 10, 64); err != nil {
			return civic.Invalid(civic.FieldErr("worker_id", "worker_id 应为整数", "worker_id must be an integer"))
		}
	}
	if f.From, f.To, err = dayRange(r); err != nil {
		return err
	}
	ps, total, err := a.store.ListPatrols(r.Context(), act, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ps, total, p))
	return nil
}

// currentPatrol answers the caller's patrol in progress, 404 when none.
func (a *API) currentPatrol(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, ok, err := a.store.OpenPatrol(r.Context(), act)
	if err != nil {
		return err
	}
	if !ok {
		return civic.NotFound("进行中的巡查", "patrol in progress")
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) getPatrol(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := a.store.GetPatrol(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) stopPatrol(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Note string `json:"note"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return err
		}
	}
	p, err := a.store.StopPatrol(r.Context(), act, id, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// trackReply says how many points of a batch were new, with the patrol's
// totals after them.
type trackReply struct {
	Added  int          `json:"added"`
	Patrol civic.Patrol `json:"patrol"`
}

func (a *API) addTrack(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Points []civic.TrackPoint `json:"points"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	n, err := a.store.AddTrack(r.Context(), act, id, in.Points)
	if err != nil {
		return err
	}
	p, err := a.store.GetPatrol(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, trackReply{Added: n, Patrol: p})
	return nil
}

func (a *API) patrolTrack(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pts, err := a.store.PatrolTrack(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(pts, len(pts), pageOf(len(pts))))
	return nil
}

func (a *API) patrolFindings(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fs, err := a.store.PatrolFindings(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(fs, len(fs), pageOf(len(fs))))
	return nil
}

type findingInput struct {
	Text         string   `json:"text"`
	CategoryCode string   `json:"category_code"`
	Lng          *float64 `json:"lng"`
	Lat          *float64 `json:"lat"`
	// Key makes a retried finding return the first one.
	Key string `json:"key"`
}

func (a *API) addFinding(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in findingInput
	if err := decode(r, &in); err != nil {
		return err
	}
	f := civic.Finding{Text: in.Text, CategoryCode: in.CategoryCode}
	if in.Lng != nil && in.Lat != nil {
		f.HasLocation, f.Lng, f.Lat = true, *in.Lng, *in.Lat
	}
	f, err = a.store.AddFinding(r.Context(), act, id, f, in.Key)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, f)
	return nil
}

// findingCase files a finding as a case: 201 the first time, 200 with the
// same case after that.
func (a *API) findingCase(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		CategoryCode string `json:"category_code"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return err
		}
	}
	c, existing, err := a.store.FindingToCase(r.Context(), act, a.loc, id, in.CategoryCode)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if existing {
		status = http.StatusOK
	}
	writeJSON(w, status, c)
	return nil
}
