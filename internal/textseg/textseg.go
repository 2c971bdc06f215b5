// Package textseg cuts Chinese (and mixed) text into the terms civicgrid
// indexes for search: every Han character and every pair of neighbouring
// Han characters, and whole runs of letters or digits, lower-cased.
//
// Overlapping bigrams are the dictionary-free way to segment Chinese for
// search (Lucene's CJK analyser works the same way): any word of two or
// more characters in a query is found wherever it occurs, with no
// dictionary to load — a dictionary segmenter such as gse takes seconds to
// load its dictionary, which would break civicgrid's one-second start-up,
// and misses words its dictionary does not know (place names, new terms).
package textseg

import (
	"strings"
	"unicode"
)

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func isWord(r rune) bool { return unicode.IsLetter(r) && !isHan(r) || unicode.IsDigit(r) }

// Terms returns the index terms of s, each once, in order of appearance.
func Terms(s string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	walk(s, func(run []rune, han bool) {
		if !han {
			add(strings.ToLower(string(run)))
			return
		}
		for i := range run {
			add(string(run[i]))
			if i+1 < len(run) {
				add(string(run[i : i+2]))
			}
		}
	})
	return out
}

// Query returns the terms a search for q must all match: bigrams for Han
// runs of two or more characters (so that a word matches only where its
// characters stand together), the character itself for a lone one, and
// whole words otherwise.
func Query(q string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	walk(q, func(run []rune, han bool) {
		switch {
		case !han:
			add(strings.ToLower(string(run)))
		case len(run) == 1:
			add(string(run))
		default:
			for i := 0; i+1 < len(run); i++ {
				add(string(run[i : i+2]))
			}
		}
	})
	return out
}

// walk calls fn for each maximal run of Han characters or of word
// characters; everything else separates runs.
func walk(s string, fn func(run []rune, han bool)) {
	var run []rune
	han := false
	flush := func() {
		if len(run) > 0 {
			fn(run, han)
			run = run[:0]
		}
	}
	for _, r := range s {
		switch {
		case isHan(r):
			if !han {
				flush()
			}
			han = true
			run = append(run, r)
		case isWord(r):
			if han {
				flush()
			}
			han = false
			run = append(run, r)
		default:
			flush()
		}
	}
	flush()
}
