package calendar

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// at reads "2006-01-02 15:04" in China time.
func at(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04", s, China)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func day(tb testing.TB, s string) Day {
	tb.Helper()
	d, err := ParseDay(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// TestDefaultSchedule checks the built-in data against the State Council
// notices for 2025 and 2026, day by day where it matters.
func TestDefaultSchedule(t *testing.T) {
	c := Default()
	tests := []struct {
		date    string
		working bool
		reason  string
	}{
		{"2025-01-01", false, "holiday:元旦"},
		{"2025-01-02", true, "workday"},
		{"2025-01-26", true, "makeup:春节"}, // Sunday
		{"2025-01-28", false, "holiday:春节"},
		{"2025-02-04", false, "holiday:春节"},
		{"2025-02-05", true, "workday"},
		{"2025-02-08", true, "makeup:春节"}, // Saturday
		{"2025-04-04", false, "holiday:清明节"},
		{"2025-04-06", false, "holiday:清明节"},
		{"2025-04-27", true, "makeup:劳动节"}, // Sunday
		{"2025-05-01", false, "holiday:劳动节"},
		{"2025-05-05", false, "holiday:劳动节"},
		{"2025-05-31", false, "holiday:端午节"},
		{"2025-06-02", false, "holiday:端午节"},
		{"2025-09-27", false, "weekend"},
		{"2025-09-28", true, "makeup:国庆节、中秋节"}, // Sunday
		{"2025-10-01", false, "holiday:国庆节、中秋节"},
		{"2025-10-04", false, "holiday:国庆节、中秋节"}, // a Saturday inside the holiday
		{"2025-10-08", false, "holiday:国庆节、中秋节"},
		{"2025-10-09", true, "workday"},
		{"2025-10-11", true, "makeup:国庆节、中秋节"}, // Saturday
		{"2025-10-12", false, "weekend"},
		{"2026-01-01", false, "holiday:元旦"},
		{"2026-01-03", false, "holiday:元旦"},
		{"2026-01-04", true, "makeup:元旦"}, // Sunday
		{"2026-02-14", true, "makeup:春节"}, // Saturday
		{"2026-02-15", false, "holiday:春节"},
		{"2026-02-23", false, "holiday:春节"},
		{"2026-02-24", true, "workday"},
		{"2026-02-28", true, "makeup:春节"},
		{"2026-04-06", false, "holiday:清明节"},
		{"2026-05-05", false, "holiday:劳动节"},
		{"2026-05-09", true, "makeup:劳动节"},
		{"2026-06-19", false, "holiday:端午节"},
		{"2026-09-20", true, "makeup:国庆节"}, // nearer to 中秋节, but the notice lists it under 国庆节
		{"2026-09-25", false, "holiday:中秋节"},
		{"2026-10-07", false, "holiday:国庆节"},
		{"2026-10-10", true, "makeup:国庆节"},
		{"2026-10-12", true, "workday"},
		{"2027-10-01", true, "workday"}, // not announced: weekends only
		{"2027-10-02", false, "weekend"},
		{"2024-10-01", true, "workday"}, // before the built-in years: weekends only
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			w, r := c.IsWorkday(day(t, tt.date))
			if w != tt.working || r != tt.reason {
				t.Errorf("IsWorkday(%s) = %v, %q; want %v, %q", tt.date, w, r, tt.working, tt.reason)
			}
		})
	}
	// Working days per year: 365 − 104 weekend days − holidays on weekdays
	// + make-up days. 2025: 18 weekday holidays (1+6+1+3+1+6), 5 make-up
	// days; 2026: 19 (2+6+1+3+1+1+5) and 6. Both years have 248.
	for y, want := range map[int]int{2025: 365 - 104 - 18 + 5, 2026: 365 - 104 - 19 + 6} {
		n := 0
		for d := (Day{y, 1, 1}); d.Y == y; d = d.AddDays(1) {
			if ok, _ := c.IsWorkday(d); ok {
				n++
			}
		}
		if n != want {
			t.Errorf("%d has %d working days, want %d", y, n, want)
		}
	}
}

