package sheet

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

// Problem is why a file cannot be read, in both of the product's
// languages, so that a web form can show it in the user's and a command
// line in English (Error).
type Problem struct {
	ZH, EN string
}

func (p *Problem) Error() string { return p.EN }

// Problemf builds a Problem; both formats take the same arguments.
func Problemf(zh, en string, args ...any) *Problem {
	return &Problem{ZH: fmt.Sprintf(zh, args...), EN: fmt.Sprintf(en, args...)}
}

// CSVProblem says in words what an error from reading a CSV file means:
// where encoding/csv stopped and why, an empty file, or text in an
// encoding it cannot read. It never shows Go's own error text.
func CSVProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		zh, en := "格式有误", "is malformed"
		switch {
		case errors.Is(pe.Err, csv.ErrQuote):
			zh, en = "引号不成对（字段内的引号应写成两个）", "a quotation mark is not closed (write one inside a field as two)"
		case errors.Is(pe.Err, csv.ErrBareQuote):
			zh, en = "未加引号的字段中出现了引号（应给整个字段加引号，字段内的引号写成两个）", "a quotation mark inside a field that is not quoted (quote the whole field and write the mark as two)"
		case errors.Is(pe.Err, csv.ErrFieldCount):
			zh, en = "列数与首行不同", "has a different number of columns from the first row"
		}
		return Problemf("第%d行第%d列："+zh, "line %d, column %d: "+en, pe.Line, pe.Column)
	}
	if errors.Is(err, io.EOF) {
		return &Problem{ZH: "文件是空的", EN: "the file is empty"}
	}
	if errors.Is(err, ErrEncoding) {
		return &Problem{ZH: "文件既不是UTF-8也不是GBK编码的文字，请在Excel中另存为“CSV UTF-8”", EN: "the file is neither UTF-8 nor GBK text; in Excel, save it as \"CSV UTF-8\""}
	}
	return &Problem{ZH: "文件无法读取", EN: "the file cannot be read"}
}
