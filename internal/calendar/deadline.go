package calendar

import (
	"math"
	"time"
)

// budgetNs converts a budget to nanoseconds of its unit's time; ok is false
// for a negative, NaN, unknown-unit or absurdly long budget.
func (x *index) budgetNs(b Budget) (int64, bool) {
	per := x.unitNs(b.Unit)
	if per == 0 || !(b.Amount >= 0) {
		return 0, false
	}
	v := math.Round(b.Amount * float64(per))
	if v > float64(maxBudget) {
		return 0, false
	}
	return int64(v), true
}

// deadline is Deadline in ticks. When there is none, blocked is the instant
// from which the clock can no longer run (an open pause, or no working day
// ever again).
func (x *index) deadline(start time.Time, b Budget, ps []Interval) (t int64, ok bool, blocked int64) {
	rem, ok := x.budgetNs(b)
	if !ok || !inRange(start) {
		return 0, false, x.tick(start)
	}
	cur := x.tick(start)
	if rem == 0 {
		return cur, true, 0
	}
	for {
		s, e := x.free(cur, ps)
		if s == forever {
			return 0, false, cur
		}
		t, ok := x.reach(b.Unit, s, rem)
		if !ok {
			return 0, false, s
		}
		if t <= e {
			return t, true, 0
		}
		rem -= x.measure(b.Unit, s, e)
		cur = e
	}
}

// Deadline is the earliest instant at which budget b, counted from start on
// the calendar and stopped during the paused intervals, is used up. It is a
// pure function of its arguments and the calendar, and does not allocate.
//
// The zero Time means there is no deadline: an open pause (To zero) holds
// the clock before the budget is used up, the calendar has no working time
// left, or the budget is invalid (negative, unknown unit, longer than about
// three years) or start is outside the years 1716–2223.
func (c *Calendar) Deadline(start time.Time, b Budget, paused []Interval) time.Time {
	x := c.index()
	t, ok, _ := x.deadline(start, b, paused)
	if !ok {
		return time.Time{}
	}
	return x.time(t, c.zone())
}

// Elapsed is how much of a budget in unit has been used between start and
// now, pauses excluded: Elapsed(start, Deadline(start, b, p), b.Unit, p) is
// b.Amount. It is 0 when now is not after start. Warnings compare it with a
// fraction of the budget, and a recomputed deadline subtracts it so that
// time already spent is never lost.
func (c *Calendar) Elapsed(start, now time.Time, unit Unit, paused []Interval) float64 {
	x := c.index()
	per := x.unitNs(unit)
	if per == 0 {
		return 0
	}
	return float64(x.elapsed(x.tick(start), x.tick(now), unit, paused)) / float64(per)
}

func (x *index) elapsed(a, b int64, u Unit, ps []Interval) int64 {
	var total int64
	for cur := a; cur < b; {
		s, e := x.free(cur, ps)
		if s >= b {
			break
		}
		total += x.measure(u, s, min(e, b))
		cur = e
	}
	return total
}

// Explanation shows how a deadline was computed, day by day, for the case
// page and for admins checking a calendar.
type Explanation struct {
	Start  time.Time `json:"start"`
	Budget Budget    `json:"budget"`
	// Deadline is zero when there is none (see Calendar.Deadline).
	Deadline time.Time `json:"deadline,omitzero"`
	// Open is set when a pause without an end holds the clock.
	Open bool `json:"open,omitempty"`
	// Periods and DayMinutes describe a working day of the calendar.
	Periods       []Period  `json:"periods"`
	DayMinutes    float64   `json:"day_minutes"`
	BudgetMinutes float64   `json:"budget_minutes"`
	Days          []DayStep `json:"days"`
	// Truncated is set when the days listed stop before the deadline.
	Truncated bool `json:"truncated,omitempty"`
}

