package civic

import (
	"math"
	"testing"
	"time"
)

func TestScoreDuplicate(t *testing.T) {
	p := DuplicateParams{}.WithDefaults() // 300 m, 14 days, score 0.45, text 0.2
	day := 24 * time.Hour
	for _, tc := range []struct {
		name       string
		text       float64
		located    bool
		dist       float64
		sameRegion bool
		age        time.Duration
		sameCat    bool
		score      float64
		ok         bool
	}{
		{"same words, same spot, now, same category", 1, true, 0, false, 0, true, 1, true},
		{"rephrased, 150 m, 7 days", 0.5, true, 150, false, 7 * day, false, 0.55*0.5 + 0.25*0.5 + 0.10*0.5, true},
		{"beyond the radius", 1, true, 301, false, 0, true, 0, false},
		{"beyond the window", 1, true, 0, false, 15 * day, true, 0, false},
		{"after the draft counts the same", 0.6, true, 60, false, -2 * day, false, 0.55*0.6 + 0.25*0.8 + 0.10*(1-2.0/14), true},
		{"another problem at the same gate", 0.15, true, 0, false, 0, true, 0.55*0.15 + 0.25 + 0.10 + 0.10, false},
		{"weak text far off", 0.3, true, 280, false, 13 * day, false, 0.55*0.3 + 0.25*(20.0/300) + 0.10*(1.0/14), false},
		{"same region without points", 0.6, false, 0, true, day, false, 0.55*0.6 + 0.25*0.5 + 0.10*(13.0/14), true},
		{"no point and other regions", 0.6, false, 0, false, day, false, 0.55*0.6 + 0.10*(13.0/14), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := ScoreDuplicate(p, tc.text, tc.located, tc.dist, tc.sameRegion, tc.age, tc.sameCat)
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v (%+v)", ok, tc.ok, s)
			}
			if tc.score != 0 && math.Abs(s.Score-tc.score) > 0.001 {
				t.Fatalf("score %.3f, want %.3f (%+v)", s.Score, tc.score, s)
			}
			if s.HasDistance != tc.located || s.AgeHours < 0 {
				t.Fatalf("parts: %+v", s)
			}
		})
	}
	if p := (DuplicateParams{RadiusM: 1e6, Window: 1000 * day, Limit: 1000, MaxCandidates: 1e6}).WithDefaults(); p.RadiusM != 2000 || p.Window != 90*day || p.Limit != 20 || p.MaxCandidates != 2000 {
		t.Fatalf("clamped: %+v", p)
	}
}
