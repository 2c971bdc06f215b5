package triage

import (
	"os"
	"testing"
	"time"
)

// TestCrossValidateTrainCSV reports cross-validated figures on the shared
// training data for parameter choices, when CIVICGRID_TRIAGE_CV is set (it
// takes a while; the suite skips it otherwise).
func TestCrossValidateTrainCSV(t *testing.T) {
	if os.Getenv("CIVICGRID_TRIAGE_CV") == "" {
		t.Skip("set CIVICGRID_TRIAGE_CV=1 to cross-validate on ../../../shared/data/messages/train.csv")
	}
	f, err := os.Open("../../../shared/data/messages/train.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ex, err := ReadCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := os.Open("../../../shared/data/messages/taxonomy.csv")
	if err != nil {
		t.Fatal(err)
	}
	tax, err := ReadTaxonomy(tf)
	tf.Close()
	if err != nil {
		t.Fatal(err)
	}
	tax = OnlyLabels(tax, ex)
	t.Logf("%d taxonomy examples", len(tax))
	for _, p := range []Params{
		{MaxN: 3, MinDF: 2, C: 1, Epochs: 50, Seed: 1, NB: 0.1, Balance: 3},
	} {
		start := time.Now()
		r, err := CrossValidate(ex, p, 5, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v macroF1=%.4f accuracy=%.4f (%.1fs)", p, r.MacroF1, r.Accuracy, time.Since(start).Seconds())
		r, err = CrossValidate(ex, p, 5, tax)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v macroF1=%.4f accuracy=%.4f (%.1fs)", p, r.MacroF1, r.Accuracy, time.Since(start).Seconds())
	}
}