func TestDeadline(t *testing.T) {
	c := Default()
	tests := []struct {
		name   string
		start  string
		budget Budget
		paused [][2]string // "" To = open
		want   string      // "" = no deadline
	}{
		// 2 × 7.5 h: Mon 10–18 is 6.5 h, Tue 7.5 h, Wed 1 h.
		{"two working days from Monday 10:00", "2025-03-03 10:00", Budget{2, WorkDays}, nil, "2025-03-05 10:00"},
		// Fri 17–18 1 h, weekend skipped, Mon 7.5 h, Tue 6.5 h.
		{"two working days from Friday 17:00", "2025-03-07 17:00", Budget{2, WorkDays}, nil, "2025-03-11 17:00"},
		// Saturday 9/27 is an ordinary weekend day, so counting starts at
		// the next working period: Sunday 9/28 09:00, a make-up working day.
		// 3 × 7.5 h are then 9/28, 9/29 and 9/30 entire, ending 9/30 18:00
		// (not 10:00: nothing counts on the Saturday). 10/1–10/8 are off.
		{"National Day 2025: 3 working days from Saturday 9/27", "2025-09-27 10:00", Budget{3, WorkDays}, nil, "2025-09-30 18:00"},
		// Fri 9/26 17–18 1 h, Sun 9/28 (make-up) 7.5, Mon 7.5, Tue 6.5.
		{"National Day 2025: make-up Sunday counts", "2025-09-26 17:00", Budget{3, WorkDays}, nil, "2025-09-30 17:00"},
		// Tue 9/30 6.5 h, 10/1–10/8 holiday, Thu 10/9 7.5 h, Fri 10/10 1 h.
		{"National Day 2025: across the holiday", "2025-09-30 10:00", Budget{2, WorkDays}, nil, "2025-10-10 10:00"},
		// Fri 10/10 6.5 h, Sat 10/11 (make-up) 7.5 h, Sun off, Mon 10/13 1 h.
		{"National Day 2025: make-up Saturday 10/11", "2025-10-10 10:00", Budget{2, WorkDays}, nil, "2025-10-13 10:00"},
		// Fri 2/13 1 h, Sat 2/14 (make-up) 7.5, 2/15–2/23 off, Tue 2/24 7.5, Wed 2/25 6.5.
		{"Spring Festival 2026", "2026-02-13 17:00", Budget{3, WorkDays}, nil, "2026-02-25 17:00"},
		// Fri 2/27 6.5 h, Sat 2/28 (make-up) 1 h.
		{"Spring Festival 2026: make-up Saturday 2/28", "2026-02-27 10:00", Budget{1, WorkDays}, nil, "2026-02-28 10:00"},
		// Wed 12/31 6.5 h, 1/1–1/3 off, Sun 1/4 (make-up) 7.5 h, Mon 1/5 1 h.
		{"across the year end into 2026", "2025-12-31 10:00", Budget{2, WorkDays}, nil, "2026-01-05 10:00"},
		// 2027 has not been announced: Friday 10/1 is a working day.
		{"unannounced year counts weekends only", "2027-10-01 10:00", Budget{1, WorkDays}, nil, "2027-10-04 10:00"},
		// Before the built-in years, and from there into them: 25 working
		// days from Fri 2024-11-29 10:00 skip 2025-01-01 (元旦).
		{"before the built-in years", "2024-06-03 10:00", Budget{2, WorkDays}, nil, "2024-06-05 10:00"},
		{"into the built-in years", "2024-11-29 10:00", Budget{25, WorkDays}, nil, "2025-01-06 10:00"},
		{"lunch break is skipped", "2025-03-03 11:00", Budget{2, WorkHours}, nil, "2025-03-03 14:30"},
		{"budget ends exactly at noon", "2025-03-03 10:00", Budget{2, WorkHours}, nil, "2025-03-03 12:00"},
		{"budget ends exactly at close", "2025-03-03 09:00", Budget{1, WorkDays}, nil, "2025-03-03 18:00"},
		{"start in the lunch break", "2025-03-03 12:30", Budget{1, WorkHours}, nil, "2025-03-03 14:30"},
		{"start before hours", "2025-03-03 07:00", Budget{1, WorkHours}, nil, "2025-03-03 10:00"},
		{"start after hours", "2025-03-03 19:00", Budget{1, WorkHours}, nil, "2025-03-04 10:00"},
		{"start on a Sunday", "2025-03-09 15:00", Budget{1, WorkDays}, nil, "2025-03-10 18:00"},
		// 3.75 h: 09–12, then 45 minutes after 13:30.
		{"half a working day", "2025-03-03 09:00", Budget{0.5, WorkDays}, nil, "2025-03-03 14:15"},
		{"fifteen working days", "2025-03-03 09:00", Budget{15, WorkDays}, nil, "2025-03-21 18:00"},
		{"zero budget is the start", "2025-03-08 03:00", Budget{0, WorkDays}, nil, "2025-03-08 03:00"},
		{"natural hours ignore the holiday", "2025-09-30 20:00", Budget{48, Hours}, nil, "2025-10-02 20:00"},
		{"natural hours minus a pause", "2025-03-03 10:00", Budget{24, Hours},
			[][2]string{{"2025-03-03 12:00", "2025-03-03 14:00"}}, "2025-03-04 12:00"},
		// Mon 10–11 1 h, paused until 15:00, 15–18 3 h.
		{"pause in the middle of a day", "2025-03-03 10:00", Budget{4, WorkHours},
			[][2]string{{"2025-03-03 11:00", "2025-03-03 15:00"}}, "2025-03-03 18:00"},
		// Mon 10–12 2 h, paused to Wed 12:00, Wed 13:30–18 4.5 h, Thu 1 h.
		{"pause spanning days", "2025-03-03 10:00", Budget{1, WorkDays},
			[][2]string{{"2025-03-03 12:00", "2025-03-05 12:00"}}, "2025-03-06 10:00"},
		// Overlapping and unsorted: together they pause Mon 11:00–Tue 11:00.
		{"overlapping unsorted pauses", "2025-03-03 10:00", Budget{2, WorkHours},
			[][2]string{{"2025-03-03 16:00", "2025-03-04 11:00"}, {"2025-03-03 11:00", "2025-03-03 17:00"}}, "2025-03-04 12:00"},
		{"pause before start is ignored", "2025-03-03 10:00", Budget{1, WorkHours},
			[][2]string{{"2025-03-01 10:00", "2025-03-02 10:00"}}, "2025-03-03 11:00"},
		{"start inside a pause", "2025-03-03 10:00", Budget{1, WorkHours},
			[][2]string{{"2025-03-03 09:00", "2025-03-03 16:00"}}, "2025-03-03 17:00"},
		{"open pause holds the clock", "2025-03-03 10:00", Budget{2, WorkHours},
			[][2]string{{"2025-03-03 11:00", ""}}, ""},
		{"open pause after the deadline", "2025-03-03 10:00", Budget{1, WorkHours},
			[][2]string{{"2025-03-03 11:00", ""}}, "2025-03-03 11:00"},
		{"negative budget", "2025-03-03 10:00", Budget{-1, WorkHours}, nil, ""},
		{"unknown unit", "2025-03-03 10:00", Budget{1, "fortnights"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []Interval
			for _, p := range tt.paused {
				iv := Interval{From: at(t, p[0])}
				if p[1] != "" {
					iv.To = at(t, p[1])
				}
				ps = append(ps, iv)
			}
			start := at(t, tt.start)
			got := c.Deadline(start, tt.budget, ps)
			if tt.want == "" {
				if !got.IsZero() {
					t.Fatalf("deadline %v, want none", got)
				}
				return
			}
			if want := at(t, tt.want); !got.Equal(want) || got.Location() != China {
				t.Fatalf("deadline %v, want %v", got, want)
			}
			if e := c.Elapsed(start, got, tt.budget.Unit, ps); e != tt.budget.Amount {
				t.Errorf("elapsed at the deadline %v, want %v", e, tt.budget.Amount)
			}
			if ex := c.Explain(start, tt.budget, ps); !ex.Deadline.Equal(got) {
				t.Errorf("explained deadline %v, want %v", ex.Deadline, got)
			}
		})
	}
}

