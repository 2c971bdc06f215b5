package calendar

import (
	"bytes"
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Unit is what a Budget is counted in.
type Unit string

const (
	WorkHours Unit = "work_hours"
	WorkDays  Unit = "work_days"
	// Hours is natural (calendar) time: nights, weekends and holidays count.
	Hours Unit = "hours"
)

// Valid reports whether u is one of the three units.
func (u Unit) Valid() bool { return u == WorkHours || u == WorkDays || u == Hours }

// Budget is a time limit, such as 2 working days to complete a case.
type Budget struct {
	Amount float64 `json:"amount"`
	Unit   Unit    `json:"unit"`
}

// Interval is a stretch of time during which the clock stood still (an
// approved suspension). To zero means it has not ended.
type Interval struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to,omitzero"`
}

// Period is one working period of a working day, in minutes after local
// midnight; End is exclusive and may be 1440 (24:00).
type Period struct {
	Start int
	End   int
}

func (p Period) String() string { return clock(p.Start) + "–" + clock(p.End) }

// Year is one year's announced schedule.
type Year struct {
	Year     int       `json:"year"`
	Holidays []Holiday `json:"holidays"`
	// Workdays are make-up working days (调休上班), usually weekends.
	Workdays []Workday `json:"workdays"`
}

// Holiday is a named run of days off, From and To inclusive. Weekend days
// inside the run are part of it, as in the notices ("10月1日至8日放假调休").
type Holiday struct {
	Name string `json:"name"`
	From Day    `json:"from"`
	To   Day    `json:"to"`
}

// Workday is a make-up working day. For names the holiday it makes up for,
// so that the reason reads "makeup:国庆节"; when empty, the nearest holiday of
// the same year is assumed (a 2026 notice lists 9月20日 under 国庆节 although
// 中秋节 is nearer, so the built-in data names every make-up day).
type Workday struct {
	Date Day    `json:"date"`
	For  string `json:"for,omitempty"`
}

// The years a schedule may describe. The bounds keep every instant the
// deadline arithmetic handles inside int64 nanoseconds.
const (
	MinYear = 1900
	MaxYear = 2200
	// MaxPeriods bounds the working periods of a day, MaxYearEntries the
	// holidays and the make-up days of a year (the State Council's
	// notices have seven holidays and a handful of make-up days).
	MaxPeriods     = 12
	MaxYearEntries = 60
)

// Calendar is a working calendar. The zero value counts every day as a
// working day with the default periods in China time; use Default.
type Calendar struct {
	// Zone is where days begin and end; nil means China time (UTC+8).
	// It must have a fixed UTC offset.
	Zone *time.Location
	// Periods are the working periods of every working day; empty means
	// DefaultPeriods.
	Periods []Period
	// Weekend marks the days of the week (indexed by time.Weekday) that are
	// not working days unless made up.
	Weekend [7]bool
	// Years holds the announced schedules by year.
	Years map[int]Year

	idx atomic.Pointer[index]
}

// China is UTC+8 without daylight saving, the zone every civicgrid date is
// counted in.
var China = time.FixedZone("CST", 8*3600)

// DefaultPeriods is the common office day of Chinese government bodies:
// 09:00–12:00 and 13:30–18:00, 7.5 working hours.
func DefaultPeriods() []Period { return []Period{{9 * 60, 12 * 60}, {13*60 + 30, 18 * 60}} }

// defaultData holds the State Council's schedules:
//   - 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号,
//     2024-11-12), the first under the revised 全国年节及纪念日放假办法;
//   - 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04).
//
//go:embed cn.json
var defaultData []byte

// Default returns China's calendar: UTC+8, the default periods, Saturday and
// Sunday off, and the official holiday schedules built into this release.
// Each call returns a new Calendar that the caller may edit before first use.
func Default() *Calendar {
	c, err := Parse(bytes.NewReader(defaultData))
	if err != nil {
		// The data is embedded and tested; failing here is a build defect.
		panic("calendar: built-in schedule is invalid: " + err.Error())
	}
	return c
}

// DefaultYear returns the built-in schedule of year y, if this release has
// one.
func DefaultYear(y int) (Year, bool) {
	yr, ok := Default().Years[y]
	return yr, ok
}

// Clone returns a deep copy of c that can be edited.
func (c *Calendar) Clone() *Calendar {
	n := &Calendar{Zone: c.Zone, Weekend: c.Weekend, Periods: append([]Period(nil), c.Periods...)}
	if c.Years != nil {
		n.Years = make(map[int]Year, len(c.Years))
		for k, y := range c.Years {
			n.Years[k] = y.clone()
		}
	}
	return n
}

func (y Year) clone() Year {
	y.Holidays = append([]Holiday(nil), y.Holidays...)
	y.Workdays = append([]Workday(nil), y.Workdays...)
	return y
}

var weekdayZH = [7]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

func (c *Calendar) zone() *time.Location {
	if c.Zone == nil {
		return China
	}
	return c.Zone
}

