package demo

import (
	"sync"
	"time"
)

// ClockSetter is a store clock that LoadCases can move. The store reads
// every time it records from its clock (Options.Clock), so the only honest
// way to write history through the ordinary API is to stand the clock at
// each moment of that history in turn.
type ClockSetter interface {
	Set(t time.Time)
}

// Clock is the store clock of a demo server. Its zero value tells the real
// time; Set pins it to a chosen moment, which is how LoadCases writes two
// months of history, and Release lets it run again. It is safe for
// concurrent use, so a server may already be reading it.
type Clock struct {
	mu     sync.Mutex
	pinned bool
	t      time.Time
}

// Now is the pinned time, or the real time (UTC, microseconds, as
// civic.SystemClock) when the clock is not pinned.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pinned {
		return c.t
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

// Set pins the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pinned, c.t = true, t.UTC().Truncate(time.Microsecond)
}

// Release lets the clock follow real time again.
func (c *Clock) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pinned = false
}
