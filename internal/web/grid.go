package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

// gridsPage is the grid table (一图一表 的“表”).
type gridsPage struct {
	Page
	Filter    gridQuery
	Areas     []Option
	Rows      []store.GridRow
	Pager     Pager
	ExportURL string
	// Linkage shows the people-and-houses completeness columns.
	Linkage bool
}

// gridQuery is the filter form as typed.
type gridQuery struct {
	Q         string
	Under     string
	Unstaffed bool
}

func parseGridQuery(q url.Values) gridQuery {
	return gridQuery{Q: strings.TrimSpace(q.Get("q")), Under: underParam(q), Unstaffed: q.Get("unstaffed") == "1"}
}

func (f gridQuery) store(p store.Page) store.GridFilter {
	return store.GridFilter{Under: f.Under, Query: f.Q, Unstaffed: f.Unstaffed, Page: p}
}

func (h *Web) grids(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	f := parseGridQuery(q)
	page := pageOf(q)
	rows, total, err := h.store.ListGrids(r.Context(), c.Actor, f.store(storePage(page)))
	if err != nil {
		return err
	}
	p := gridsPage{Page: h.base(w, c, "grids.title", "/grids"), Filter: f, Rows: rows,
		Pager: newPager("/grids", q, page, total), ExportURL: withQuery("/grids/export.xlsx", q), Linkage: c.Actor.Can(civic.PermPeopleRead)}
	if !isHX(r) {
		if p.Areas, err = h.areaOptions(r.Context(), c.Actor, f.Under); err != nil {
			return err
		}
	}
	h.list(w, r, c, "grids", p)
	return nil
}

// exportGrids writes every grid matching the filters, not just one page.
func (h *Web) exportGrids(w http.ResponseWriter, r *http.Request, c *rq) error {
	f := parseGridQuery(r.URL.Query())
	t := sheet.Table{Sheet: c.T("grids.title"), Widths: []float64{18, 20, 18, 16, 10, 8, 8, 8, 8, 12}}
	keys := []string{"grids.code", "grids.name", "grids.community", "grids.street", "grids.area", "grids.staff_total", "grids.leaders", "grids.full_time", "grids.part_time", "grids.leader_name"}
	linkage := c.Actor.Can(civic.PermPeopleRead)
	if linkage {
		keys = append(keys, "grids.houses", "grids.houses_complete", "grids.house_rate", "grids.people", "grids.people_linked", "grids.people_rate")
		t.Widths = append(t.Widths, 8, 8, 8, 8, 8, 8)
	}
	for _, k := range keys {
		t.Header = append(t.Header, c.T(k))
	}
	for off := 0; ; off += exportPage {
		rows, total, err := h.store.ListGrids(r.Context(), c.Actor, f.store(store.Page{Limit: exportPage, Offset: off}))
		if err != nil {
			return err
		}
		for _, g := range rows {
			row := []any{g.Code, g.Name, g.CommunityName, g.StreetName, roundKm2(g.AreaM2),
				g.StaffTotal, g.GridLeaders, g.FullTime, g.PartTime, g.LeaderName}
			if linkage {
				l := g.Linkage()
				row = append(row, l.Houses, l.HousesComplete, rate(l.HouseRate()), l.People, l.PeopleLinked, rate(l.PeopleRate()))
			}
			t.Rows = append(t.Rows, row)
		}
		if off+exportPage >= total {
			break
		}
	}
	return sendXLSX(w, "grids-"+h.today()+".xlsx", t)
}

// rate is a fraction as a percentage to one decimal, as the table shows it.
func rate(f float64) float64 {
	return float64(int64(f*1000+0.5)) / 10
}

// roundKm2 is an area in km² to two decimals, as the table shows it.
func roundKm2(m2 float64) float64 {
	return float64(int64(m2/1e4+0.5)) / 100
}
