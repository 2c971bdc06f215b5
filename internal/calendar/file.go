package calendar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// The calendar file format, UTF-8 JSON, as admins write it and as
// Calendar.MarshalJSON writes it:
//
//	{
//	  "periods": [{"start": "09:00", "end": "12:00"}, {"start": "13:30", "end": "18:00"}],
//	  "weekend": ["saturday", "sunday"],
//	  "years": [
//	    {
//	      "year": 2025,
//	      "holidays": [
//	        {"name": "元旦", "from": "2025-01-01", "to": "2025-01-01"},
//	        {"name": "国庆节、中秋节", "from": "2025-10-01", "to": "2025-10-08"}
//	      ],
//	      "workdays": [
//	        {"date": "2025-09-28", "for": "国庆节、中秋节"},
//	        "2025-10-11"
//	      ]
//	    }
//	  ]
//	}
//
//   - periods (optional, default 09:00–12:00 and 13:30–18:00): the working
//     periods of every working day, "HH:MM" local time, end exclusive and
//     "24:00" allowed; they must not overlap.
//   - weekend (optional, default Saturday and Sunday): English day names.
//   - years: one object per year. holidays are named, inclusive date ranges
//     (weekend days inside a range are part of it, as in the notices).
//     workdays are the make-up working days (调休上班), each either a date or
//     {"date", "for"} where for names the year's holiday it makes up for;
//     without it the nearest holiday is assumed. A year's dates may reach a
//     month into the neighbouring years, since 元旦 sometimes starts on
//     30 December.
//
// Unknown fields are refused so that a misspelt key ("holiday") cannot be
// silently ignored. One year alone (the object inside "years") is the body
// of the API's PUT /calendar/years/{year} and the stored form of a year.

var weekdayNames = [7]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

const maxFile = 4 << 20

type fileJSON struct {
	Periods []periodJSON      `json:"periods,omitempty"`
	Weekend *[]string         `json:"weekend,omitempty"`
	Years   []json.RawMessage `json:"years"`
}

type periodJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type yearJSON struct {
	Year     int               `json:"year"`
	Holidays []holidayJSON     `json:"holidays"`
	Workdays []json.RawMessage `json:"workdays"`
}

type holidayJSON struct {
	Name string `json:"name"`
	From string `json:"from"`
	To   string `json:"to"`
}

type workdayJSON struct {
	Date string `json:"date"`
	For  string `json:"for,omitempty"`
}

// Parse reads a calendar file: China time, the file's periods and weekend or
// the defaults, and only the years in the file (callers overlay them on
// Default as they see fit). Every problem found is reported in one
// *ValidationError.
func Parse(r io.Reader) (*Calendar, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("read calendar file: %w", err)
	}
	var pr problems
	if len(b) > maxFile {
		pr.add("", "日历文件超过 %d MB", "the calendar file is larger than %d MB", maxFile>>20)
		return nil, pr.err()
	}
	var f fileJSON
	if !strictDecode(b, &f, "", &pr) {
		return nil, pr.err()
	}
	c := &Calendar{Zone: China, Weekend: [7]bool{time.Saturday: true, time.Sunday: true}, Years: map[int]Year{}}
	for i, p := range f.Periods {
		c.Periods = append(c.Periods, p.period(fmt.Sprintf("periods[%d]", i), &pr))
	}
	if f.Weekend != nil {
		c.Weekend = [7]bool{}
		for i, n := range *f.Weekend {
			wd, ok := weekdayByName(n)
			if !ok {
				pr.add(fmt.Sprintf("weekend[%d]", i), "“%s”不是星期名称（如 saturday）", "%q is not a day of the week (e.g. saturday)", n)
				continue
			}
			c.Weekend[wd] = true
		}
	}
	for i, raw := range f.Years {
		y, ok := decodeYear(raw, fmt.Sprintf("years[%d].", i), &pr)
		if !ok {
			continue
		}
		if _, dup := c.Years[y.Year]; dup {
			pr.add(fmt.Sprintf("years[%d].year", i), "%d 年出现了两次", "year %d appears twice", y.Year)
			continue
		}
		c.Years[y.Year] = y
	}
	if len(pr) > 0 {
		return nil, pr.err()
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// ParseYear reads one year object and validates it on its own (see
// Year.Validate; a calendar it joins must still be validated as a whole).
func ParseYear(r io.Reader) (Year, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		return Year{}, fmt.Errorf("read calendar year: %w", err)
	}
	var pr problems
	y, ok := decodeYear(b, "", &pr)
	if !ok {
		return Year{}, pr.err()
	}
	if err := y.Validate(); err != nil {
		return Year{}, err
	}
	return y, nil
}

// UnmarshalJSON reads the year format, refusing unknown fields; it checks
// the form of each value, not the rules (see Validate).
func (y *Year) UnmarshalJSON(b []byte) error {
	var pr problems
	v, ok := decodeYear(b, "", &pr)
	if !ok {
		return pr.err()
	}
	*y = v
	return nil
}

