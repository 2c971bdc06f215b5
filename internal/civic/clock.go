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
