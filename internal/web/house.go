package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// Places where people live: compounds (小区) with their buildings, a
// building's houses floor by unit (楼盘表), and a house with its household
// (人房关联), where people are linked and moved out.

// compoundsPage lists compounds in scope.
type compoundsPage struct {
	Page
	Filter   placeQuery
	Areas    []Option
	Rows     []civic.Compound
	Pager    Pager
	CanWrite bool
}

// placeQuery is the compound filter as typed.
type placeQuery struct {
	Q     string
	Under string
}

func (h *Web) compounds(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	f := placeQuery{Q: strings.TrimSpace(q.Get("q")), Under: underParam(q)}
	page := pageOf(q)
	rows, total, err := h.store.ListCompounds(r.Context(), c.Actor, store.PlaceFilter{Under: f.Under, Query: f.Q, Page: storePage(page)})
	if err != nil {
		return err
	}
	p := compoundsPage{Page: h.base(w, c, "compound.title", "/compounds"), Filter: f, Rows: rows, Pager: newPager("/compounds", q, page, total),
		CanWrite: c.Actor.Can(civic.PermPeopleWrite)}
	if !isHX(r) {
		if p.Areas, err = h.areaOptions(r.Context(), c.Actor, f.Under); err != nil {
			return err
		}
	}
	h.list(w, r, c, "compounds", p)
	return nil
}

// compoundPage is one compound and its buildings.
type compoundPage struct {
	Page
	Compound  civic.Compound
	Buildings []civic.Building
	CanWrite  bool
}

