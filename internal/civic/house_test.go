package civic

import (
	"strings"
	"testing"
)

// TestHouseNumberLength: a house number is at most 20 characters, counted
// as characters (seven Chinese ones were refused when bytes were counted).
func TestHouseNumberLength(t *testing.T) {
	b := Building{Floors: 6, Units: 2}
	for n, ok := range map[string]bool{"101": true, "东侧二层甲号房": true, strings.Repeat("号", 20): true, strings.Repeat("号", 21): false, "": false} {
		h := House{Unit: 1, Floor: 1, Number: n}
		if err := h.Validate(b); (err == nil) != ok {
			t.Errorf("number %q: %v, want ok %v", n, err, ok)
		}
	}
}
