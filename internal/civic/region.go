package civic

import (
	"strings"
	"time"
)

// Level is a region's depth in the tree: city → district → street →
// community → grid → micro-grid.
type Level int

const (
	LevelCity Level = iota + 1
	LevelDistrict
	LevelStreet
	LevelCommunity
	LevelGrid
	LevelMicroGrid
)

// Levels lists every level from the top down.
var Levels = []Level{LevelCity, LevelDistrict, LevelStreet, LevelCommunity, LevelGrid, LevelMicroGrid}

var levelNames = map[Level]struct {
	key string
	Text
}{
	LevelCity:      {"city", T("市", "City")},
	LevelDistrict:  {"district", T("区县", "District")},
	LevelStreet:    {"street", T("街道", "Street")},
	LevelCommunity: {"community", T("社区", "Community")},
	LevelGrid:      {"grid", T("网格", "Grid")},
	LevelMicroGrid: {"microgrid", T("微网格", "Micro-grid")},
}

// Key is the level's stable English identifier used in APIs and files.
func (l Level) Key() string { return levelNames[l].key }

// Label is the level's display name.
func (l Level) Label() Text { return levelNames[l].Text }

func (l Level) Valid() bool { _, ok := levelNames[l]; return ok }

// ParseLevel accepts a level key ("grid") or number ("5").
func ParseLevel(s string) (Level, bool) {
	for l, n := range levelNames {
		if n.key == s || (len(s) == 1 && s[0] == byte('0'+l)) {
			return l, true
		}
	}
	return 0, false
}

// Region codes follow GB/T 2260 and the national grid-code pattern: a city
// is 4 digits, a district (county) 6, a street 9, a community 12, a grid 15
// (6 county + 3 street + 3 community + 3 grid) and a micro-grid 17 or 18.
// Every code extends its parent's code, so a subtree is a code prefix.
func codeLengths(l Level) []int {
	switch l {
	case LevelCity:
		return []int{4}
	case LevelDistrict:
		return []int{6}
	case LevelStreet:
		return []int{9}
	case LevelCommunity:
		return []int{12}
	case LevelGrid:
		return []int{15}
	case LevelMicroGrid:
		return []int{17, 18}
	}
	return nil
}

// LevelOfCode infers the level from a code's length.
func LevelOfCode(code string) (Level, bool) {
	for _, l := range Levels {
		for _, n := range codeLengths(l) {
			if len(code) == n && isDigits(code) {
				return l, true
			}
		}
	}
	return 0, false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidateCode checks a code against its level and its parent's code.
// parentCode is "" for a city.
func ValidateCode(code string, level Level, parentCode string) *FieldError {
	if !isDigits(code) {
		fe := FieldErr("code", "编码“%s”只能由数字组成", "code %q must contain digits only", code)
		return &fe
	}
	ok := false
	for _, n := range codeLengths(level) {
		ok = ok || len(code) == n
	}
	if !ok {
		fe := FieldErr("code", "%s编码应为%s位数字，“%s”为%d位", "a %s code has %s digits, %q has %d",
			level.Label().ZH, lengthsText(level), code, len(code))
		fe.Msg.EN = sprintf("a %s code has %s digits, %q has %d", strings.ToLower(level.Label().EN), lengthsText(level), code, len(code))
		return &fe
	}
	if parentCode != "" && !strings.HasPrefix(code, parentCode) {
		fe := FieldErr("code", "编码“%s”没有延续上级编码“%s”", "code %q does not extend its parent's code %q", code, parentCode)
		return &fe
	}
	return nil
}

func lengthsText(l Level) string {
	var parts []string
	for _, n := range codeLengths(l) {
		parts = append(parts, sprintf("%d", n))
	}
	return strings.Join(parts, "/")
}

// ScopePrefixRange returns the half-open string range [lo, hi) that holds
// every code in the subtree rooted at code; ':' sorts right after '9'.
func ScopePrefixRange(code string) (lo, hi string) { return code, code + ":" }

// InSubtree reports whether code lies in the subtree rooted at root.
func InSubtree(code, root string) bool { return strings.HasPrefix(code, root) }

// Region is a node of the region tree.
type Region struct {
	ID         int64     `json:"id"`
	Code       string    `json:"code"`
	ParentCode string    `json:"parent_code,omitempty"`
	Level      Level     `json:"level"`
	Name       string    `json:"name"`
	AreaM2     float64   `json:"area_m2"`
	CenterLng  float64   `json:"center_lng"`
	CenterLat  float64   `json:"center_lat"`
	Boundary   []byte    `json:"-"` // GeoJSON geometry
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ParentCodeOf derives the parent's code from a code: the longest proper
// prefix that is a valid code of the level above.
func ParentCodeOf(code string) string {
	l, ok := LevelOfCode(code)
	if !ok || l == LevelCity {
		return ""
	}
	return code[:codeLengths(l - 1)[0]]
}
