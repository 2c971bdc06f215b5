package triage

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// normalise folds full-width forms to ASCII and lower-cases, so that "ＡＢＣ１"
// and "abc1" are one feature.
func normalise(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == 0x3000:
			r = ' '
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// grams calls fn with every feature of s: Han character n-grams of length
// 1..maxN within runs of Han text, and whole words of letters or digits
// (digits collapsed to their length, since "3栋" and "5栋" say the same).
func grams(s string, maxN int, fn func(string)) {
	runes := []rune(normalise(s))
	var han []rune
	flushHan := func() {
		for i := range han {
			for n := 1; n <= maxN && i+n <= len(han); n++ {
				fn(string(han[i : i+n]))
			}
		}
		han = han[:0]
	}
	var word []rune
	flushWord := func() {
		if len(word) == 0 {
			return
		}
		allDigits := true
		for _, r := range word {
			if !unicode.IsDigit(r) {
				allDigits = false
				break
			}
		}
		if allDigits {
			fn("#" + strings.Repeat("9", min(len(word), 6)))
		} else {
			fn(string(word))
		}
		word = word[:0]
	}
	for _, r := range runes {
		switch {
		case isHan(r):
			flushWord()
			han = append(han, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushHan()
			word = append(word, r)
		default:
			flushHan()
			flushWord()
		}
	}
	flushHan()
	flushWord()
}

// sparse is a feature vector: sorted indices with their values.
type sparse struct {
	idx []int32
	val []float32
}

func (v sparse) dot(w []float64) float64 {
	s := 0.0
	for k, i := range v.idx {
		s += float64(v.val[k]) * w[i]
	}
	return s
}

// Vocabulary maps features to indices with their inverse document
// frequencies.
type Vocabulary struct {
	MaxN  int              `json:"max_n"`
	Index map[string]int32 `json:"index"`
	IDF   floats           `json:"idf"`
}

// buildVocabulary keeps features seen in at least minDF documents.
func buildVocabulary(docs []string, maxN, minDF int) *Vocabulary {
	df := map[string]int{}
	seen := map[string]bool{}
	for _, d := range docs {
		clear(seen)
		grams(d, maxN, func(g string) {
			if !seen[g] {
				seen[g] = true
				df[g]++
			}
		})
	}
	var keep []string
	for g, n := range df {
		if n >= minDF {
			keep = append(keep, g)
		}
	}
	sort.Strings(keep)
	v := &Vocabulary{MaxN: maxN, Index: make(map[string]int32, len(keep)), IDF: make([]float32, len(keep))}
	n := float64(len(docs))
	for i, g := range keep {
		v.Index[g] = int32(i)
		v.IDF[i] = float32(math.Log((n+1)/(float64(df[g])+1)) + 1)
	}
	return v
}

// vector is the L2-normalised TF-IDF vector of a document, with sublinear
// term frequency (1 + log tf) so that a word repeated ten times does not
// outweigh ten different words.
func (v *Vocabulary) vector(doc string) sparse {
	tf := map[int32]float64{}
	grams(doc, v.MaxN, func(g string) {
		if i, ok := v.Index[g]; ok {
			tf[i]++
		}
	})
	out := sparse{idx: make([]int32, 0, len(tf)), val: make([]float32, 0, len(tf))}
	for i := range tf {
		out.idx = append(out.idx, i)
	}
	sort.Slice(out.idx, func(a, b int) bool { return out.idx[a] < out.idx[b] })
	norm := 0.0
	vals := make([]float64, len(out.idx))
	for k, i := range out.idx {
		x := (1 + math.Log(tf[i])) * float64(v.IDF[i])
		vals[k] = x
		norm += x * x
	}
	norm = math.Sqrt(norm)
	for _, x := range vals {
		if norm > 0 {
			x /= norm
		}
		out.val = append(out.val, float32(x))
	}
	return out
}
