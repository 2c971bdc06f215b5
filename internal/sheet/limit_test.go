package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// readLimited reads s as the importer does: through LimitCSV, lazily
// quoted, any number of fields.
func readLimited(s string) ([][]string, error) {
	cr := csv.NewReader(LimitCSV(strings.NewReader(s), ','))
	cr.FieldsPerRecord, cr.LazyQuotes = -1, true
	return cr.ReadAll()
}

// TestLimitCSVRefuses: a header of 100,000 columns (the 200 KB that kept
// a core busy for 18 s) and a field longer than a cell may be are refused
// as they are read, naming the limit and the line.
func TestLimitCSVRefuses(t *testing.T) {
	wide := "姓名,网格编码" + strings.Repeat(",a", 100000) + "\n"
	long := "a,b\n1,\"" + strings.Repeat("长", MaxCell*2) + "\"\n"
	for _, c := range []struct {
		name, in, zh, en string
	}{
		{"wide header", wide, "第1行超过256列", "line 1 has more than 256 columns"},
		{"wide row", "a,b\n" + strings.Repeat(",", MaxColumns) + "\n", "第2行超过256列", "line 2 has more than 256 columns"},
		{"long cell", long, "第2行有单元格超过32767个字符", "line 2 has a cell of more than 32767 characters"},
		{"long bare cell", "a\n" + strings.Repeat("x", maxCSVField+1), "第2行", "32767 characters"},
		{"a quoted newline is no new line", "\"a\n" + strings.Repeat(",", MaxColumns) + "\"" + strings.Repeat(",", MaxColumns), "第2行超过256列", "line 2 has more"},
	} {
		_, err := readLimited(c.in)
		var p *Problem
		if !errors.As(err, &p) || !strings.Contains(p.ZH, c.zh) || !strings.Contains(p.EN, c.en) {
			t.Errorf("%s: %v", c.name, err)
		}
		if p = CSVProblem(err); !strings.Contains(p.EN, c.en) {
			t.Errorf("%s: CSVProblem says %q", c.name, p.EN)
		}
	}
}

// TestLimitCSVAgreesWithCSV: files at the limits, with quotes in every
// way encoding/csv reads them, pass LimitCSV unchanged.
func TestLimitCSVAgreesWithCSV(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "张", ",", "\"", "\n", "\r\n", "\r", " ", "=1", "\"\"", ""}
	var recs [][]string
	for range 200 {
		rec := make([]string, 1+rng.IntN(MaxColumns))
		if rng.IntN(10) == 0 {
			rec = make([]string, MaxColumns)
		}
		for i := range rec {
			var b strings.Builder
			for range rng.IntN(6) {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
			rec[i] = b.String()
		}
		if len(rec) == 1 && rec[0] == "" {
			rec[0] = "x" // csv.Writer writes an empty record as a blank line, which readers skip
		}
		recs = append(recs, rec)
	}
	recs = append(recs, []string{strings.Repeat("\"", MaxCell), strings.Repeat("长", MaxCell)})
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(recs); err != nil {
		t.Fatal(err)
	}
	// Lazy quotes and \r\n line ends, as Excel and hand-made files have.
	more := "x,\"a\"b,c\r\n\"q\"\"\",\"r\"\r\n\"open\r\nline\",e\r\n5'3\",\"x\"y\n\"end\"\r"
	for _, in := range []string{b.String(), b.String() + more, strings.ReplaceAll(b.String(), "\n", "\r\n")} {
		got, err := readLimited(in)
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		cr := csv.NewReader(strings.NewReader(in))
		cr.FieldsPerRecord, cr.LazyQuotes = -1, true
		want, _ := cr.ReadAll()
		if !reflect.DeepEqual(got, want) {
			t.Fatal("LimitCSV changed what csv reads")
		}
	}
}

func TestCheckRow(t *testing.T) {
	if p := CheckRow(1, []string{strings.Repeat("长", MaxCell), "a"}); p != nil {
		t.Fatalf("a full cell: %v", p)
	}
	if p := CheckRow(7, make([]string, MaxColumns)); p != nil {
		t.Fatalf("a full row: %v", p)
	}
	if p := CheckRow(7, []string{"a", strings.Repeat("长", MaxCell+1)}); p == nil || p.EN != "row 7, column 2 holds more than 32767 characters (Excel's limit for a cell)" {
		t.Fatalf("a long cell: %v", p)
	}
	if p := CheckRow(3, make([]string, MaxColumns+1)); p == nil || !strings.Contains(p.ZH, "第3行超过256列") {
		t.Fatalf("a wide row: %v", p)
	}
}

// BenchmarkLimitCSV reads a people file's worth of rows through LimitCSV.
func BenchmarkLimitCSV(b *testing.B) {
	row := "王秀英,居民身份证,11010519491231002X,女,1949-12-31,13800138000,户籍,汉族,退休,独居、低保,110101001001001,幸福里小区,3号楼,2,301,产权人,2001-06-01,\n"
	data := strings.Repeat(row, 10000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := io.Copy(io.Discard, LimitCSV(strings.NewReader(data), ',')); err != nil {
			b.Fatal(err)
		}
	}
}
