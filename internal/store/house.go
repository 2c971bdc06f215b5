package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
)

// Places where people live: compounds (小区), buildings (楼栋) and houses
// (房屋). Compounds are filed under a grid or community, buildings and
// houses under a grid; scope is checked on those codes.

const compoundCols = `c.id, c.region_code, COALESCE(r.name, ''), c.name, c.address, COALESCE(c.property_org_id, 0), COALESCE(o.name, ''), c.lng, c.lat, c.boundary,
	(SELECT COUNT(*) FROM buildings b WHERE b.compound_id = c.id),
	(SELECT COUNT(*) FROM houses h JOIN buildings b ON b.id = h.building_id WHERE b.compound_id = c.id),
	c.created_at, c.updated_at`
const compoundFrom = ` FROM compounds c LEFT JOIN regions r ON r.code = c.region_code LEFT JOIN organisations o ON o.id = c.property_org_id`

func scanCompound(sc interface{ Scan(...any) error }) (civic.Compound, error) {
	var c civic.Compound
	err := sc.Scan(&c.ID, &c.RegionCode, &c.RegionName, &c.Name, &c.Address, &c.PropertyOrgID, &c.PropertyName, &c.Lng, &c.Lat, &c.Boundary, &c.Buildings, &c.Houses, &c.CreatedAt, &c.UpdatedAt)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

// GetCompound returns a compound in the actor's scope.
func (s *Store) GetCompound(ctx context.Context, a civic.Actor, id int64) (civic.Compound, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return civic.Compound{}, err
	}
	c, err := scanCompound(s.queryRow(ctx, `SELECT `+compoundCols+compoundFrom+` WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(c.RegionCode)) {
		return civic.Compound{}, civic.NotFound(fmt.Sprintf("小区 %d", id), fmt.Sprintf("compound %d", id))
	}
	if err != nil {
		return civic.Compound{}, fmt.Errorf("get compound %d: %w", id, err)
	}
	return c, nil
}

// PlaceFilter narrows the lists of compounds, buildings and houses.
type PlaceFilter struct {
	Under      string // region code prefix
	CompoundID int64
	BuildingID int64
	Query      string // name or address contains
	Page
}

// ListCompounds returns compounds in the actor's scope.
func (s *Store) ListCompounds(ctx context.Context, a civic.Actor, f PlaceFilter) ([]civic.Compound, int, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return nil, 0, err
	}
	where, args := scopeClause(a, "c.region_code")
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where += " AND c.region_code >= ? AND c.region_code < ?"
		args = append(args, lo, hi)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		cond, qargs := containsAny(q, "c.name", "c.address")
		where += " AND " + cond
		args = append(args, qargs...)
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM compounds c WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count compounds: %w", err)
	}
	p := f.Page.normal()
	rows, err := s.query(ctx, `SELECT `+compoundCols+compoundFrom+` WHERE `+where+` ORDER BY c.region_code, c.name, c.id LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list compounds: %w", err)
	}
	defer rows.Close()
	var out []civic.Compound
	for rows.Next() {
		c, err := scanCompound(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan compound: %w", err)
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

func (tx *Tx) checkCompound(ctx context.Context, a civic.Actor, c *civic.Compound) error {
	if !a.InScope(c.RegionCode) {
		return regionOutOfScope(ctx, tx, "region_code", c.RegionCode, civic.OutOfScope("region_code", "该区域不在您的管辖范围内", "the area is outside your scope"))
	}
	var lvl int
	err := tx.queryRow(ctx, `SELECT level FROM regions WHERE code = ?`, c.RegionCode).Scan(&lvl)
	if errors.Is(err, sql.ErrNoRows) {
		return civic.Invalid(civic.FieldErr("region_code", "区域“%s”不存在", "region %q does not exist", c.RegionCode))
	}
	if err != nil {
		return fmt.Errorf("look up region %s: %w", c.RegionCode, err)
	}
	if l := civic.Level(lvl); l < civic.LevelCommunity {
		return civic.Invalid(civic.FieldErr("region_code", "小区应登记到社区或网格", "a compound belongs to a community or a grid"))
	}
	if c.Boundary != "" {
		if _, err := geo.ParseGeometry([]byte(c.Boundary)); err != nil {
			return civic.Invalid(civic.FieldErr("boundary", "小区边界无法解析：应为 GeoJSON 的 Polygon 或 MultiPolygon，坐标为 [经度, 纬度] 数组", "the compound boundary cannot be read: it must be a GeoJSON Polygon or MultiPolygon with [lng, lat] coordinates"))
		}
	}
	if c.PropertyOrgID != 0 {
		var kind, region string
		err := tx.queryRow(ctx, `SELECT kind, region_code FROM organisations WHERE id = ?`, c.PropertyOrgID).Scan(&kind, &region)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && kind != string(civic.OrgPropertyCompany)) {
			return civic.Invalid(civic.FieldErr("property_org_id", "物业公司不存在或不是物业类组织", "the property company does not exist or is not a property company"))
		}
		if err == nil && !orgLinkable(a, region, c.RegionCode) {
			return civic.Invalid(civic.FieldErr("property_org_id", "该物业公司不在您的管辖范围内，也不负责本小区所在区域", "the property company is neither in your scope nor serving the compound's area"))
		}
		if err != nil {
			return fmt.Errorf("look up property company %d: %w", c.PropertyOrgID, err)
		}
	}
	return nil
}

// SaveCompound creates a compound (ID 0) or replaces one's fields.
func (s *Store) SaveCompound(ctx context.Context, a civic.Actor, c civic.Compound) (civic.Compound, error) {
	if err := a.Must(civic.PermPeopleWrite); err != nil {
		return c, err
	}
	var before *civic.Compound
	if c.ID != 0 {
		b, err := s.GetCompound(ctx, a, c.ID)
		if err != nil {
			return c, err
		}
		before = &b
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	err := s.write(ctx, func(tx *Tx) error {
		if err := tx.checkCompound(ctx, a, &c); err != nil {
			return err
		}
		if before == nil {
			id, err := tx.insertID(ctx, `INSERT INTO compounds (region_code, name, address, property_org_id, lng, lat, boundary, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.RegionCode, c.Name, c.Address, nullID(c.PropertyOrgID), c.Lng, c.Lat, c.Boundary, tx.now, tx.now)
			if err != nil {
				return fmt.Errorf("insert compound: %w", err)
			}
			c.ID = id
			return tx.audit(ctx, a, "compound.create", "compound", id, c.RegionCode, nil, c)
		}
		if _, err := tx.exec(ctx, `UPDATE compounds SET region_code = ?, name = ?, address = ?, property_org_id = ?, lng = ?, lat = ?, boundary = ?, updated_at = ? WHERE id = ?`,
			c.RegionCode, c.Name, c.Address, nullID(c.PropertyOrgID), c.Lng, c.Lat, c.Boundary, tx.now, c.ID); err != nil {
			return fmt.Errorf("update compound %d: %w", c.ID, err)
		}
		// The compound's name is part of every house address in it.
		if before.Name != c.Name {
			if err := tx.readdressHouses(ctx, "b.compound_id = ?", c.ID); err != nil {
				return err
			}
		}
		return tx.audit(ctx, a, "compound.update", "compound", c.ID, c.RegionCode, before, c)
	})
	if err != nil {
		return civic.Compound{}, err
	}
	return s.GetCompound(ctx, a, c.ID)
}

const buildingCols = `b.id, COALESCE(b.compound_id, 0), COALESCE(c.name, ''), b.grid_code, COALESCE(g.name, ''), b.name, b.floors, b.units, b.lng, b.lat,
	(SELECT COUNT(*) FROM houses h WHERE h.building_id = b.id), b.created_at, b.updated_at`
const buildingFrom = ` FROM buildings b LEFT JOIN compounds c ON c.id = b.compound_id LEFT JOIN regions g ON g.code = b.grid_code`

func scanBuilding(sc interface{ Scan(...any) error }) (civic.Building, error) {
	var b civic.Building
	err := sc.Scan(&b.ID, &b.CompoundID, &b.CompoundName, &b.GridCode, &b.GridName, &b.Name, &b.Floors, &b.Units, &b.Lng, &b.Lat, &b.Houses, &b.CreatedAt, &b.UpdatedAt)
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return b, err
}

// GetBuilding returns a building in the actor's scope.
func (s *Store) GetBuilding(ctx context.Context, a civic.Actor, id int64) (civic.Building, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return civic.Building{}, err
	}
	b, err := scanBuilding(s.queryRow(ctx, `SELECT `+buildingCols+buildingFrom+` WHERE b.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(b.GridCode)) {
		return civic.Building{}, civic.NotFound(fmt.Sprintf("楼栋 %d", id), fmt.Sprintf("building %d", id))
	}
	if err != nil {
		return civic.Building{}, fmt.Errorf("get building %d: %w", id, err)
	}
	return b, nil
}

// ListBuildings returns buildings in scope, by compound or region.
func (s *Store) ListBuildings(ctx context.Context, a civic.Actor, f PlaceFilter) ([]civic.Building, int, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return nil, 0, err
	}
	where, args := scopeClause(a, "b.grid_code")
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where += " AND b.grid_code >= ? AND b.grid_code < ?"
		args = append(args, lo, hi)
	}
	if f.CompoundID != 0 {
		where += " AND b.compound_id = ?"
		args = append(args, f.CompoundID)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		cond, qargs := containsAny(q, "b.name")
		where += " AND " + cond
		args = append(args, qargs...)
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM buildings b WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count buildings: %w", err)
	}
	p := f.Page.normal()
	rows, err := s.query(ctx, `SELECT `+buildingCols+buildingFrom+` WHERE `+where+` ORDER BY b.compound_id, LENGTH(b.name), b.name, b.id LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list buildings: %w", err)
	}
	defer rows.Close()
	var out []civic.Building
	for rows.Next() {
		b, err := scanBuilding(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan building: %w", err)
		}
		out = append(out, b)
	}
	return out, total, rows.Err()
}

func (tx *Tx) checkBuilding(ctx context.Context, a civic.Actor, b *civic.Building) error {
	if !a.InScope(b.GridCode) {
		return gridOutOfScope(ctx, tx, b.GridCode)
	}
	var lvl int
	err := tx.queryRow(ctx, `SELECT level FROM regions WHERE code = ?`, b.GridCode).Scan(&lvl)
	if errors.Is(err, sql.ErrNoRows) {
		return civic.Invalid(civic.FieldErr("grid_code", "网格“%s”不存在", "grid %q does not exist", b.GridCode))
	}
	if err != nil {
		return fmt.Errorf("look up grid %s: %w", b.GridCode, err)
	}
	if l := civic.Level(lvl); l != civic.LevelGrid && l != civic.LevelMicroGrid {
		return civic.Invalid(civic.FieldErr("grid_code", "楼栋应登记到网格或微网格", "a building belongs to a grid or micro-grid"))
	}
	if b.CompoundID != 0 {
		var region string
		err := tx.queryRow(ctx, `SELECT region_code FROM compounds WHERE id = ?`, b.CompoundID).Scan(&region)
		if errors.Is(err, sql.ErrNoRows) {
			return civic.Invalid(civic.FieldErr("compound_id", "小区不存在", "the compound does not exist"))
		}
		if err != nil {
			return fmt.Errorf("look up compound %d: %w", b.CompoundID, err)
		}
		// A compound filed under a community may span its grids; one filed
		// under a grid holds only that grid's buildings.
		if !strings.HasPrefix(b.GridCode, region) {
			return civic.Invalid(civic.FieldErr("grid_code", "楼栋所在网格不属于该小区所在区域（%s）", "the building's grid is not inside the compound's area (%s)", region))
		}
	}
	return nil
}

// SaveBuilding creates a building (ID 0) or replaces one's fields. A
// building cannot shrink below a floor or unit that has houses.
func (s *Store) SaveBuilding(ctx context.Context, a civic.Actor, b civic.Building) (civic.Building, error) {
	if err := a.Must(civic.PermPeopleWrite); err != nil {
		return b, err
	}
	var before *civic.Building
	if b.ID != 0 {
		old, err := s.GetBuilding(ctx, a, b.ID)
		if err != nil {
			return b, err
		}
		before = &old
	}
	if err := b.Validate(); err != nil {
		return b, err
	}
	err := s.write(ctx, func(tx *Tx) error {
		if err := tx.checkBuilding(ctx, a, &b); err != nil {
			return err
		}
		if before == nil {
			id, err := tx.insertID(ctx, `INSERT INTO buildings (compound_id, grid_code, name, floors, units, lng, lat, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, nullID(b.CompoundID), b.GridCode, b.Name, b.Floors, b.Units, b.Lng, b.Lat, tx.now, tx.now)
			if err != nil {
				return fmt.Errorf("insert building: %w", err)
			}
			b.ID = id
			return tx.audit(ctx, a, "building.create", "building", id, b.GridCode, nil, b)
		}
		var maxFloor, maxUnit int
		if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(floor), 0), COALESCE(MAX(unit), 0) FROM houses WHERE building_id = ?`, b.ID).Scan(&maxFloor, &maxUnit); err != nil {
			return fmt.Errorf("read building %d houses: %w", b.ID, err)
		}
		if maxFloor > b.Floors || maxUnit > b.Units {
			return civic.Invalid(civic.FieldErr("floors", "楼栋已有房屋在第%d层、第%d单元，不能减少层数或单元数", "houses exist up to floor %d and unit %d; the building cannot shrink below them", maxFloor, maxUnit))
		}
		if _, err := tx.exec(ctx, `UPDATE buildings SET compound_id = ?, grid_code = ?, name = ?, floors = ?, units = ?, lng = ?, lat = ?, updated_at = ? WHERE id = ?`,
			nullID(b.CompoundID), b.GridCode, b.Name, b.Floors, b.Units, b.Lng, b.Lat, tx.now, b.ID); err != nil {
			return fmt.Errorf("update building %d: %w", b.ID, err)
		}
		if before.GridCode != b.GridCode {
			if _, err := tx.exec(ctx, `UPDATE houses SET grid_code = ?, updated_at = ? WHERE building_id = ?`, b.GridCode, tx.now, b.ID); err != nil {
				return fmt.Errorf("move building %d houses: %w", b.ID, err)
			}
		}
		if before.Name != b.Name || before.CompoundID != b.CompoundID {
			if err := tx.readdressHouses(ctx, "b.id = ?", b.ID); err != nil {
				return err
			}
		}
		return tx.audit(ctx, a, "building.update", "building", b.ID, b.GridCode, before, b)
	})
	if err != nil {
		return civic.Building{}, err
	}
	return s.GetBuilding(ctx, a, b.ID)
}

// readdressHouses recomputes the address of the houses of the buildings
// matched by cond (on alias b), and the cached address of their residents.
func (tx *Tx) readdressHouses(ctx context.Context, cond string, arg any) error {
	rows, err := tx.query(ctx, `SELECT h.id, COALESCE(c.name, ''), b.name, h.unit, h.number FROM houses h JOIN buildings b ON b.id = h.building_id
		LEFT JOIN compounds c ON c.id = b.compound_id WHERE `+cond, arg)
	if err != nil {
		return fmt.Errorf("read house addresses: %w", err)
	}
	type addr struct {
		id   int64
		text string
	}
	var list []addr
	for rows.Next() {
		var id int64
		var cn, bn, num string
		var unit int
		if err := rows.Scan(&id, &cn, &bn, &unit, &num); err != nil {
			rows.Close()
			return fmt.Errorf("scan house address: %w", err)
		}
		list = append(list, addr{id, civic.HouseAddress(cn, bn, unit, num)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read house addresses: %w", err)
	}
	for _, h := range list {
		if _, err := tx.exec(ctx, `UPDATE houses SET address = ?, updated_at = ? WHERE id = ?`, h.text, tx.now, h.id); err != nil {
			return fmt.Errorf("readdress house %d: %w", h.id, err)
		}
		if err := tx.refreshResidentsOf(ctx, h.id); err != nil {
			return err
		}
	}
	return nil
}

const houseCols = `h.id, h.building_id, b.name, COALESCE(b.compound_id, 0), COALESCE(c.name, ''), h.grid_code, COALESCE(g.name, ''), h.unit, h.floor, h.number, h.area_m2, h.use, h.address, h.residents, h.created_at, h.updated_at`
const houseFrom = ` FROM houses h JOIN buildings b ON b.id = h.building_id LEFT JOIN compounds c ON c.id = b.compound_id LEFT JOIN regions g ON g.code = h.grid_code`

func scanHouse(sc interface{ Scan(...any) error }) (civic.House, error) {
	var h civic.House
	var use string
	err := sc.Scan(&h.ID, &h.BuildingID, &h.BuildingName, &h.CompoundID, &h.CompoundName, &h.GridCode, &h.GridName, &h.Unit, &h.Floor, &h.Number, &h.AreaM2, &use, &h.Address, &h.Residents, &h.CreatedAt, &h.UpdatedAt)
	h.Use = civic.HouseUse(use)
	h.CreatedAt, h.UpdatedAt = h.CreatedAt.UTC(), h.UpdatedAt.UTC()
	return h, err
}

// GetHouse returns a house in the actor's scope.
func (s *Store) GetHouse(ctx context.Context, a civic.Actor, id int64) (civic.House, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return civic.House{}, err
	}
	h, err := scanHouse(s.queryRow(ctx, `SELECT `+houseCols+houseFrom+` WHERE h.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.InScope(h.GridCode)) {
		return civic.House{}, civic.NotFound(fmt.Sprintf("房屋 %d", id), fmt.Sprintf("house %d", id))
	}
	if err != nil {
		return civic.House{}, fmt.Errorf("get house %d: %w", id, err)
	}
	return h, nil
}

// ListHouses returns houses in scope by building, compound or region, in
// address order.
func (s *Store) ListHouses(ctx context.Context, a civic.Actor, f PlaceFilter) ([]civic.House, int, error) {
	if err := a.Must(civic.PermPeopleRead); err != nil {
		return nil, 0, err
	}
	where, args := scopeClause(a, "h.grid_code")
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		where += " AND h.grid_code >= ? AND h.grid_code < ?"
		args = append(args, lo, hi)
	}
	if f.BuildingID != 0 {
		where += " AND h.building_id = ?"
		args = append(args, f.BuildingID)
	}
	if f.CompoundID != 0 {
		where += " AND b.compound_id = ?"
		args = append(args, f.CompoundID)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		cond, qargs := containsAny(q, "h.address")
		where += " AND " + cond
		args = append(args, qargs...)
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM houses h JOIN buildings b ON b.id = h.building_id WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count houses: %w", err)
	}
	p := f.Page.normal()
	rows, err := s.query(ctx, `SELECT `+houseCols+houseFrom+` WHERE `+where+` ORDER BY h.building_id, h.unit, h.floor, h.number LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list houses: %w", err)
	}
	defer rows.Close()
	var out []civic.House
	for rows.Next() {
		h, err := scanHouse(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan house: %w", err)
		}
		out = append(out, h)
	}
	return out, total, rows.Err()
}

// FloorPlan lays a building's houses out floor by unit (楼盘表).
func (s *Store) FloorPlan(ctx context.Context, a civic.Actor, buildingID int64) (civic.FloorPlan, error) {
	b, err := s.GetBuilding(ctx, a, buildingID)
	if err != nil {
		return civic.FloorPlan{}, err
	}
	houses, _, err := s.ListHouses(ctx, a, PlaceFilter{BuildingID: buildingID, Page: Page{Limit: 10000}})
	if err != nil {
		return civic.FloorPlan{}, err
	}
	return civic.PlanFloors(b, houses), nil
}

// SaveHouse creates a house (ID 0) or replaces one's fields. Its grid is
// its building's.
func (s *Store) SaveHouse(ctx context.Context, a civic.Actor, h civic.House) (civic.House, error) {
	if err := a.Must(civic.PermPeopleWrite); err != nil {
		return h, err
	}
	b, err := s.GetBuilding(ctx, a, h.BuildingID)
	if err != nil {
		if civic.ErrorCodeOf(err) == civic.ENotFound {
			return h, civic.Invalid(civic.FieldErr("building_id", "楼栋不存在", "the building does not exist"))
		}
		return h, err
	}
	var before *civic.House
	if h.ID != 0 {
		old, err := s.GetHouse(ctx, a, h.ID)
		if err != nil {
			return h, err
		}
		before = &old
	}
	err = s.write(ctx, func(tx *Tx) error { return tx.saveHouse(ctx, a, &h, b, before) })
	if err != nil {
		return civic.House{}, err
	}
	return s.GetHouse(ctx, a, h.ID)
}

// saveHouse validates h against its building and writes it inside tx, with
// its audit entry; before is the stored house for an update. Corrections
// approved from the field write houses through it too.
func (tx *Tx) saveHouse(ctx context.Context, a civic.Actor, h *civic.House, b civic.Building, before *civic.House) error {
	if err := h.Validate(b); err != nil {
		return err
	}
	h.GridCode = b.GridCode
	h.Address = civic.HouseAddress(b.CompoundName, b.Name, h.Unit, h.Number)
	if before == nil {
		id, err := tx.insertID(ctx, `INSERT INTO houses (building_id, grid_code, unit, floor, number, area_m2, use, address, residents, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`, h.BuildingID, h.GridCode, h.Unit, h.Floor, h.Number, h.AreaM2, string(h.Use), h.Address, tx.now, tx.now)
		if isUniqueViolation(err) {
			return civic.Invalid(civic.FieldErr("number", "该楼栋%d单元已有门牌号“%s”", "unit %d of this building already has a house %q", h.Unit, h.Number))
		}
		if err != nil {
			return fmt.Errorf("insert house: %w", err)
		}
		h.ID = id
		return tx.audit(ctx, a, "house.create", "house", id, h.GridCode, nil, *h)
	}
	_, err := tx.exec(ctx, `UPDATE houses SET building_id = ?, grid_code = ?, unit = ?, floor = ?, number = ?, area_m2 = ?, use = ?, address = ?, updated_at = ? WHERE id = ?`,
		h.BuildingID, h.GridCode, h.Unit, h.Floor, h.Number, h.AreaM2, string(h.Use), h.Address, tx.now, h.ID)
	if isUniqueViolation(err) {
		return civic.Invalid(civic.FieldErr("number", "该楼栋%d单元已有门牌号“%s”", "unit %d of this building already has a house %q", h.Unit, h.Number))
	}
	if err != nil {
		return fmt.Errorf("update house %d: %w", h.ID, err)
	}
	if before.Address != h.Address {
		if err := tx.refreshResidentsOf(ctx, h.ID); err != nil {
			return err
		}
	}
	return tx.audit(ctx, a, "house.update", "house", h.ID, h.GridCode, before, *h)
}
