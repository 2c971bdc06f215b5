package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// The houses import: each row names a house by grid, compound, building,
// unit and number. Compounds are found by name in the grid or its
// community and created in the grid when missing; buildings are found by
// name in the compound (or the grid) and created, their floors and units
// grown to hold the houses; a house that exists merges the row's floor,
// area and use.

// placeCache holds what the houses import knows of a grid's places; it
// lives for one run, whose batches are its only writer of them.
type placeCache struct {
	grids map[string]*gridPlaces
	// orgs maps property company names to IDs.
	orgs map[string]int64
}

type gridPlaces struct {
	compounds map[string]int64 // by name
	compName  map[int64]string
	buildings map[string]*buildingState // by compound ID and name
	houses    map[string]*houseState    // by building ID, unit and number
	lng, lat  float64
}

type buildingState struct {
	id            int64
	name          string
	floors, units int
	grown         bool
}

type houseState struct {
	id         int64
	buildingID int64
	unit       int
	floor      int
	number     string
	area       float64
	use        string
	address    string
	fresh      bool
}

func buildingKey(compoundID int64, name string) string {
	return strconv.FormatInt(compoundID, 10) + "\x00" + name
}

func houseStateKey(buildingID int64, unit int, number string) string {
	return strconv.FormatInt(buildingID, 10) + "\x00" + strconv.Itoa(unit) + "\x00" + number
}

// grid reads a grid's compounds, buildings and houses once.
func (c *placeCache) grid(ctx context.Context, tx *Tx, code string) (*gridPlaces, error) {
	if g, ok := c.grids[code]; ok {
		return g, nil
	}
	g := &gridPlaces{compounds: map[string]int64{}, compName: map[int64]string{}, buildings: map[string]*buildingState{}, houses: map[string]*houseState{}}
	if err := tx.queryRow(ctx, `SELECT center_lng, center_lat FROM regions WHERE code = ?`, code).Scan(&g.lng, &g.lat); err != nil {
		return nil, fmt.Errorf("read grid %s: %w", code, err)
	}
	// A compound filed under the grid wins over one of the same name
	// filed under its community.
	rows, err := tx.query(ctx, `SELECT id, name, region_code FROM compounds WHERE region_code = ? OR region_code = ? ORDER BY LENGTH(region_code), id`, code, code[:min(12, len(code))])
	if err != nil {
		return nil, fmt.Errorf("read grid %s compounds: %w", code, err)
	}
	for rows.Next() {
		var id int64
		var name, region string
		if err := rows.Scan(&id, &name, &region); err != nil {
			rows.Close()
			return nil, err
		}
		g.compounds[name], g.compName[id] = id, name
	}
	rows.Close()
	rows, err = tx.query(ctx, `SELECT id, COALESCE(compound_id, 0), name, floors, units FROM buildings WHERE grid_code = ?`, code)
	if err != nil {
		return nil, fmt.Errorf("read grid %s buildings: %w", code, err)
	}
	for rows.Next() {
		b := &buildingState{}
		var cid int64
		if err := rows.Scan(&b.id, &cid, &b.name, &b.floors, &b.units); err != nil {
			rows.Close()
			return nil, err
		}
		g.buildings[buildingKey(cid, b.name)] = b
	}
	rows.Close()
	rows, err = tx.query(ctx, `SELECT id, building_id, unit, floor, number, area_m2, use, address FROM houses WHERE grid_code = ?`, code)
	if err != nil {
		return nil, fmt.Errorf("read grid %s houses: %w", code, err)
	}
	for rows.Next() {
		h := &houseState{}
		if err := rows.Scan(&h.id, &h.buildingID, &h.unit, &h.floor, &h.number, &h.area, &h.use, &h.address); err != nil {
			rows.Close()
			return nil, err
		}
		g.houses[houseStateKey(h.buildingID, h.unit, h.number)] = h
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if c.grids == nil {
		c.grids = map[string]*gridPlaces{}
	}
	c.grids[code] = g
	return g, nil
}

// propertyOrg finds a property company by name.
func (c *placeCache) propertyOrg(ctx context.Context, tx *Tx, name string) (int64, bool, error) {
	if c.orgs == nil {
		c.orgs = map[string]int64{}
		rows, err := tx.query(ctx, `SELECT id, name FROM organisations WHERE kind = ?`, string(civic.OrgPropertyCompany))
		if err != nil {
			return 0, false, fmt.Errorf("read property companies: %w", err)
		}
		for rows.Next() {
			var id int64
			var n string
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return 0, false, err
			}
			c.orgs[n] = id
		}
		rows.Close()
	}
	id, ok := c.orgs[name]
	return id, ok, nil
}

// houseRow is a houses row as read.
type houseRow struct {
	grid, compound, building, number, property string
	unit, floor                                int
	area                                       float64
	areaGiven                                  bool
	use                                        civic.HouseUse
	useGiven                                   bool
}