func (h *Web) compound(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	cp, err := h.store.GetCompound(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	bs, _, err := h.store.ListBuildings(r.Context(), c.Actor, store.PlaceFilter{CompoundID: id, Page: store.Page{Limit: 10000}})
	if err != nil {
		return err
	}
	p := compoundPage{Page: h.base(w, c, "compound.title", "/compounds"), Compound: cp, Buildings: bs, CanWrite: c.Actor.Can(civic.PermPeopleWrite)}
	p.Title = cp.Name
	p.Crumbs = []Crumb{{Label: c.T("compound.title"), URL: "/compounds"}, {Label: cp.Name}}
	h.render(w, c, http.StatusOK, "compound", p)
	return nil
}

// compoundForm is the compound form as typed.
type compoundForm struct {
	ID                                     int64
	RegionCode, Name, Address, PropertyOrg string
	Lng, Lat                               string
}

var compoundFields = []string{"region_code", "name", "address", "property_org_id", "location"}

func compoundFormOf(cp civic.Compound) compoundForm {
	f := compoundForm{ID: cp.ID, RegionCode: cp.RegionCode, Name: cp.Name, Address: cp.Address}
	if cp.PropertyOrgID != 0 {
		f.PropertyOrg = strconv.FormatInt(cp.PropertyOrgID, 10)
	}
	if cp.Lng != 0 || cp.Lat != 0 {
		f.Lng, f.Lat = strconv.FormatFloat(cp.Lng, 'f', 6, 64), strconv.FormatFloat(cp.Lat, 'f', 6, 64)
	}
	return f
}

// compound converts the form; numbers that do not parse are refused here
// because the store never sees them.
func (f compoundForm) compound(boundary string) (civic.Compound, error) {
	cp := civic.Compound{ID: f.ID, RegionCode: f.RegionCode, Name: f.Name, Address: f.Address, Boundary: boundary}
	var fs []civic.FieldError
	if f.PropertyOrg != "" {
		id, err := strconv.ParseInt(f.PropertyOrg, 10, 64)
		if err != nil || id <= 0 {
			fs = append(fs, civic.FieldErr("property_org_id", "请选择物业公司", "choose a property company"))
		}
		cp.PropertyOrgID = id
	}
	var ok bool
	if cp.Lng, cp.Lat, ok = parseLngLat(f.Lng, f.Lat); !ok {
		fs = append(fs, civic.FieldErr("location", "经纬度应为数字", "longitude and latitude are numbers"))
	}
	if len(fs) > 0 {
		return cp, civic.Invalid(fs...)
	}
	return cp, nil
}

// parseLngLat reads optional coordinates; both empty is "no location".
func parseLngLat(lng, lat string) (float64, float64, bool) {
	if lng == "" && lat == "" {
		return 0, 0, true
	}
	x, err1 := civic.ParseNumber(lng)
	y, err2 := civic.ParseNumber(lat)
	return x, y, err1 == nil && err2 == nil
}

// compoundFormPage is the add and edit page, with a map to pick the
// location on.
type compoundFormPage struct {
	Page
	Form      compoundForm
	Errs      FormErrors
	Regions   []Option
	Orgs      []Option
	Action    string
	Editing   bool
	Basemap   basemap
	MapUnder  string
	CenterLng float64
	CenterLat float64
}

func (h *Web) compoundFormPage(w http.ResponseWriter, r *http.Request, c *rq, f compoundForm, errs FormErrors) (compoundFormPage, error) {
	ctx := r.Context()
	p := compoundFormPage{Page: h.base(w, c, "compound.new", "/compounds"), Form: f, Errs: errs, Action: "/compounds/new",
		Basemap: h.basemap(), MapUnder: c.Actor.Scope.RegionCode}
	p.Leaflet = true
	if f.ID != 0 {
		p.Title, p.Editing, p.Action = c.T("compound.edit"), true, fmt.Sprintf("/compounds/%d/edit", f.ID)
	}
	p.Crumbs = []Crumb{{Label: c.T("compound.title"), URL: "/compounds"}, {Label: p.Title}}
	var err error
	if p.Regions, err = h.placeRegionOptions(ctx, c.Actor, f.RegionCode, civic.LevelCommunity, civic.LevelGrid); err != nil {
		return p, err
	}
	orgs, _, err := h.store.ListOrganisations(ctx, c.Actor, store.OrgFilter{Kind: civic.OrgPropertyCompany, Covering: true, Page: store.Page{Limit: 10000}})
	if err != nil {
		return p, err
	}
	for _, o := range orgs {
		id := strconv.FormatInt(o.ID, 10)
		p.Orgs = append(p.Orgs, Option{Value: id, Label: o.Name, Selected: id == f.PropertyOrg})
	}
	if reg, err := h.store.GetRegion(ctx, c.Actor, c.Actor.Scope.RegionCode); err == nil {
		p.CenterLng, p.CenterLat = reg.CenterLng, reg.CenterLat
	}
	return p, nil
}

// placeRegionOptions lists the regions of the given levels in scope, for
// the region select of a place form; a community's grids follow it.
func (h *Web) placeRegionOptions(ctx context.Context, a civic.Actor, selected string, levels ...civic.Level) ([]Option, error) {
	var rs []civic.Region
	for _, l := range levels {
		got, _, err := h.store.ListRegions(ctx, a, store.RegionFilter{Level: l, Page: store.Page{Limit: 10000}})
		if err != nil {
			return nil, err
		}
		rs = append(rs, got...)
	}
	// Codes extend their parent's, so sorting by code puts each grid
	// under its community.
	sortRegions(rs)
	out := make([]Option, 0, len(rs))
	for _, g := range rs {
		out = append(out, Option{Value: g.Code, Label: g.Name + " " + g.Code, Selected: g.Code == selected, Indent: g.Level >= civic.LevelGrid && len(levels) > 1})
	}
	return out, nil
}

func sortRegions(rs []civic.Region) {
	slices.SortFunc(rs, func(a, b civic.Region) int { return strings.Compare(a.Code, b.Code) })
}

func (h *Web) newCompound(w http.ResponseWriter, r *http.Request, c *rq) error {
	p, err := h.compoundFormPage(w, r, c, compoundForm{RegionCode: r.URL.Query().Get("region")}, FormErrors{})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "compound_form", p)
	return nil
}

func (h *Web) editCompound(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	cp, err := h.store.GetCompound(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	p, err := h.compoundFormPage(w, r, c, compoundFormOf(cp), FormErrors{})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "compound_form", p)
	return nil
}

// saveCompound creates (no ID in the path) or updates a compound; a drawn
// boundary is kept, as the form does not edit it.
func (h *Web) saveCompound(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := compoundForm{RegionCode: v("region_code"), Name: v("name"), Address: v("address"), PropertyOrg: v("property_org_id"), Lng: v("lng"), Lat: v("lat")}
	boundary := ""
	if r.PathValue("id") != "" {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		old, err := h.store.GetCompound(r.Context(), c.Actor, id)
		if err != nil {
			return err
		}
		f.ID, boundary = id, old.Boundary
	}
	cp, err := f.compound(boundary)
	if err == nil {
		cp, err = h.store.SaveCompound(r.Context(), c.Actor, cp)
	}
	if err == nil {
		h.flash(w, "flash.saved")
		redirect(w, r, fmt.Sprintf("/compounds/%d", cp.ID))
		return nil
	}
	errs, err := formErrors(err, c.Lang, compoundFields...)
	if err != nil {
		return err
	}
	p, err := h.compoundFormPage(w, r, c, f, errs)
	if err != nil {
		return err
	}
	h.render(w, c, errs.Status(), "compound_form", p)
	return nil
}

