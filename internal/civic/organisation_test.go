package civic

import (
	"strings"
	"testing"
)

// TestValidPhone: mobiles, landlines with area codes and extensions, and
// international numbers pass; letters, a leading dash, too few or too
// many digits and a run of dashes do not.
func TestValidPhone(t *testing.T) {
	for p, want := range map[string]bool{
		"13912345678":    true,
		"010-65123456":   true,
		"0371-6512-3456": true,
		"+8613912345678": true,
		"65123456":       true,
		"1391234567":     false, // a mobile one digit short
		"-13912345678":   false,
		"139abc45678":    false,
		"":               false,
		"010" + strings.Repeat("-", 40) + "65123456": false,
	} {
		if got := ValidPhone(p); got != want {
			t.Errorf("ValidPhone(%q) = %v, want %v", p, got, want)
		}
	}
}
