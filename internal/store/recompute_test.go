package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/calendar"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestDeadlinesFollowCalendarAndLimits declares the day a case was
// dispatched a holiday, then doubles its category's claim limit: the open
// deadline moves each time, computed from the unchanged dispatch time.
func TestDeadlinesFollowCalendarAndLimits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		clock.T = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC) // Tue 10:00 in China
		c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0101", Title: "占道", HasLocation: true, Lng: 116.1, Lat: 39.2})
		if err != nil {
			t.Fatal(err)
		}
		at := func(h, m int) time.Time { return time.Date(2026, 3, 11, h-8, m, 0, 0, time.UTC) } // Wed, China time
		y, _ := calendar.DefaultYear(2026)
		d, _ := calendar.ParseDay("2026-03-10")
		y.Holidays = append(y.Holidays, calendar.Holiday{Name: "临时停工", From: d, To: d})
		admin := civic.Actor{UserID: 1, Username: "admin", Role: civic.RoleAdmin, Scope: civic.Scope{RegionCode: "1101"}}
		if err := s.PutCalendarYear(ctx, admin, y); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetCase(ctx, civic.System, c.ID)
		// Counting starts Wednesday 09:00: two working hours end at 11:00.
		if got.ClaimDue == nil || !got.ClaimDue.Equal(at(11, 0)) {
			t.Fatalf("after the holiday: claim due %v, want %v", got.ClaimDue, at(11, 0))
		}
		cat, err := s.GetCategory(ctx, civic.System, "0101")
		if err != nil {
			t.Fatal(err)
		}
		cat.Limits[civic.StageClaim] = civic.TimeLimit{Amount: 4, Unit: civic.UnitWorkHours}
		if _, err := s.UpdateCategory(ctx, admin, cat); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetCase(ctx, civic.System, c.ID)
		// Four working hours from Wednesday 09:00 skip the 12:00–13:30 lunch.
		if got.ClaimDue == nil || !got.ClaimDue.Equal(at(14, 30)) {
			t.Fatalf("after the longer limit: claim due %v, want %v", got.ClaimDue, at(14, 30))
		}
	})
}