// buildingPage is a building's 楼盘表: floors from the top, a column per
// unit, each house coloured by its state.
type buildingPage struct {
	Page
	Building civic.Building
	Units    []int
	Rows     []planRow
	States   []houseState
	CanWrite bool
}

type planRow struct {
	Floor int
	Cells []planCell
}

// planCell is one unit on one floor: its houses, and where to add one.
type planCell struct {
	Unit   int
	Houses []planHouse
}

type planHouse struct {
	civic.House
	State houseState
}

// houseState is what the 楼盘表 colours a house by.
type houseState struct {
	Key   string
	Label string
}

var houseStateKeys = []string{"occupied", "rented", "vacant", "commercial", "empty"}

// stateOf: vacant and commercial houses say so; others are occupied or
// rented when someone lives there and "no resident yet" otherwise, which
// is what the linkage count treats as incomplete.
func stateOf(h civic.House) string {
	switch {
	case h.Use == civic.HouseVacant:
		return "vacant"
	case h.Use == civic.HouseCommercial:
		return "commercial"
	case h.Residents == 0:
		return "empty"
	case h.Use == civic.HouseRented:
		return "rented"
	}
	return "occupied"
}

func (h *Web) building(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	plan, err := h.store.FloorPlan(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	b := plan.Building
	p := buildingPage{Page: h.base(w, c, "building.title", "/compounds"), Building: b, Units: plan.Units, CanWrite: c.Actor.Can(civic.PermPeopleWrite)}
	labels := map[string]houseState{}
	for _, k := range houseStateKeys {
		labels[k] = houseState{Key: k, Label: c.T("house.state." + k)}
		p.States = append(p.States, labels[k])
	}
	for _, row := range plan.Rows {
		pr := planRow{Floor: row.Floor}
		for i, hs := range row.Cells {
			cell := planCell{Unit: plan.Units[i]}
			for _, hh := range hs {
				cell.Houses = append(cell.Houses, planHouse{House: hh, State: labels[stateOf(hh)]})
			}
			pr.Cells = append(pr.Cells, cell)
		}
		p.Rows = append(p.Rows, pr)
	}
	p.Title = b.CompoundName + b.Name
	p.Crumbs = []Crumb{{Label: c.T("compound.title"), URL: "/compounds"}}
	if b.CompoundID != 0 {
		p.Crumbs = append(p.Crumbs, Crumb{Label: b.CompoundName, URL: fmt.Sprintf("/compounds/%d", b.CompoundID)})
	}
	p.Crumbs = append(p.Crumbs, Crumb{Label: b.Name})
	h.render(w, c, http.StatusOK, "building", p)
	return nil
}

// buildingForm is the building form as typed.
type buildingForm struct {
	ID                                        int64
	CompoundID, GridCode, Name, Floors, Units string
	Lng, Lat                                  string
	CompoundName                              string
}

var buildingFields = []string{"compound_id", "grid_code", "name", "floors", "units", "location"}

func (f buildingForm) building() (civic.Building, error) {
	b := civic.Building{ID: f.ID, GridCode: f.GridCode, Name: f.Name}
	var fs []civic.FieldError
	num := func(s, field, zh, en string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			fs = append(fs, civic.FieldError{Field: field, Msg: civic.T(zh, en)})
		}
		return n
	}
	b.Floors = num(f.Floors, "floors", "层数应为整数", "floors is a whole number")
	b.Units = num(f.Units, "units", "单元数应为整数", "units is a whole number")
	if f.CompoundID != "" {
		id, err := strconv.ParseInt(f.CompoundID, 10, 64)
		if err != nil || id <= 0 {
			fs = append(fs, civic.FieldErr("compound_id", "请选择小区", "choose a compound"))
		}
		b.CompoundID = id
	}
	var ok bool
	if b.Lng, b.Lat, ok = parseLngLat(f.Lng, f.Lat); !ok {
		fs = append(fs, civic.FieldErr("location", "经纬度应为数字", "longitude and latitude are numbers"))
	}
	if len(fs) > 0 {
		return b, civic.Invalid(fs...)
	}
	return b, nil
}

type buildingFormPage struct {
	Page
	Form    buildingForm
	Errs    FormErrors
	Grids   []Option
	Action  string
	Editing bool
}

