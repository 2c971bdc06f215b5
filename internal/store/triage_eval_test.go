package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/triage"
)

// TestEvaluateTriage: small sets are cross-validated, large ones scored on
// a held-out fifth of each category, which also fits the temperature, and
// the figures say which.
func TestEvaluateTriage(t *testing.T) {
	examples := func(n int) ([]triage.Example, map[string]int) {
		var ex []triage.Example
		labels := map[string]int{}
		// (testdb's texts cannot be imported here: testdb imports store.)
		for theme, words := range map[string][]string{"vending": {"摊贩占道", "小贩摆摊", "占用人行道"}, "clutter": {"楼道堆物", "杂物堵住通道", "堆放纸箱"}, "noise": {"装修噪音", "音响扰民", "半夜喧哗"}} {
			for i := 0; i < n; i++ {
				w := words[i%len(words)]
				ex = append(ex, triage.Example{Title: w, Text: fmt.Sprintf("%d号楼附近%s，已经%d天了", i%9+1, w, i%5+1), Label: theme})
				labels[theme]++
			}
		}
		return ex, labels
	}
	ex, labels := examples(12)
	r, how, temp, err := evaluateTriage(context.Background(), ex, labels, triage.DefaultParams)
	if err != nil || how != "5-fold cross-validation" || r.MacroF1 < 0.8 || len(r.Classes) != 3 || temp != 0 {
		t.Fatalf("36 examples: %q %+v temperature %v, %v", how, r, temp, err)
	}
	ex, labels = examples(TriageCVMax/3 + 1)
	r, how, temp, err = evaluateTriage(context.Background(), ex, labels, triage.DefaultParams)
	if err != nil || !strings.HasPrefix(how, "held-out split: 198 of 1002 examples") || r.MacroF1 < 0.8 {
		t.Fatalf("%d examples: %q %+v %v", len(ex), how, r, err)
	}
	// The split's temperature, for the model trained on all of them.
	if temp <= 0.1 || temp >= 49 {
		t.Fatalf("held-out temperature %v", temp)
	}
	support := 0
	for _, c := range r.Classes {
		support += c.Support
	}
	if support != 198 {
		t.Fatalf("scored %d held-out examples, want 198", support)
	}
}
