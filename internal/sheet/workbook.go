package sheet

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Bounds on an .xlsx file, checked by reading it through once before
// excelize opens it. A workbook of 1,000,000 people (the scale of `bench
// people`) unpacks to 0.7 GB as Excel writes it (shared strings) and to
// 1.0 GB as Write does (strings in the cells), from a zip of 90–100 MB;
// maxUnzip leaves twice that, and matches the 200 MB an upload may be at
// the usual ratio of ten.
const (
	// maxUnzip is the bytes all of a workbook's parts may unpack to.
	maxUnzip = 2 << 30
	// maxInMemory is the bytes of a worksheet or the shared strings that
	// excelize unpacks into memory; a larger one goes to a temporary file
	// and is read from there as a stream.
	maxInMemory = 4 << 20
	// maxInMemoryParts is the bytes of the parts excelize holds in memory
	// together: all but the worksheets and shared strings larger than
	// maxInMemory (styles, the workbook, pictures, small sheets).
	maxInMemoryParts = 64 << 20
	// maxEntries is the files a workbook's zip may hold.
	maxEntries = 10000
	// maxElement bounds the XML of one cell or shared string and any one
	// tag, text, comment or CDATA section: a cell of MaxCell characters
	// takes at most 330 KB even with every character escaped. It is what
	// excelize may allocate for one token before CheckRow sees the cell.
	maxElement = 1 << 20
	// maxRowXML bounds the XML of one row, which excelize collects whole.
	maxRowXML = 16 << 20
	// maxRowCells is the cell elements a row may have, empty ones
	// included: Excel's 16,384 columns.
	maxRowCells = 16384
	// maxSharedStrings is the distinct strings a workbook may hold;
	// excelize keeps 40 bytes for each. A workbook of 1,000,000 people
	// has about 2,200,000.
	maxSharedStrings = 1 << 23
	// maxDepth is how deep XML elements may nest; a worksheet needs 7.
	maxDepth = 128
)

// excelizeOptions bound what excelize unpacks, in case anything passes
// checkWorkbook that should not.
var excelizeOptions = excelize.Options{UnzipSizeLimit: maxUnzip, UnzipXMLSizeLimit: maxInMemory}

// errBook is the Problem for a file that is not a workbook.
func errBook() *Problem {
	return &Problem{ZH: "不是有效的Excel（.xlsx）文件", EN: "the file is not a valid Excel (.xlsx) workbook"}
}

// openBook checks the workbook in r against the bounds above and opens it.
func openBook(ctx context.Context, r io.Reader) (*excelize.File, error) {
	var ra io.ReaderAt
	var size int64
	if br, ok := r.(*bytes.Reader); ok {
		// The caller holds the file in memory already; do not copy it.
		size = int64(br.Len())
		ra = io.NewSectionReader(br, br.Size()-size, size)
		r = io.NewSectionReader(br, br.Size()-size, size)
	} else {
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("read workbook: %w", err)
		}
		ra, size, r = bytes.NewReader(data), int64(len(data)), bytes.NewReader(data)
	}
	if err := checkWorkbook(ctx, ra, size); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(r, excelizeOptions)
	if err != nil {
		return nil, fmt.Errorf("open workbook: %w", err)
	}
	return f, nil
}

// checkWorkbook reads every part of the zip once, as a stream, and
// returns a Problem for the first bound it passes. Sizes come from the
// zip's directory, which archive/zip holds each part to as it unpacks it.
func checkWorkbook(ctx context.Context, ra io.ReaderAt, size int64) error {
	z, err := zip.NewReader(ra, size)
	if err != nil {
		return errBook()
	}
	if len(z.File) > maxEntries {
		return Problemf("Excel文件包含的部件超过%d个", "the workbook holds more than %d parts", maxEntries)
	}
	// First the sizes, from the directory, before anything is unpacked.
	var total, inMemory uint64
	for _, f := range z.File {
		n := f.UncompressedSize64
		if n > maxUnzip-total { // not total+n, which may wrap around
			return Problemf("Excel文件解压后超过%dGB，请分成几个文件导入", "the workbook unpacks to more than %d GB; split it", maxUnzip>>30)
		}
		total += n
		if partOf(f.Name) == otherPart || n <= maxInMemory {
			inMemory += n
		}
	}
	if inMemory > maxInMemoryParts {
		return Problemf("Excel文件中除大工作表以外的内容（图片、样式、小工作表等）合计超过%dMB", "the workbook's parts other than large sheets (pictures, styles, small sheets) are larger than %d MB together", maxInMemoryParts>>20)
	}
	// Then the XML, as a stream.
	buf := make([]byte, 32<<10)
	for _, f := range z.File {
		kind := partOf(f.Name)
		if f.FileInfo().IsDir() || kind == otherPart && !strings.HasSuffix(strings.ToLower(f.Name), ".xml") && !strings.HasSuffix(strings.ToLower(f.Name), ".rels") {
			continue // a picture or other binary part: its size is all that matters
		}
		g := xmlGuard{ctx: ctx, worksheet: kind == worksheetPart, sharedStrings: kind == sharedStringsPart, cell: -1, row: -1}
		rc, err := f.Open()
		if err != nil {
			return errBook()
		}
		_, err = io.CopyBuffer(&g, rc, buf)
		rc.Close()
		if err != nil {
			if _, ok := err.(*Problem); ok || ctx.Err() != nil {
				return err
			}
			return errBook() // a part that does not unpack to its stated size, or damaged
		}
	}
	return nil
}

