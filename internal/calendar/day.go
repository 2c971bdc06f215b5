package calendar

import (
	"fmt"
	"time"
)

// Day is a civil date, independent of any zone.
type Day struct {
	Y int
	M time.Month
	D int
}

// DayOf returns the civil date of t in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	y, m, d := t.In(loc).Date()
	return Day{y, m, d}
}

// ParseDay reads a date written as YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Day{}, fmt.Errorf("date %q is not a valid YYYY-MM-DD date", s)
	}
	y, m, d := t.Date()
	return Day{y, m, d}, nil
}

// String formats d as YYYY-MM-DD.
func (d Day) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Y, int(d.M), d.D) }

// Valid reports whether d names a real date (no 30 February).
func (d Day) Valid() bool {
	return d.M >= time.January && d.M <= time.December && d.D >= 1 && d.D <= daysIn(d.Y, d.M)
}

// Weekday is the day of the week of d.
func (d Day) Weekday() time.Weekday { return weekdayOf(d.num()) }

// Before reports whether d comes before e.
func (d Day) Before(e Day) bool { return d.num() < e.num() }

// AddDays returns the date n days after d.
func (d Day) AddDays(n int) Day { return dayFromNum(d.num() + int64(n)) }

func (d Day) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Day) UnmarshalText(b []byte) error {
	v, err := ParseDay(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// num is the number of days since 1970-01-01 (negative before). The
// conversions are Howard Hinnant's days_from_civil / civil_from_days, which
// need no time.Time and so cost nothing in the deadline loop.
func (d Day) num() int64 {
	y, m := int64(d.Y), int64(d.M)
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + int64(d.D) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func dayFromNum(z int64) Day {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return Day{int(y), time.Month(m), int(d)}
}

// weekdayOf: day 0, 1970-01-01, was a Thursday.
func weekdayOf(n int64) time.Weekday { return time.Weekday(floorMod(n+4, 7)) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }
