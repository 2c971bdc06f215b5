package civic

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// IsInvisibleControl reports whether r is a character nobody types on
// purpose and nobody can see: C0 controls other than tab and line breaks,
// DEL, C1 controls, and the bidirectional overrides and isolates that can
// make a name read differently from what it holds (U+202E "ǝman").
func IsInvisibleControl(r rune) bool {
	switch {
	case r < 0x20:
		return r != '\t' && r != '\n' && r != '\r'
	case r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// HasInvisibleControl reports whether s holds an invisible control.
func HasInvisibleControl(s string) bool { return strings.ContainsFunc(s, IsInvisibleControl) }

// StripInvisibleControls removes the invisible controls from s. A form
// typed by a person never means them, so the web forms drop them rather
// than refuse the whole submission; the API, whose callers are programs,
// refuses them so the caller's bug shows.
func StripInvisibleControls(s string) string {
	if !HasInvisibleControl(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if IsInvisibleControl(r) {
			return -1
		}
		return r
	}, s)
}

// ParseNumber reads a decimal number typed into a form. Unlike
// strconv.ParseFloat it refuses "NaN" and "Inf", which no range check can
// catch (every comparison with NaN is false) and which no database column
// or JSON document can hold.
func ParseNumber(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, strconv.ErrSyntax
	}
	return v, nil
}

// PlausibleYear reports whether a date a person enters for a record of
// today's life (a move, a visit, a validity) lies between 1950 and 2100:
// a year like 9999 is a typing slip, never meant.
func PlausibleYear(t time.Time) bool { return t.Year() >= 1950 && t.Year() <= 2100 }

// Clip shortens s to at most n characters for quoting back in a message,
// marking the cut, so that a pasted page does not fill the error.
func Clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// MaskNumbersInText masks what looks like a phone or ID number in free
// text (a run of 7 or more digits, an ID's closing X included), as
// MaskPhone and MaskID would: residents write "请联系张三13912345678" in a
// title, and a reader who may not see the reporter must not read it there.
// It runs on every case a list shows, so text without such a run comes
// back as it is, unallocated; digits and X are ASCII, which in UTF-8 never
// occur inside another character, so the text is scanned as bytes.
func MaskNumbersInText(s string) string {
	var b strings.Builder
	last := 0 // s[:last] is written to b
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j-i == 17 && j < len(s) && (s[j] == 'X' || s[j] == 'x') {
			j++
		}
		if n := j - i; n >= 7 {
			if b.Len() == 0 && last == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[last:i])
			run := s[i:j]
			switch {
			case n >= 15:
				b.WriteString(MaskID(run))
			case n >= 11:
				b.WriteString(MaskPhone(run))
			default:
				b.WriteString(strings.Repeat("*", n-2) + run[n-2:])
			}
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// InRange reports whether v is a number between lo and hi inclusive; NaN
// is not.
func InRange(v, lo, hi float64) bool { return v >= lo && v <= hi }
