package civic

import "time"

// Clock tells the time. Everything that reads the time takes a Clock so that
// tests can move it; nothing calls time.Now directly.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock, in UTC, truncated to microseconds so that a
// time survives a round trip through PostgreSQL unchanged.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// ChinaTime is the zone calendar dates are counted in: UTC+8 all year, no
// daylight saving. Times are stored in UTC; "today", start and end dates and
// working days are China's.
var ChinaTime = time.FixedZone("CST", 8*3600)

// Today is the China calendar date of t, as YYYY-MM-DD.
func Today(t time.Time) string { return t.In(ChinaTime).Format(DateLayout) }
