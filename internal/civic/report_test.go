package civic

import (
	"strings"
	"testing"
	"time"
)

// cst is an hour of a China date.
func cst(y, m, d, h int) time.Time { return time.Date(y, time.Month(m), d, h, 0, 0, 0, ChinaTime) }

func TestReportPeriods(t *testing.T) {
	for _, tc := range []struct {
		name     string
		kind     ReportKind
		day      string
		from, to string
	}{
		{"a day", ReportDaily, "2026-03-31", "2026-03-31", "2026-04-01"},
		{"a week from its Sunday", ReportWeekly, "2026-03-29", "2026-03-23", "2026-03-30"},
		{"a week from its Monday", ReportWeekly, "2026-03-30", "2026-03-30", "2026-04-06"},
		{"a week across the year", ReportWeekly, "2026-01-01", "2025-12-29", "2026-01-05"},
		{"February", ReportMonthly, "2028-02-29", "2028-02-01", "2028-03-01"},
		{"December", ReportMonthly, "2026-12-31", "2026-12-01", "2027-01-01"},
	} {
		from, to, err := tc.kind.Period(tc.day)
		if err != nil || from != tc.from || to != tc.to {
			t.Errorf("%s: Period(%s) = %s, %s, %v; want %s, %s", tc.name, tc.day, from, to, err, tc.from, tc.to)
		}
	}
	if _, _, err := ReportDaily.Period("2026-02-30"); ErrorCodeOf(err) != EInvalid {
		t.Errorf("a date that does not exist: %v", err)
	}
	// Just after midnight China time on Wednesday 1 April 2026 (16:20 UTC
	// on 31 March): yesterday, last week, last month.
	now := cst(2026, 4, 1, 0).Add(20 * time.Minute).UTC()
	for kind, want := range map[ReportKind][2]string{
		ReportDaily:   {"2026-03-31", "2026-04-01"},
		ReportWeekly:  {"2026-03-23", "2026-03-30"},
		ReportMonthly: {"2026-03-01", "2026-04-01"},
	} {
		if from, to := kind.LastPeriod(now); from != want[0] || to != want[1] {
			t.Errorf("%s LastPeriod = %s, %s; want %v", kind, from, to, want)
		}
	}
}

// TestDuePeriods checks what the schedule owes: the last ended period for a
// template it has not seen active, every period since the one that had
// ended at activation after an outage, and no more than about a month.
func TestDuePeriods(t *testing.T) {
	now := cst(2026, 4, 1, 0).Add(20 * time.Minute) // Wednesday 1 April, 00:20
	str := func(ps []ReportPeriod) string {
		var b strings.Builder
		for _, p := range ps {
			b.WriteString(p.From + "/" + p.To + " ")
		}
		return strings.TrimSpace(b.String())
	}
	for _, tc := range []struct {
		kind  ReportKind
		since time.Time
		want  string
	}{
		{ReportDaily, time.Time{}, "2026-03-31/2026-04-01"},
		{ReportDaily, now.Add(time.Hour), "2026-03-31/2026-04-01"}, // a clock behind the database
		{ReportDaily, now.Add(-time.Minute), "2026-03-31/2026-04-01"},
		// Active since Saturday afternoon, no server until now: Friday's
		// report (the last ended at activation) and every day since.
		{ReportDaily, cst(2026, 3, 28, 15), "2026-03-27/2026-03-28 2026-03-28/2026-03-29 2026-03-29/2026-03-30 2026-03-30/2026-03-31 2026-03-31/2026-04-01"},
		{ReportWeekly, cst(2026, 3, 18, 9), "2026-03-09/2026-03-16 2026-03-16/2026-03-23 2026-03-23/2026-03-30"},
		{ReportMonthly, cst(2026, 3, 2, 9), "2026-02-01/2026-03-01 2026-03-01/2026-04-01"},
		// Long gone: only the most recent 2 months, 5 weeks, 31 days.
		{ReportMonthly, cst(2025, 6, 2, 9), "2026-02-01/2026-03-01 2026-03-01/2026-04-01"},
		{ReportWeekly, cst(2025, 6, 2, 9), "2026-02-23/2026-03-02 2026-03-02/2026-03-09 2026-03-09/2026-03-16 2026-03-16/2026-03-23 2026-03-23/2026-03-30"},
	} {
		if got := str(tc.kind.DuePeriods(tc.since, now)); got != tc.want {
			t.Errorf("%s since %s: %s; want %s", tc.kind, tc.since, got, tc.want)
		}
	}
	if ps := ReportDaily.DuePeriods(cst(2025, 6, 2, 9), now); len(ps) != 31 || ps[30].From != "2026-03-31" || ps[0].From != "2026-03-01" {
		t.Errorf("daily after a long outage: %d periods, %v … %v", len(ps), ps[0], ps[len(ps)-1])
	}
}

