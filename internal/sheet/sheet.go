// Package sheet writes tables as .xlsx workbooks, the format street offices
// exchange everything in, reads them back, and reads the CSV files they
// save, in UTF-8 or GBK (text.go). Reading keeps to bounds on cells, rows
// and what a workbook unpacks to (limit.go, workbook.go), as uploads come
// from anyone with an account.
package sheet

import (
	"context"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Table is a header row and data rows. Cells may be strings, ints or floats;
// numbers stay numbers so that spreadsheets can sum them.
type Table struct {
	Sheet  string
	Header []string
	Rows   [][]any
	// Widths sets column widths in characters; missing ones default to 14.
	Widths []float64
	// Title lines go above the header (a report's name, region and period);
	// the header row then follows them.
	Title []string
}

// Percent is a fraction (0.25) shown as a percentage (25.0%) and kept a
// number, so that a spreadsheet can compute with it.
type Percent float64

// Write renders t as an .xlsx workbook with a bold, frozen header row and an
// auto-filter.
func Write(w io.Writer, t Table) error { return WriteBook(w, t) }

// WriteBook renders several tables as the sheets of one workbook, in order.
func WriteBook(w io.Writer, ts ...Table) error {
	f := excelize.NewFile()
	defer f.Close()
	for i, t := range ts {
		name := t.Sheet
		if name == "" {
			name = fmt.Sprintf("Sheet%d", i+1)
		}
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return fmt.Errorf("name sheet: %w", err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("add sheet %s: %w", name, err)
		}
		if err := writeSheet(f, name, t); err != nil {
			return err
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

func writeSheet(f *excelize.File, name string, t Table) error {
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return fmt.Errorf("new sheet: %w", err)
	}
	top := len(t.Title) + 1 // the header's row
	below, _ := excelize.CoordinatesToCellName(1, top+1)
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: top, TopLeftCell: below, ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("freeze header: %w", err)
	}
	for i := range t.Header {
		wd := 14.0
		if i < len(t.Widths) && t.Widths[i] > 0 {
			wd = t.Widths[i]
		}
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return fmt.Errorf("set column width: %w", err)
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF7"}}})
	if err != nil {
		return fmt.Errorf("header style: %w", err)
	}
	pctFmt := "0.0%"
	pct, err := f.NewStyle(&excelize.Style{CustomNumFmt: &pctFmt})
	if err != nil {
		return fmt.Errorf("percent style: %w", err)
	}
	for i, line := range t.Title {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		v := any(line)
		if i == 0 {
			v = excelize.Cell{StyleID: bold, Value: line}
		}
		if err := sw.SetRow(cell, []any{v}); err != nil {
			return fmt.Errorf("write title: %w", err)
		}
	}
	head := make([]any, len(t.Header))
	for i, h := range t.Header {
		head[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	headCell, _ := excelize.CoordinatesToCellName(1, top)
	if err := sw.SetRow(headCell, head, excelize.RowOpts{}); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	for i, row := range t.Rows {
		cell, _ := excelize.CoordinatesToCellName(1, top+i+1)
		out := make([]any, len(row))
		for j, v := range row {
			out[j] = v
			switch v := v.(type) {
			case Percent:
				out[j] = excelize.Cell{StyleID: pct, Value: float64(v)}
			case string:
				out[j] = fitCell(v)
			}
		}
		if err := sw.SetRow(cell, out); err != nil {
			return fmt.Errorf("write row %d: %w", i+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("flush sheet: %w", err)
	}
	if len(t.Header) > 0 {
		last, _ := excelize.CoordinatesToCellName(len(t.Header), top+len(t.Rows))
		if err := f.AutoFilter(name, headCell+":"+last, nil); err != nil {
			return fmt.Errorf("auto filter: %w", err)
		}
	}
	return nil
}

// cutMark ends a text cut to fit a cell, in both languages since the
// reader's is not known here.
const cutMark = "……（超出Excel单元格上限，已截断 / cut at Excel's cell limit）"

// fitCell is s, or, past Excel's MaxCell characters (which excelize
// would cut without a word), its start and cutMark in MaxCell: a reader
// sees the text was cut instead of taking it for whole.
func fitCell(s string) string {
	if len(s) <= MaxCell || utf8.RuneCountInString(s) <= MaxCell {
		return s
	}
	r := []rune(s)
	return string(r[:MaxCell-utf8.RuneCountInString(cutMark)]) + cutMark
}

// Read returns the first sheet's rows as strings, for tests and imports.
// A workbook past the bounds in limit.go and workbook.go, or with a row
// CheckRow refuses, is refused with a *Problem.
func Read(r io.Reader) ([][]string, error) {
	f, err := openBook(context.Background(), r)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		return nil, fmt.Errorf("read rows: %w", err)
	}
	for i, row := range rows {
		if p := CheckRow(i+1, row); p != nil {
			return nil, p
		}
	}
	return rows, nil
}

// Each calls fn with every row of the first sheet, as strings, without
// holding the whole sheet in memory as cells; fn's error stops the walk,
// and so does ctx. A workbook past the bounds in limit.go and
// workbook.go, or with a row CheckRow refuses, is refused with a
// *Problem.
func Each(ctx context.Context, r io.Reader, fn func(row []string) error) error {
	f, err := openBook(ctx, r)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetName(0))
	if err != nil {
		return fmt.Errorf("read rows: %w", err)
	}
	defer rows.Close()
	for no := 1; rows.Next(); no++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		cols, err := rows.Columns()
		if err != nil {
			return fmt.Errorf("read row: %w", err)
		}
		if p := CheckRow(no, cols); p != nil {
			return p
		}
		if err := fn(cols); err != nil {
			return err
		}
	}
	return rows.Error()
}

// ContentType is the MIME type of an .xlsx file.
const ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