func TestDeadlineKeepsSubMinutePrecisionAndZone(t *testing.T) {
	c := Default()
	start := time.Date(2025, 3, 3, 2, 0, 0, 123456789, time.UTC) // 10:00:00.123456789 in China
	got := c.Deadline(start, Budget{1, WorkHours}, nil)
	want := time.Date(2025, 3, 3, 11, 0, 0, 123456789, China)
	if !got.Equal(want) || got.Location() != China {
		t.Fatalf("deadline %v, want %v", got, want)
	}
}

func TestElapsed(t *testing.T) {
	c := Default()
	pause := []Interval{{From: at(t, "2025-09-29 09:00"), To: at(t, "2025-09-29 18:00")}}
	tests := []struct {
		name       string
		start, now string
		unit       Unit
		paused     []Interval
		want       float64
	}{
		{"half a day", "2025-03-03 09:00", "2025-03-03 14:15", WorkDays, nil, 0.5},
		{"over lunch", "2025-03-03 11:00", "2025-03-03 14:00", WorkHours, nil, 1.5},
		{"weekend counts nothing", "2025-03-08 09:00", "2025-03-09 18:00", WorkHours, nil, 0},
		{"make-up Sunday counts", "2025-09-28 00:00", "2025-09-29 00:00", WorkHours, nil, 7.5},
		{"holiday counts nothing", "2025-10-01 00:00", "2025-10-09 00:00", WorkDays, nil, 0},
		{"a paused Monday counts nothing", "2025-09-28 00:00", "2025-09-30 00:00", WorkDays, pause, 1},
		{"natural hours", "2025-10-01 00:00", "2025-10-02 06:00", Hours, nil, 30},
		{"now before start", "2025-03-03 12:00", "2025-03-03 10:00", WorkHours, nil, 0},
		{"unknown unit", "2025-03-03 10:00", "2025-03-03 12:00", "minutes", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Elapsed(at(t, tt.start), at(t, tt.now), tt.unit, tt.paused); got != tt.want {
				t.Errorf("Elapsed = %v, want %v", got, tt.want)
			}
		})
	}
}

