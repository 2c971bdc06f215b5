package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/calendar"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

var calAdmin = civic.Actor{UserID: 7, Username: "caladmin", Role: civic.RoleAdmin, Scope: civic.Scope{RegionCode: "1101"}}

func mustCalendar(t *testing.T, s *store.Store) *calendar.Calendar {
	t.Helper()
	c, err := s.Calendar(context.Background())
	if err != nil {
		t.Fatalf("calendar: %v", err)
	}
	return c
}

func mustRevision(t *testing.T, s *store.Store) int64 {
	t.Helper()
	r, err := s.CalendarRevision(context.Background())
	if err != nil {
		t.Fatalf("calendar revision: %v", err)
	}
	return r
}

// A local schedule for 2027, which the State Council has not announced in
// this release: 国庆节 from Friday 10/1 to Thursday 10/7, make-up Saturday 10/9.
func year2027() calendar.Year {
	return calendar.Year{Year: 2027,
		Holidays: []calendar.Holiday{{Name: "国庆节", From: calendar.Day{Y: 2027, M: 10, D: 1}, To: calendar.Day{Y: 2027, M: 10, D: 7}}},
		Workdays: []calendar.Workday{{Date: calendar.Day{Y: 2027, M: 10, D: 9}, For: "国庆节"}}}
}

func TestCalendarDefaultsWhenNothingStored(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		c := mustCalendar(t, s)
		if !reflect.DeepEqual(c.Years, calendar.Default().Years) || c.DayMinutes() != 450 {
			t.Fatalf("fresh store calendar differs from the built-in one")
		}
		if r := mustRevision(t, s); r != 0 {
			t.Fatalf("revision %d", r)
		}
		y, err := s.GetCalendarYear(context.Background(), calAdmin, 2025)
		if err != nil || y.Source != store.CalendarBuiltin || y.WorkingDays != 248 || len(y.Year.Holidays) != 6 {
			t.Fatalf("2025: %+v, %v", y, err)
		}
		y, err = s.GetCalendarYear(context.Background(), calAdmin, 2031)
		if err != nil || y.Source != store.CalendarNone || len(y.Year.Holidays) != 0 || y.WorkingDays != 261 {
			t.Fatalf("2031: %+v, %v", y, err)
		}
	})
}

func TestCalendarPutAndDeleteYear(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		if err := s.PutCalendarYear(ctx, calAdmin, year2027()); err != nil {
			t.Fatalf("put 2027: %v", err)
		}
		c := mustCalendar(t, s)
		if ok, r := c.IsWorkday(calendar.Day{Y: 2027, M: 10, D: 4}); ok || r != "holiday:国庆节" {
			t.Errorf("2027-10-04: %v %q", ok, r)
		}
		if ok, r := c.IsWorkday(calendar.Day{Y: 2027, M: 10, D: 9}); !ok || r != "makeup:国庆节" {
			t.Errorf("2027-10-09: %v %q", ok, r)
		}
		if _, ok := c.Years[2025]; !ok {
			t.Error("built-in 2025 lost when 2027 was stored")
		}
		if r := mustRevision(t, s); r != 1 {
			t.Errorf("revision after put %d, want 1", r)
		}
		y, err := s.GetCalendarYear(ctx, calAdmin, 2027)
		if err != nil || y.Source != store.CalendarStored || y.UpdatedBy != "caladmin" || !y.UpdatedAt.Equal(clock.T) || y.Revision != 1 ||
			!reflect.DeepEqual(y.Year, year2027()) {
			t.Fatalf("stored 2027: %+v, %v", y, err)
		}

		// Override a built-in year: a city adds a local day off.
		clock.Advance(time.Hour)
		y25 := calendar.Default().Years[2025]
		y25.Holidays = append(y25.Holidays, calendar.Holiday{Name: "市庆", From: calendar.Day{Y: 2025, M: 11, D: 3}, To: calendar.Day{Y: 2025, M: 11, D: 3}})
		if err := s.PutCalendarYear(ctx, calAdmin, y25); err != nil {
			t.Fatalf("override 2025: %v", err)
		}
		if ok, r := mustCalendar(t, s).IsWorkday(calendar.Day{Y: 2025, M: 11, D: 3}); ok || r != "holiday:市庆" {
			t.Errorf("2025-11-03 after override: %v %q", ok, r)
		}
		entries, _, err := s.ListAudit(ctx, civic.System, store.AuditFilter{Entity: "calendar_year", EntityID: "2025"})
		if err != nil || len(entries) != 1 {
			t.Fatalf("audit: %v, %v", entries, err)
		}
		if e := entries[0]; e.Action != "calendar.year.put" || e.Username != "caladmin" ||
			!strings.Contains(e.Before, `"source":"builtin"`) || !strings.Contains(e.After, "市庆") || strings.Contains(e.Before, "市庆") {
			t.Errorf("audit entry %+v", e)
		}

		// Deleting reverts to the built-in schedule.
		if err := s.DeleteCalendarYear(ctx, calAdmin, 2025); err != nil {
			t.Fatalf("delete 2025: %v", err)
		}
		if ok, _ := mustCalendar(t, s).IsWorkday(calendar.Day{Y: 2025, M: 11, D: 3}); !ok {
			t.Error("2025-11-03 still a holiday after delete")
		}
		if y, _ := s.GetCalendarYear(ctx, calAdmin, 2025); y.Source != store.CalendarBuiltin {
			t.Errorf("2025 source after delete %q", y.Source)
		}
		if err := s.DeleteCalendarYear(ctx, calAdmin, 2027); err != nil {
			t.Fatalf("delete 2027: %v", err)
		}
		if y, _ := s.GetCalendarYear(ctx, calAdmin, 2027); y.Source != store.CalendarNone {
			t.Errorf("2027 source after delete %q", y.Source)
		}
		if r := mustRevision(t, s); r != 4 {
			t.Errorf("revision %d, want 4", r)
		}
		// Nothing stored any more: nothing to delete.
		if err := s.DeleteCalendarYear(ctx, calAdmin, 2025); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Errorf("delete built-in year: %v", err)
		}
	})
}