func TestReportTemplateValidate(t *testing.T) {
	ok := []ReportRow{{Figure: "cases.received"}}
	for _, tc := range []struct {
		name  string
		t     ReportTemplate
		field string // "" = valid
	}{
		{"valid", ReportTemplate{Name: "日报", Kind: ReportDaily, ScopeLevel: "street", Rows: ok}, ""},
		{"region sets the level", ReportTemplate{Name: "日报", Kind: ReportDaily, RegionCode: "110101001001", Rows: ok}, ""},
		{"no name", ReportTemplate{Kind: ReportDaily, ScopeLevel: "street", Rows: ok}, "name"},
		{"bad kind", ReportTemplate{Name: "x", Kind: "yearly", ScopeLevel: "street", Rows: ok}, "kind"},
		{"micro-grid", ReportTemplate{Name: "x", Kind: ReportDaily, ScopeLevel: "microgrid", Rows: ok}, "scope_level"},
		{"bad region", ReportTemplate{Name: "x", Kind: ReportDaily, RegionCode: "11x", Rows: ok}, "region_code"},
		{"no rows", ReportTemplate{Name: "x", Kind: ReportDaily, ScopeLevel: "street"}, "rows"},
		{"unknown figure", ReportTemplate{Name: "x", Kind: ReportDaily, ScopeLevel: "street", Rows: []ReportRow{{Figure: "cases.nope"}}}, "rows[0]"},
		{"manual without label", ReportTemplate{Name: "x", Kind: ReportDaily, ScopeLevel: "street", Rows: []ReportRow{{Manual: true}}}, "rows[0]"},
		{"manual with a figure", ReportTemplate{Name: "x", Kind: ReportDaily, ScopeLevel: "street", Rows: []ReportRow{{Manual: true, Label: "a", Figure: "cases.received"}}}, "rows[0]"},
		{"empty row", ReportTemplate{Name: "x", Kind: ReportDaily, ScopeLevel: "street", Rows: []ReportRow{{Label: "a"}}}, "rows[0]"},
	} {
		err := tc.t.Validate()
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		e := AsError(err)
		if e.Code != EInvalid || len(e.Fields) == 0 || e.Fields[0].Field != tc.field {
			t.Errorf("%s: %v, want a refusal of %s", tc.name, err, tc.field)
		}
	}
	// Every catalogue figure is named and defined in both languages, once.
	seen := map[string]bool{}
	for _, f := range ReportFigures() {
		if seen[f.Key] || f.Name.ZH == "" || f.Name.EN == "" || f.Definition.ZH == "" || f.Definition.EN == "" || (f.Source != FromCases && f.Source != FromPeople) {
			t.Errorf("figure %+v", f)
		}
		seen[f.Key] = true
	}
}

func TestReportRetryDelay(t *testing.T) {
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{
		{1, time.Minute},
		{2, 2 * time.Minute},
		{3, 4 * time.Minute},
		{9, 256 * time.Minute},
		{10, 6 * time.Hour}, // 512 minutes, capped
		{1000, 6 * time.Hour},
	} {
		if got := ReportRetryDelay(tc.failures); got != tc.want {
			t.Errorf("after %d failures: %v, want %v", tc.failures, got, tc.want)
		}
	}
}