// EffectivePeriods returns the periods a working day has, sorted.
func (c *Calendar) EffectivePeriods() []Period {
	return append([]Period(nil), c.index().minutes...)
}

// DayMinutes is the working time of one working day, in minutes.
func (c *Calendar) DayMinutes() float64 {
	return float64(c.index().dayWork) / float64(time.Minute)
}

// IsWorkday reports whether d is a working day and why: "workday",
// "weekend", "holiday:<name>" or "makeup:<name>" (a make-up working day).
func (c *Calendar) IsWorkday(d Day) (bool, string) {
	return c.index().reason(d.num())
}

// Problem is one reason a calendar or year was refused, in Chinese and
// English, with the JSON path of the offending value.
type Problem struct {
	Field string `json:"field"`
	ZH    string `json:"zh"`
	EN    string `json:"en"`
}

// ValidationError lists every problem found, so that an admin fixes a file in
// one pass.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid calendar")
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if p.Field != "" {
			b.WriteString(p.Field + ": ")
		}
		b.WriteString(p.EN)
	}
	return b.String()
}

type problems []Problem

func (ps *problems) add(field, zh, en string, args ...any) {
	*ps = append(*ps, Problem{Field: field, ZH: fmt.Sprintf(zh, args...), EN: fmt.Sprintf(en, args...)})
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}

// ValidatePeriods checks a working day's periods: at least one, each within
// the day with its end after its start, none overlapping another.
func ValidatePeriods(ps []Period) error {
	var pr problems
	validatePeriods(&pr, "periods", ps)
	return pr.err()
}

func validatePeriods(pr *problems, field string, ps []Period) {
	if len(ps) == 0 {
		pr.add(field, "至少需要一个工作时段", "at least one working period is needed")
		return
	}
	if len(ps) > MaxPeriods {
		// Checked before the pairs: thousands of periods would cost
		// millions of comparisons and messages.
		pr.add(field, "一天最多%d个工作时段", "at most %d working periods a day", MaxPeriods)
		return
	}
	for i, p := range ps {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case p.Start < 0 || p.End > 24*60 || p.Start >= 24*60:
			pr.add(f, "时段须在 00:00 至 24:00 之间", "a period must lie between 00:00 and 24:00")
		case p.End <= p.Start:
			pr.add(f, "结束时间 %s 须晚于开始时间 %s", "end %s must be after start %s", clock(p.End), clock(p.Start))
		default:
			for j := range i {
				q := ps[j]
				if q.Start < q.End && p.Start < q.End && q.Start < p.End {
					pr.add(f, "时段 %s 与时段 %s 重叠", "period %s overlaps period %s", p, q)
					break
				}
			}
		}
	}
}

// Validate checks a year on its own: its dates, names and that no make-up
// day is also a holiday. Calendar.Validate checks what needs the whole
// calendar (weekends, other years).
func (y Year) Validate() error {
	var pr problems
	y.validate(&pr, "")
	return pr.err()
}

// A schedule may reach into the neighbouring years: the 2019 notice gave
// 2018-12-30 to 2019-01-01 off for 元旦 and made 2018-12-29 a working day.
func (y Year) window() (lo, hi Day) {
	return Day{y.Year - 1, time.December, 1}, Day{y.Year + 1, time.January, 31}
}

