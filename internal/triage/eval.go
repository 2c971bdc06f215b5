package triage

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/civicgrid/civicgrid/internal/sheet"
)

// ReadCSV reads examples from a file with a header row naming the columns
// title, text and label (in any order; title may be absent). The names may
// also be the Chinese ones a message board's export uses (留言主题 or 标题,
// 留言详情 or 内容, 一级标签 or 分类 …, see columnNames). The file is CSV or
// tab-separated text in UTF-8, with or without a byte-order mark, or in
// GB18030 (GBK), which is what Excel on a Chinese Windows writes as "CSV":
// a file that is not valid UTF-8 is read as GB18030, and refused if it is
// not that either, rather than read as mojibake that would train or score
// nonsense. An Excel workbook (.xlsx) is read from its first sheet. Empty
// rows at the end (a spreadsheet's leftovers) are dropped; an empty row
// between examples is refused by its line, so that example i is always
// line i+2. A row needs its label; one without title and text is kept (a
// message whose text was lost still counts in an evaluation), and callers
// that train decide about it (Blank).
func ReadCSV(r io.Reader) ([]Example, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	var rows [][]string
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		if rows, err = sheet.Read(bytes.NewReader(data)); err != nil {
			return nil, err
		}
	} else if rows, err = readDelimited(data); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, sheet.Problemf("文件是空的", "the file is empty")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		if name, ok := columnNames[strings.ToLower(strings.TrimSpace(h))]; ok {
			if _, dup := col[name]; !dup {
				col[name] = i
			}
		}
	}
	ti, hasTitle := col["title"]
	xi, ok1 := col["text"]
	li, ok2 := col["label"]
	if !ok1 || !ok2 {
		return nil, sheet.Problemf("首行须为列名，含 text 和 label 两列（title 列可选；也可写 留言详情、一级标签、留言主题 等）",
			"the first row must name the columns text and label (and optionally title)")
	}
	for len(rows) > 1 && strings.TrimSpace(strings.Join(rows[len(rows)-1], "")) == "" {
		rows = rows[:len(rows)-1]
	}
	var out []Example
	for n, rec := range rows[1:] {
		line := n + 2
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
		if e.Label == "" {
			return nil, sheet.Problemf("第%d行：分类为空", "line %d: empty label", line)
		}
		out = append(out, e)
	}
	return out, nil
}

// Blank reports whether an example has neither title nor text.
func (e Example) Blank() bool { return e.Title == "" && e.Text == "" }

// columnNames maps the header names ReadCSV knows to its three columns:
// its own, and those of message-board exports (the TipDM data's 留言主题,
// 留言详情, 一级标签) and of common spreadsheets.
var columnNames = map[string]string{
	"title": "title", "subject": "title", "标题": "title", "主题": "title", "留言主题": "title",
	"text": "text", "content": "text", "body": "text", "正文": "text", "内容": "text", "详情": "text", "留言详情": "text", "留言内容": "text",
	"label": "label", "category": "label", "class": "label", "标签": "label", "分类": "label", "类别": "label", "一级标签": "label", "一级分类": "label",
}

// readDelimited reads CSV, or tab-separated text when the header row holds
// tabs and no commas, in UTF-8 or GB18030.
func readDelimited(raw []byte) ([][]string, error) {
	text, _, err := sheet.Text(bytes.NewReader(raw))
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
	head, _, _ := bytes.Cut(data, []byte{'\n'})
	if bytes.IndexByte(head, '\t') >= 0 && bytes.IndexByte(head, ',') < 0 {
		cr.Comma = '\t'
		cr.LazyQuotes = true
	}
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, sheet.CSVProblem(err)
	}
	return rows, nil
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
	return CrossValidateContext(context.Background(), examples, p, k, extra)
}

// CrossValidateContext is CrossValidate that stops when ctx ends, with
// ctx's error (TrainContext).
func CrossValidateContext(ctx context.Context, examples []Example, p Params, k int, extra []Example) (Report, error) {
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
		m, err := TrainContext(ctx, train, q)
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
