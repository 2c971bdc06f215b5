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
	"slices"
	"strings"
	"unicode"
)

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func isWord(r rune) bool { return unicode.IsLetter(r) && !isHan(r) || unicode.IsDigit(r) }

// Terms returns the index terms of s, each once, in order of appearance.
// A word of letters or digits is indexed whole, by its letter and digit
// pieces when it mixes them ("pm2" also as "pm" and "2"), and words joined
// by a hyphen, dot, slash or the like without a space also as one
// ("Wi-Fi" as "wifi", "PM2.5" as "pm25"), so that "wifi" finds "Wi-Fi" and
// "PM" finds "PM2.5".
func Terms(s string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	walk(s, func(run []rune) {
		for i := range run {
			add(string(run[i]))
			if i+1 < len(run) {
				add(string(run[i : i+2]))
			}
		}
	}, func(words [][]rune) {
		for _, w := range words {
			add(lower(w))
			if ps := pieces(w); len(ps) > 1 {
				for _, p := range ps {
					add(lower(p))
				}
			}
		}
		if len(words) > 1 {
			add(joined(words))
		}
	})
	return out
}

// Query returns the terms a search for q must all match: bigrams for Han
// runs of two or more characters (so that a word matches only where its
// characters stand together), the character itself for a lone one. Words
// of letters joined by a hyphen or the like are one term ("Wi-Fi" and
// "wifi" alike search "wifi"); other words are searched by their letter
// and digit pieces ("PM2.5" by "pm", "2" and "5", which "PM 2.5" has too).
// Every query term of a text is among the text's own index terms.
func Query(q string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	walk(q, func(run []rune) {
		if len(run) == 1 {
			add(string(run))
			return
		}
		for i := 0; i+1 < len(run); i++ {
			add(string(run[i : i+2]))
		}
	}, func(words [][]rune) {
		if len(words) > 1 && !slices.ContainsFunc(words, func(w []rune) bool { return slices.ContainsFunc(w, unicode.IsDigit) }) {
			add(joined(words))
			return
		}
		for _, w := range words {
			for _, p := range pieces(w) {
				add(lower(p))
			}
		}
	})
	return out
}

// Compound reports whether s holds a word that Terms indexes by more than
// the word itself — one mixing letters and digits, or words joined by a
// hyphen or the like — or full-width letters and digits, now indexed as
// ASCII. Search indexes made before such words were cut into
// pieces are rebuilt for the texts that hold one.
func Compound(s string) bool {
	if strings.ContainsFunc(s, func(r rune) bool { return narrow(r) != r }) {
		return true
	}
	found := false
	walk(s, func([]rune) {}, func(words [][]rune) {
		if len(words) > 1 || len(pieces(words[0])) > 1 {
			found = true
		}
	})
	return found
}

func lower(w []rune) string { return strings.ToLower(string(w)) }

func joined(words [][]rune) string {
	var b strings.Builder
	for _, w := range words {
		b.WriteString(lower(w))
	}
	return b.String()
}

// pieces cuts a word where letters and digits meet: "pm2" is "pm", "2".
func pieces(w []rune) [][]rune {
	var out [][]rune
	start := 0
	for i := 1; i < len(w); i++ {
		if unicode.IsDigit(w[i]) != unicode.IsDigit(w[i-1]) {
			out = append(out, w[start:i])
			start = i
		}
	}
	return append(out, w[start:])
}

// narrow folds the full-width forms of ASCII that Chinese input methods
// type ("３号楼", "ＰＭ２．５") to ASCII, so that both spellings are one term.
func narrow(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFEE0
	}
	return r
}

// isJoiner reports whether r joins two words into one when it stands
// between them with no space: Wi-Fi, PM2.5, 2026/11/24, COVID_19.
func isJoiner(r rune) bool { return strings.ContainsRune("-._/·'+&", r) }

// walk calls han for each maximal run of Han characters and words for each
// run of words of letters or digits joined by single joiners; everything
// else separates runs.
func walk(s string, han func(run []rune), words func(ws [][]rune)) {
	var hanRun, word []rune
	var ws [][]rune
	joiner := false // the previous character joined a word to what follows
	flushHan := func() {
		if len(hanRun) > 0 {
			han(hanRun)
			hanRun = nil
		}
	}
	endWord := func() {
		if len(word) > 0 {
			ws = append(ws, word)
			word = nil
		}
	}
	flushWords := func() {
		endWord()
		if len(ws) > 0 {
			words(ws)
			ws = nil
		}
		joiner = false
	}
	for _, r := range s {
		r = narrow(r)
		switch {
		case isHan(r):
			flushWords()
			hanRun = append(hanRun, r)
		case isWord(r):
			flushHan()
			if len(word) == 0 && !joiner {
				flushWords()
			}
			joiner = false
			word = append(word, r)
		case isJoiner(r) && len(word) > 0:
			endWord()
			joiner = true
		default:
			flushHan()
			flushWords()
		}
	}
	flushHan()
	flushWords()
}
