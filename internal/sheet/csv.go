package sheet

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// CSVWriter is a csv.Writer whose cells cannot run as spreadsheet formulas
// (CSV injection): a cell a resident or an uploaded file wrote — a rental
// note, a name, an import's echoed row — that starts with =, +, -, @, a tab
// or a carriage return is written with a leading apostrophe, which Excel
// and WPS show as text. Numbers, negative ones included, stay as they are.
type CSVWriter struct {
	*csv.Writer
	row []string
}

// NewCSVWriter writes safe CSV to w.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{Writer: csv.NewWriter(w)} }

// Write writes one record, each cell made safe.
func (w *CSVWriter) Write(record []string) error {
	w.row = w.row[:0]
	for _, c := range record {
		w.row = append(w.row, SafeCell(c))
	}
	return w.Writer.Write(w.row)
}

// WriteAll writes records and flushes.
func (w *CSVWriter) WriteAll(records [][]string) error {
	for _, r := range records {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// SafeCell is c, or c behind an apostrophe when a spreadsheet would take it
// for a formula.
func SafeCell(c string) string {
	if c == "" || !strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return c
	}
	if _, err := strconv.ParseFloat(c, 64); err == nil && c[0] != '=' && c[0] != '@' {
		return c // a number such as -3.5 or +1e3
	}
	return "'" + c
}