func (y Year) validate(pr *problems, prefix string) {
	if y.Year < MinYear || y.Year > MaxYear {
		pr.add(prefix+"year", "年份须在 %d 至 %d 之间", "the year must be between %d and %d", MinYear, MaxYear)
		return
	}
	if len(y.Holidays) > MaxYearEntries || len(y.Workdays) > MaxYearEntries {
		// Holidays and make-up days are compared in pairs: a bound keeps
		// a pasted mistake from costing minutes.
		pr.add(prefix+"holidays", "一年最多%d个节日和%d个调休上班日", "at most %d holidays and %d make-up days a year", MaxYearEntries, MaxYearEntries)
		return
	}
	lo, hi := y.window()
	inWindow := func(d Day) bool { return !d.Before(lo) && !hi.Before(d) }
	names := map[string]bool{}
	for i, h := range y.Holidays {
		f := fmt.Sprintf("%sholidays[%d]", prefix, i)
		name := strings.TrimSpace(h.Name)
		switch {
		case name == "":
			pr.add(f+".name", "请填写节日名称", "the holiday needs a name")
		case utf8.RuneCountInString(name) > 40 || strings.ContainsAny(name, ":\n"):
			pr.add(f+".name", "节日名称过长或含有冒号、换行", "the holiday name is too long or contains a colon or line break")
		}
		names[name] = true
		okDates := true
		for _, e := range []struct {
			n string
			d Day
		}{{"from", h.From}, {"to", h.To}} {
			switch {
			case !e.d.Valid():
				pr.add(f+"."+e.n, "日期无效", "not a valid date")
				okDates = false
			case !inWindow(e.d):
				pr.add(f+"."+e.n, "日期 %s 不在 %d 年附近（%s 至 %s）", "date %s is not near %d (%s to %s)", e.d, y.Year, lo, hi)
				okDates = false
			}
		}
		if !okDates {
			continue
		}
		switch {
		case h.To.Before(h.From):
			pr.add(f+".to", "结束日期 %s 早于开始日期 %s", "end date %s is before start date %s", h.To, h.From)
		case h.To.num()-h.From.num() >= 31:
			pr.add(f+".to", "一个假期不能超过31天", "a holiday cannot last more than 31 days")
		default:
			for j := range i {
				g := y.Holidays[j]
				if g.From.Valid() && g.To.Valid() && !h.To.Before(g.From) && !g.To.Before(h.From) {
					pr.add(f, "假期“%s”（%s 至 %s）与“%s”（%s 至 %s）重叠", "holiday %q (%s to %s) overlaps %q (%s to %s)",
						h.Name, h.From, h.To, g.Name, g.From, g.To)
				}
			}
		}
	}
	seen := map[Day]bool{}
	for i, w := range y.Workdays {
		f := fmt.Sprintf("%sworkdays[%d]", prefix, i)
		switch {
		case !w.Date.Valid():
			pr.add(f+".date", "日期无效", "not a valid date")
			continue
		case !inWindow(w.Date):
			pr.add(f+".date", "日期 %s 不在 %d 年附近（%s 至 %s）", "date %s is not near %d (%s to %s)", w.Date, y.Year, lo, hi)
			continue
		case seen[w.Date]:
			pr.add(f+".date", "调休上班日 %s 重复", "make-up day %s is listed twice", w.Date)
		}
		seen[w.Date] = true
		if w.For != "" && !names[strings.TrimSpace(w.For)] {
			pr.add(f+".for", "本年没有名为“%s”的假期", "no holiday of this year is called %q", w.For)
		}
		for _, h := range y.Holidays {
			if !w.Date.Before(h.From) && !h.To.Before(w.Date) {
				pr.add(f+".date", "%s 既是调休上班日又在假期“%s”（%s 至 %s）之内", "%s is a make-up working day but also inside holiday %q (%s to %s)",
					w.Date, h.Name, h.From, h.To)
			}
		}
	}
}

// Validate checks the whole calendar: zone, periods, each year, and what
// only the whole calendar can tell: a make-up day that is not a weekend (it
// would change nothing, so it is almost certainly a typo), and one day
// claimed by two years' schedules.
func (c *Calendar) Validate() error {
	var pr problems
	if c.Zone != nil {
		_, jan := time.Date(2025, 1, 1, 0, 0, 0, 0, c.Zone).Zone()
		_, jul := time.Date(2025, 7, 1, 0, 0, 0, 0, c.Zone).Zone()
		if jan != jul {
			pr.add("zone", "时区须为固定偏移（不含夏令时）", "the zone must have a fixed UTC offset (no daylight saving)")
		}
	}
	if len(c.Periods) > 0 {
		validatePeriods(&pr, "periods", c.Periods)
	}
	all := true
	for _, w := range c.Weekend {
		all = all && w
	}
	if all {
		pr.add("weekend", "一周中至少要有一天是工作日", "at least one day of the week must be a working day")
	}
	years := make([]int, 0, len(c.Years))
	for k := range c.Years {
		years = append(years, k)
	}
	sort.Ints(years)
	type claim struct {
		year    int
		holiday bool
	}
	claimed := map[Day]claim{}
	for _, k := range years {
		y := c.Years[k]
		prefix := fmt.Sprintf("years[%d].", k)
		if y.Year != k {
			pr.add(prefix+"year", "年份 %d 与所在位置 %d 不符", "year %d is filed under %d", y.Year, k)
			continue
		}
		n := len(pr)
		y.validate(&pr, prefix)
		if len(pr) > n {
			continue
		}
		for i, w := range y.Workdays {
			if !c.Weekend[w.Date.Weekday()] {
				pr.add(fmt.Sprintf("%sworkdays[%d].date", prefix, i), "%[1]s 本来就是工作日（%[2]s），调休上班日应在周末",
					"%[1]s is already a working day (%[3]s); a make-up day falls on a weekend", w.Date, weekdayZH[w.Date.Weekday()], w.Date.Weekday())
			}
			if o, ok := claimed[w.Date]; ok {
				pr.add(fmt.Sprintf("%sworkdays[%d].date", prefix, i), "%s 已在 %d 年的安排中", "%s is already in the schedule of %d", w.Date, o.year)
			}
			claimed[w.Date] = claim{k, false}
		}
		for i, h := range y.Holidays {
			for d := h.From; !h.To.Before(d); d = d.AddDays(1) {
				if o, ok := claimed[d]; ok {
					pr.add(fmt.Sprintf("%sholidays[%d]", prefix, i), "%s 已在 %d 年的安排中", "%s is already in the schedule of %d", d, o.year)
					break
				}
				claimed[d] = claim{k, true}
			}
		}
	}
	return pr.err()
}