func TestCalendarValidation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		d := func(m time.Month, day int) calendar.Day { return calendar.Day{Y: 2027, M: m, D: day} }
		tests := []struct {
			name  string
			year  calendar.Year
			field string
		}{
			{"make-up day inside the holiday", calendar.Year{Year: 2027,
				Holidays: []calendar.Holiday{{Name: "国庆节", From: d(10, 1), To: d(10, 7)}},
				Workdays: []calendar.Workday{{Date: d(10, 2)}}}, "workdays[0].date"},
			{"from after to", calendar.Year{Year: 2027,
				Holidays: []calendar.Holiday{{Name: "国庆节", From: d(10, 7), To: d(10, 1)}}}, "holidays[0].to"},
			{"make-up day on a weekday", calendar.Year{Year: 2027,
				Holidays: []calendar.Holiday{{Name: "国庆节", From: d(10, 1), To: d(10, 7)}},
				Workdays: []calendar.Workday{{Date: d(10, 8)}}}, "years[2027].workdays[0].date"},
			// Valid: 元旦 2027 may reach back into 2026 (as 元旦 2019 did),
			// since the built-in 2026 does not claim those days.
			{"spill-over into 2026", calendar.Year{Year: 2027,
				Holidays: []calendar.Holiday{{Name: "元旦", From: calendar.Day{Y: 2026, M: 12, D: 31}, To: d(1, 1)}},
				Workdays: []calendar.Workday{{Date: calendar.Day{Y: 2026, M: 12, D: 26}, For: "元旦"}}}, ""},
			{"year out of range", calendar.Year{Year: 1066}, "year"},
		}
		for _, tt := range tests {
			err := s.PutCalendarYear(ctx, calAdmin, tt.year)
			e := civic.AsError(err)
			if e.Code != civic.EInvalid || len(e.Fields) == 0 {
				if tt.field == "" && err == nil {
					continue // a valid spill-over: checked below
				}
				t.Errorf("%s: %v", tt.name, err)
				continue
			}
			if tt.field != "" && !strings.HasSuffix(e.Fields[0].Field, tt.field) {
				t.Errorf("%s: field %q, want …%s (%v)", tt.name, e.Fields[0].Field, tt.field, err)
			}
			if e.Fields[0].Msg.ZH == "" || e.Fields[0].Msg.EN == "" {
				t.Errorf("%s: message not bilingual: %+v", tt.name, e.Fields[0])
			}
		}
		// The spill-over was stored; a stored 2026 claiming 2026-12-31 as
		// well would now make one day belong to two years.
		y26 := calendar.Default().Years[2026]
		y26.Holidays = append(y26.Holidays, calendar.Holiday{Name: "跨年", From: calendar.Day{Y: 2026, M: 12, D: 31}, To: calendar.Day{Y: 2026, M: 12, D: 31}})
		err := s.PutCalendarYear(ctx, calAdmin, y26)
		if e := civic.AsError(err); e.Code != civic.EInvalid || !strings.Contains(e.Error(), "2026-12-31 is already in the schedule of") {
			t.Errorf("double claim: %v", err)
		}
	})
}

