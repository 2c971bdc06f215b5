package api

import (
	"net/http"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
)

// hotspotParams reads the detection parameters of a hotspot query;
// missing ones take civic.HotspotParams' defaults.
func hotspotParams(r *http.Request) (scope string, p civic.HotspotParams, err error) {
	q := r.URL.Query()
	num := func(name string, zh, en string) (float64, error) {
		s := q.Get(name)
		if s == "" {
			return 0, nil
		}
		v, err := civic.ParseNumber(s)
		if err != nil || v < 0 {
			return 0, civic.Invalid(civic.FieldError{Field: name, Msg: civic.T(zh, en)})
		}
		return v, nil
	}
	var v float64
	if p.RadiusM, err = num("radius_m", "半径应为米数", "must be a radius in metres"); err != nil {
		return
	}
	if v, err = num("window_days", "时间窗应为天数", "must be a number of days"); err != nil {
		return
	}
	p.Window = time.Duration(v * float64(24*time.Hour))
	if v, err = num("days", "统计天数应为天数", "must be a number of days"); err != nil {
		return
	}
	p.Since = time.Duration(v * float64(24*time.Hour))
	if v, err = num("min_cases", "最少工单数应为整数", "must be a whole number"); err != nil {
		return
	}
	p.MinCases = int(v)
	if v, err = num("min_reporters", "最少反映人数应为整数", "must be a whole number"); err != nil {
		return
	}
	p.MinReporters = int(v)
	if v, err = num("per_kind", "每类条数应为整数", "must be a whole number"); err != nil {
		return
	}
	p.PerKind = int(v)
	switch q.Get("usual") {
	case "", "1":
	case "0":
		p.IgnoreUsual = true
	default:
		return "", p, civic.Invalid(civic.FieldError{Field: "usual", Msg: civic.T("应为 1（按各处平常的量提高门槛）或 0（不考虑）", "must be 1 (raise the bar by each place's usual load) or 0 (ignore it)")})
	}
	return q.Get("scope"), p, nil
}

// listHotspots answers GET /api/v1/insight/hotspots: the early warnings
// over the caller's scope (or the region ?scope= within it).
func (a *API) listHotspots(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	scope, p, err := hotspotParams(r)
	if err != nil {
		return err
	}
	hs, found, err := a.store.DetectHotspots(r.Context(), act, scope, p)
	if err != nil {
		return err
	}
	total := 0
	for _, n := range found {
		total += n
	}
	writeJSON(w, http.StatusOK, struct {
		list[civic.Hotspot]
		Found map[civic.HotspotKind]int `json:"found"`
	}{newList(hs, total, pageOf(len(hs))), found})
	return nil
}

// mergeHotspot answers POST /api/v1/insight/hotspots/merge: the cases
// become one, the oldest kept.
func (a *API) mergeHotspot(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		CaseIDs []int64 `json:"case_ids"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := a.store.MergeHotspot(r.Context(), act, in.CaseIDs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// hotspotTask answers POST /api/v1/insight/hotspots/task: a proactive task
// (未诉先办) filed for the cases of a hotspot, which stay as they are.
func (a *API) hotspotTask(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		CaseIDs []int64 `json:"case_ids"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := a.store.HotspotTask(r.Context(), act, a.loc, in.CaseIDs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
