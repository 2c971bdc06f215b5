package calendar

import (
	"sort"
	"strings"
	"time"
)

// Instants are handled as "ticks": nanoseconds since 1970-01-01 00:00 local
// time (UTC nanoseconds plus the zone's fixed offset), so that a day is
// floorDiv(tick, nsPerDay) and no time.Time is built inside the loops.
const (
	nsPerMin = int64(time.Minute)
	nsPerDay = 24 * int64(time.Hour)
	// Instants are clamped to ±8e9 s (years 1716 to 2223), which leaves
	// headroom for the longest budget inside int64.
	maxSec  = int64(8e9)
	minTick = -maxSec * int64(time.Second)
	maxTick = maxSec * int64(time.Second)
	// forever stands for the end of a pause that has not ended.
	forever = int64(1<<63 - 1)
	// maxBudget (about three years) bounds a budget so the arithmetic
	// cannot overflow; longer budgets have no deadline.
	maxBudget = int64(1e17)
)

// Day status codes in the table: the low two bits say whether the schedule
// overrides the weekday rule, the rest index the holiday name.
const (
	byWeekday = 0
	isHoliday = 1
	isMakeup  = 2
)

// index is a Calendar compiled for arithmetic. W(d), the number of working
// days before day d counted from day 0, is O(1): the weekday rule gives it
// arithmetically outside the years the calendar knows, a prefix sum inside.
// Its inverse, "the n-th working day", is O(1) the same way, which lets a
// deadline skip any number of whole days at once.
type index struct {
	off     int64    // zone offset, ns
	minutes []Period // sorted, merged working periods
	periods [][2]int64
	dayWork int64 // working ns in a working day

	weekend [7]bool
	wpw     int64    // working weekdays per week
	partial [8]int64 // working weekdays among days 0..r-1
	pos     [7]int64 // offset of the k-th working weekday in a week from day 0

	lo, hi     int64    // table covers days [lo, hi)
	status     []uint16 // per day of the table
	cum        []int32  // cum[i]: working days in [lo, lo+i)
	list       []int32  // offsets from lo of the table's working days
	wcLo, wcHi int64    // wc(lo), wc(hi)

	holidayReason, makeupReason []string
}

func (c *Calendar) index() *index {
	if x := c.idx.Load(); x != nil {
		return x
	}
	// Concurrent first uses may both compile; they build equal indexes.
	x := compile(c)
	c.idx.Store(x)
	return x
}

func compile(c *Calendar) *index {
	x := &index{weekend: c.Weekend}
	_, off := time.Date(2025, 1, 1, 0, 0, 0, 0, c.zone()).Zone()
	x.off = int64(off) * int64(time.Second)

	// Periods: keep the sensible ones, sort and merge overlaps, so that even
	// an unvalidated calendar has a well-defined working day.
	var ps []Period
	for _, p := range c.Periods {
		p.Start, p.End = max(p.Start, 0), min(p.End, 24*60)
		if p.Start < p.End {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		ps = DefaultPeriods()
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Start < ps[j].Start })
	for _, p := range ps {
		if n := len(x.minutes); n > 0 && p.Start <= x.minutes[n-1].End {
			x.minutes[n-1].End = max(x.minutes[n-1].End, p.End)
			continue
		}
		x.minutes = append(x.minutes, p)
	}
	for _, p := range x.minutes {
		x.periods = append(x.periods, [2]int64{int64(p.Start) * nsPerMin, int64(p.End) * nsPerMin})
		x.dayWork += int64(p.End-p.Start) * nsPerMin
	}

	for r := range int64(7) {
		x.partial[r+1] = x.partial[r]
		if !x.weekend[weekdayOf(r)] {
			x.pos[x.wpw] = r
			x.wpw++
			x.partial[r+1]++
		}
	}

	var years []Year
	for k, y := range c.Years {
		if k == y.Year && k >= MinYear && k <= MaxYear {
			years = append(years, y)
		}
	}
	if len(years) == 0 {
		return x
	}
	sort.Slice(years, func(i, j int) bool { return years[i].Year < years[j].Year })
	x.lo = Day{years[0].Year - 1, time.December, 1}.num()
	x.hi = Day{years[len(years)-1].Year + 1, time.February, 1}.num()
	x.status = make([]uint16, x.hi-x.lo)
	nameIdx := map[string]uint16{}
	name := func(n string) uint16 {
		n = strings.TrimSpace(n)
		i, ok := nameIdx[n]
		if !ok {
			i = uint16(len(x.holidayReason))
			nameIdx[n] = i
			x.holidayReason = append(x.holidayReason, "holiday:"+n)
			x.makeupReason = append(x.makeupReason, "makeup:"+n)
		}
		return i
	}
	set := func(d Day, code uint16) {
		if i := d.num() - x.lo; d.Valid() && i >= 0 && i < int64(len(x.status)) {
			x.status[i] = code
		}
	}
	// Make-up days first, holidays second: should an unvalidated calendar
	// list a day as both, the day off wins.
	for _, y := range years {
		for _, w := range y.Workdays {
			set(w.Date, isMakeup|name(makeupFor(y, w))<<2)
		}
	}
	for _, y := range years {
		for _, h := range y.Holidays {
			if !h.From.Valid() || !h.To.Valid() || h.To.num()-h.From.num() > 366 {
				continue
			}
			code := isHoliday | name(h.Name)<<2
			for d := h.From; !h.To.Before(d); d = d.AddDays(1) {
				set(d, code)
			}
		}
	}
	x.cum = make([]int32, len(x.status)+1)
	for i := range x.status {
		x.cum[i+1] = x.cum[i]
		if x.isWork(x.lo + int64(i)) {
			x.cum[i+1]++
			x.list = append(x.list, int32(i))
		}
	}
	x.wcLo, x.wcHi = x.wc(x.lo), x.wc(x.hi)
	return x
}

