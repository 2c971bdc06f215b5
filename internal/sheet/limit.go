package sheet

import (
	"io"
	"unicode/utf8"
)

// What an uploaded sheet may hold. An .xlsx file is a zip of XML, and a
// small file may unpack to gigabytes (a "zip bomb"); a CSV line of commas
// makes a field per byte. Reading stops at these limits with a Problem
// that names the limit instead of using memory and time in proportion to
// what the file claims. MaxCell and MaxColumns are checked exactly on the
// cells read (CheckRow); the bounds on the raw XML and CSV below them are
// looser, so that no real file meets them, and are checked while the file
// is read, before anything of that size is allocated.
const (
	// MaxCell is the characters a cell may hold: Excel's own limit.
	MaxCell = 32767
	// MaxColumns is the columns a row may have. The import templates have
	// fewer than 20; a header of 100,000 columns was a way to keep a core
	// busy.
	MaxColumns = 256
	// MaxRows is the rows a worksheet may have: Excel's own limit.
	MaxRows = 1 << 20

	// maxCSVField bounds a CSV field's bytes as written, quotes doubled:
	// MaxCell characters of at most 4 bytes each, in quotes.
	maxCSVField = 4*MaxCell + 2
)

// CheckRow is nil, or the Problem with a row (its number no as the file
// shows it) that has more than MaxColumns columns or a cell of more than
// MaxCell characters.
func CheckRow(no int, row []string) *Problem {
	if len(row) > MaxColumns {
		return Problemf("第%d行超过%d列（每行最多%[2]d列）", "row %d has more than %d columns (the limit is %[2]d)", no, MaxColumns)
	}
	for i, c := range row {
		if len(c) > MaxCell && utf8.RuneCountInString(c) > MaxCell {
			return Problemf("第%d行第%d列超过%d个字符（Excel单元格的上限）", "row %d, column %d holds more than %d characters (Excel's limit for a cell)", no, i+1, MaxCell)
		}
	}
	return nil
}

// LimitCSV returns r for encoding/csv (comma as its Comma, LazyQuotes or
// not) that fails with a Problem as soon as a record has more than
// MaxColumns fields or a field more bytes than MaxCell characters can
// take, before csv.Reader has collected them: without it a line of commas
// costs a slice entry per byte and a quoted field the size of the file.
// It follows csv's reading of quotes; CheckRow then checks the cells read
// exactly.
func LimitCSV(r io.Reader, comma byte) io.Reader {
	return &csvLimit{r: r, comma: comma, line: 1}
}

// The states of csvLimit.
const (
	csvFieldStart = iota // at the start of a field
	csvBare              // in a field without quotes
	csvQuoted            // in a quoted field
	csvQuote             // just after a quote in a quoted field: its end, or one of a pair
	csvQuoteCR           // after a quote and a carriage return: the record ends if a newline follows
)

type csvLimit struct {
	r      io.Reader
	comma  byte
	state  int
	fields int // fields of the record begun before this one
	field  int // bytes of the field
	line   int
	err    error
}

func (l *csvLimit) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i := 0; i < n; i++ {
		if pr := l.step(p[i]); pr != nil {
			// What came before the byte is whole records and the start of
			// this one; csv.Reader returns the records, then the Problem.
			l.err = pr
			return i, nil
		}
		if p[i] == '\n' {
			l.line++
		}
	}
	return n, err
}

func (l *csvLimit) step(b byte) *Problem {
again:
	switch l.state {
	case csvFieldStart, csvBare:
		switch {
		case b == l.comma:
			return l.nextField()
		case b == '\n':
			l.endRecord()
			return nil
		case b == '"' && l.state == csvFieldStart:
			l.state = csvQuoted
		default:
			l.state = csvBare
		}
	case csvQuoted:
		if b == '"' {
			l.state = csvQuote
		}
	case csvQuote:
		switch b {
		case '"':
			l.state = csvQuoted
		case l.comma:
			return l.nextField()
		case '\n':
			l.endRecord()
			return nil
		case '\r':
			l.state = csvQuoteCR
		default:
			l.state = csvQuoted // a bare quote, read as itself
		}
	case csvQuoteCR:
		if b == '\n' {
			l.endRecord()
			return nil
		}
		l.state = csvQuoted // the quote and the \r were text
		goto again
	}
	l.field++
	if l.field > maxCSVField {
		return Problemf("第%d行有单元格超过%d个字符（Excel单元格的上限）", "line %d has a cell of more than %d characters (Excel's limit for a cell)", l.line, MaxCell)
	}
	return nil
}

func (l *csvLimit) nextField() *Problem {
	l.fields++
	l.field, l.state = 0, csvFieldStart
	if l.fields >= MaxColumns {
		return Problemf("第%d行超过%d列（每行最多%[2]d列）", "line %d has more than %d columns (the limit is %[2]d)", l.line, MaxColumns)
	}
	return nil
}

func (l *csvLimit) endRecord() { l.fields, l.field, l.state = 0, 0, csvFieldStart }
