package sheet

import (
	"bytes"
	"reflect"
	"testing"
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