// makeupFor names the holiday a make-up day belongs to: its For, or the
// nearest holiday of the year (the later one on a tie).
func makeupFor(y Year, w Workday) string {
	if f := strings.TrimSpace(w.For); f != "" {
		return f
	}
	best, dist := "", int64(1<<62)
	n := w.Date.num()
	for _, h := range y.Holidays {
		var d int64
		switch {
		case n < h.From.num():
			d = h.From.num() - n
		case n > h.To.num():
			d = n - h.To.num()
		}
		if d <= dist {
			best, dist = h.Name, d
		}
	}
	return best
}

func (x *index) isWork(d int64) bool {
	if i := d - x.lo; i >= 0 && i < int64(len(x.status)) {
		switch x.status[i] & 3 {
		case isHoliday:
			return false
		case isMakeup:
			return true
		}
	}
	return !x.weekend[weekdayOf(d)]
}

func (x *index) reason(d int64) (bool, string) {
	if i := d - x.lo; i >= 0 && i < int64(len(x.status)) {
		s := x.status[i]
		switch s & 3 {
		case isHoliday:
			return false, x.holidayReason[s>>2]
		case isMakeup:
			return true, x.makeupReason[s>>2]
		}
	}
	if x.weekend[weekdayOf(d)] {
		return false, "weekend"
	}
	return true, "workday"
}

// wc counts working weekdays (by the weekday rule alone) in [0, d).
func (x *index) wc(d int64) int64 {
	w := floorDiv(d, 7)
	return w*x.wpw + x.partial[d-7*w]
}

// wcInv is the n-th working weekday (1-based from day 0, n may be ≤ 0): the
// smallest e with wc(e+1) ≥ n. It needs wpw > 0.
func (x *index) wcInv(n int64) int64 {
	m := n - 1
	w := floorDiv(m, x.wpw)
	return 7*w + x.pos[m-w*x.wpw]
}

// W counts working days in [0, d).
func (x *index) W(d int64) int64 {
	switch {
	case x.status == nil || d <= x.lo:
		return x.wc(d)
	case d <= x.hi:
		return x.wcLo + int64(x.cum[d-x.lo])
	default:
		return x.wcLo + int64(x.cum[len(x.cum)-1]) + x.wc(d) - x.wcHi
	}
}

// nth is the n-th working day counted from day 0: the smallest e with
// W(e+1) ≥ n. ok is false when there is no such day (a week without working
// days beyond the known years).
func (x *index) nth(n int64) (int64, bool) {
	if x.status == nil || n <= x.wcLo {
		if x.wpw == 0 {
			return 0, false
		}
		return x.wcInv(n), true
	}
	inTable := int64(x.cum[len(x.cum)-1])
	if k := n - x.wcLo; k <= inTable {
		return x.lo + int64(x.list[k-1]), true
	}
	if x.wpw == 0 {
		return 0, false
	}
	return x.wcInv(n - x.wcLo - inTable + x.wcHi), true
}

