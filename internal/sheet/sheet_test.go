package sheet

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRoundTrip(t *testing.T) {
	var b bytes.Buffer
	tab := Table{Sheet: "网格", Header: []string{"编码", "名称", "面积"}, Rows: [][]any{{"110101001001001", "第1网格", 1234.5}, {"110101001001002", "第2网格", 99}}}
	if err := Write(&b, tab); err != nil {
		t.Fatal(err)
	}
	rows, err := Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"编码", "名称", "面积"}, {"110101001001001", "第1网格", "1234.5"}, {"110101001001002", "第2网格", "99"}}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows = %q, want %q", rows, want)
	}
}

// TestLongCellSaysItWasCut: a text longer than Excel's cell limit is cut
// to fit with a mark saying so, not cut without a word (excelize's way);
// one at the limit is kept whole.
func TestLongCellSaysItWasCut(t *testing.T) {
	exact := strings.Repeat("字", MaxCell)
	long := strings.Repeat("长", MaxCell+10)
	var b bytes.Buffer
	if err := Write(&b, Table{Header: []string{"说明"}, Rows: [][]any{{exact}, {long}}}); err != nil {
		t.Fatal(err)
	}
	rows, err := Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1][0] != exact {
		t.Fatalf("the cell at the limit changed: %d rows", len(rows))
	}
	got := rows[2][0]
	if n := utf8.RuneCountInString(got); n != MaxCell || !strings.HasSuffix(got, cutMark) || !strings.HasPrefix(got, "长长长") {
		t.Fatalf("the long cell: %d characters, ends %q", n, string([]rune(got)[n-20:]))
	}
}
