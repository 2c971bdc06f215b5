package api

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
	"github.com/civicgrid/civicgrid/internal/store"
)

// regionOutput is a region as the API shows it; the boundary is included
// only where asked for, as a GeoJSON geometry.
type regionOutput struct {
	civic.Region
	LevelKey string          `json:"level_key"`
	Boundary json.RawMessage `json:"boundary,omitempty"`
}

func regionOut(r civic.Region) regionOutput {
	o := regionOutput{Region: r, LevelKey: r.Level.Key()}
	if len(r.Boundary) > 0 {
		o.Boundary = json.RawMessage(r.Boundary)
	}
	return o
}

func levelParam(r *http.Request) (civic.Level, error) {
	s := r.URL.Query().Get("level")
	if s == "" {
		return 0, nil
	}
	l, ok := civic.ParseLevel(s)
	if !ok {
		return 0, civic.Invalid(civic.FieldErr("level", "层级应为 city/district/street/community/grid/microgrid", "level must be city/district/street/community/grid/microgrid"))
	}
	return l, nil
}

func (a *API) listRegions(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	lvl, err := levelParam(r)
	if err != nil {
		return err
	}
	parent, err := subtreeParam(r, act, "parent")
	if err != nil {
		return err
	}
	under, err := subtreeParam(r, act, "under")
	if err != nil {
		return err
	}
	rs, total, err := a.store.ListRegions(r.Context(), act, store.RegionFilter{ParentCode: parent, Under: under, Level: lvl, Query: r.URL.Query().Get("q"), Page: p})
	if err != nil {
		return err
	}
	out := make([]regionOutput, len(rs))
	for i, x := range rs {
		out[i] = regionOut(x)
	}
	writeJSON(w, http.StatusOK, newList(out, total, p))
	return nil
}

func (a *API) getRegion(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	reg, err := a.store.GetRegion(r.Context(), act, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, regionOut(reg))
	return nil
}

func (a *API) regionPath(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	rs, err := a.store.RegionPath(r.Context(), act, r.PathValue("code"))
	if err != nil {
		return err
	}
	out := make([]regionOutput, len(rs))
	for i, x := range rs {
		out[i] = regionOut(x)
	}
	writeJSON(w, http.StatusOK, newList(out, len(out), pageOf(len(out))))
	return nil
}

func (a *API) updateRegion(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		Name     *string         `json:"name"`
		Boundary json.RawMessage `json:"boundary"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	u := store.RegionUpdate{Name: in.Name}
	if len(in.Boundary) > 0 {
		u.Boundary = in.Boundary
	}
	reg, err := a.store.UpdateRegion(r.Context(), act, r.PathValue("code"), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, regionOut(reg))
	return nil
}

// regionsGeoJSON serves boundaries for maps: every region in the actor's
// scope under ?under= (default: the whole scope), optionally one level.
func (a *API) regionsGeoJSON(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	lvl, err := levelParam(r)
	if err != nil {
		return err
	}
	under, err := subtreeParam(r, act, "under")
	if err != nil {
		return err
	}
	rs, _, err := a.store.ListRegions(r.Context(), act, store.RegionFilter{Under: under, Level: lvl, WithBounds: true, Page: store.Page{Limit: 10000}})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/geo+json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(store.FeatureCollection(rs, nil))
	return err
}

func (a *API) locate(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	lng, err1 := civic.ParseNumber(q.Get("lng"))
	lat, err2 := civic.ParseNumber(q.Get("lat"))
	if err1 != nil || err2 != nil {
		return civic.Invalid(civic.FieldErr("lng", "请提供经度 lng 和纬度 lat", "give lng and lat as numbers"))
	}
	crs, err := crsParam(q.Get("crs"))
	if err != nil {
		return err
	}
	reg, err := a.store.LocateRegion(r.Context(), act, a.loc, geo.Point{Lng: lng, Lat: lat}, crs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, regionOut(reg))
	return nil
}

// importRegions takes a GeoJSON FeatureCollection and writes all of it or,
// if any feature is refused, nothing, listing every refusal.
func (a *API) importRegions(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	if err := act.Must(civic.PermRegionWrite); err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxImportBody+1))
	if err != nil {
		return civic.Errorf(civic.EInvalid, "读取上传内容失败：%v", "cannot read the upload: %v", err)
	}
	if len(body) > maxImportBody {
		return civic.Errorf(civic.EInvalid, "文件超过%dMB", "the file is larger than %d MB", maxImportBody>>20)
	}
	feats, err := store.ParseRegionFile(body)
	if err != nil {
		return err
	}
	rep, err := a.store.ImportRegions(r.Context(), act, feats)
	if err != nil {
		return err
	}
	if err := a.loc.Refresh(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (a *API) exportRegions(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	root, err := subtreeParam(r, act, "under")
	if err != nil {
		return err
	}
	if err := act.Must(civic.PermRegionRead); err != nil {
		return err
	}
	b, err := a.store.ExportRegions(r.Context(), act, root)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/geo+json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="regions.geojson"`)
	_, err = w.Write(b)
	return err
}
