package sheet

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestText reads the encodings a street office's CSV files come in, also
// when the first 64 KiB end inside a character, and refuses the rest.
func TestText(t *testing.T) {
	row := "姓名,身份证号,住址\n张三,110101199001011234,幸福里3号楼1单元201\n"
	// Past the sniff: in UTF-8 a line is 19 bytes and 65,536 = 19 × 3,449 + 5
	// ends inside its second character; in GBK "xy" and lines of 13 bytes,
	// 65,536 = 2 + 13 × 5,041 + 1 ends inside a line's first.
	long := strings.Repeat("和平路一号院\n", sniff/10)
	for _, c := range []struct {
		name string
		in   []byte
		want string
		enc  Encoding
	}{
		{"UTF-8", []byte(row), row, UTF8},
		{"UTF-8 with a byte-order mark", append([]byte("\xef\xbb\xbf"), row...), row, UTF8},
		{"ASCII", []byte("a,b\n1,2\n"), "a,b\n1,2\n", UTF8},
		{"GBK", gbk(t, row), row, GB18030},
		{"long UTF-8", []byte(long), long, UTF8},
		{"long GBK", gbk(t, "xy"+long), "xy" + long, GB18030},
		{"empty", nil, "", UTF8},
	} {
		r, enc, err := Text(bytes.NewReader(c.in))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != c.want || enc != c.enc {
			t.Fatalf("%s: read as %s %.40q (%v), want %s", c.name, enc, got, err, c.enc)
		}
	}
	// Neither: UTF-16, and bytes no text has.
	for _, in := range [][]byte{{0xff, 0xfe, 0x2d, 0x59, 0x0d, 0x54}, {0xff, 0xff, 0x80, 0x80, 0xff}} {
		if _, _, err := Text(bytes.NewReader(in)); !errors.Is(err, ErrEncoding) {
			t.Fatalf("% x read: %v", in, err)
		}
	}
	// A GBK file damaged past the sniff reads with a mark Readable sees.
	bad := append(gbk(t, long), 0x81, 0x20, '\n')
	r, enc, err := Text(bytes.NewReader(bad))
	if err != nil || enc != GB18030 {
		t.Fatalf("damaged GBK: %s %v", enc, err)
	}
	all, _ := io.ReadAll(r)
	if Readable(string(all)) || !Readable(long) || Readable("\xff") {
		t.Fatal("Readable does not tell text from damage")
	}
}