// reference counts minute by minute: the obviously correct and slow way.
// start and pauses are whole minutes; the budget is whole minutes.
func reference(c *Calendar, start time.Time, unit Unit, budgetMin int, ps []Interval) time.Time {
	if budgetMin == 0 {
		return start
	}
	ex := c.EffectivePeriods()
	for t, n := start, 0; t.Year() < 2100; t = t.Add(time.Minute) {
		counts := true
		for _, p := range ps {
			if !t.Before(p.From) && (p.To.IsZero() || t.Before(p.To)) {
				counts = false
			}
		}
		if counts && unit != Hours {
			lt := t.In(China)
			w, _ := c.IsWorkday(DayOf(lt, China))
			m := lt.Hour()*60 + lt.Minute()
			in := false
			for _, p := range ex {
				in = in || (m >= p.Start && m < p.End)
			}
			counts = w && in
		}
		if counts {
			if n++; n == budgetMin {
				return t.Add(time.Minute)
			}
		}
	}
	return time.Time{}
}

// TestDeadlineProperties draws random starts (around National Day 2025,
// Spring Festival 2026, year ends, unannounced years), budgets and pauses, and
// checks that Elapsed at the deadline is exactly the budget, that the
// deadline is the earliest such instant, and, for minute-aligned inputs,
// that it agrees with counting minute by minute.
func TestDeadlineProperties(t *testing.T) {
	c := Default()
	x := c.index()
	rng := rand.New(rand.NewPCG(2025, 10))
	anchors := []string{"2024-11-10 00:00", "2025-09-20 00:00", "2025-10-05 00:00", "2026-02-08 00:00", "2026-02-20 00:00",
		"2024-12-25 00:00", "2025-12-25 00:00", "2026-12-25 00:00", "2025-04-25 00:00", "2027-06-01 00:00"}
	const n = 4000
	for i := range n {
		minuteAligned := i%8 == 0
		start := at(t, anchors[rng.IntN(len(anchors))]).Add(time.Duration(rng.IntN(20*24*60)) * time.Minute)
		if !minuteAligned {
			start = start.Add(time.Duration(rng.Int64N(int64(time.Minute))))
		}
		unit := []Unit{WorkHours, WorkDays, Hours}[rng.IntN(3)]
		var b Budget
		var budgetMin int
		switch unit {
		case WorkDays:
			q := rng.IntN(15*4) + 1 // quarter days up to 15 days
			b, budgetMin = Budget{float64(q) / 4, unit}, q*450/4
			if q*450%4 != 0 {
				budgetMin = -1 // not whole minutes: skip the reference
			}
		default:
			budgetMin = rng.IntN(60*60) + 1
			b = Budget{float64(budgetMin) / 60, unit}
		}
		var ps []Interval
		for range rng.IntN(3) {
			from := start.Add(time.Duration(rng.IntN(10*24*60)-24*60) * time.Minute)
			ps = append(ps, Interval{From: from, To: from.Add(time.Duration(rng.IntN(3*24*60)+1) * time.Minute)})
		}
		d := c.Deadline(start, b, ps)
		if d.IsZero() {
			t.Fatalf("case %d: no deadline for %v %+v %v", i, start, b, ps)
		}
		if e := c.Elapsed(start, d, unit, ps); e != b.Amount {
			t.Fatalf("case %d: start %v budget %+v pauses %v: deadline %v but elapsed %v", i, start, b, ps, d, e)
		}
		want, _ := x.budgetNs(b)
		if got := x.elapsed(x.tick(start), x.tick(d)-1, unit, ps); got >= want {
			t.Fatalf("case %d: %v is not the earliest deadline (%d ns counted a nanosecond earlier)", i, d, got)
		}
		if minuteAligned && budgetMin > 0 {
			if want := reference(c, start, unit, budgetMin, ps); !d.Equal(want) {
				t.Fatalf("case %d: start %v budget %+v pauses %v: deadline %v, minute count says %v", i, start, b, ps, d, want)
			}
		}
	}
}

