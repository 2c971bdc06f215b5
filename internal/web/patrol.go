package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// Patrols (巡网走格): the worker's patrol page records the track from the
// phone (static/field.js posts it to the API) and takes findings; the same
// page shows supervisors the track on a map.

// patrolPage is one patrol.
type patrolPage struct {
	Page
	Patrol   civic.Patrol
	Findings []civic.Finding
	// Mine: the viewer is the worker and may add to it while it is open.
	Mine bool
	// CanFile: the viewer may turn findings into cases.
	CanFile bool
	// TrackJSON is the track and findings for the map, as JSON.
	TrackJSON template.JS
	Basemap   basemap
	Key       string
	Errs      FormErrors
	Text      string
	Now       time.Time
}

func (h *Web) startPatrol(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, err := h.store.StartPatrol(r.Context(), c.Actor, r.PostFormValue("grid_code"))
	if civic.ErrorCodeOf(err) == civic.EConflict {
		// A second start (another tab, a double tap) leads to the patrol
		// in progress rather than to an error.
		if open, ok, oerr := h.store.OpenPatrol(r.Context(), c.Actor); oerr == nil && ok {
			h.flash(w, "flash.patrol_open")
			redirect(w, r, fmt.Sprintf("/patrols/%d", open.ID))
			return nil
		}
	}
	if err != nil {
		return err
	}
	redirect(w, r, fmt.Sprintf("/patrols/%d", p.ID))
	return nil
}

func (h *Web) patrol(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.showPatrol(w, r, c, "", FormErrors{}, http.StatusOK)
}

func (h *Web) showPatrol(w http.ResponseWriter, r *http.Request, c *rq, text string, errs FormErrors, status int) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	pt, err := h.store.GetPatrol(ctx, c.Actor, id)
	if err != nil {
		return err
	}
	fs, err := h.store.PatrolFindings(ctx, c.Actor, id)
	if err != nil {
		return err
	}
	track, err := h.store.PatrolTrack(ctx, c.Actor, id)
	if err != nil {
		return err
	}
	mine := pt.WorkerID == c.User.ID
	p := patrolPage{Page: h.base(w, c, "patrol.title", "/field"), Patrol: pt, Findings: fs, Mine: mine,
		CanFile: c.Actor.Can(civic.PermCaseReport) && (mine || c.Actor.Can(civic.PermCaseDispatch)),
		Basemap: h.basemap(), Key: newKey(), Errs: errs, Text: text, Now: h.store.Now()}
	if !mine {
		p.Crumbs = []Crumb{{Label: c.T("patrols.title"), URL: "/patrols"}, {Label: pt.WorkerName + " " + pt.StartedAt.In(civic.ChinaTime).Format("01-02 15:04")}}
	}
	// The map: a polyline of the track and a marker per finding.
	type mapPoint struct {
		Lng, Lat float64
	}
	type mapFinding struct {
		Lng, Lat float64
		Text     string
	}
	data := struct {
		Track    []mapPoint   `json:"track"`
		Findings []mapFinding `json:"findings"`
	}{Track: []mapPoint{}, Findings: []mapFinding{}}
	for _, t := range track {
		if t.Usable() {
			data.Track = append(data.Track, mapPoint{t.Lng, t.Lat})
		}
	}
	for _, f := range fs {
		if f.HasLocation {
			data.Findings = append(data.Findings, mapFinding{f.Lng, f.Lat, f.CaseTitle()})
		}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode patrol map: %w", err)
	}
	// json.Marshal escapes <, > and & so the JSON is safe inside a script.
	p.TrackJSON = template.JS(b)
	p.Leaflet = len(data.Track) > 0 || len(data.Findings) > 0
	h.render(w, c, status, "patrol", p)
	return nil
}

func (h *Web) stopPatrol(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := h.store.StopPatrol(r.Context(), c.Actor, id, r.PostFormValue("note")); err != nil {
		return err
	}
	h.flash(w, "flash.patrol_stopped")
	redirect(w, r, "/field")
	return nil
}

// addFinding records a finding; the place comes from the phone's position
// when the page could read it.
func (h *Web) addFinding(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := civic.Finding{Text: r.PostFormValue("text")}
	lng, errLng := civic.ParseNumber(r.PostFormValue("lng"))
	lat, errLat := civic.ParseNumber(r.PostFormValue("lat"))
	if errLng == nil && errLat == nil {
		f.HasLocation, f.Lng, f.Lat = true, lng, lat
	}
	key := r.PostFormValue("key")
	if !validKey(key) {
		key = ""
	}
	if _, err = h.store.AddFinding(r.Context(), c.Actor, id, f, key); err != nil {
		errs, ferr := formErrors(err, c.Lang, "text")
		if ferr != nil {
			return ferr
		}
		return h.showPatrol(w, r, c, f.Text, errs, errs.Status())
	}
	h.flash(w, "flash.finding_added")
	redirect(w, r, fmt.Sprintf("/patrols/%d#findings", id))
	return nil
}

// findingCase files a finding as a case in one tap and shows the case.
func (h *Web) findingCase(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	cs, existing, err := h.store.FindingToCase(r.Context(), c.Actor, h.locator, id, "")
	if err != nil {
		return err
	}
	if existing {
		h.flash(w, "flash.finding_case_exists")
	} else {
		h.flash(w, "flash.finding_case")
	}
	redirect(w, r, fmt.Sprintf("/cases/%d", cs.ID))
	return nil
}

// patrolsPage lists patrols for supervisors (and a worker's own).
type patrolsPage struct {
	Page
	Rows  []civic.Patrol
	Day   string
	Pager Pager
	Now   time.Time
}

func (h *Web) patrols(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	f := store.PatrolFilter{Under: underParam(q), Page: storePage(pageOf(q))}
	day := strings.TrimSpace(q.Get("day"))
	if day != "" {
		d, err := time.ParseInLocation(civic.DateLayout, day, civic.ChinaTime)
		if err != nil {
			return civic.Invalid(civic.FieldErr("day", "日期格式应为YYYY-MM-DD", "the date is YYYY-MM-DD"))
		}
		f.From, f.To = d, d.AddDate(0, 0, 1)
	}
	rows, total, err := h.store.ListPatrols(r.Context(), c.Actor, f)
	if err != nil {
		return err
	}
	p := patrolsPage{Page: h.base(w, c, "patrols.title", "/patrols"), Rows: rows, Day: day, Pager: newPager("/patrols", q, pageOf(q), total), Now: h.store.Now()}
	h.list(w, r, c, "patrols", p)
	return nil
}
