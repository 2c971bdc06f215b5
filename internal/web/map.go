package web

import (
	"net/http"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
	"github.com/civicgrid/civicgrid/internal/store"
)

// mapPage is the grid map (网格地图): every level of the user's scope as
// polygons, a legend that toggles levels, a side panel for the clicked
// grid and a locate box.
type mapPage struct {
	Page
	Root    civic.Region
	Levels  []mapLevel
	On      string // level keys drawn at once, comma-separated
	Lazy    string // level keys drawn when switched on
	Basemap basemap
	Locate  locateResult
}

// mapLevel is one legend entry.
type mapLevel struct {
	Key   string
	Label string
	On    bool
}

// gridCard is the side panel (bottom sheet on phones) for one grid: where
// it is, how large, and who serves it today.
type gridCard struct {
	Region        civic.Region
	GridCode      string
	CommunityName string
	StreetName    string
	Staff         []civic.Staff
	Today         string
}

// locateResult answers "which grid is this point in".
type locateResult struct {
	Lng, Lat string
	CRS      string
	Asked    bool
	Error    string
	Region   *civic.Region
	Path     []civic.Region
	Card     *gridCard
	// Point is the WGS-84 position, where map.js drops its marker.
	Point geo.Point
}

func (h *Web) mapPage(w http.ResponseWriter, r *http.Request, c *rq) error {
	p, err := h.newMapPage(w, r, c)
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "map", p)
	return nil
}

func (h *Web) newMapPage(w http.ResponseWriter, r *http.Request, c *rq) (mapPage, error) {
	root := c.Actor.Scope.RegionCode
	if u := underParam(r.URL.Query()); u != "" {
		root = u
	}
	reg, err := h.store.GetRegion(r.Context(), c.Actor, root)
	if err != nil {
		return mapPage{}, err
	}
	reg.Boundary = nil
	p := mapPage{Page: h.base(w, c, "map.title", "/map"), Root: reg, Basemap: h.basemap(), Locate: locateResult{CRS: string(store.WGS84)}}
	p.Leaflet = true
	var on, lazy []string
	for _, l := range civic.Levels {
		if l < reg.Level {
			continue
		}
		// Micro-grids are many and small; they wait until asked for.
		ml := mapLevel{Key: l.Key(), Label: l.Label().In(c.Lang), On: l <= civic.LevelGrid}
		p.Levels = append(p.Levels, ml)
		if ml.On {
			on = append(on, ml.Key)
		} else {
			lazy = append(lazy, ml.Key)
		}
	}
	p.On, p.Lazy = strings.Join(on, ","), strings.Join(lazy, ",")
	return p, nil
}

// gridCard is the fragment map.js loads into the side panel.
func (h *Web) gridCard(w http.ResponseWriter, r *http.Request, c *rq) error {
	card, err := h.loadGridCard(r, c, r.PathValue("code"))
	if err != nil {
		return err
	}
	h.fragment(w, c, http.StatusOK, "map", "_grid_card", card)
	return nil
}

func (h *Web) loadGridCard(r *http.Request, c *rq, code string) (gridCard, error) {
	ctx := r.Context()
	reg, err := h.store.GetRegion(ctx, c.Actor, code)
	if err != nil {
		return gridCard{}, err
	}
	if reg.Level != civic.LevelGrid && reg.Level != civic.LevelMicroGrid {
		return gridCard{}, civic.NotFound("网格 "+code, "grid "+code)
	}
	reg.Boundary = nil
	card := gridCard{Region: reg, GridCode: code[:15], Today: h.today()}
	// The grid table joins the community and street names even for a grid
	// worker whose scope starts below them, where RegionPath would stop.
	rows, _, err := h.store.ListGrids(ctx, c.Actor, store.GridFilter{Query: card.GridCode, Page: store.Page{Limit: 5}})
	if err != nil {
		return gridCard{}, err
	}
	for _, g := range rows {
		if g.Code == card.GridCode {
			card.CommunityName, card.StreetName = g.CommunityName, g.StreetName
		}
	}
	if c.Actor.Can(civic.PermStaffRead) {
		if card.Staff, _, err = h.store.ListStaff(ctx, c.Actor, store.StaffFilter{Under: code, ActiveOn: card.Today, Page: store.Page{Limit: 500}}); err != nil {
			return gridCard{}, err
		}
	}
	return card, nil
}

// locate finds the region containing a point. htmx gets the result
// fragment; without JavaScript the whole map page comes back with it.
func (h *Web) locate(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	res := locateResult{Lng: strings.TrimSpace(q.Get("lng")), Lat: strings.TrimSpace(q.Get("lat")), CRS: q.Get("crs"), Asked: true}
	crs := store.CRS(res.CRS)
	if crs != store.GCJ02 {
		crs, res.CRS = store.WGS84, string(store.WGS84)
	}
	lng, err1 := civic.ParseNumber(res.Lng)
	lat, err2 := civic.ParseNumber(res.Lat)
	if err1 != nil || err2 != nil {
		res.Error = c.T("map.locate_numbers")
	} else {
		pt := geo.Point{Lng: lng, Lat: lat}
		reg, err := h.store.LocateRegion(r.Context(), c.Actor, h.locator, pt, crs)
		switch civic.ErrorCodeOf(err) {
		case "":
			res.Region = &reg
			if crs == store.GCJ02 {
				pt = geo.GCJ02ToWGS84(pt)
			}
			res.Point = pt
			if res.Path, err = h.store.RegionPath(r.Context(), c.Actor, reg.Code); err != nil {
				return err
			}
			if reg.Level == civic.LevelGrid || reg.Level == civic.LevelMicroGrid {
				card, err := h.loadGridCard(r, c, reg.Code)
				if err != nil {
					return err
				}
				res.Card = &card
			}
		case civic.ENotFound:
			res.Error = c.T("map.locate_none")
		case civic.EInvalid:
			res.Error = civic.AsError(err).Msg.In(c.Lang)
			if fs := civic.AsError(err).Fields; len(fs) > 0 {
				res.Error = fs[0].Msg.In(c.Lang)
			}
		default:
			return err
		}
	}
	if isHX(r) {
		h.fragment(w, c, http.StatusOK, "map", "_locate_result", res)
		return nil
	}
	p, err := h.newMapPage(w, r, c)
	if err != nil {
		return err
	}
	p.Locate = res
	h.render(w, c, http.StatusOK, "map", p)
	return nil
}
