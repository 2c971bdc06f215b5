package triage

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/civicgrid/civicgrid/internal/sheet"
)

// ReadCSV reads examples from a file with a header row naming the columns
// title, text and label (in any order; title may be absent). The file is
// UTF-8, with or without a byte-order mark, or GB18030 (GBK), which is what
// Excel on a Chinese Windows writes as "CSV": a file that is not valid
// UTF-8 is read as GB18030, and refused if it is not that either, rather
// than read as mojibake that would train or score nonsense.
func ReadCSV(r io.Reader) ([]Example, error) {
	text, _, err := sheet.Text(r)
	if err != nil {
		return nil, sheet.CSVProblem(err)
	}
	data, err := io.ReadAll(text)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if !sheet.Readable(string(data)) {
		return nil, sheet.CSVProblem(sheet.ErrEncoding)
	}
	if bytes.IndexByte(data, '\r') >= 0 && bytes.IndexByte(data, '\n') < 0 {
		// Lines ended by CR alone (Excel for Mac's "CSV (Macintosh)"),
		// which encoding/csv reads as one line.
		data = bytes.ReplaceAll(data, []byte{'\r'}, []byte{'\n'})
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, sheet.CSVProblem(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	ti, hasTitle := col["title"]
	xi, ok1 := col["text"]
	li, ok2 := col["label"]
	if !ok1 || !ok2 {
		return nil, sheet.Problemf("首行须为列名，含 text 和 label 两列（title 列可选）",
			"the first row must name the columns text and label (and optionally title)")
	}
	var out []Example
	line := 1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		line++
		if err != nil {
			return nil, sheet.CSVProblem(err)
		}
		get := func(i int) string {
			if i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		e := Example{Text: get(xi), Label: get(li)}
		if hasTitle {
			e.Title = get(ti)
		}
		if e.Label == "" || e.Title+e.Text == "" {
			return nil, sheet.Problemf("第%d行：正文或分类为空", "line %d: empty text or label", line)
		}
		out = append(out, e)
	}
}

// ClassScore is one label's figures in an evaluation.
type ClassScore struct {
	Label                 string
	Precision, Recall, F1 float64
	Support               int
}

// Report is an evaluation of predictions against the truth.
type Report struct {
	Classes  []ClassScore
	Accuracy float64
	MacroF1  float64
}

// Score compares predicted labels with true ones.
func Score(truth, pred []string) Report {
	labels := map[string]bool{}
	for _, l := range truth {
		labels[l] = true
	}
	var names []string
	for l := range labels {
		names = append(names, l)
	}
	sortStrings(names)
	var r Report
	right := 0
	for i := range truth {
		if truth[i] == pred[i] {
			right++
		}
	}
	if len(truth) > 0 {
		r.Accuracy = float64(right) / float64(len(truth))
	}
	for _, l := range names {
		tp, fp, fn := 0, 0, 0
		for i := range truth {
			switch {
			case truth[i] == l && pred[i] == l:
				tp++
			case truth[i] != l && pred[i] == l:
				fp++
			case truth[i] == l && pred[i] != l:
				fn++
			}
		}
		c := ClassScore{Label: l, Support: tp + fn}
		if tp+fp > 0 {
			c.Precision = float64(tp) / float64(tp+fp)
		}
		if tp+fn > 0 {
			c.Recall = float64(tp) / float64(tp+fn)
		}
		if c.Precision+c.Recall > 0 {
			c.F1 = 2 * c.Precision * c.Recall / (c.Precision + c.Recall)
		}
		r.Classes = append(r.Classes, c)
		r.MacroF1 += c.F1
	}
	if len(names) > 0 {
		r.MacroF1 /= float64(len(names))
	}
	return r
}

// CrossValidate trains on k−1 folds and predicts the k-th, for every fold,
// and scores all predictions together.
//
// extra examples (e.g. from a category scheme) join every training fold
// but are never tested.
func CrossValidate(examples []Example, p Params, k int, extra []Example) (Report, error) {
	_, y := labelsOf(examples)
	truth := make([]string, len(examples))
	pred := make([]string, len(examples))
	for f, test := range folds(y, k, p.Seed+1000) {
		in := map[int]bool{}
		for _, i := range test {
			in[i] = true
		}
		train := append([]Example(nil), extra...)
		for i, e := range examples {
			if !in[i] {
				train = append(train, e)
			}
		}
		q := p
		q.Folds = 0 // probabilities are not needed to score labels
		m, err := Train(train, q)
		if err != nil {
			return Report{}, fmt.Errorf("fold %d: %w", f, err)
		}
		for _, i := range test {
			truth[i] = examples[i].Label
			pred[i] = m.Classify(examples[i].Title, examples[i].Text)[0].Label
		}
	}
	return Score(truth, pred), nil
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// ReadTaxonomy turns a category scheme with columns level1,level2,level3
// into examples: each second- and third-level name is a short text of its
// first-level label, which teaches the model words that training messages
// may lack.
func ReadTaxonomy(r io.Reader) ([]Example, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read taxonomy: %w", err)
	}
	seen := map[string]bool{}
	var out []Example
	for i, row := range rows {
		if i == 0 || len(row) < 2 {
			continue
		}
		for _, name := range row[1:] {
			key := row[0] + "/" + name
			if name = strings.TrimSpace(name); name != "" && !seen[key] {
				seen[key] = true
				out = append(out, Example{Text: name, Label: strings.TrimSpace(row[0])})
			}
		}
	}
	return out, nil
}

// OnlyLabels keeps the extra examples whose label occurs in examples.
func OnlyLabels(extra, examples []Example) []Example {
	have := map[string]bool{}
	for _, e := range examples {
		have[e.Label] = true
	}
	var out []Example
	for _, e := range extra {
		if have[e.Label] {
			out = append(out, e)
		}
	}
	return out
}
