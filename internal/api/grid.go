package api

import (
	"fmt"
	"net/http"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

// listGrids serves the grid table as JSON, or as .xlsx with ?format=xlsx
// (all matching rows).
func (a *API) listGrids(w http.ResponseWriter, r *http.Request) error {
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
	f := store.GridFilter{Under: under, Query: q.Get("q"), Unstaffed: q.Get("unstaffed") == "true", Page: p}
	xlsx := q.Get("format") == "xlsx"
	if xlsx {
		f.Page = store.Page{Limit: 10000}
	}
	rows, total, err := a.store.ListGrids(r.Context(), act, f)
	if err != nil {
		return err
	}
	if !xlsx {
		writeJSON(w, http.StatusOK, newList(rows, total, p))
		return nil
	}
	t := sheet.Table{Sheet: "grids", Header: []string{"code", "name", "community_code", "community", "street", "area_km2", "staff", "grid_leaders", "full_time", "part_time", "other", "leader",
		"houses", "houses_complete", "house_rate", "people", "people_linked", "people_rate"},
		Widths: []float64{18, 22, 15, 16, 16, 10, 8, 8, 8, 8, 8, 10, 8, 8, 8, 8, 8, 8}}
	if auth.Lang(r.Context()) != "en" {
		t.Sheet = "网格"
		t.Header = []string{"网格编码", "网格名称", "社区编码", "社区", "街道", "面积(平方公里)", "在岗人数", "网格长", "专职网格员", "兼职网格员", "其他", "网格长姓名",
			"房屋数", "已关联房屋", "房屋关联率", "人口数", "已关联人口", "人口关联率"}
	}
	for _, g := range rows {
		t.Rows = append(t.Rows, []any{g.Code, g.Name, g.CommunityCode, g.CommunityName, g.StreetName, float64(int(g.AreaM2/1e4)) / 100, g.StaffTotal, g.GridLeaders, g.FullTime, g.PartTime, g.OtherStaff, g.LeaderName,
			g.Houses, g.HousesComplete, g.Linkage().HouseRate(), g.People, g.PeopleLinked, g.Linkage().PeopleRate()})
	}
	return a.writeSheet(w, "grids", t)
}

func (a *API) writeSheet(w http.ResponseWriter, name string, t sheet.Table) error {
	w.Header().Set("Content-Type", sheet.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.xlsx"`, name, a.store.Now().Format("20060102")))
	return sheet.Write(w, t)
}
