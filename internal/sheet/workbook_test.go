package sheet

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// MustBook is a workbook written by Write with its first sheet's XML
// replaced by what sheet writes: a hand-made file, as a hostile one is.
func MustBook(tb testing.TB, sheet func(w io.Writer) error) []byte {
	tb.Helper()
	var plain bytes.Buffer
	if err := Write(&plain, Table{Header: []string{"a"}}); err != nil {
		tb.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(plain.Bytes()), int64(plain.Len()))
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		if err != nil {
			tb.Fatal(err)
		}
		if f.Name == "xl/worksheets/sheet1.xml" {
			err = sheet(w)
		} else {
			var rc io.ReadCloser
			if rc, err = f.Open(); err == nil {
				_, err = io.Copy(w, rc)
				rc.Close()
			}
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// sheetXML writes a worksheet whose sheetData is rows.
func sheetXML(rows ...string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
			`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+strings.Join(rows, "")+`</sheetData></worksheet>`)
		return err
	}
}

// allocated is the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestZipBomb: a sheet whose one cell is 48 MB of one letter, 50 KB
// zipped, is refused by Read and Each naming Excel's cell limit, without
// allocating anything near its size (the audit's 600 MB cell took 3.6 GB).
func TestZipBomb(t *testing.T) {
	const size = 48 << 20
	bomb := MustBook(t, func(w io.Writer) error {
		io.WriteString(w, `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>`)
		chunk := bytes.Repeat([]byte("a"), 1<<20)
		for range size >> 20 {
			if _, err := w.Write(chunk); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, `</t></is></c></row></sheetData></worksheet>`)
		return err
	})
	if len(bomb) > 1<<20 {
		t.Fatalf("the bomb is %d bytes zipped", len(bomb))
	}
	for name, read := range map[string]func() error{
		"Read": func() error { _, err := Read(bytes.NewReader(bomb)); return err },
		"Each": func() error {
			return Each(context.Background(), bytes.NewReader(bomb), func([]string) error { return nil })
		},
	} {
		var err error
		if n := allocated(func() { err = read() }); n > size/8 {
			t.Errorf("%s allocated %d MB", name, n>>20)
		}
		var p *Problem
		if !errors.As(err, &p) || !strings.Contains(p.EN, "more than 32767 characters") || !strings.Contains(p.ZH, "32767") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestWorkbookBounds: each bound refuses a workbook past it with a
// Problem naming it, and a workbook within every bound reads.
func TestWorkbookBounds(t *testing.T) {
	cells := func(n int, cell string) string { return "<row>" + strings.Repeat(cell, n) + "</row>" }
	for _, c := range []struct {
		name  string
		book  []byte
		err   string // "" reads
		cells int    // of the first row, when it reads
	}{
		{"plain", MustBook(t, sheetXML(`<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>a&gt;b</t></is></c></row>`)), "", 2},
		{"prefixed names, comments, CDATA", MustBook(t, func(w io.Writer) error {
			_, err := io.WriteString(w, `<?xml version="1.0"?><!-- <c> <row> --><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t><![CDATA[<c><c></c> ]] > ]]></x:t></x:is></x:c><x:c r="B1" t='str' note=">"><x:v>2</x:v></x:c></x:row></x:sheetData></x:worksheet>`)
			return err
		}), "", 2},
		{"a full cell", MustBook(t, sheetXML(`<row r="1"><c r="A1" t="inlineStr"><is><t>`+strings.Repeat("&amp;", MaxCell)+`</t></is></c></row>`)), "", 1},
		{"a full row", MustBook(t, sheetXML(cells(MaxColumns, `<c t="inlineStr"><is><t>x</t></is></c>`))), "", MaxColumns},
		{"a cell too long", MustBook(t, sheetXML(`<row r="1"><c r="A1" t="inlineStr"><is><t>`+strings.Repeat("长", MaxCell+1)+`</t></is></c></row>`)), "row 1, column 1 holds more than 32767 characters", 0},
		{"a cell of many runs", MustBook(t, sheetXML(`<row r="1"><c r="A1" t="inlineStr"><is>`+strings.Repeat("<r><t>"+strings.Repeat("a", 1000)+"</t></r>", 2000)+`</is></c></row>`)), "a cell of a sheet holds more than 32767 characters", 0},
		{"a cell that closes cells inside it", MustBook(t, sheetXML(`<row r="1"><c r="A1" t="inlineStr"><is>`+strings.Repeat("<r><t>"+strings.Repeat("a", 1000)+"</t></r><c></c><row></row><x:c></x:c>", 2000)+`</is></c></row>`)), "a cell of a sheet holds more than 32767 characters", 0},
		{"a row too wide", MustBook(t, sheetXML(cells(MaxColumns+1, `<c t="inlineStr"><is><t>x</t></is></c>`))), "row 1 has more than 256 columns", 0},
		{"too many cell elements", MustBook(t, sheetXML(cells(maxRowCells+1, `<c/>`))), "more than 16384 cells", 0},
		{"too many rows", MustBook(t, sheetXML(strings.Repeat("<row/>", MaxRows+1))), "more than 1048576 rows", 0},
		{"a row too large", MustBook(t, sheetXML(cells(20, `<c t="inlineStr"><is><t>`+strings.Repeat("a", 1000_000)+`</t></is></c>`))), "larger than 16 MB", 0},
		{"a huge tag", MustBook(t, sheetXML(`<row r="1" x="`+strings.Repeat("a", maxElement)+`"/>`)), "XML larger than 1 MB", 0},
		{"a huge comment", MustBook(t, sheetXML(`<!--`+strings.Repeat("<a>", maxElement/3+1)+`-->`)), "XML larger than 1 MB", 0},
		{"deep XML", MustBook(t, sheetXML(strings.Repeat("<a>", maxDepth+1))), "deeper than 128", 0},
		{"a DOCTYPE", MustBook(t, func(w io.Writer) error {
			_, err := io.WriteString(w, `<!DOCTYPE worksheet [<!ENTITY a "b">]><worksheet/>`)
			return err
		}), "DOCTYPE", 0},
		{"not a zip", []byte("PK\x03\x04 and then nothing"), "not a valid Excel", 0},
	} {
		rows, err := Read(bytes.NewReader(c.book))
		if c.err == "" {
			if err != nil || len(rows) == 0 || len(rows[0]) != c.cells {
				t.Errorf("%s: %d rows %v", c.name, len(rows), err)
			}
			continue
		}
		var p *Problem
		if !errors.As(err, &p) || !strings.Contains(p.EN, c.err) {
			t.Errorf("%s: %v, want %q", c.name, err, c.err)
		}
	}
}

// TestWorkbookSizes: the sizes the zip's directory gives are checked
// before anything is unpacked, and held to as it is.
func TestWorkbookSizes(t *testing.T) {
	raw := func(files map[string]uint64) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for name, size := range files {
			w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, CompressedSize64: 4, UncompressedSize64: size})
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("<a/>"))
		}
		zw.Close()
		return b.Bytes()
	}
	for _, c := range []struct {
		files map[string]uint64
		err   string
	}{
		{map[string]uint64{"xl/worksheets/sheet1.xml": maxUnzip/2 + 1, "xl/worksheets/sheet2.xml": maxUnzip / 2}, "unpacks to more than 2 GB"},
		{map[string]uint64{"xl/worksheets/sheet1.xml": 1 << 63, "xl/worksheets/sheet2.xml": 1 << 63}, "unpacks to more than 2 GB"}, // a sum that wraps around
		{map[string]uint64{"xl/media/image1.png": 40 << 20, "xl/styles.xml": 30 << 20}, "larger than 64 MB together"},
		{map[string]uint64{"xl/worksheets/sheet1.xml": 4 << 20, "xl/worksheets/sheet2.xml": 4 << 20}, "the file is not a valid Excel"}, // sizes that lie
	} {
		err := checkWorkbook(context.Background(), bytes.NewReader(raw(c.files)), int64(len(raw(c.files))))
		var p *Problem
		if !errors.As(err, &p) || !strings.Contains(p.EN, c.err) {
			t.Errorf("%v: %v, want %q", c.files, err, c.err)
		}
	}
	many := map[string]uint64{}
	for i := range maxEntries + 1 {
		many[fmt.Sprintf("x/%d", i)] = 4
	}
	if err := checkWorkbook(context.Background(), bytes.NewReader(raw(many)), int64(len(raw(many)))); err == nil || !strings.Contains(err.Error(), "more than 10000 parts") {
		t.Errorf("many parts: %v", err)
	}
}

// TestEachStops: a cancelled context stops Each.
func TestEachStops(t *testing.T) {
	book := MustBook(t, sheetXML(strings.Repeat(`<row><c t="inlineStr"><is><t>x</t></is></c></row>`, 100)))
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := Each(ctx, bytes.NewReader(book), func([]string) error {
		if n++; n == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 3 {
		t.Fatalf("%d rows, %v", n, err)
	}
}

// TestGuardChunks: the guard reads the same XML the same way whatever
// pieces it comes in.
func TestGuardChunks(t *testing.T) {
	xml := `<?xml version="1.0"?><!-- --><x:worksheet a='>' b="/"><x:sheetData><x:row><x:c r="A1"><![CDATA[ <c> ]]></x:c><c/></x:row><row/></x:sheetData></x:worksheet>`
	for size := 1; size <= len(xml); size++ {
		g := xmlGuard{ctx: context.Background(), worksheet: true, cell: -1, row: -1}
		for i := 0; i < len(xml); i += size {
			if _, err := g.Write([]byte(xml[i:min(i+size, len(xml))])); err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
		}
		if g.rows != 2 || g.cells != 0 || g.depth != 0 || g.cell != -1 || g.row != -1 || g.state != xmlText {
			t.Fatalf("size %d: %+v", size, g)
		}
	}
}

// BenchmarkCheckWorkbook reads a sheet of 100,000 rows of 18 columns.
func BenchmarkCheckWorkbook(b *testing.B) {
	row := "<row>" + strings.Repeat(`<c t="inlineStr"><is><t>幸福里小区3号楼</t></is></c>`, 18) + "</row>"
	book := MustBook(b, sheetXML(strings.Repeat(row, 100000)))
	b.SetBytes(int64(len(row) * 100000))
	for b.Loop() {
		if err := checkWorkbook(context.Background(), bytes.NewReader(book), int64(len(book))); err != nil {
			b.Fatal(err)
		}
	}
}
