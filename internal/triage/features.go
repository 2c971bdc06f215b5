package triage

import (
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
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
// A feature is passed as its UTF-8 bytes, valid only during the call: a
// lookup m[string(g)] costs no allocation, which at classification is
// most of the work.
func grams(s string, maxN int, fn func(g []byte)) {
	var han []byte // the run of Han text, UTF-8
	var offs []int // where each of its characters starts, and its end
	flushHan := func() {
		offs = append(offs, len(han))
		for i := 0; i+1 < len(offs); i++ {
			for n := 1; n <= maxN && i+n < len(offs); n++ {
				fn(han[offs[i]:offs[i+n]])
			}
		}
		han, offs = han[:0], offs[:0]
	}
	var word []byte
	runes, allDigits := 0, true
	flushWord := func() {
		if len(word) == 0 {
			return
		}
		if allDigits {
			word = append(word[:0], '#')
			for range min(runes, 6) {
				word = append(word, '9')
			}
		}
		fn(word)
		word, runes, allDigits = word[:0], 0, true
	}
	for _, r := range normalise(s) {
		switch {
		case isHan(r):
			flushWord()
			offs = append(offs, len(han))
			han = utf8.AppendRune(han, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if len(offs) > 0 {
				flushHan()
			}
			allDigits = allDigits && unicode.IsDigit(r)
			runes++
			word = utf8.AppendRune(word, r)
		default:
			if len(offs) > 0 {
				flushHan()
			}
			flushWord()
		}
	}
	if len(offs) > 0 {
		flushHan()
	}
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
func buildVocabulary(docs []document, maxN, minDF int) *Vocabulary {
	df := map[string]int{}
	seen := map[string]bool{}
	for _, d := range docs {
		clear(seen)
		d.features(maxN, func(space string, g []byte) {
			key := space + string(g)
			if !seen[key] {
				seen[key] = true
				df[key]++
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
func (v *Vocabulary) vector(d document) sparse {
	tf := map[int32]float64{}
	var key []byte
	d.features(v.MaxN, func(space string, g []byte) {
		if space != "" {
			key = append(append(key[:0], space...), g...)
			g = key
		}
		if i, ok := v.Index[string(g)]; ok {
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