// DayStep is one calendar day between start and deadline.
type DayStep struct {
	Date    Day    `json:"date"`
	Weekday string `json:"weekday"`
	Working bool   `json:"working"`
	// Reason is as IsWorkday: "workday", "weekend", "holiday:…", "makeup:…".
	Reason string `json:"reason"`
	// CountedMinutes of the budget were used this day, in Windows.
	CountedMinutes float64  `json:"counted_minutes"`
	Windows        []Window `json:"windows,omitempty"`
	// PausedMinutes would have counted but for a pause.
	PausedMinutes float64 `json:"paused_minutes,omitempty"`
	// RemainingMinutes of the budget are left at the end of the day.
	RemainingMinutes float64 `json:"remaining_minutes"`
	// Skipped says why nothing counted: "weekend", "holiday:…", "paused" or
	// "outside_hours" (the day's working time was before start).
	Skipped string `json:"skipped,omitempty"`
}

// Window is a stretch of time that counted.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// maxExplainDays bounds an explanation; a year is more than any case limit.
const maxExplainDays = 400

// Explain computes the same deadline as Deadline and says how.
func (c *Calendar) Explain(start time.Time, b Budget, paused []Interval) Explanation {
	x := c.index()
	loc := c.zone()
	ex := Explanation{Start: start.In(loc), Budget: b, Periods: x.minutes, DayMinutes: minutes(x.dayWork), Days: []DayStep{}}
	if per := x.unitNs(b.Unit); per != 0 {
		ex.BudgetMinutes = b.Amount * minutes(per)
	}
	dl, ok, blocked := x.deadline(start, b, paused)
	end := dl
	if ok {
		ex.Deadline = x.time(dl, loc)
	} else {
		end = blocked
		ex.Open = x.openAt(blocked, paused)
		if !ex.Open {
			return ex // an invalid budget or no working time at all: nothing to show
		}
	}
	a := x.tick(start)
	rem, _ := x.budgetNs(b)
	for d := floorDiv(a, nsPerDay); d == floorDiv(a, nsPerDay) || d*nsPerDay < end; d++ {
		if len(ex.Days) == maxExplainDays {
			ex.Truncated = true
			break
		}
		working, reason := x.reason(d)
		day := dayFromNum(d)
		st := DayStep{Date: day, Weekday: day.Weekday().String(), Working: working, Reason: reason}
		lo, hi := max(a, d*nsPerDay), min(end, (d+1)*nsPerDay)
		var spans [][2]int64
		switch {
		case b.Unit == Hours:
			spans = [][2]int64{{lo, hi}}
		case working:
			for _, p := range x.periods {
				spans = append(spans, [2]int64{max(lo, d*nsPerDay+p[0]), min(hi, d*nsPerDay+p[1])})
			}
		}
		var counted, full int64
		for _, sp := range spans {
			if sp[0] >= sp[1] {
				continue
			}
			full += sp[1] - sp[0]
			for cur := sp[0]; cur < sp[1]; {
				s, e := x.free(cur, paused)
				if s >= sp[1] {
					break
				}
				e = min(e, sp[1])
				st.Windows = append(st.Windows, Window{x.time(s, loc), x.time(e, loc)})
				counted += e - s
				cur = e
			}
		}
		rem -= counted
		st.CountedMinutes, st.PausedMinutes, st.RemainingMinutes = minutes(counted), minutes(full-counted), minutes(rem)
		if counted == 0 {
			switch {
			case !working && b.Unit != Hours:
				st.Skipped = reason
			case full > 0:
				st.Skipped = "paused"
			default:
				st.Skipped = "outside_hours"
			}
		}
		ex.Days = append(ex.Days, st)
	}
	return ex
}

// openAt reports whether a pause without an end covers t.
func (x *index) openAt(t int64, ps []Interval) bool {
	s, _ := x.free(t, ps)
	return s == forever
}

func minutes(ns int64) float64 { return float64(ns) / float64(nsPerMin) }
