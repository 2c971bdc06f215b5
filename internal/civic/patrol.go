package civic

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Patrol is one walk of a grid worker through their grid (巡网走格): started
// and stopped by the worker, with the track the phone recorded and what
// they found on the way. Distance, duration and point count are computed
// by the store from the track when the patrol stops.
type Patrol struct {
	ID         int64      `json:"id"`
	GridCode   string     `json:"grid_code"`
	GridName   string     `json:"grid_name,omitempty"`
	WorkerID   int64      `json:"worker_id"`
	WorkerName string     `json:"worker_name"`
	StartedAt  time.Time  `json:"started_at"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
	// DistanceM is the length of the track in metres, counting only points
	// accurate enough to trust (see TrackPoint.Usable).
	DistanceM float64 `json:"distance_m"`
	Points    int     `json:"points"`
	Findings  int     `json:"findings"`
	Note      string  `json:"note,omitempty"`
}

// Open reports whether the patrol has not been stopped yet.
func (p Patrol) Open() bool { return p.EndedAt == nil }

// Duration is how long the patrol lasted, or has lasted until now.
func (p Patrol) Duration(now time.Time) time.Duration {
	end := now
	if p.EndedAt != nil {
		end = *p.EndedAt
	}
	if end.Before(p.StartedAt) {
		return 0
	}
	return end.Sub(p.StartedAt)
}

// TrackPoint is one position the worker's phone reported. Seq is numbered
// by the phone from 1 for each patrol, so that a batch sent again after a
// lost reply is recognised and stored once.
type TrackPoint struct {
	Seq      int64     `json:"seq"`
	Lng      float64   `json:"lng"`
	Lat      float64   `json:"lat"`
	Accuracy float64   `json:"accuracy"` // metres, 0 when the phone did not say
	At       time.Time `json:"at"`
}

// MaxTrackAccuracy is the worst accuracy (metres) a point may have and still
// count towards a patrol's distance: phones indoors report positions
// hundreds of metres off, and summing those would invent kilometres.
const MaxTrackAccuracy = 100

// MaxTrackBatch is how many points one request may carry.
const MaxTrackBatch = 500

// Usable reports whether the point counts towards the distance.
func (p TrackPoint) Usable() bool { return p.Accuracy <= MaxTrackAccuracy }

// ValidateTrack checks a batch of points: sequence numbers from 1, WGS-84
// coordinates in range, a sane accuracy, and times within the patrol and not
// in the future (a phone's clock may run a little fast: five minutes are
// allowed).
func ValidateTrack(pts []TrackPoint, started, now time.Time) error {
	if len(pts) == 0 {
		return Invalid(FieldErr("points", "没有轨迹点", "no track points"))
	}
	if len(pts) > MaxTrackBatch {
		return Invalid(FieldErr("points", "一次最多上传%d个轨迹点", "at most %d track points per request", MaxTrackBatch))
	}
	for i := range pts {
		p := &pts[i]
		bad := func(zh, en string) error {
			return Invalid(FieldErr("points", "第%d个轨迹点："+zh, "track point %d: "+en, i+1))
		}
		switch {
		case p.Seq < 1:
			return bad("序号应从1开始", "the sequence number starts at 1")
		case math.IsNaN(p.Lng) || math.IsNaN(p.Lat) || p.Lng < -180 || p.Lng > 180 || p.Lat < -90 || p.Lat > 90:
			return bad("坐标超出范围", "the position is out of range")
		case math.IsNaN(p.Accuracy) || p.Accuracy < 0 || p.Accuracy > 100000:
			return bad("精度应为0到100000米", "the accuracy must be 0 to 100,000 m")
		}
		if p.At.IsZero() {
			p.At = now
		}
		if p.At.After(now.Add(5*time.Minute)) || p.At.Before(started.Add(-5*time.Minute)) {
			return bad("时间不在本次巡查期间", "the time is outside the patrol")
		}
		p.At = p.At.UTC()
	}
	// One sequence number is one point: a batch sent again is harmless,
	// two different points under one number in a batch are a mistake that
	// would keep the first and drop the second without a word.
	bySeq := make(map[int64]TrackPoint, len(pts))
	for i, p := range pts {
		if q, ok := bySeq[p.Seq]; ok && (q.Lng != p.Lng || q.Lat != p.Lat || !q.At.Equal(p.At)) {
			return Invalid(FieldErr("points", "第%d个轨迹点：序号%d已用于另一个点", "track point %d: sequence number %d is already another point", i+1, p.Seq))
		}
		bySeq[p.Seq] = p
	}
	return nil
}

// Finding is something a worker found on patrol: a problem to report, with
// where it was. One tap turns it into a case (CaseID), and only once.
type Finding struct {
	ID           int64     `json:"id"`
	PatrolID     int64     `json:"patrol_id"`
	GridCode     string    `json:"grid_code"`
	Text         string    `json:"text"`
	CategoryCode string    `json:"category_code,omitempty"`
	HasLocation  bool      `json:"has_location"`
	Lng          float64   `json:"lng,omitempty"`
	Lat          float64   `json:"lat,omitempty"`
	CaseID       int64     `json:"case_id,omitempty"`
	CaseNumber   string    `json:"case_number,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// Validate checks a finding's own fields.
func (f *Finding) Validate() error {
	f.Text = strings.TrimSpace(f.Text)
	var fs []FieldError
	if n := utf8.RuneCountInString(f.Text); n == 0 || n > 2000 {
		fs = append(fs, FieldErr("text", "请描述发现的问题（不超过2000字）", "describe what you found (at most 2000 characters)"))
	}
	if f.HasLocation {
		fs = append(fs, checkLngLat(f.Lng, f.Lat)...)
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// CaseTitle is the one-line title of the case a finding becomes: its first
// line, cut to the case title's 100 characters.
func (f Finding) CaseTitle() string {
	line, _, _ := strings.Cut(f.Text, "\n")
	line = strings.TrimSpace(line)
	if r := []rune(line); len(r) > 100 {
		line = string(r[:99]) + "…"
	}
	return line
}

// KM is the distance in kilometres as pages show it.
func (p Patrol) KM() string { return strconv.FormatFloat(p.DistanceM/1000, 'f', 2, 64) }

// Minutes is the duration in whole minutes, until now while open.
func (p Patrol) Minutes(now time.Time) int { return int(p.Duration(now).Minutes()) }