func (h *Web) buildingFormPage(w http.ResponseWriter, r *http.Request, c *rq, f buildingForm, errs FormErrors) (buildingFormPage, error) {
	p := buildingFormPage{Page: h.base(w, c, "building.new", "/compounds"), Form: f, Errs: errs, Action: "/buildings/new"}
	if f.ID != 0 {
		p.Title, p.Editing, p.Action = c.T("building.edit"), true, fmt.Sprintf("/buildings/%d/edit", f.ID)
	}
	if f.CompoundID != "" {
		if id, err := strconv.ParseInt(f.CompoundID, 10, 64); err == nil {
			if cp, err := h.store.GetCompound(r.Context(), c.Actor, id); err == nil {
				p.Form.CompoundName = cp.Name
			}
		}
	}
	p.Crumbs = []Crumb{{Label: c.T("compound.title"), URL: "/compounds"}}
	if p.Form.CompoundName != "" {
		p.Crumbs = append(p.Crumbs, Crumb{Label: p.Form.CompoundName, URL: "/compounds/" + f.CompoundID})
	}
	p.Crumbs = append(p.Crumbs, Crumb{Label: p.Title})
	var err error
	p.Grids, err = h.placeRegionOptions(r.Context(), c.Actor, f.GridCode, civic.LevelGrid, civic.LevelMicroGrid)
	return p, err
}

func (h *Web) newBuilding(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	f := buildingForm{CompoundID: q.Get("compound"), Floors: "6", Units: "2"}
	// A compound filed under a grid lends the building its grid.
	if id, err := strconv.ParseInt(f.CompoundID, 10, 64); err == nil {
		if cp, err := h.store.GetCompound(r.Context(), c.Actor, id); err == nil {
			if l, ok := civic.LevelOfCode(cp.RegionCode); ok && l >= civic.LevelGrid {
				f.GridCode = cp.RegionCode
			}
		}
	}
	p, err := h.buildingFormPage(w, r, c, f, FormErrors{})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "building_form", p)
	return nil
}

func (h *Web) editBuilding(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	b, err := h.store.GetBuilding(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	f := buildingForm{ID: b.ID, GridCode: b.GridCode, Name: b.Name, Floors: strconv.Itoa(b.Floors), Units: strconv.Itoa(b.Units)}
	if b.CompoundID != 0 {
		f.CompoundID = strconv.FormatInt(b.CompoundID, 10)
	}
	if b.Lng != 0 || b.Lat != 0 {
		f.Lng, f.Lat = strconv.FormatFloat(b.Lng, 'f', 6, 64), strconv.FormatFloat(b.Lat, 'f', 6, 64)
	}
	p, err := h.buildingFormPage(w, r, c, f, FormErrors{})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "building_form", p)
	return nil
}

func (h *Web) saveBuilding(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := buildingForm{CompoundID: v("compound_id"), GridCode: v("grid_code"), Name: v("name"), Floors: v("floors"), Units: v("units"), Lng: v("lng"), Lat: v("lat")}
	var err error
	if f.ID, err = optionalPathID(r); err != nil {
		return err
	}
	b, err := f.building()
	if err != nil {
		err = withOwnChecks(err, b.Validate)
	} else {
		b, err = h.store.SaveBuilding(r.Context(), c.Actor, b)
	}
	if err == nil {
		h.flash(w, "flash.saved")
		redirect(w, r, fmt.Sprintf("/buildings/%d", b.ID))
		return nil
	}
	errs, err := formErrors(err, c.Lang, buildingFields...)
	if err != nil {
		return err
	}
	p, err := h.buildingFormPage(w, r, c, f, errs)
	if err != nil {
		return err
	}
	h.render(w, c, errs.Status(), "building_form", p)
	return nil
}

// houseForm is the house form as typed.
type houseForm struct {
	ID                                      int64
	BuildingID, Unit, Floor, Number, AreaM2 string
	Use                                     string
}

var houseFields = []string{"unit", "floor", "number", "area_m2", "use"}

func (f houseForm) house() (civic.House, error) {
	hs := civic.House{ID: f.ID, Number: f.Number, Use: civic.HouseUse(f.Use)}
	var fs []civic.FieldError
	hs.BuildingID, _ = strconv.ParseInt(f.BuildingID, 10, 64)
	var err error
	if hs.Unit, err = strconv.Atoi(f.Unit); err != nil {
		fs = append(fs, civic.FieldErr("unit", "单元应为整数", "the unit is a whole number"))
	}
	if hs.Floor, err = strconv.Atoi(f.Floor); err != nil {
		fs = append(fs, civic.FieldErr("floor", "楼层应为整数", "the floor is a whole number"))
	}
	if f.AreaM2 != "" {
		if hs.AreaM2, err = civic.ParseNumber(f.AreaM2); err != nil {
			fs = append(fs, civic.FieldErr("area_m2", "面积应为数字", "the area is a number"))
		}
	}
	if len(fs) > 0 {
		return hs, civic.Invalid(fs...)
	}
	return hs, nil
}

