package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// Places where people live: compounds (小区), buildings (楼栋) and houses
// (房屋), the floor plan of a building (楼盘表), a house's household and
// linkage completeness (人房关联完善率).

type compoundInput struct {
	RegionCode    string  `json:"region_code"`
	Name          string  `json:"name"`
	Address       string  `json:"address"`
	PropertyOrgID int64   `json:"property_org_id"`
	Lng           float64 `json:"lng"`
	Lat           float64 `json:"lat"`
	Boundary      string  `json:"boundary"`
}

func (in compoundInput) compound(id int64) civic.Compound {
	return civic.Compound{ID: id, RegionCode: in.RegionCode, Name: in.Name, Address: in.Address, PropertyOrgID: in.PropertyOrgID,
		Lng: in.Lng, Lat: in.Lat, Boundary: in.Boundary}
}

type buildingInput struct {
	CompoundID int64   `json:"compound_id"`
	GridCode   string  `json:"grid_code"`
	Name       string  `json:"name"`
	Floors     int     `json:"floors"`
	Units      int     `json:"units"`
	Lng        float64 `json:"lng"`
	Lat        float64 `json:"lat"`
}

func (in buildingInput) building(id int64) civic.Building {
	return civic.Building{ID: id, CompoundID: in.CompoundID, GridCode: in.GridCode, Name: in.Name, Floors: in.Floors, Units: in.Units, Lng: in.Lng, Lat: in.Lat}
}

type houseInput struct {
	BuildingID int64          `json:"building_id"`
	Unit       int            `json:"unit"`
	Floor      int            `json:"floor"`
	Number     string         `json:"number"`
	AreaM2     float64        `json:"area_m2"`
	Use        civic.HouseUse `json:"use"`
}

func (in houseInput) house(id int64) civic.House {
	return civic.House{ID: id, BuildingID: in.BuildingID, Unit: in.Unit, Floor: in.Floor, Number: in.Number, AreaM2: in.AreaM2, Use: in.Use}
}

// placeFilter reads the filters the place lists share.
func placeFilter(r *http.Request, act civic.Actor) (store.PlaceFilter, error) {
	p, err := page(r)
	if err != nil {
		return store.PlaceFilter{}, err
	}
	under, err := subtreeParam(r, act, "under")
	if err != nil {
		return store.PlaceFilter{}, err
	}
	q := r.URL.Query()
	f := store.PlaceFilter{Under: under, Query: q.Get("q"), Page: p}
	if f.CompoundID, err = idParam(r, "compound_id"); err != nil {
		return f, err
	}
	if f.BuildingID, err = idParam(r, "building_id"); err != nil {
		return f, err
	}
	return f, nil
}

// idParam reads an optional positive integer query parameter.
func idParam(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, civic.Invalid(civic.FieldErr(name, "%s 应为正整数", "%s must be a positive integer", name))
	}
	return id, nil
}

// listPlaces answers a list of compounds, buildings or houses filtered by
// the query (placeFilter).
func listPlaces[T any](w http.ResponseWriter, r *http.Request, list func(context.Context, civic.Actor, store.PlaceFilter) ([]T, int, error)) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	f, err := placeFilter(r, act)
	if err != nil {
		return err
	}
	items, total, err := list(r.Context(), act, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total, f.Page))
	return nil
}

func (a *API) listCompounds(w http.ResponseWriter, r *http.Request) error {
	return listPlaces(w, r, a.store.ListCompounds)
}

func (a *API) getCompound(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, a.store.GetCompound)
}

func (a *API) createCompound(w http.ResponseWriter, r *http.Request) error {
	return save(w, r, 0, func(act civic.Actor, in compoundInput) (civic.Compound, error) {
		return a.store.SaveCompound(r.Context(), act, in.compound(0))
	})
}

func (a *API) updateCompound(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return save(w, r, id, func(act civic.Actor, in compoundInput) (civic.Compound, error) {
		return a.store.SaveCompound(r.Context(), act, in.compound(id))
	})
}

