package sheet

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"testing"
)

func TestCSVWriterNoFormulas(t *testing.T) {
	var b bytes.Buffer
	w := NewCSVWriter(&b)
	in := []string{"=HYPERLINK(\"http://x\",\"点我\")", "+86 138", "-2+3", "@SUM(A1)", "\tx", "-3.5", "+12", "张三", "", "a=b"}
	if err := w.WriteAll([][]string{in}); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&b).Read()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"'=HYPERLINK(\"http://x\",\"点我\")", "'+86 138", "'-2+3", "'@SUM(A1)", "'\tx", "-3.5", "+12", "张三", "", "a=b"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if in[0][0] != '=' {
		t.Fatal("the caller's record was changed")
	}
}