// prefix is the working time in [0, ns) of a working day.
func (x *index) prefix(ns int64) int64 {
	var w int64
	for _, p := range x.periods {
		if ns <= p[0] {
			break
		}
		w += min(ns, p[1]) - p[0]
	}
	return w
}

// at is the earliest offset in a working day at which w (0 < w ≤ dayWork) of
// working time has passed.
func (x *index) at(w int64) int64 {
	for _, p := range x.periods {
		l := p[1] - p[0]
		if w <= l {
			return p[0] + w
		}
		w -= l
	}
	return x.periods[len(x.periods)-1][1]
}

// work is the working time in [a, b).
func (x *index) work(a, b int64) int64 {
	if b <= a {
		return 0
	}
	da, db := floorDiv(a, nsPerDay), floorDiv(b, nsPerDay)
	xa, xb := a-da*nsPerDay, b-db*nsPerDay
	if da == db {
		if x.isWork(da) {
			return x.prefix(xb) - x.prefix(xa)
		}
		return 0
	}
	var s int64
	if x.isWork(da) {
		s += x.dayWork - x.prefix(xa)
	}
	s += (x.W(db) - x.W(da+1)) * x.dayWork
	if x.isWork(db) {
		s += x.prefix(xb)
	}
	return s
}

// reachWork is the earliest instant t ≥ a with work(a, t) = r, r > 0.
func (x *index) reachWork(a, r int64) (int64, bool) {
	if x.dayWork == 0 {
		return 0, false
	}
	d := floorDiv(a, nsPerDay)
	if x.isWork(d) {
		pw := x.prefix(a - d*nsPerDay)
		left := x.dayWork - pw
		if r <= left {
			return d*nsPerDay + x.at(pw+r), true
		}
		r -= left
	}
	// The rest ends on the n-th working day after d, within that day.
	n := (r + x.dayWork - 1) / x.dayWork
	e, ok := x.nth(x.W(d+1) + n)
	if !ok {
		return 0, false
	}
	return e*nsPerDay + x.at(r-(n-1)*x.dayWork), true
}

// measure is the budget time in [a, b) before pauses.
func (x *index) measure(u Unit, a, b int64) int64 {
	if u == Hours {
		return max(b-a, 0)
	}
	return x.work(a, b)
}

// reach is the earliest t ≥ a with measure(u, a, t) = r, r > 0.
func (x *index) reach(u Unit, a, r int64) (int64, bool) {
	if u == Hours {
		return a + r, true
	}
	return x.reachWork(a, r)
}

// unitNs is the length of one unit.
func (x *index) unitNs(u Unit) int64 {
	switch u {
	case Hours, WorkHours:
		return int64(time.Hour)
	case WorkDays:
		return x.dayWork
	}
	return 0
}

func (x *index) tick(t time.Time) int64 {
	s := t.Unix()
	if s < -maxSec {
		return minTick
	}
	if s > maxSec {
		return maxTick
	}
	return s*int64(time.Second) + int64(t.Nanosecond()) + x.off
}

func inRange(t time.Time) bool { s := t.Unix(); return s >= -maxSec && s <= maxSec }

func (x *index) time(tick int64, loc *time.Location) time.Time {
	u := tick - x.off
	return time.Unix(floorDiv(u, int64(time.Second)), floorMod(u, int64(time.Second))).In(loc)
}

// pause reads an interval as ticks; an interval without a start is ignored
// (from ≥ to), one without an end lasts forever.
func (x *index) pause(p Interval) (from, to int64) {
	if p.From.IsZero() {
		return 0, 0
	}
	from = x.tick(p.From)
	if p.To.IsZero() {
		return from, forever
	}
	return from, x.tick(p.To)
}

// free moves cur past every pause that covers it and returns the pause-free
// stretch [start, end) that follows. Pauses may be unsorted and overlap; a
// scan per step keeps Deadline free of allocations, and cases have few.
func (x *index) free(cur int64, ps []Interval) (start, end int64) {
	for moved := true; moved && cur != forever; {
		moved = false
		for _, p := range ps {
			f, t := x.pause(p)
			if f < t && f <= cur && cur < t {
				cur, moved = t, true
			}
		}
	}
	end = forever
	for _, p := range ps {
		if f, t := x.pause(p); f < t && f > cur && f < end {
			end = f
		}
	}
	return cur, end
}
