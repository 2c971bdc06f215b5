package civic

import (
	"math"
	"time"
)

// DuplicateParams configures the duplicate finder (重复诉求识别). Zero
// values take the defaults of WithDefaults.
type DuplicateParams struct {
	// RadiusM: the place part of the score falls linearly from 1 at the
	// same point to 0 at this distance; farther cases are not candidates.
	RadiusM float64
	// Window: the time part falls linearly from 1 for the same moment to
	// 0 at this age; older cases are not candidates.
	Window time.Duration
	// MinScore: matches below this score are not offered.
	MinScore float64
	// MinText: matches whose texts are less alike than this are not
	// offered however close they are (a pothole and a broken lamp at the
	// same gate are two problems).
	MinText float64
	// Limit: at most this many matches, best first.
	Limit int
	// MaxCandidates caps the rows one search reads and scores.
	MaxCandidates int
}

// The weights of the score's parts; they add up to 1.
const (
	DupWeightText     = 0.55
	DupWeightPlace    = 0.25
	DupWeightTime     = 0.10
	DupWeightCategory = 0.10
)

// WithDefaults fills zero fields and clamps the rest, so that a request
// cannot ask for a city-wide radius or a year of cases.
func (p DuplicateParams) WithDefaults() DuplicateParams {
	if p.RadiusM <= 0 {
		p.RadiusM = 300
	}
	p.RadiusM = math.Min(p.RadiusM, 2000)
	if p.Window <= 0 {
		p.Window = 14 * 24 * time.Hour
	}
	p.Window = min(p.Window, 90*24*time.Hour)
	if p.MinScore <= 0 {
		p.MinScore = 0.45
	}
	if p.MinText <= 0 {
		p.MinText = 0.2
	}
	if p.Limit <= 0 {
		p.Limit = 5
	}
	p.Limit = min(p.Limit, 20)
	if p.MaxCandidates <= 0 {
		p.MaxCandidates = 500
	}
	p.MaxCandidates = min(p.MaxCandidates, 2000)
	return p
}

// DuplicateDraft is what a duplicate search compares: a case being typed
// or an existing case. A point, or failing that a region, is required.
type DuplicateDraft struct {
	Title        string    `json:"title"`
	Description  string    `json:"description"`
	CategoryCode string    `json:"category_code"`
	HasLocation  bool      `json:"has_location"`
	Lng          float64   `json:"lng"`
	Lat          float64   `json:"lat"`
	RegionCode   string    `json:"region_code"`
	At           time.Time `json:"at"`
	// ExcludeID leaves the case itself out when it is an existing case.
	ExcludeID int64 `json:"-"`
}

// DuplicateScore is a match's score and its parts, each in [0, 1], so
// that a page can say why: 同一地点 80 m · 3 天前 · 文字相似 0.72.
type DuplicateScore struct {
	Score float64 `json:"score"`
	Text  float64 `json:"text"`
	Place float64 `json:"place"`
	Time  float64 `json:"time"`
	// SameCategory: both carry the same category code.
	SameCategory bool `json:"same_category"`
	// DistanceM is set when both are located (HasDistance).
	HasDistance bool    `json:"has_distance"`
	DistanceM   float64 `json:"distance_m,omitempty"`
	// AgeHours: how far apart in time the two were reported.
	AgeHours float64 `json:"age_hours"`
}

// Duplicate is one open case that is likely the same issue as a draft.
// Description is left empty for viewers who may not read the case
// (residents shown a nearby open case to join).
type Duplicate struct {
	ID           int64          `json:"id"`
	Number       string         `json:"number,omitempty"` // staff only
	Title        string         `json:"title"`
	Description  string         `json:"description,omitempty"`
	State        CaseState      `json:"state"`
	CategoryCode string         `json:"category_code"`
	RegionCode   string         `json:"region_code"`
	Reporters    int            `json:"reporters"`
	CreatedAt    time.Time      `json:"created_at"`
	Match        DuplicateScore `json:"match"`
}

// DuplicateOpen reports whether a case in state s can still be found as
// a duplicate: it is being worked and can take a merge or a 附议.
func DuplicateOpen(s CaseState) bool {
	switch s {
	case StateReported, StateAccepted, StateDispatched, StateInProgress, StateHandled:
		return true
	}
	return false
}

// ScoreDuplicate combines the parts of a match. text is the texts'
// similarity in [0, 1]; distance is in metres when both are located
// (located), otherwise sameRegion says whether their regions are the same
// (a region-only match counts half the place part); age is the time
// between the two reports. ok is false when the match is outside the
// radius or window, or below the thresholds.
func ScoreDuplicate(p DuplicateParams, text float64, located bool, distance float64, sameRegion bool, age time.Duration, sameCategory bool) (DuplicateScore, bool) {
	s := DuplicateScore{Text: text, SameCategory: sameCategory, AgeHours: math.Abs(age.Hours())}
	switch {
	case located:
		s.HasDistance, s.DistanceM = true, distance
		if distance > p.RadiusM {
			return s, false
		}
		s.Place = 1 - distance/p.RadiusM
	case sameRegion:
		s.Place = 0.5
	}
	if age < 0 {
		age = -age
	}
	if age > p.Window {
		return s, false
	}
	s.Time = 1 - float64(age)/float64(p.Window)
	cat := 0.0
	if sameCategory {
		cat = 1
	}
	s.Score = DupWeightText*text + DupWeightPlace*s.Place + DupWeightTime*s.Time + DupWeightCategory*cat
	s.Score = math.Round(s.Score*1000) / 1000
	return s, text >= p.MinText && s.Score >= p.MinScore
}
