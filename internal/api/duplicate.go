package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
	"github.com/civicgrid/civicgrid/internal/store"
)

// duplicateQuery reads the finder's parameters from the query string;
// missing ones take civic.DuplicateParams' defaults.
func duplicateQuery(r *http.Request) (civic.DuplicateParams, error) {
	q := r.URL.Query()
	var p civic.DuplicateParams
	for _, f := range []struct {
		name   string
		set    func(float64)
		zh, en string
	}{
		{"radius_m", func(v float64) { p.RadiusM = v }, "半径应为米数", "must be a radius in metres"},
		{"window_days", func(v float64) { p.Window = time.Duration(v * float64(24*time.Hour)) }, "时间窗应为天数", "must be a number of days"},
		{"min_score", func(v float64) { p.MinScore = v }, "最低分应为0到1之间的数", "must be a number from 0 to 1"},
		{"limit", func(v float64) { p.Limit = int(v) }, "条数应为整数", "must be a whole number"},
	} {
		s := q.Get(f.name)
		if s == "" {
			continue
		}
		v, err := civic.ParseNumber(s)
		if err != nil || v < 0 {
			return p, civic.Invalid(civic.FieldError{Field: f.name, Msg: civic.T(f.zh, f.en)})
		}
		f.set(v)
	}
	return p, nil
}

// findDuplicates answers POST /api/v1/cases/duplicates: the open cases in
// the caller's scope likely the same issue as a draft, best first, each
// with its score's parts.
func (a *API) findDuplicates(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		Title        string   `json:"title"`
		Description  string   `json:"description"`
		CategoryCode string   `json:"category_code"`
		Lng          *float64 `json:"lng"`
		Lat          *float64 `json:"lat"`
		CRS          string   `json:"crs"`
		RegionCode   string   `json:"region_code"`
		RadiusM      float64  `json:"radius_m"`
		WindowDays   float64  `json:"window_days"`
		MinScore     float64  `json:"min_score"`
		Limit        int      `json:"limit"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	d := civic.DuplicateDraft{Title: in.Title, Description: in.Description, CategoryCode: in.CategoryCode, RegionCode: in.RegionCode}
	if (in.Lng == nil) != (in.Lat == nil) {
		return civic.Invalid(civic.FieldErr("lng", "经度 lng 和纬度 lat 须同时提供", "give both lng and lat"))
	}
	if in.Lng != nil {
		p := geo.Point{Lng: *in.Lng, Lat: *in.Lat}
		if store.CRS(strings.ToLower(in.CRS)) == store.GCJ02 {
			p = geo.GCJ02ToWGS84(p)
		}
		d.HasLocation, d.Lng, d.Lat = true, p.Lng, p.Lat
	}
	if in.RadiusM < 0 || in.WindowDays < 0 || in.MinScore < 0 || in.Limit < 0 {
		return civic.Invalid(civic.FieldErr("radius_m", "参数不能为负数", "parameters cannot be negative"))
	}
	p := civic.DuplicateParams{RadiusM: in.RadiusM, Window: time.Duration(in.WindowDays * float64(24*time.Hour)), MinScore: in.MinScore, Limit: in.Limit}
	ds, err := a.store.FindDuplicates(r.Context(), act, d, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ds, len(ds), pageOf(len(ds))))
	return nil
}

// caseDuplicates answers GET /api/v1/cases/{id}/duplicates: the other
// open cases in the caller's scope likely the same issue as this one.
func (a *API) caseDuplicates(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return civic.NotFound("工单 "+r.PathValue("id"), "case "+r.PathValue("id"))
	}
	p, err := duplicateQuery(r)
	if err != nil {
		return err
	}
	ds, err := a.store.CaseDuplicates(r.Context(), act, id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ds, len(ds), pageOf(len(ds))))
	return nil
}