func (run *importRun) parseHouse(r importRow) (houseRow, []civic.CellError) {
	var errs []civic.CellError
	bad := func(key, zh, en string, args ...any) { errs = append(errs, run.cellErr(key, zh, en, args...)) }
	cell := func(k string) string { return run.cell(r, k) }
	h := houseRow{grid: cell("grid_code"), compound: cell("compound"), building: cell("building"), number: cell("number"), property: cell("property")}
	if h.grid == "" {
		bad("grid_code", "请填写网格编码", "give the grid code")
	} else if !run.gridOK(h.grid) {
		bad("grid_code", "网格“%s”不存在", "grid %q does not exist", h.grid)
	}
	if utf8.RuneCountInString(h.compound) > 60 {
		bad("compound", "小区名称不超过60字", "a compound name has at most 60 characters")
	}
	if n := utf8.RuneCountInString(h.building); n == 0 || n > 40 {
		bad("building", "请填写楼栋（不超过40字）", "give the building (at most 40 characters)")
	}
	var ok bool
	if h.unit, ok = parseInt(cell("unit")); !ok {
		bad("unit", "单元应为整数（现为“%s”）", "the unit is a whole number (not %q)", cell("unit"))
	}
	if h.floor, ok = parseInt(cell("floor")); !ok {
		bad("floor", "楼层应为整数（现为“%s”）", "the floor is a whole number (not %q)", cell("floor"))
	}
	if s := cell("area_m2"); s != "" {
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSuffix(s, "㎡"), "m2"), 64)
		if err != nil {
			bad("area_m2", "面积应为数字（现为“%s”）", "the area is a number (not %q)", s)
		}
		h.area, h.areaGiven = v, true
	}
	if s := cell("use"); s != "" {
		u, ok := civic.ParseHouseUse(s)
		if !ok {
			bad("use", "房屋用途应为自住、出租、空置或商用（现为“%s”）", "the use is own, rented, vacant or commercial (not %q)", s)
		}
		h.use, h.useGiven = u, true
	}
	if len(errs) == 0 {
		// A building grows to hold its houses, up to the most a building
		// may have.
		hh := civic.House{Unit: h.unit, Floor: h.floor, Number: h.number, AreaM2: h.area, Use: h.use}
		if err := hh.Validate(civic.Building{Floors: 200, Units: 50}); err != nil {
			fe, _ := run.fieldErrs(err)
			errs = append(errs, fe...)
		}
		h.number, h.use = hh.Number, hh.Use
	}
	return h, errs
}

// houseBatch writes a batch of house rows in one transaction.
func (run *importRun) houseBatch(ctx context.Context, batch []importRow) error {
	if run.places == nil {
		run.places = &placeCache{}
	}
	before := run.counts
	again := false
	err := run.s.write(ctx, func(tx *Tx) error {
		if again {
			run.rewind(before, batch[0].no)
			run.places = &placeCache{}
		}
		again = true
		return run.writeHouses(ctx, tx, batch, before)
	})
	if err != nil {
		run.counts = before
		// The cache may hold what the rolled-back batch created.
		run.places = nil
	}
	return err
}

