package demo

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCaseLetters(t *testing.T) {
	texts := map[string]bool{}
	for _, ct := range caseTexts {
		texts[ct.code] = true
	}
	seen := map[string]string{}
	l := &loader{}
	rng := rand.New(rand.NewPCG(1, 2))
	p := &casePlan{street: demoStreet, address: "韶九胡同12号"}
	for code, letters := range caseLetters {
		if !texts[code] {
			t.Errorf("%s has letters but no caseText", code)
		}
		for i, s := range letters {
			if n := utf8.RuneCountInString(s); n < 100 || n > 400 {
				t.Errorf("%s letter %d: %d runes, want 100–400", code, i, n)
			}
			if other, ok := seen[s]; ok {
				t.Errorf("%s letter %d is also a letter of %s", code, i, other)
			}
			seen[s] = code
			if strings.Contains(s, `"`) {
				t.Errorf("%s letter %d has an ASCII double quote", code, i)
			}
			// Fill the letter the way a case is filled: a placeholder
			// words does not know would reach the case as written.
			_, desc := l.words(rng, &caseText{titles: []string{"标题"}, descs: []string{s}}, p, demoCommunity)
			if strings.ContainsAny(desc, "{}") {
				t.Errorf("%s letter %d keeps a placeholder: %s", code, i, desc)
			}
		}
	}
}

// TestOnlyResidentsWriteLetters checks that residents writing in the app
// sometimes send a letter, and that an operator noting a call or a grid
// worker on patrol never does.
func TestOnlyResidentsWriteLetters(t *testing.T) {
	l := &loader{}
	rng := rand.New(rand.NewPCG(3, 4))
	ct := &caseText{titles: []string{"标题"}, descs: []string{"一句话"}, letters: []string{"一封信"}}
	for _, ch := range []int{chResident, chHotline, chPatrol} {
		p := &casePlan{channel: ch, street: demoStreet, address: "韶九胡同12号"}
		letters := 0
		for range 200 {
			if _, desc := l.words(rng, ct, p, demoCommunity); desc == "一封信" {
				letters++
			}
		}
		if ch != chResident && letters > 0 || ch == chResident && (letters < 60 || letters > 140) {
			t.Errorf("channel %d: %d letters in 200", ch, letters)
		}
	}
}