type houseFormPage struct {
	Page
	Form     houseForm
	Errs     FormErrors
	Building civic.Building
	Uses     []Option
	Action   string
	Editing  bool
}

func houseUseOptions(lang, selected string) []Option {
	out := make([]Option, 0, len(civic.HouseUses))
	for _, u := range civic.HouseUses {
		out = append(out, Option{Value: string(u), Label: u.Label().In(lang), Selected: string(u) == selected})
	}
	return out
}

func (h *Web) houseFormPage(w http.ResponseWriter, r *http.Request, c *rq, f houseForm, errs FormErrors) (houseFormPage, error) {
	id, _ := strconv.ParseInt(f.BuildingID, 10, 64)
	b, err := h.store.GetBuilding(r.Context(), c.Actor, id)
	if err != nil {
		return houseFormPage{}, err
	}
	p := houseFormPage{Page: h.base(w, c, "house.new", "/compounds"), Form: f, Errs: errs, Building: b, Uses: houseUseOptions(c.Lang, f.Use), Action: "/houses/new"}
	if f.ID != 0 {
		p.Title, p.Editing, p.Action = c.T("house.edit"), true, fmt.Sprintf("/houses/%d/edit", f.ID)
	}
	p.Crumbs = []Crumb{{Label: c.T("compound.title"), URL: "/compounds"}, {Label: b.CompoundName + b.Name, URL: fmt.Sprintf("/buildings/%d", b.ID)}, {Label: p.Title}}
	return p, nil
}

func (h *Web) newHouse(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	f := houseForm{BuildingID: q.Get("building"), Unit: q.Get("unit"), Floor: q.Get("floor"), Use: string(civic.HouseOwnOccupied)}
	if f.Unit == "" {
		f.Unit = "1"
	}
	// Houses are usually numbered floor then place: 3楼 → 301.
	if fl, err := strconv.Atoi(f.Floor); err == nil && fl > 0 {
		f.Number = fmt.Sprintf("%d01", fl)
	}
	p, err := h.houseFormPage(w, r, c, f, FormErrors{})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "house_form", p)
	return nil
}

func (h *Web) editHouse(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	hs, err := h.store.GetHouse(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	f := houseForm{ID: hs.ID, BuildingID: strconv.FormatInt(hs.BuildingID, 10), Unit: strconv.Itoa(hs.Unit), Floor: strconv.Itoa(hs.Floor),
		Number: hs.Number, AreaM2: strconv.FormatFloat(hs.AreaM2, 'f', -1, 64), Use: string(hs.Use)}
	p, err := h.houseFormPage(w, r, c, f, FormErrors{})
	if err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "house_form", p)
	return nil
}

func (h *Web) saveHouse(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := houseForm{BuildingID: v("building_id"), Unit: v("unit"), Floor: v("floor"), Number: v("number"), AreaM2: v("area_m2"), Use: v("use")}
	var err error
	if f.ID, err = optionalPathID(r); err != nil {
		return err
	}
	hs, err := f.house()
	if err != nil {
		// The unit and floor are checked against the building by the
		// store; here only the other fields.
		err = withOwnChecks(err, func() error { return hs.Validate(civic.Building{Units: math.MaxInt32, Floors: math.MaxInt32}) })
	} else {
		hs, err = h.store.SaveHouse(r.Context(), c.Actor, hs)
	}
	if err == nil {
		h.flash(w, "flash.saved")
		redirect(w, r, fmt.Sprintf("/buildings/%d", hs.BuildingID))
		return nil
	}
	errs, err := formErrors(err, c.Lang, houseFields...)
	if err != nil {
		return err
	}
	p, err := h.houseFormPage(w, r, c, f, errs)
	if err != nil {
		return err
	}
	h.render(w, c, errs.Status(), "house_form", p)
	return nil
}

