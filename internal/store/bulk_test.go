package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestBulk: inside a Bulk run reads see what was written before it is
// committed, a failed write leaves nothing behind while the others stay,
// and everything is there afterwards.
func TestBulk(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		boom := errors.New("boom")
		var ids []int64
		err := s.Bulk(ctx, func() error {
			for i := range 600 { // more than one shared commit
				c, _, err := s.SubmitCase(ctx, w.grid, w.loc, store.NewCase{Source: civic.SourcePatrol, CategoryCode: "0102", Title: fmt.Sprintf("楼道堆物%d", i), HasLocation: true, Lng: 116.1, Lat: 39.2})
				if err != nil {
					return err
				}
				ids = append(ids, c.ID)
			}
			// A write that fails after changing a row leaves it as it was.
			if err := s.ExecThenFailForTest(ctx, boom, `UPDATE cases SET title = 'x' WHERE id = ?`, ids[0]); !errors.Is(err, boom) {
				return fmt.Errorf("failed write: %v", err)
			}
			if c, err := s.GetCase(ctx, w.grid, ids[0]); err != nil || c.Title != "楼道堆物0" {
				return fmt.Errorf("after a failed write: %+v %v", c, err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("bulk returned %v", err)
		}
		if _, n, err := s.ListCases(ctx, w.street, store.CaseFilter{}); err != nil || n != 600 {
			t.Fatalf("after the run: %d cases, %v", n, err)
		}
		// A run writes its roll-up counts at its commits: they must equal
		// a rebuild from the events, the failed write's counts left out.
		inc, err := s.Rollups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RebuildRollups(ctx); err != nil {
			t.Fatal(err)
		}
		reb, err := s.Rollups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(inc) == 0 || len(reb) != len(inc) {
			t.Fatalf("roll-ups: %d rows incremental, %d rebuilt", len(inc), len(reb))
		}
		for i := range inc {
			if reb[i] != inc[i] {
				t.Errorf("row %d: rebuild %+v, bulk run %+v", i, reb[i], inc[i])
			}
		}
	})
}

// TestBulkShares: a Bulk run hashes a password shared by many new accounts
// once, and keeps category rules between case actions; both must behave as
// outside a run: every account signs in, and a category changed during the
// run is read again (its open cases' deadlines move, and later reads see
// the new limit).
func TestBulkShares(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		clock.T = time.Date(2026, 3, 11, 1, 0, 0, 0, time.UTC) // Wed 09:00 in China
		at := func(h, m int) time.Time { return time.Date(2026, 3, 11, h-8, m, 0, 0, time.UTC) }
		admin := civic.Actor{UserID: 1, Username: "admin", Role: civic.RoleAdmin, Scope: civic.Scope{RegionCode: "1101"}}
		var id int64
		err := s.Bulk(ctx, func() error {
			for _, u := range []string{"bulk_a", "bulk_b", "bulk_c"} {
				if _, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: u, DisplayName: u, Password: "Shared2026!", Role: civic.RoleResident, Scope: civic.Scope{RegionCode: "1101"}}); err != nil {
					return err
				}
			}
			if _, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "bulk_d", DisplayName: "bulk_d", Password: "Other2026!", Role: civic.RoleResident, Scope: civic.Scope{RegionCode: "1101"}}); err != nil {
				return err
			}
			c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0101", Title: "占道", HasLocation: true, Lng: 116.1, Lat: 39.2})
			if err != nil {
				return err
			}
			id = c.ID
			if ex, err := s.ExplainDeadline(ctx, civic.System, id, civic.StageClaim); err != nil || ex.Budget.Amount != 2 {
				return fmt.Errorf("before: %+v %v", ex.Budget, err)
			}
			cat, err := s.GetCategory(ctx, civic.System, "0101")
			if err != nil {
				return err
			}
			cat.Limits[civic.StageClaim] = civic.TimeLimit{Amount: 4, Unit: civic.UnitWorkHours}
			if _, err := s.UpdateCategory(ctx, admin, cat); err != nil {
				return err
			}
			if ex, err := s.ExplainDeadline(ctx, civic.System, id, civic.StageClaim); err != nil || ex.Budget.Amount != 4 {
				return fmt.Errorf("after the change: %+v %v", ex.Budget, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for u, pw := range map[string]string{"bulk_a": "Shared2026!", "bulk_b": "Shared2026!", "bulk_c": "Shared2026!", "bulk_d": "Other2026!"} {
			if _, err := s.Authenticate(ctx, u, pw, "127.0.0.1"); err != nil {
				t.Errorf("%s: %v", u, err)
			}
		}
		if _, err := s.Authenticate(ctx, "bulk_d", "Shared2026!", "127.0.0.1"); err == nil {
			t.Error("bulk_d signed in with the others' password")
		}
		// Four working hours from 09:00 skip the 12:00–13:30 lunch.
		if got, _ := s.GetCase(ctx, civic.System, id); got.ClaimDue == nil || !got.ClaimDue.Equal(at(14, 30)) {
			t.Fatalf("claim due %v, want %v", got.ClaimDue, at(14, 30))
		}
	})
}
