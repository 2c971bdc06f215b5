package civic

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Compound is a residential compound (小区) with its property company.
// Its region is the grid or community it lies in; Boundary, when drawn, is
// a GeoJSON polygon used to tell which compound a reported place is in.
type Compound struct {
	ID            int64     `json:"id"`
	RegionCode    string    `json:"region_code"`
	RegionName    string    `json:"region_name,omitempty"`
	Name          string    `json:"name"`
	Address       string    `json:"address"`
	PropertyOrgID int64     `json:"property_org_id,omitempty"`
	PropertyName  string    `json:"property_name,omitempty"`
	Lng           float64   `json:"lng"`
	Lat           float64   `json:"lat"`
	Boundary      string    `json:"boundary,omitempty"`
	Buildings     int       `json:"buildings"`
	Houses        int       `json:"houses"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Validate checks a compound's own fields.
func (c *Compound) Validate() error {
	c.Name, c.Address = strings.TrimSpace(c.Name), strings.TrimSpace(c.Address)
	var fs []FieldError
	if n := len([]rune(c.Name)); n == 0 || n > 60 {
		fs = append(fs, FieldErr("name", "请填写小区名称（不超过60字）", "name the compound (at most 60 characters)"))
	}
	if len([]rune(c.Address)) > 200 {
		fs = append(fs, FieldErr("address", "地址不超过200字", "the address is at most 200 characters"))
	}
	fs = append(fs, checkLngLat(c.Lng, c.Lat)...)
	if c.RegionCode == "" {
		fs = append(fs, FieldErr("region_code", "请选择小区所在网格或社区", "choose the grid or community the compound lies in"))
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

func checkLngLat(lng, lat float64) []FieldError {
	if !InRange(lng, -180, 180) || !InRange(lat, -90, 90) {
		return []FieldError{FieldErr("location", "位置坐标超出范围", "the location is out of range")}
	}
	return nil
}

// Building is a building (楼栋) in a grid, usually inside a compound. Its
// houses are numbered by unit (单元) and floor.
type Building struct {
	ID           int64     `json:"id"`
	CompoundID   int64     `json:"compound_id,omitempty"`
	CompoundName string    `json:"compound_name,omitempty"`
	GridCode     string    `json:"grid_code"`
	GridName     string    `json:"grid_name,omitempty"`
	Name         string    `json:"name"`
	Floors       int       `json:"floors"`
	Units        int       `json:"units"`
	Lng          float64   `json:"lng"`
	Lat          float64   `json:"lat"`
	Houses       int       `json:"houses"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Validate checks a building's own fields.
func (b *Building) Validate() error {
	b.Name = strings.TrimSpace(b.Name)
	var fs []FieldError
	if n := len([]rune(b.Name)); n == 0 || n > 40 {
		fs = append(fs, FieldErr("name", "请填写楼栋名称（不超过40字）", "name the building (at most 40 characters)"))
	}
	if b.Floors < 1 || b.Floors > 200 {
		fs = append(fs, FieldErr("floors", "层数应为1到200", "floors must be 1 to 200"))
	}
	if b.Units < 1 || b.Units > 50 {
		fs = append(fs, FieldErr("units", "单元数应为1到50", "units must be 1 to 50"))
	}
	fs = append(fs, checkLngLat(b.Lng, b.Lat)...)
	if b.GridCode == "" {
		fs = append(fs, FieldErr("grid_code", "请选择楼栋所在网格", "choose the grid the building lies in"))
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// HouseUse is what a house is used for; vacant houses count as complete in
// the linkage figures without a resident.
type HouseUse string

const (
	HouseOwnOccupied HouseUse = "own"        // 自住
	HouseRented      HouseUse = "rented"     // 出租
	HouseVacant      HouseUse = "vacant"     // 空置
	HouseCommercial  HouseUse = "commercial" // 商用
)

// HouseUses lists every use in display order.
var HouseUses = []HouseUse{HouseOwnOccupied, HouseRented, HouseVacant, HouseCommercial}

var houseUseLabels = map[HouseUse]Text{
	HouseOwnOccupied: T("自住", "Own-occupied"),
	HouseRented:      T("出租", "Rented"),
	HouseVacant:      T("空置", "Vacant"),
	HouseCommercial:  T("商用", "Commercial"),
}

func (u HouseUse) Valid() bool { _, ok := houseUseLabels[u]; return ok }
func (u HouseUse) Label() Text { return houseUseLabels[u] }

// ParseHouseUse accepts a use's key or its Chinese or English label, as
// spreadsheets carry either.
func ParseHouseUse(s string) (HouseUse, bool) {
	s = strings.TrimSpace(s)
	for _, u := range HouseUses {
		if s == string(u) || s == u.Label().ZH || strings.EqualFold(s, u.Label().EN) {
			return u, true
		}
	}
	return "", false
}

// House is one dwelling or shop (房屋/户): unit, floor and number in a
// building. Residents counts the people living there now.
type House struct {
	ID           int64     `json:"id"`
	BuildingID   int64     `json:"building_id"`
	BuildingName string    `json:"building_name,omitempty"`
	CompoundID   int64     `json:"compound_id,omitempty"`
	CompoundName string    `json:"compound_name,omitempty"`
	GridCode     string    `json:"grid_code"`
	GridName     string    `json:"grid_name,omitempty"`
	Unit         int       `json:"unit"`
	Floor        int       `json:"floor"`
	Number       string    `json:"number"`
	AreaM2       float64   `json:"area_m2"`
	Use          HouseUse  `json:"use"`
	Address      string    `json:"address"`
	Residents    int       `json:"residents"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Validate checks a house's own fields against its building.
func (h *House) Validate(b Building) error {
	h.Number = strings.TrimSpace(h.Number)
	var fs []FieldError
	if n := utf8.RuneCountInString(h.Number); n == 0 || n > 20 {
		fs = append(fs, FieldErr("number", "请填写门牌号（不超过20个字符）", "give the house number (at most 20 characters)"))
	}
	if h.Unit < 1 || h.Unit > b.Units {
		fs = append(fs, FieldErr("unit", "单元应为1到%d", "the unit must be 1 to %d", b.Units))
	}
	// Basements are floors -1, -2, …
	if h.Floor == 0 || h.Floor > b.Floors || h.Floor < -5 {
		fs = append(fs, FieldErr("floor", "楼层应为1到%d（地下为负数）", "the floor must be 1 to %d (negative below ground)", b.Floors))
	}
	if !InRange(h.AreaM2, 0, 100000) {
		fs = append(fs, FieldErr("area_m2", "面积应为0到100000平方米", "the area must be 0 to 100,000 m²"))
	}
	if h.Use == "" {
		h.Use = HouseOwnOccupied
	}
	if !h.Use.Valid() {
		fs = append(fs, FieldErr("use", "房屋用途应为自住、出租、空置或商用", "the use must be own, rented, vacant or commercial"))
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// HouseAddress is the address a house is known by: compound, building,
// unit and number, e.g. 和平里小区3号楼2单元301.
func HouseAddress(compound, building string, unit int, number string) string {
	return compound + building + sprintf("%d单元", unit) + number
}

// FloorPlan is a building's houses laid out floor by unit (楼盘表): Rows
// from the top floor down, each with one cell per unit holding that
// floor's houses in the unit.
type FloorPlan struct {
	Building Building
	Units    []int
	Rows     []FloorRow
}

// FloorRow is one floor of a FloorPlan.
type FloorRow struct {
	Floor int
	Cells [][]House // one per unit, in Units order
}

// PlanFloors lays houses out as a FloorPlan.
func PlanFloors(b Building, houses []House) FloorPlan {
	p := FloorPlan{Building: b}
	for u := 1; u <= b.Units; u++ {
		p.Units = append(p.Units, u)
	}
	idx := map[[2]int][]House{}
	low := 1
	for _, h := range houses {
		idx[[2]int{h.Floor, h.Unit}] = append(idx[[2]int{h.Floor, h.Unit}], h)
		if h.Floor < low {
			low = h.Floor
		}
	}
	for f := b.Floors; f >= low; f-- {
		if f == 0 {
			continue
		}
		row := FloorRow{Floor: f, Cells: make([][]House, len(p.Units))}
		for i, u := range p.Units {
			row.Cells[i] = idx[[2]int{f, u}]
		}
		p.Rows = append(p.Rows, row)
	}
	return p
}