// housePage is a house and its household: who lives there now, who lived
// there, and (for writers) a search to link someone.
type housePage struct {
	Page
	House     civic.House
	State     houseState
	Current   []resident
	Past      []resident
	CanWrite  bool
	Link      linkForm
	Errs      FormErrors
	Relations []Option
	// Found are people in scope matching the link search.
	Found []civic.Person
	Today string
}

// resident is one household link with what the viewer may see of the
// person: masked numbers, or only the name when the person lies outside
// the viewer's scope.
type resident struct {
	civic.HouseLink
	Person *civic.Person
}

// linkForm is the link form as typed.
type linkForm struct {
	Q, PersonID, Relation, MoveIn string
}

var linkFields = []string{"person_id", "relation", "move_in", "move_out"}

func relationOptions(lang, selected string) []Option {
	out := make([]Option, 0, len(civic.Relations))
	for _, rel := range civic.Relations {
		out = append(out, Option{Value: string(rel), Label: rel.Label().In(lang), Selected: string(rel) == selected})
	}
	return out
}

func (h *Web) house(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.showHouse(w, r, c, linkForm{Q: strings.TrimSpace(r.URL.Query().Get("q"))}, FormErrors{})
}

func (h *Web) showHouse(w http.ResponseWriter, r *http.Request, c *rq, lf linkForm, errs FormErrors) error {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		return err
	}
	hs, err := h.store.GetHouse(ctx, c.Actor, id)
	if err != nil {
		return err
	}
	links, err := h.store.Household(ctx, c.Actor, id)
	if err != nil {
		return err
	}
	p := housePage{Page: h.base(w, c, "house.title", "/compounds"), House: hs, CanWrite: c.Actor.Can(civic.PermPeopleWrite),
		Link: lf, Errs: errs, Relations: relationOptions(c.Lang, lf.Relation), Today: h.today()}
	p.State = houseState{Key: stateOf(hs), Label: c.T("house.state." + stateOf(hs))}
	seen := map[int64]*civic.Person{}
	for _, l := range links {
		pp, ok := seen[l.PersonID]
		if !ok && !l.OutsideScope {
			if got, err := h.store.GetPerson(ctx, c.Actor, l.PersonID); err == nil {
				pp = &got
			} else if civic.ErrorCodeOf(err) != civic.ENotFound {
				return err
			}
			seen[l.PersonID] = pp
		}
		if l.Current() {
			p.Current = append(p.Current, resident{l, pp})
		} else {
			p.Past = append(p.Past, resident{l, pp})
		}
	}
	if p.CanWrite && lf.Q != "" {
		if p.Found, _, err = h.store.ListPeople(ctx, c.Actor, store.PeopleFilter{Query: lf.Q, Page: store.Page{Limit: 20}}); err != nil {
			return err
		}
	}
	p.Title = hs.Address
	p.Crumbs = []Crumb{{Label: c.T("compound.title"), URL: "/compounds"}, {Label: hs.CompoundName + hs.BuildingName, URL: fmt.Sprintf("/buildings/%d", hs.BuildingID)}, {Label: hs.Number}}
	status := http.StatusOK
	if errs.Any() {
		status = errs.Status()
	}
	h.render(w, c, status, "house", p)
	return nil
}

// linkPerson links a person found on the house page to the house.
func (h *Web) linkPerson(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	lf := linkForm{Q: v("q"), PersonID: v("person_id"), Relation: v("relation"), MoveIn: v("move_in")}
	pid, _ := strconv.ParseInt(lf.PersonID, 10, 64)
	_, err = h.store.LinkHouse(r.Context(), c.Actor, civic.HouseLink{PersonID: pid, HouseID: id, Relation: civic.Relation(lf.Relation), MoveIn: lf.MoveIn})
	if err == nil {
		h.flash(w, "flash.saved")
		redirect(w, r, fmt.Sprintf("/houses/%d", id))
		return nil
	}
	errs, err := formErrors(err, c.Lang, linkFields...)
	if err != nil {
		return err
	}
	return h.showHouse(w, r, c, lf, errs)
}

// moveOut ends a household link on the given date.
func (h *Web) moveOut(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	// The link must be one of this house's: the page's address says
	// which house the form was on.
	err = h.store.EndLink(r.Context(), c.Actor, id, formInt(r, "link_id"), strings.TrimSpace(r.PostFormValue("move_out")))
	if err == nil {
		h.flash(w, "flash.saved")
		redirect(w, r, fmt.Sprintf("/houses/%d", id))
		return nil
	}
	errs, err := formErrors(err, c.Lang, linkFields...)
	if err != nil {
		return err
	}
	return h.showHouse(w, r, c, linkForm{}, errs)
}