func TestDeadlineDoesNotAllocate(t *testing.T) {
	c := Default()
	start := at(t, "2025-09-26 17:00")
	ps := []Interval{{From: at(t, "2025-09-29 10:00"), To: at(t, "2025-09-30 11:00")}}
	c.Deadline(start, Budget{5, WorkDays}, ps) // compile the calendar first
	if n := testing.AllocsPerRun(100, func() { c.Deadline(start, Budget{5, WorkDays}, ps) }); n != 0 {
		t.Errorf("Deadline allocates %v times", n)
	}
}

func TestExplain(t *testing.T) {
	c := Default()
	type step struct {
		date, reason, skipped string
		counted               float64
	}
	tests := []struct {
		name   string
		start  string
		budget Budget
		paused []Interval
		want   []step
		open   bool
	}{
		{"National Day 2025 from Saturday 9/27", "2025-09-27 10:00", Budget{3, WorkDays}, nil, []step{
			{"2025-09-27", "weekend", "weekend", 0},
			{"2025-09-28", "makeup:国庆节、中秋节", "", 450},
			{"2025-09-29", "workday", "", 450},
			{"2025-09-30", "workday", "", 450},
		}, false},
		{"across National Day 2025", "2025-09-30 10:00", Budget{2, WorkDays}, nil, []step{
			{"2025-09-30", "workday", "", 390},
			{"2025-10-01", "holiday:国庆节、中秋节", "holiday:国庆节、中秋节", 0},
			{"2025-10-02", "holiday:国庆节、中秋节", "holiday:国庆节、中秋节", 0},
			{"2025-10-03", "holiday:国庆节、中秋节", "holiday:国庆节、中秋节", 0},
			{"2025-10-04", "holiday:国庆节、中秋节", "holiday:国庆节、中秋节", 0},
			{"2025-10-05", "holiday:国庆节、中秋节", "holiday:国庆节、中秋节", 0},
			{"2025-10-06", "holiday:国庆节、中秋节", "holiday:国庆节、中秋节", 0},
			{"2025-10-07", "holiday:国庆节、中秋节", "holiday:国庆节、中秋节", 0},
			{"2025-10-08", "holiday:国庆节、中秋节", "holiday:国庆节、中秋节", 0},
			{"2025-10-09", "workday", "", 450},
			{"2025-10-10", "workday", "", 60},
		}, false},
		{"a paused day and after hours", "2025-03-03 19:00", Budget{1, WorkDays},
			[]Interval{{From: at(t, "2025-03-04 08:00"), To: at(t, "2025-03-05 08:00")}}, []step{
				{"2025-03-03", "workday", "outside_hours", 0},
				{"2025-03-04", "workday", "paused", 0},
				{"2025-03-05", "workday", "", 450},
			}, false},
		{"open pause", "2025-03-03 17:00", Budget{1, WorkDays},
			[]Interval{{From: at(t, "2025-03-04 10:00")}}, []step{
				{"2025-03-03", "workday", "", 60},
				{"2025-03-04", "workday", "", 60},
			}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := c.Explain(at(t, tt.start), tt.budget, tt.paused)
			var got []step
			for _, d := range ex.Days {
				got = append(got, step{d.Date.String(), d.Reason, d.Skipped, d.CountedMinutes})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("days:\n got %v\nwant %v", got, tt.want)
			}
			if ex.Open != tt.open || ex.Deadline.IsZero() != tt.open {
				t.Errorf("open %v deadline %v, want open %v", ex.Open, ex.Deadline, tt.open)
			}
			if last := ex.Days[len(ex.Days)-1]; !tt.open && last.RemainingMinutes != 0 {
				t.Errorf("%v minutes remain on the last day", last.RemainingMinutes)
			}
		})
	}
	// The windows say exactly what counted: 9/30 from 10:00 to 12:00 and
	// 13:30 to 18:00.
	ex := c.Explain(at(t, "2025-09-30 10:00"), Budget{2, WorkDays}, nil)
	w := ex.Days[0].Windows
	if len(w) != 2 || !w[0].From.Equal(at(t, "2025-09-30 10:00")) || !w[1].To.Equal(at(t, "2025-09-30 18:00")) {
		t.Errorf("windows of 9/30: %v", w)
	}
	if ex.DayMinutes != 450 || ex.BudgetMinutes != 900 || len(ex.Periods) != 2 {
		t.Errorf("explanation header %+v", ex)
	}
	if _, err := json.Marshal(ex); err != nil {
		t.Fatal(err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	c := Default()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse own output: %v\n%s", err, b)
	}
	if !reflect.DeepEqual(back.Years, c.Years) || !reflect.DeepEqual(back.EffectivePeriods(), c.EffectivePeriods()) || back.Weekend != c.Weekend {
		t.Fatalf("round trip changed the calendar:\n%s", b)
	}
	again, _ := json.Marshal(back)
	if !bytes.Equal(again, b) {
		t.Errorf("second encoding differs:\n%s\n%s", b, again)
	}
	// One year, as the API and the store carry it.
	yb, _ := json.Marshal(c.Years[2025])
	y, err := ParseYear(bytes.NewReader(yb))
	if err != nil || !reflect.DeepEqual(y, c.Years[2025]) {
		t.Fatalf("year round trip: %v\n%s", err, yb)
	}
	// Custom periods, a six-day week and a bare date for a make-up day.
	f := `{"periods":[{"start":"08:30","end":"12:00"},{"start":"14:00","end":"17:30"}],"weekend":["Sunday"],
	  "years":[{"year":2030,"holidays":[{"name":"春节","from":"2030-02-02","to":"2030-02-08"}],"workdays":["2030-01-27"]}]}`
	pc, err := Parse(strings.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	if pc.DayMinutes() != 420 || !pc.Weekend[time.Sunday] || pc.Weekend[time.Saturday] {
		t.Errorf("parsed %+v", pc)
	}
	if ok, r := pc.IsWorkday(Day{2030, 1, 27}); !ok || r != "makeup:春节" {
		t.Errorf("bare make-up date: %v %q", ok, r)
	}
}

func TestParseErrors(t *testing.T) {
	year := func(body string) string { return `{"years":[{"year":2025,` + body + `}]}` }
	tests := []struct {
		name, file, field, en string
	}{
		{"not JSON", `{"years":[`, "", "not valid calendar JSON"},
		{"unknown field", `{"years":[{"year":2025,"holiday":[]}]}`, "years[0].holiday", "no such field"},
		{"an array for the file", `[1,2]`, "", "must be an object"},
		{"bad date", year(`"holidays":[{"name":"春节","from":"2025-02-30","to":"2025-02-04"}]`), "years[0].holidays[0].from", "not a YYYY-MM-DD date"},
		{"from after to", year(`"holidays":[{"name":"春节","from":"2025-02-04","to":"2025-01-28"}]`), "years[2025].holidays[0].to", "is before start date"},
		{"unnamed holiday", year(`"holidays":[{"name":" ","from":"2025-01-28","to":"2025-02-04"}]`), "years[2025].holidays[0].name", "needs a name"},
		{"overlapping holidays", year(`"holidays":[{"name":"a","from":"2025-01-28","to":"2025-02-04"},{"name":"b","from":"2025-02-04","to":"2025-02-05"}]`),
			"years[2025].holidays[1]", "overlaps"},
		{"make-up day inside a holiday", year(`"holidays":[{"name":"国庆节","from":"2025-10-01","to":"2025-10-08"}],"workdays":["2025-10-04"]`),
			"years[2025].workdays[0].date", "also inside holiday"},
		{"make-up day on a weekday", year(`"holidays":[{"name":"国庆节","from":"2025-10-01","to":"2025-10-08"}],"workdays":["2025-09-29"]`),
			"years[2025].workdays[0].date", "already a working day (Monday)"},
		{"make-up day for an unknown holiday", year(`"holidays":[{"name":"国庆节","from":"2025-10-01","to":"2025-10-08"}],"workdays":[{"date":"2025-09-28","for":"国庆"}]`),
			"years[2025].workdays[0].for", "no holiday of this year"},
		{"make-up day twice", year(`"holidays":[],"workdays":["2025-09-28","2025-09-28"]`), "years[2025].workdays[1].date", "listed twice"},
		{"date far from the year", year(`"holidays":[{"name":"x","from":"2027-01-01","to":"2027-01-01"}]`), "years[2025].holidays[0].from", "is not near 2025"},
		{"year out of range", `{"years":[{"year":1800}]}`, "years[1800].year", "between 1900 and 2200"},
		{"year twice", `{"years":[{"year":2025},{"year":2025}]}`, "years[1].year", "appears twice"},
		{"period end before start", `{"periods":[{"start":"12:00","end":"09:00"}],"years":[]}`, "periods[0]", "must be after start"},
		{"overlapping periods", `{"periods":[{"start":"09:00","end":"12:00"},{"start":"11:30","end":"18:00"}],"years":[]}`, "periods[1]", "overlaps period 09:00–12:00"},
		{"bad time", `{"periods":[{"start":"9am","end":"12:00"}],"years":[]}`, "periods[0].start", "not a time of day"},
		{"bad weekend name", `{"weekend":["caturday"],"years":[]}`, "weekend[0]", "not a day of the week"},
		{"no working weekday", `{"weekend":["mon","tue","wed","thu","fri","sat","sun"],"years":[]}`, "weekend", "at least one day"},
		{"wrong type", `{"years":[{"year":"2025"}]}`, "years[0].year", "wrong type, expected an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.file))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v, want a ValidationError", err)
			}
			for _, p := range ve.Problems {
				if p.Field == tt.field && strings.Contains(p.EN, tt.en) && p.ZH != "" {
					return
				}
			}
			t.Errorf("problems %+v, want %s: …%s…", ve.Problems, tt.field, tt.en)
		})
	}
}