// What a part of a workbook is to excelize.
const (
	otherPart = iota
	worksheetPart
	sharedStringsPart
)

// partOf tells the parts excelize may unpack to a temporary file (a
// worksheet, the shared strings) from the rest, by name as excelize does.
func partOf(name string) int {
	name = strings.ToLower(strings.ReplaceAll(name, "\\", "/"))
	switch {
	case strings.HasPrefix(name, "xl/worksheets/sheet"):
		return worksheetPart
	case name == "xl/sharedstrings.xml":
		return sharedStringsPart
	}
	return otherPart
}

// The states of xmlGuard.
const (
	xmlText    = iota
	xmlOpen    // just after <
	xmlTag     // in a start or end tag
	xmlSpecial // in a comment, CDATA section or processing instruction
)

// xmlGuard follows the XML of one part as a stream, well enough to find
// where elements begin and end, and fails as soon as a token, a cell, a
// shared string or a row is larger, or elements are more or deeper, than
// the bounds allow. It does not check that the XML is well formed:
// excelize does that after. What it cannot follow (a DOCTYPE, whose
// internal subset encoding/xml returns as one token) it refuses; Excel
// never writes one.
type xmlGuard struct {
	ctx                      context.Context
	worksheet, sharedStrings bool

	state int
	pos   int64 // bytes read
	run   int64 // bytes of the current token
	depth int

	// The tag being read.
	head     []byte // its first bytes, to tell <!-- from <![CDATA[
	name     [8]byte
	nameLen  int  // bytes of the local name (after any prefix:) kept
	nameLong bool // the local name is longer than name: none that matters
	named    bool // the name has ended
	close    bool // </…>
	slash    bool // the last byte outside quotes was /
	quote    byte
	tagAt    int64
	// In a comment, CDATA section or processing instruction: its end and
	// the two bytes before this one.
	end          string
	prev1, prev2 byte

	cell      int64 // where the open <c> or <si> began, or -1
	row       int64 // where the open <row> began, or -1
	cellDepth int   // the depth of the open <c> or <si>, or 0
	rowDepth  int   // the depth of the open <row>, or 0
	cells     int   // cell elements in the open row
	rows      int
	items     int // shared strings
}

func (g *xmlGuard) Write(p []byte) (int, error) {
	if err := g.ctx.Err(); err != nil {
		return 0, err
	}
	for i := 0; i < len(p); {
		if g.state == xmlText {
			// Text runs to the next <; skip it in one step.
			j := bytes.IndexByte(p[i:], '<')
			if j < 0 {
				j = len(p) - i
			}
			g.pos += int64(j)
			g.run += int64(j)
			i += j
			if err := g.check(); err != nil {
				return i, err
			}
			if i == len(p) {
				break
			}
			g.state, g.head, g.tagAt = xmlOpen, g.head[:0], g.pos
			g.nameLen, g.nameLong, g.named, g.close, g.slash, g.quote = 0, false, false, false, false, 0
			g.run = 0
			g.pos++
			i++
			continue
		}
		b := p[i]
		g.pos++
		g.run++
		i++
		if err := g.tagByte(b); err != nil {
			return i, err
		}
	}
	return len(p), g.check()
}

