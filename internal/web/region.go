package web

import (
	"io"
	"net/http"
	"strings"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// regionPage is the region tree browser: one region, its children, and a
// small map of both.
type regionPage struct {
	Page
	Region     civic.Region
	Children   []civic.Region
	ChildLevel civic.Level
	// MapLevels are the levels the small map draws: the region's and its
	// children's.
	MapLevels string
	// Card is the grid's staff, for grids and micro-grids.
	Card  *gridCard
	Query string
	// Results, when Query is set, are matches anywhere in scope.
	Results []civic.Region
	Total   int
	Basemap basemap
	// CanImport shows the boundary upload form (admins).
	CanImport bool
}

// basemap is what map.js needs to draw tiles, if any.
type basemap struct {
	URL         string
	Attribution string
}

func (h *Web) basemap() basemap {
	return basemap{URL: h.cfg.Basemap, Attribution: h.cfg.BasemapAttribution}
}

// regions shows the top of the user's scope, or search results.
func (h *Web) regions(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.showRegion(w, r, c, c.Actor.Scope.RegionCode)
}

func (h *Web) region(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.showRegion(w, r, c, r.PathValue("code"))
}

func (h *Web) showRegion(w http.ResponseWriter, r *http.Request, c *rq, code string) error {
	ctx := r.Context()
	reg, err := h.store.GetRegion(ctx, c.Actor, code)
	if err != nil {
		return err
	}
	reg.Boundary = nil
	path, err := h.store.RegionPath(ctx, c.Actor, code)
	if err != nil {
		return err
	}
	p := regionPage{Page: h.base(w, c, "regions.title", "/regions"), Region: reg, Query: strings.TrimSpace(r.URL.Query().Get("q")), Basemap: h.basemap()}
	p.Leaflet = true
	p.CanImport = c.Actor.Can(civic.PermRegionWrite)
	p.Crumbs = append(p.Crumbs, Crumb{Label: c.T("regions.title"), URL: "/regions"})
	for i, pr := range path {
		cr := Crumb{Label: pr.Name, URL: "/regions/" + pr.Code}
		if i == len(path)-1 {
			cr.URL = ""
		}
		p.Crumbs = append(p.Crumbs, cr)
	}
	p.Title = reg.Name
	if p.Query != "" {
		if p.Results, p.Total, err = h.store.ListRegions(ctx, c.Actor, store.RegionFilter{Under: code, Query: p.Query, Page: store.Page{Limit: 200}}); err != nil {
			return err
		}
	}
	p.MapLevels = reg.Level.Key()
	if reg.Level < civic.LevelMicroGrid {
		p.ChildLevel = reg.Level + 1
		// A street has tens of communities and a community tens of grids;
		// even a city's districts fit on one page, so children are not paged.
		if p.Children, _, err = h.store.ListRegions(ctx, c.Actor, store.RegionFilter{ParentCode: code, Page: store.Page{Limit: 5000}}); err != nil {
			return err
		}
		if len(p.Children) > 0 {
			p.MapLevels += "," + p.ChildLevel.Key()
		}
	}
	if reg.Level == civic.LevelGrid || reg.Level == civic.LevelMicroGrid {
		card, err := h.loadGridCard(r, c, code)
		if err != nil {
			return err
		}
		p.Card = &card
	}
	h.render(w, c, http.StatusOK, "region", p)
	return nil
}

// importPage reports an upload of a file that is written all or nothing
// (region boundaries, the category catalogue): what was written, or every
// reason the file was refused.
type importPage struct {
	Page
	FileName string
	Report   store.ImportReport
	Problem  string
	Reasons  []string
	// DoneKey and BackKey name the messages; Back is where to return.
	DoneKey, BackKey, Back string
}

// maxRegionUpload bounds a boundary file; a whole city's grids fit easily.
const maxRegionUpload = 64 << 20

func (h *Web) importRegions(w http.ResponseWriter, r *http.Request, c *rq) error {
	p := importPage{Page: h.base(w, c, "regions.import_title", "/regions"), Back: "/regions", DoneKey: "regions.import_done", BackKey: "regions.import_back"}
	// The bound goes on before anything reads the form, and the parts
	// spilled to disk go when the request ends.
	r.Body = http.MaxBytesReader(w, r.Body, maxRegionUpload)
	defer cleanUpload(r)
	if back := r.FormValue("back"); strings.HasPrefix(back, "/regions/") {
		p.Back = back
	}
	p.Crumbs = []Crumb{{Label: c.T("regions.title"), URL: "/regions"}, {Label: c.T("regions.import_title")}}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		p.Problem = c.T("regions.import_nofile")
		h.render(w, c, http.StatusUnprocessableEntity, "import", p)
		return nil
	}
	defer file.Close()
	p.FileName = hdr.Filename
	data, err := io.ReadAll(file)
	if err != nil {
		p.Problem = c.T("regions.import_nofile")
		h.render(w, c, http.StatusUnprocessableEntity, "import", p)
		return nil
	}
	feats, err := store.ParseRegionFile(data)
	if err == nil {
		p.Report, err = h.store.ImportRegions(r.Context(), c.Actor, feats)
	}
	if err != nil {
		e := civic.AsError(err)
		if e.Code != civic.EInvalid && e.Code != civic.EForbidden {
			return err
		}
		p.Problem = e.Msg.In(c.Lang)
		for _, f := range e.Fields {
			p.Reasons = append(p.Reasons, f.Msg.In(c.Lang))
		}
		h.render(w, c, auth.StatusOf(e.Code), "import", p)
		return nil
	}
	if err := h.locator.Refresh(r.Context()); err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "import", p)
	return nil
}