func TestValidateAcrossYears(t *testing.T) {
	c := Default()
	// A 2027 schedule whose 元旦 reaches back into 2026 is fine, unless it
	// claims a day the 2026 schedule already has.
	c.Years[2027] = Year{Year: 2027, Holidays: []Holiday{{Name: "元旦", From: Day{2026, 12, 31}, To: Day{2027, 1, 2}}}}
	if err := c.Validate(); err != nil {
		t.Fatalf("spill-over into the previous year refused: %v", err)
	}
	y26 := c.Years[2026]
	y26.Holidays = append(y26.Holidays, Holiday{Name: "元旦", From: Day{2026, 12, 31}, To: Day{2026, 12, 31}})
	c.Years[2026] = y26
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "already in the schedule of 2026") {
		t.Fatalf("double claim: %v", err)
	}
}

func TestNoWorkingTime(t *testing.T) {
	// An unvalidated calendar whose every day is a weekend has no working
	// time: no deadline in working units, natural hours still count.
	c := &Calendar{Weekend: [7]bool{true, true, true, true, true, true, true}}
	start := at(t, "2025-03-03 10:00")
	if d := c.Deadline(start, Budget{1, WorkHours}, nil); !d.IsZero() {
		t.Errorf("deadline %v without working days", d)
	}
	if d := c.Deadline(start, Budget{1, Hours}, nil); !d.Equal(start.Add(time.Hour)) {
		t.Errorf("natural deadline %v", d)
	}
	if ex := c.Explain(start, Budget{1, WorkHours}, nil); len(ex.Days) != 0 || ex.Open {
		t.Errorf("explanation %+v", ex)
	}
	if c.Validate() == nil {
		t.Error("a week without working days validates")
	}
}