func (a *API) listBuildings(w http.ResponseWriter, r *http.Request) error {
	return listPlaces(w, r, a.store.ListBuildings)
}

func (a *API) getBuilding(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, a.store.GetBuilding)
}

func (a *API) createBuilding(w http.ResponseWriter, r *http.Request) error {
	return save(w, r, 0, func(act civic.Actor, in buildingInput) (civic.Building, error) {
		return a.store.SaveBuilding(r.Context(), act, in.building(0))
	})
}

func (a *API) updateBuilding(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return save(w, r, id, func(act civic.Actor, in buildingInput) (civic.Building, error) {
		return a.store.SaveBuilding(r.Context(), act, in.building(id))
	})
}

// floorPlanOutput is a building's 楼盘表 as JSON: floors from the top,
// one cell per unit with that floor's houses in the unit.
type floorPlanOutput struct {
	Building civic.Building `json:"building"`
	Units    []int          `json:"units"`
	Floors   []floorOutput  `json:"floors"`
}

type floorOutput struct {
	Floor int             `json:"floor"`
	Cells [][]civic.House `json:"cells"`
}

func (a *API) floorPlan(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	plan, err := a.store.FloorPlan(r.Context(), act, id)
	if err != nil {
		return err
	}
	out := floorPlanOutput{Building: plan.Building, Units: plan.Units, Floors: []floorOutput{}}
	for _, row := range plan.Rows {
		f := floorOutput{Floor: row.Floor, Cells: make([][]civic.House, len(row.Cells))}
		for i, c := range row.Cells {
			if c == nil {
				c = []civic.House{}
			}
			f.Cells[i] = c
		}
		out.Floors = append(out.Floors, f)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) listHouses(w http.ResponseWriter, r *http.Request) error {
	return listPlaces(w, r, a.store.ListHouses)
}

func (a *API) getHouse(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, a.store.GetHouse)
}

func (a *API) createHouse(w http.ResponseWriter, r *http.Request) error {
	return save(w, r, 0, func(act civic.Actor, in houseInput) (civic.House, error) {
		return a.store.SaveHouse(r.Context(), act, in.house(0))
	})
}

func (a *API) updateHouse(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return save(w, r, id, func(act civic.Actor, in houseInput) (civic.House, error) {
		return a.store.SaveHouse(r.Context(), act, in.house(id))
	})
}

// household lists everyone who lives or lived in a house, current first.
func (a *API) household(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, func(ctx context.Context, act civic.Actor, id int64) (list[civic.HouseLink], error) {
		ls, err := a.store.Household(ctx, act, id)
		return newList(ls, len(ls), pageOf(len(ls))), err
	})
}

// completeness serves 人房关联完善率 per region of ?level= under ?root=.
func (a *API) completeness(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	root, err := subtreeParam(r, act, "root")
	if err != nil {
		return err
	}
	level, err := levelParam(r)
	if err != nil {
		return err
	}
	if level == 0 {
		level = civic.LevelGrid
	}
	cs, err := a.store.Completeness(r.Context(), act, root, level)
	if err != nil {
		return err
	}
	out := make([]completenessOutput, len(cs))
	for i, c := range cs {
		out[i] = completenessOutput{Completeness: c, HouseRate: c.HouseRate(), PeopleRate: c.PeopleRate()}
	}
	writeJSON(w, http.StatusOK, newList(out, len(out), pageOf(len(out))))
	return nil
}

// completenessOutput adds the two rates to the counts.
type completenessOutput struct {
	civic.Completeness
	HouseRate  float64 `json:"house_rate"`
	PeopleRate float64 `json:"people_rate"`
}

// getByID serves one record that get finds by the path's ID in the
// caller's scope.
func getByID[T any](w http.ResponseWriter, r *http.Request, get func(context.Context, civic.Actor, int64) (T, error)) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := get(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// save decodes a JSON input and answers with what fn saved: 201 for a new
// record (id 0), 200 for a replaced one.
func save[In, Out any](w http.ResponseWriter, r *http.Request, id int64, fn func(civic.Actor, In) (Out, error)) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in In
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := fn(act, in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, out)
	return nil
}
