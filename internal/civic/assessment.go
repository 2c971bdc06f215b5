package civic

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Assessments (考核) rank handlers, streets and communities on the case
// figures of docs/METRICS.md, each weighted as administrators decide.
// docs/INSIGHT.md ("Assessments") gives every definition and the formula.

// AssessLevel is what an assessment ranks.
type AssessLevel string

const (
	AssessOrg       AssessLevel = "org"       // the handler at the time: a department, property company, or a region acting as handler
	AssessStreet    AssessLevel = "street"    // the street of the case's place
	AssessCommunity AssessLevel = "community" // the community of the case's place
)

// AssessLevels are the levels in the order the page offers them.
var AssessLevels = []AssessLevel{AssessOrg, AssessStreet, AssessCommunity}

// Valid reports whether l is a known level.
func (l AssessLevel) Valid() bool {
	return l == AssessOrg || l == AssessStreet || l == AssessCommunity
}

// Indicator is one weighted figure of the score.
type Indicator string

const (
	IndResponse     Indicator = "response"     // 响应率
	IndSolved       Indicator = "solved"       // 解决率
	IndSatisfaction Indicator = "satisfaction" // 满意率
	IndCompletion   Indicator = "completion"   // 办结率
	IndOverdue      Indicator = "overdue"      // 超期率, lower is better
	IndRework       Indicator = "rework"       // 返工率 (核查不通过 and 重办), lower is better
	IndWhistle      Indicator = "whistle"      // 吹哨报到按时率
)

// Indicators are the indicators in the order pages and exports show them.
var Indicators = []Indicator{IndResponse, IndSolved, IndSatisfaction, IndCompletion, IndOverdue, IndRework, IndWhistle}

// LowerIsBetter says the indicator enters the score as 1 − rate.
func (i Indicator) LowerIsBetter() bool { return i == IndOverdue || i == IndRework }

// AssessmentSettings are the weights of the score and the rules of the
// ranking, one set for the whole installation.
type AssessmentSettings struct {
	Weights map[Indicator]float64 `json:"weights"`
	// MinCases is the fewest dispatches in the period a unit needs to be
	// ranked; units with fewer are listed apart.
	MinCases int `json:"min_cases"`
	// TopN is the length of the red and of the black list.
	TopN      int       `json:"top_n"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// DefaultAssessmentSettings are in force until an administrator changes
// them: the three rates (三率) weigh most, as 12345 assessments do.
func DefaultAssessmentSettings() AssessmentSettings {
	return AssessmentSettings{Weights: map[Indicator]float64{
		IndResponse: 20, IndSolved: 20, IndSatisfaction: 25, IndCompletion: 15, IndOverdue: 10, IndRework: 5, IndWhistle: 5,
	}, MinCases: 5, TopN: 5}
}

// Validate checks the settings: every weight known, finite and not
// negative, at least one positive; MinCases 1–10000; TopN 1–100.
func (s AssessmentSettings) Validate() error {
	var fs []FieldError
	positive := false
	for i, w := range s.Weights {
		known := false
		for _, k := range Indicators {
			known = known || k == i
		}
		switch {
		case !known:
			fs = append(fs, FieldErr("weights."+string(i), "没有这项指标“%s”", "no indicator %q", string(i)))
		case math.IsNaN(w) || math.IsInf(w, 0) || w < 0 || w > 1000:
			fs = append(fs, FieldErr("weights."+string(i), "权重应为0到1000之间的数", "a weight is a number from 0 to 1000"))
		case w > 0:
			positive = true
		}
	}
	if !positive {
		fs = append(fs, FieldErr("weights", "至少一项指标的权重应大于0", "at least one weight must be above 0"))
	}
	if s.MinCases < 1 || s.MinCases > 10000 {
		fs = append(fs, FieldErr("min_cases", "参与排名的最少派单数应在1到10000之间", "the minimum number of dispatches is from 1 to 10000"))
	}
	if s.TopN < 1 || s.TopN > 100 {
		fs = append(fs, FieldErr("top_n", "红黑榜名额应在1到100之间", "the red and black lists hold 1 to 100 units"))
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// Period is an assessment period: a China calendar month, quarter or year.
type Period struct {
	Code string    `json:"code"` // 2026-11, 2026-Q3, 2026
	Kind string    `json:"kind"` // month, quarter, year
	From time.Time `json:"from"`
	To   time.Time `json:"to"` // exclusive
}

// ParsePeriod reads 2026-11 (a month), 2026-Q3 (a quarter) or 2026 (a
// year), in China time; "" is the month of now.
func ParsePeriod(code string, now time.Time) (Period, error) {
	code = strings.TrimSpace(code)
	bad := Invalid(FieldErr("period", "考核期间应为 2026-11、2026-Q3 或 2026", "a period looks like 2026-11, 2026-Q3 or 2026"))
	if code == "" {
		c := now.In(ChinaTime)
		return MonthPeriod(c.Year(), c.Month()), nil
	}
	year := func(s string) (int, bool) {
		y, err := strconv.Atoi(s)
		return y, err == nil && len(s) == 4 && y >= 2000 && y <= 2200
	}
	switch {
	case len(code) == 4:
		y, ok := year(code)
		if !ok {
			return Period{}, bad
		}
		from := time.Date(y, 1, 1, 0, 0, 0, 0, ChinaTime)
		return Period{Code: code, Kind: "year", From: from, To: from.AddDate(1, 0, 0)}, nil
	case len(code) == 7 && (code[5] == 'Q' || code[5] == 'q') && code[4] == '-':
		y, ok := year(code[:4])
		q := int(code[6] - '0')
		if !ok || q < 1 || q > 4 {
			return Period{}, bad
		}
		from := time.Date(y, time.Month(3*q-2), 1, 0, 0, 0, 0, ChinaTime)
		return Period{Code: fmt.Sprintf("%d-Q%d", y, q), Kind: "quarter", From: from, To: from.AddDate(0, 3, 0)}, nil
	case len(code) == 7 && code[4] == '-':
		y, ok := year(code[:4])
		m, err := strconv.Atoi(code[5:])
		if !ok || err != nil || m < 1 || m > 12 {
			return Period{}, bad
		}
		return MonthPeriod(y, time.Month(m)), nil
	}
	return Period{}, bad
}

// MonthPeriod is the China calendar month.
func MonthPeriod(y int, m time.Month) Period {
	from := time.Date(y, m, 1, 0, 0, 0, 0, ChinaTime)
	return Period{Code: from.Format("2006-01"), Kind: "month", From: from, To: from.AddDate(0, 1, 0)}
}

// RecentPeriods lists the periods a page offers before now: the last 12
// months, 8 quarters and 3 years, newest first within each kind.
func RecentPeriods(now time.Time) []Period {
	c := now.In(ChinaTime)
	var out []Period
	for i := 0; i < 12; i++ {
		m := time.Date(c.Year(), c.Month()-time.Month(i), 1, 0, 0, 0, 0, ChinaTime)
		out = append(out, MonthPeriod(m.Year(), m.Month()))
	}
	q := (int(c.Month()) - 1) / 3
	for i := 0; i < 8; i++ {
		from := time.Date(c.Year(), time.Month(3*(q-i)+1), 1, 0, 0, 0, 0, ChinaTime)
		p, _ := ParsePeriod(fmt.Sprintf("%d-Q%d", from.Year(), (int(from.Month())-1)/3+1), now)
		out = append(out, p)
	}
	for i := 0; i < 3; i++ {
		p, _ := ParsePeriod(strconv.Itoa(c.Year()-i), now)
		out = append(out, p)
	}
	return out
}