func TestPeriodJSON(t *testing.T) {
	var p Period
	if err := json.Unmarshal([]byte(`{"start":"13:30","end":"24:00"}`), &p); err != nil || p != (Period{810, 1440}) {
		t.Fatalf("%+v, %v", p, err)
	}
	for _, bad := range []string{`{"start":"25:00","end":"26:00"}`, `{"start":"13:30"}`, `{"start":"13:30","end":"18:00","x":1}`} {
		if err := json.Unmarshal([]byte(bad), &p); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if err := ValidatePeriods(nil); err == nil {
		t.Error("no periods accepted")
	}
}

func TestCloneIsIndependent(t *testing.T) {
	c := Default()
	c.Deadline(at(t, "2025-10-01 10:00"), Budget{1, WorkDays}, nil) // compiled
	n := c.Clone()
	delete(n.Years, 2025)
	if ok, _ := n.IsWorkday(Day{2025, 10, 2}); !ok {
		t.Error("clone still has the 2025 holidays")
	}
	if ok, _ := c.IsWorkday(Day{2025, 10, 2}); ok {
		t.Error("original lost the 2025 holidays")
	}
}

// BenchmarkDeadline mixes typical budgets (hours to 15 working days) and
// 0–2 pauses over starts spread across 2025–2026.
func BenchmarkDeadline(b *testing.B) {
	c := Default()
	rng := rand.New(rand.NewPCG(1, 2))
	type input struct {
		start  time.Time
		budget Budget
		paused []Interval
	}
	in := make([]input, 1024)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, China)
	for i := range in {
		s := base.Add(time.Duration(rng.IntN(700*24*60)) * time.Minute)
		var bu Budget
		switch rng.IntN(3) {
		case 0:
			bu = Budget{float64(rng.IntN(16) + 1), WorkHours}
		case 1:
			bu = Budget{float64(rng.IntN(15) + 1), WorkDays}
		default:
			bu = Budget{float64(rng.IntN(72) + 1), Hours}
		}
		var ps []Interval
		for range rng.IntN(3) {
			f := s.Add(time.Duration(rng.IntN(5*24*60)) * time.Minute)
			ps = append(ps, Interval{From: f, To: f.Add(time.Duration(rng.IntN(2*24*60)+1) * time.Minute)})
		}
		in[i] = input{s, bu, ps}
	}
	c.Deadline(in[0].start, in[0].budget, nil)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		x := &in[i&1023]
		c.Deadline(x.start, x.budget, x.paused)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deadlines/s")
}

// TestConcurrentFirstUse lets several goroutines compile the same calendar
// at once (run with -race).
func TestConcurrentFirstUse(t *testing.T) {
	c := Default()
	start := at(t, "2025-09-26 17:00")
	want := at(t, "2025-09-30 17:00")
	done := make(chan time.Time)
	for range 8 {
		go func() { done <- c.Deadline(start, Budget{3, WorkDays}, nil) }()
	}
	for range 8 {
		if got := <-done; !got.Equal(want) {
			t.Errorf("deadline %v, want %v", got, want)
		}
	}
}