// MarshalJSON writes the year format, with empty lists rather than null.
func (y Year) MarshalJSON() ([]byte, error) {
	type plain Year
	p := plain(y)
	if p.Holidays == nil {
		p.Holidays = []Holiday{}
	}
	if p.Workdays == nil {
		p.Workdays = []Workday{}
	}
	return json.Marshal(p)
}

// MarshalJSON writes c in the file format, years in order. The zone is not
// written: calendar files are always China time.
func (c *Calendar) MarshalJSON() ([]byte, error) {
	out := struct {
		Periods []Period `json:"periods"`
		Weekend []string `json:"weekend"`
		Years   []Year   `json:"years"`
	}{Periods: c.EffectivePeriods(), Weekend: []string{}, Years: []Year{}}
	for wd, off := range c.Weekend {
		if off {
			out.Weekend = append(out.Weekend, weekdayNames[wd])
		}
	}
	for _, y := range c.Years {
		out.Years = append(out.Years, y)
	}
	sort.Slice(out.Years, func(i, j int) bool { return out.Years[i].Year < out.Years[j].Year })
	return json.Marshal(out)
}

// MarshalJSON writes {"start": "09:00", "end": "12:00"}.
func (p Period) MarshalJSON() ([]byte, error) {
	return json.Marshal(periodJSON{clock(p.Start), clock(p.End)})
}

// UnmarshalJSON reads {"start": "09:00", "end": "12:00"}.
func (p *Period) UnmarshalJSON(b []byte) error {
	var pj periodJSON
	var pr problems
	if !strictDecode(b, &pj, "", &pr) {
		return pr.err()
	}
	v := pj.period("", &pr)
	if err := pr.err(); err != nil {
		return err
	}
	*p = v
	return nil
}

func (pj periodJSON) period(field string, pr *problems) Period {
	s, ok1 := parseClock(pj.Start)
	e, ok2 := parseClock(pj.End)
	if !ok1 {
		pr.add(join(field, "start"), "“%s”不是 HH:MM 格式的时间", "%q is not a time of day (HH:MM)", pj.Start)
	}
	if !ok2 {
		pr.add(join(field, "end"), "“%s”不是 HH:MM 格式的时间", "%q is not a time of day (HH:MM)", pj.End)
	}
	return Period{s, e}
}

func join(field, sub string) string {
	if field == "" {
		return sub
	}
	return field + "." + sub
}

func decodeYear(b []byte, prefix string, pr *problems) (Year, bool) {
	var yj yearJSON
	if !strictDecode(b, &yj, strings.TrimSuffix(prefix, "."), pr) {
		return Year{}, false
	}
	n := len(*pr)
	y := Year{Year: yj.Year, Holidays: []Holiday{}, Workdays: []Workday{}}
	date := func(field, s string) Day {
		d, err := ParseDay(strings.TrimSpace(s))
		if err != nil {
			pr.add(field, "“%s”不是 YYYY-MM-DD 格式的日期", "%q is not a YYYY-MM-DD date", s)
		}
		return d
	}
	for i, h := range yj.Holidays {
		f := fmt.Sprintf("%sholidays[%d].", prefix, i)
		y.Holidays = append(y.Holidays, Holiday{Name: strings.TrimSpace(h.Name), From: date(f+"from", h.From), To: date(f+"to", h.To)})
	}
	for i, raw := range yj.Workdays {
		f := fmt.Sprintf("%sworkdays[%d]", prefix, i)
		var s string
		if json.Unmarshal(raw, &s) == nil {
			y.Workdays = append(y.Workdays, Workday{Date: date(f, s)})
			continue
		}
		var wj workdayJSON
		if !strictDecode(raw, &wj, f, pr) {
			continue
		}
		y.Workdays = append(y.Workdays, Workday{Date: date(f+".date", wj.Date), For: strings.TrimSpace(wj.For)})
	}
	return y, len(*pr) == n
}

// strictDecode decodes one JSON value refusing unknown fields and trailing
// data, turning a failure into a problem at field.
func strictDecode(b []byte, v any, field string, pr *problems) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON value")
	}
	if err == nil {
		return true
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		k := civic.JSONKind(te.Type)
		pr.add(join(field, te.Field), "类型不正确，应为%[1]s", "wrong type, expected %[2]s", k.ZH, k.EN)
		return false
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		pr.add(join(field, strings.Trim(name, `"`)), "没有这个字段", "there is no such field")
		return false
	}
	pr.add(field, "不是有效的日历 JSON：应为日历文件格式的一个 JSON 对象", "not valid calendar JSON: it must be an object in the calendar file format")
	return false
}

func weekdayByName(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range weekdayNames {
		if s == n || (len(s) == 3 && strings.HasPrefix(n, s)) {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// clock formats minutes after midnight as HH:MM.
func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// parseClock reads HH:MM, 00:00 to 24:00.
func parseClock(s string) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}