func TestCalendarPermissions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		worker := civic.Actor{UserID: 8, Username: "w", Role: civic.RoleGridWorker, Scope: civic.Scope{RegionCode: "1101"}}
		// The calendar is city-wide: an admin of one street may not change it.
		streetAdmin := civic.Actor{UserID: 7, Username: "sa", Role: civic.RoleAdmin, Scope: civic.Scope{RegionCode: "110101001"}}
		resident := civic.Actor{UserID: 9, Username: "r", Role: civic.RoleResident, Scope: civic.Scope{RegionCode: "1101"}}
		if _, err := s.GetCalendarYear(ctx, worker, 2025); err != nil {
			t.Errorf("grid worker cannot read the calendar: %v", err)
		}
		if _, _, err := s.ViewCalendar(ctx, resident); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Errorf("resident reads the calendar: %v", err)
		}
		for name, err := range map[string]error{
			"put year":     s.PutCalendarYear(ctx, worker, year2027()),
			"delete year":  s.DeleteCalendarYear(ctx, worker, 2027),
			"periods":      s.PutWorkingPeriods(ctx, worker, calendar.DefaultPeriods()),
			"street admin": s.PutCalendarYear(ctx, streetAdmin, year2027()),
		} {
			if civic.ErrorCodeOf(err) != civic.EForbidden {
				t.Errorf("grid worker %s: %v", name, err)
			}
		}
		if r := mustRevision(t, s); r != 0 {
			t.Errorf("refused writes bumped the revision to %d", r)
		}
	})
}

func TestCalendarWorkingPeriods(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		summer := []calendar.Period{{Start: 15 * 60, End: 18*60 + 30}, {Start: 8*60 + 30, End: 12 * 60}} // unsorted on purpose
		if err := s.PutWorkingPeriods(ctx, calAdmin, summer); err != nil {
			t.Fatal(err)
		}
		c := mustCalendar(t, s)
		if c.DayMinutes() != 420 || c.EffectivePeriods()[0].Start != 8*60+30 {
			t.Fatalf("periods %v", c.EffectivePeriods())
		}
		// 2 working days from Monday 10:00 is still Wednesday 10:00.
		start := time.Date(2025, 3, 3, 10, 0, 0, 0, calendar.China)
		if got := c.Deadline(start, calendar.Budget{Amount: 2, Unit: calendar.WorkDays}, nil); !got.Equal(start.AddDate(0, 0, 2)) {
			t.Errorf("deadline %v", got)
		}
		entries, _, err := s.ListAudit(ctx, civic.System, store.AuditFilter{Entity: "calendar_periods"})
		if err != nil || len(entries) != 1 || !strings.Contains(entries[0].Before, `"13:30"`) || !strings.Contains(entries[0].After, `"08:30"`) {
			t.Fatalf("audit %+v, %v", entries, err)
		}
		for name, ps := range map[string][]calendar.Period{
			"none":        nil,
			"overlapping": {{Start: 540, End: 720}, {Start: 700, End: 1080}},
			"end first":   {{Start: 720, End: 540}},
		} {
			if err := s.PutWorkingPeriods(ctx, calAdmin, ps); civic.ErrorCodeOf(err) != civic.EInvalid {
				t.Errorf("%s: %v", name, err)
			}
		}
		if r := mustRevision(t, s); r != 1 {
			t.Errorf("revision %d, want 1", r)
		}
	})
}

// TestCalendarStoredForm keeps the data column in the documented year format,
// so that an admin's export and the database agree.
func TestCalendarStoredForm(t *testing.T) {
	b, err := json.Marshal(year2027())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"year":2027,"holidays":[{"name":"国庆节","from":"2027-10-01","to":"2027-10-07"}],"workdays":[{"date":"2027-10-09","for":"国庆节"}]}`
	if string(b) != want {
		t.Errorf("year JSON\n got %s\nwant %s", b, want)
	}
}
