package civic

import (
	"errors"
	"strings"
	"time"
)

// Position is a grid staff member's post (网格员台账).
type Position string

const (
	PositionGridLeader   Position = "grid_leader"   // 网格长
	PositionFullTime     Position = "full_time"     // 专职网格员
	PositionPartTime     Position = "part_time"     // 兼职网格员
	PositionGridDoctor   Position = "grid_doctor"   // 网格医生
	PositionGridPolice   Position = "grid_police"   // 网格民警
	PositionBuildingHead Position = "building_head" // 楼栋长
	PositionUnitHead     Position = "unit_head"     // 单元长
)

// Positions lists every position in display order.
var Positions = []Position{PositionGridLeader, PositionFullTime, PositionPartTime, PositionGridDoctor, PositionGridPolice, PositionBuildingHead, PositionUnitHead}

var positionLabels = map[Position]Text{
	PositionGridLeader:   T("网格长", "Grid leader"),
	PositionFullTime:     T("专职网格员", "Full-time grid worker"),
	PositionPartTime:     T("兼职网格员", "Part-time grid worker"),
	PositionGridDoctor:   T("网格医生", "Grid doctor"),
	PositionGridPolice:   T("网格民警", "Grid police officer"),
	PositionBuildingHead: T("楼栋长", "Building head"),
	PositionUnitHead:     T("单元长", "Unit head"),
}

func (p Position) Valid() bool { _, ok := positionLabels[p]; return ok }
func (p Position) Label() Text { return positionLabels[p] }

// DateLayout is how calendar dates travel and are stored.
const DateLayout = "2006-01-02"

// Staff is one entry of the grid staff ledger: a person serving a grid in a
// position from StartDate until EndDate (empty while serving).
type Staff struct {
	ID        int64     `json:"id"`
	GridCode  string    `json:"grid_code"`
	GridName  string    `json:"grid_name,omitempty"`
	Name      string    `json:"name"`
	Position  Position  `json:"position"`
	Phone     string    `json:"phone"`
	OrgID     int64     `json:"org_id,omitempty"`
	StartDate string    `json:"start_date"`
	EndDate   string    `json:"end_date,omitempty"`
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Active reports whether the person serves on the given date.
func (s *Staff) Active(on string) bool {
	return s.StartDate <= on && (s.EndDate == "" || s.EndDate >= on)
}

// Validate checks the entry's own fields.
func (s *Staff) Validate() error {
	s.Name = strings.TrimSpace(s.Name)
	s.Phone = strings.TrimSpace(s.Phone)
	var fs []FieldError
	if n := len([]rune(s.Name)); n == 0 || n > 50 {
		fs = append(fs, FieldErr("name", "姓名不能为空且不超过50字", "name is required, at most 50 characters"))
	}
	if l, ok := LevelOfCode(s.GridCode); !ok || (l != LevelGrid && l != LevelMicroGrid) {
		fs = append(fs, FieldErr("grid_code", "请选择所在网格", "choose a grid"))
	}
	if !s.Position.Valid() {
		fs = append(fs, FieldErr("position", "请选择岗位", "choose a position"))
	}
	if !ValidPhone(s.Phone) {
		fs = append(fs, FieldErr("phone", "请填写正确的手机或座机号码", "enter a valid mobile or landline number"))
	}
	// A ledger of people at work: dates from the founding of the grid
	// system's forerunners to a few decades ahead, not year 1 or 9999.
	plausible := PlausibleYear
	start, err := time.Parse(DateLayout, s.StartDate)
	switch {
	case err != nil:
		fs = append(fs, FieldErr("start_date", "请填写到岗日期（如 2025-03-01）", "enter a start date (e.g. 2025-03-01)"))
	case !plausible(start):
		fs = append(fs, FieldErr("start_date", "到岗日期应在1950年到2100年之间", "the start date must be between 1950 and 2100"))
		err = errors.New("implausible start")
	}
	if s.EndDate != "" {
		end, err2 := time.Parse(DateLayout, s.EndDate)
		switch {
		case err2 != nil:
			fs = append(fs, FieldErr("end_date", "离岗日期格式应为 2025-03-01", "end date must look like 2025-03-01"))
		case !plausible(end):
			fs = append(fs, FieldErr("end_date", "离岗日期应在1950年到2100年之间", "the end date must be between 1950 and 2100"))
		case err == nil && end.Before(start):
			fs = append(fs, FieldErr("end_date", "离岗日期不能早于到岗日期", "end date cannot be before the start date"))
		}
	}
	if len([]rune(s.Note)) > 500 {
		fs = append(fs, FieldErr("note", "备注不超过500字", "note is at most 500 characters"))
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}