func (run *importRun) writeHouses(ctx context.Context, tx *Tx, batch []importRow, before importCounts) error {
	var issues []civic.ImportIssue
	var fresh []*houseState
	freshGrid := map[*houseState]string{}
	compounds, buildings := 0, 0
	var grown []*buildingState
	later := map[int]*houseState{} // merge reports waiting for a new house's ID
	for _, r := range batch {
		run.counts.Done++
		h, errs := run.parseHouse(r)
		reject := func(errs []civic.CellError) {
			run.counts.Rejected++
			issues = append(issues, civic.ImportIssue{Row: r.no, Kind: civic.IssueRejected, Cells: r.cells, Errors: errs})
		}
		if len(errs) > 0 {
			reject(errs)
			continue
		}
		g, err := run.places.grid(ctx, tx, h.grid)
		if err != nil {
			return err
		}
		var compoundID int64
		if h.compound != "" {
			id, ok := g.compounds[h.compound]
			if !ok {
				var org any
				if h.property != "" {
					oid, found, err := run.places.propertyOrg(ctx, tx, h.property)
					if err != nil {
						return err
					}
					if !found {
						reject([]civic.CellError{run.cellErr("property", "物业公司“%s”不存在", "the property company %q does not exist", h.property)})
						continue
					}
					org = oid
				}
				id, err = tx.insertID(ctx, `INSERT INTO compounds (region_code, name, address, property_org_id, lng, lat, boundary, created_at, updated_at) VALUES (?, ?, '', ?, ?, ?, '', ?, ?)`,
					h.grid, h.compound, org, g.lng, g.lat, tx.now, tx.now)
				if err != nil {
					return fmt.Errorf("insert compound: %w", err)
				}
				g.compounds[h.compound], g.compName[id] = id, h.compound
				compounds++
			}
			compoundID = id
		}
		b, ok := g.buildings[buildingKey(compoundID, h.building)]
		if !ok {
			b = &buildingState{name: h.building, floors: max(1, h.floor), units: h.unit}
			var cid any
			if compoundID != 0 {
				cid = compoundID
			}
			b.id, err = tx.insertID(ctx, `INSERT INTO buildings (compound_id, grid_code, name, floors, units, lng, lat, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				cid, h.grid, h.building, b.floors, b.units, g.lng, g.lat, tx.now, tx.now)
			if err != nil {
				return fmt.Errorf("insert building: %w", err)
			}
			g.buildings[buildingKey(compoundID, h.building)] = b
			buildings++
		}
		if h.floor > b.floors || h.unit > b.units {
			b.floors, b.units = max(b.floors, h.floor), max(b.units, h.unit)
			if !b.grown {
				b.grown = true
				grown = append(grown, b)
			}
		}
		sameAs := 0
		key := keyOf(h.grid, h.compound, h.building, strconv.Itoa(h.unit), h.number)
		if first, dup := run.seen[key]; dup {
			sameAs = int(first)
		} else {
			run.seen[key] = int32(r.no)
		}
		hs, ok := g.houses[houseStateKey(b.id, h.unit, h.number)]
		if !ok {
			hs = &houseState{buildingID: b.id, unit: h.unit, floor: h.floor, number: h.number, area: h.area, use: string(h.use),
				address: civic.HouseAddress(g.compName[compoundID], b.name, h.unit, h.number), fresh: true}
			g.houses[houseStateKey(b.id, h.unit, h.number)] = hs
			fresh = append(fresh, hs)
			freshGrid[hs] = h.grid
			run.counts.Created++
			continue
		}
		var changes []civic.MergeChange
		change := func(field, before, after string) {
			changes = append(changes, civic.MergeChange{Field: field, Column: run.kind.ColumnLabel(field, "zh"), Before: before, After: after})
		}
		if h.floor != hs.floor {
			change("floor", strconv.Itoa(hs.floor), strconv.Itoa(h.floor))
			hs.floor = h.floor
		}
		if h.areaGiven && h.area != hs.area {
			change("area_m2", strconv.FormatFloat(hs.area, 'f', -1, 64), strconv.FormatFloat(h.area, 'f', -1, 64))
			hs.area = h.area
		}
		if h.useGiven && string(h.use) != hs.use {
			change("use", civic.HouseUse(hs.use).Label().ZH, h.use.Label().ZH)
			hs.use = string(h.use)
		}
		if len(changes) > 0 && !hs.fresh {
			if _, err := tx.exec(ctx, `UPDATE houses SET floor = ?, area_m2 = ?, use = ?, updated_at = ? WHERE id = ?`, hs.floor, hs.area, hs.use, tx.now, hs.id); err != nil {
				return fmt.Errorf("update house %d: %w", hs.id, err)
			}
		}
		if len(changes) > 0 {
			run.counts.Merged++
		} else {
			run.counts.Unchanged++
		}
		if len(changes) > 0 || sameAs != 0 {
			if hs.fresh {
				later[len(issues)] = hs
			}
			issues = append(issues, civic.ImportIssue{Row: r.no, Kind: civic.IssueMerged, Changes: changes, HouseID: hs.id, SameAs: sameAs})
		}
	}
	for _, b := range grown {
		if _, err := tx.exec(ctx, `UPDATE buildings SET floors = ?, units = ?, updated_at = ? WHERE id = ?`, b.floors, b.units, tx.now, b.id); err != nil {
			return fmt.Errorf("grow building %d: %w", b.id, err)
		}
		b.grown = false
	}
	ids, err := tx.reserveIDs(ctx, "houses", len(fresh))
	if err != nil {
		return err
	}
	rows := make([][]any, len(fresh))
	for i, hs := range fresh {
		hs.id, hs.fresh = ids[i], false
		rows[i] = []any{hs.id, hs.buildingID, freshGrid[hs], hs.unit, hs.floor, hs.number, hs.area, hs.use, hs.address, tx.now, tx.now}
	}
	if err := tx.insertRows(ctx, `INSERT INTO houses (id, building_id, grid_code, unit, floor, number, area_m2, use, address, residents, created_at, updated_at)`,
		`(?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`, rows); err != nil {
		if isUniqueViolation(err) {
			return civic.Errorf(civic.EConflict, "导入期间他人登记了相同房屋，请重新导入", "someone registered the same house during the import; import again")
		}
		return fmt.Errorf("insert houses: %w", err)
	}
	// Merge reports of houses new in this batch learn their IDs now.
	for i, hs := range later {
		issues[i].HouseID = hs.id
	}
	return run.finishBatch(ctx, tx, issues, before, map[string]int{"compounds": compounds, "buildings": buildings})
}
