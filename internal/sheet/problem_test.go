package sheet

import (
	"encoding/csv"
	"strings"
	"testing"
)

func TestCSVProblem(t *testing.T) {
	read := func(s string) error {
		_, err := csv.NewReader(strings.NewReader(s)).ReadAll()
		return err
	}
	readOne := func(s string) error {
		_, err := csv.NewReader(strings.NewReader(s)).Read()
		return err
	}
	for _, tc := range []struct {
		err    error
		zh, en string
	}{
		{read("a,b\n\"unterminated\n"), "第2行第15列：引号不成对", "line 2, column 15: a quotation mark is not closed"},
		{read("a,b\nx\"y,z\n"), "第2行第2列：未加引号的字段中出现了引号", "line 2, column 2: a quotation mark inside a field"},
		{read("a,b\n1,2,3\n"), "第2行第1列：列数与首行不同", "different number of columns"},
		{readOne(""), "文件是空的", "the file is empty"},
		{ErrEncoding, "GBK", "save it as \"CSV UTF-8\""},
	} {
		p := CSVProblem(tc.err)
		if !strings.Contains(p.ZH, tc.zh) || !strings.Contains(p.EN, tc.en) {
			t.Errorf("CSVProblem(%v) = %q / %q", tc.err, p.ZH, p.EN)
		}
		if strings.Contains(p.ZH+p.EN, "parse error") || strings.Contains(p.ZH+p.EN, "EOF") {
			t.Errorf("Go's words leak: %q / %q", p.ZH, p.EN)
		}
	}
}
