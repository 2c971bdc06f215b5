package web

import (
	"net/http"
	"net/url"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// completenessPage is the linkage completeness (人房关联完善率) of every
// street, community or grid in scope, with the total of them.
type completenessPage struct {
	Page
	Level  string
	Root   string
	Levels []Option
	Areas  []Option
	Rows   []completenessRow
	Total  civic.Completeness
}

type completenessRow struct {
	civic.Completeness
	Name string
}

// completenessLevels are the levels the page counts by.
var completenessLevels = []civic.Level{civic.LevelStreet, civic.LevelCommunity, civic.LevelGrid}

func (h *Web) completeness(w http.ResponseWriter, r *http.Request, c *rq) error {
	ctx := r.Context()
	q := r.URL.Query()
	level, ok := civic.ParseLevel(q.Get("level"))
	if !ok || level < civic.LevelStreet || level > civic.LevelGrid {
		// One level below the viewer's own, at least streets.
		level = civic.LevelCommunity
		if l, ok := civic.LevelOfCode(c.Actor.Scope.RegionCode); ok && l >= civic.LevelCommunity {
			level = civic.LevelGrid
		}
	}
	root := underParam(url.Values{"under": {q.Get("root")}})
	rows, err := h.store.Completeness(ctx, c.Actor, root, level)
	if err != nil {
		return err
	}
	names := map[string]string{}
	regions, _, err := h.store.ListRegions(ctx, c.Actor, store.RegionFilter{Level: level, Under: root, Page: store.Page{Limit: 10000}})
	if err != nil {
		return err
	}
	for _, rg := range regions {
		names[rg.Code] = rg.Name
	}
	p := completenessPage{Page: h.base(w, c, "completeness.title", "/completeness"), Level: level.Key(), Root: root}
	p.Total.RegionCode = root
	for _, row := range rows {
		p.Rows = append(p.Rows, completenessRow{Completeness: row, Name: names[row.RegionCode]})
		p.Total.Houses += row.Houses
		p.Total.HousesComplete += row.HousesComplete
		p.Total.People += row.People
		p.Total.PeopleLinked += row.PeopleLinked
	}
	for _, l := range completenessLevels {
		p.Levels = append(p.Levels, Option{Value: l.Key(), Label: l.Label().In(c.Lang), Selected: l == level})
	}
	if p.Areas, err = h.areaOptions(ctx, c.Actor, root); err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "completeness", p)
	return nil
}