// tagByte reads one byte of markup.
func (g *xmlGuard) tagByte(b byte) error {
	switch g.state {
	case xmlOpen:
		g.head = append(g.head, b)
		switch {
		case g.head[0] == '?':
			g.special("?>")
		case g.head[0] != '!':
			g.state = xmlTag
			return g.tagByte(b)
		case len(g.head) <= 3 && strings.HasPrefix("!--", string(g.head)):
			if len(g.head) == 3 {
				g.special("-->")
			}
		case len(g.head) <= 8 && strings.HasPrefix("![CDATA[", string(g.head)):
			if len(g.head) == 8 {
				g.special("]]>")
			}
		default:
			return Problemf("Excel文件含有DOCTYPE或无法识别的XML结构", "the workbook holds a DOCTYPE or other XML that spreadsheets do not write")
		}
	case xmlSpecial:
		e := g.end
		if b == '>' && (len(e) == 2 && g.prev1 == e[0] || len(e) == 3 && g.prev2 == e[0] && g.prev1 == e[1]) {
			return g.endToken()
		}
		g.prev2, g.prev1 = g.prev1, b
	case xmlTag:
		if g.quote != 0 {
			if b == g.quote {
				g.quote = 0
			}
			return nil
		}
		switch b {
		case '>':
			if err := g.endToken(); err != nil {
				return err
			}
			return g.element()
		case '"', '\'':
			g.quote, g.slash, g.named = b, false, true
		case '/':
			if g.pos-g.tagAt == 2 { // </
				g.close = true
				return nil
			}
			g.slash, g.named = true, true
		case ' ', '\t', '\r', '\n':
			g.named = true
		default:
			g.slash = false
			switch {
			case g.named:
			case b == ':':
				g.nameLen, g.nameLong = 0, false // a namespace prefix: the local name follows
			case g.nameLen < len(g.name):
				g.name[g.nameLen] = b
				g.nameLen++
			default:
				g.nameLong = true
			}
		}
	}
	return nil
}

// endToken checks the markup that has just ended and goes back to text.
func (g *xmlGuard) endToken() error {
	if err := g.check(); err != nil {
		return err
	}
	g.state, g.run = xmlText, 0
	return nil
}

func (g *xmlGuard) special(end string) {
	g.state, g.end, g.prev1, g.prev2 = xmlSpecial, end, 0, 0
}

// element notes a tag that has ended.
func (g *xmlGuard) element() error {
	name := string(g.name[:g.nameLen])
	if g.nameLong {
		name = ""
	}
	if g.close {
		// The end tag at the depth a cell or row began at ends it, whatever
		// it says: a <c></c> inside a cell does not end the outer one.
		switch g.depth {
		case g.cellDepth:
			g.cell, g.cellDepth = -1, 0
		case g.rowDepth:
			g.row, g.rowDepth = -1, 0
		}
		g.depth--
		return nil
	}
	if !g.slash {
		if g.depth++; g.depth > maxDepth {
			return Problemf("Excel文件的XML嵌套超过%d层", "the workbook's XML nests deeper than %d levels", maxDepth)
		}
	}
	item := false
	switch {
	case g.worksheet && name == "row":
		if g.rows++; g.rows > MaxRows {
			return Problemf("工作表超过%d行（Excel的上限）", "a sheet has more than %d rows (Excel's limit)", MaxRows)
		}
		g.cells = 0
		if !g.slash && g.row < 0 {
			g.row, g.rowDepth = g.tagAt, g.depth
		}
	case g.worksheet && name == "c":
		if g.cells++; g.cells > maxRowCells {
			return Problemf("工作表有一行超过%d个单元格（Excel的上限）", "a row of a sheet has more than %d cells (Excel's limit)", maxRowCells)
		}
		item = true
	case g.sharedStrings && name == "si":
		if g.items++; g.items > maxSharedStrings {
			return Problemf("Excel文件的共享字符串超过%d个", "the workbook holds more than %d shared strings", maxSharedStrings)
		}
		item = true
	}
	if item && !g.slash && g.cell < 0 {
		g.cell, g.cellDepth = g.tagAt, g.depth
	}
	return nil
}

// check fails once the open token, cell or row is too large.
func (g *xmlGuard) check() error {
	if g.cell >= 0 && g.pos-g.cell > maxElement {
		if g.worksheet {
			return Problemf("工作表有单元格超过%d个字符（Excel单元格的上限）", "a cell of a sheet holds more than %d characters (Excel's limit for a cell)", MaxCell)
		}
		return Problemf("Excel文件有共享字符串超过%d个字符（Excel单元格的上限）", "a shared string of the workbook has more than %d characters (Excel's limit for a cell)", MaxCell)
	}
	if g.row >= 0 && g.pos-g.row > maxRowXML {
		return Problemf("工作表有一行超过%dMB", "a row of a sheet is larger than %d MB", maxRowXML>>20)
	}
	if g.run > maxElement {
		return Problemf("Excel文件中有一段XML超过%dMB", "the workbook holds a piece of XML larger than %d MB", maxElement>>20)
	}
	return nil
}
