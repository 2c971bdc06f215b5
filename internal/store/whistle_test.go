package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestWhistle: a street summons two departments to a case; the assisting
// one, which had never seen the case, sees it, checks in late, and cannot
// check in twice; response times are recorded per department.
func TestWhistle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		clock.T = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC) // Tue 10:00 China
		housing, hz := mustHousing(t, s)
		c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0101", Title: "违建占道", HasLocation: true, Lng: 116.1, Lat: 39.2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetCase(ctx, hz, c.ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("an unsummoned department sees the case: %v", err)
		}
		w.refuse(t, w.grid, c.ID, store.CaseInput{Action: civic.ActWhistle, WhistleOrgIDs: []int64{housing.ID}}, civic.EForbidden)
		w.refuse(t, w.street, c.ID, store.CaseInput{Action: civic.ActWhistle, WhistleOrgIDs: []int64{housing.ID}, LeadOrgID: w.dept.ID}, civic.EInvalid)
		// A department of another district neither serves the place nor
		// lies in the street's territory: summoning it would show it the
		// case, so it is refused like a dispatch there, and nothing is
		// written.
		mustImport(t, s, collection(feature("110102", "乙区", rect(116.5, 39.0, 117.0, 40.0))))
		far, err := s.CreateOrganisation(ctx, civic.System, civic.Organisation{Name: "乙区城市管理委员会", Kind: civic.OrgDepartment, RegionCode: "110102"})
		if err != nil {
			t.Fatal(err)
		}
		w.refuse(t, w.street, c.ID, store.CaseInput{Action: civic.ActWhistle, WhistleOrgIDs: []int64{w.dept.ID, far.ID}, LeadOrgID: w.dept.ID}, civic.EInvalid)
		if ws, err := s.CaseWhistles(ctx, w.street, c.ID); err != nil || len(ws) != 0 {
			t.Fatalf("a refused whistle wrote: %+v %v", ws, err)
		}
		w.act(t, w.street, c.ID, store.CaseInput{Action: civic.ActWhistle, WhistleOrgIDs: []int64{w.dept.ID, housing.ID}, LeadOrgID: w.dept.ID, Note: "联合执法"})
		if _, err := s.GetCase(ctx, hz, c.ID); err != nil {
			t.Fatalf("the summoned department cannot see the case: %v", err)
		}
		if list, _, _ := s.ListCases(ctx, hz, store.CaseFilter{}); len(list) != 1 {
			t.Fatalf("summoned department's list: %d cases", len(list))
		}
		clock.Advance(30 * time.Minute)
		w.act(t, w.handler, c.ID, store.CaseInput{Action: civic.ActCheckIn})
		w.refuse(t, w.handler, c.ID, store.CaseInput{Action: civic.ActCheckIn}, civic.EConflict)
		w.refuse(t, w.otherHandler, c.ID, store.CaseInput{Action: civic.ActCheckIn}, civic.ENotFound)
		clock.Advance(3 * time.Hour) // past the two working hours
		w.act(t, hz, c.ID, store.CaseInput{Action: civic.ActCheckIn, Note: "已到场"})
		ws, err := s.CaseWhistles(ctx, w.street, c.ID)
		if err != nil || len(ws) != 2 {
			t.Fatalf("whistles: %+v %v", ws, err)
		}
		if !ws[0].Lead || ws[0].OrgID != w.dept.ID || ws[0].ResponseMinutes != 30 || ws[0].Late {
			t.Fatalf("lead: %+v", ws[0])
		}
		if ws[1].ResponseMinutes != 210 || !ws[1].Late {
			t.Fatalf("assist: %+v", ws[1])
		}
	})
}

// TestWhistleStats counts each department's summons, check-ins on time and
// late, and the mean response time, for its assessment.
func TestWhistleStats(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		clock.T = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC) // Tue 10:00 China
		from := clock.T.Add(-time.Hour)
		var ids []int64
		for i := 0; i < 3; i++ {
			c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0101", Title: "占道", HasLocation: true, Lng: 116.1, Lat: 39.2})
			if err != nil {
				t.Fatal(err)
			}
			w.act(t, w.street, c.ID, store.CaseInput{Action: civic.ActWhistle, WhistleOrgIDs: []int64{w.dept.ID}})
			ids = append(ids, c.ID)
		}
		// Checked in after 20 minutes, after 40 minutes, and never.
		clock.Advance(20 * time.Minute)
		w.act(t, w.handler, ids[0], store.CaseInput{Action: civic.ActCheckIn})
		clock.Advance(20 * time.Minute)
		w.act(t, w.handler, ids[1], store.CaseInput{Action: civic.ActCheckIn})
		clock.Advance(5 * time.Hour) // past every two-working-hour deadline
		st, err := s.WhistleStats(ctx, w.street, store.MetricsFilter{From: from, To: clock.T})
		if err != nil || len(st) != 1 {
			t.Fatalf("stats: %+v %v", st, err)
		}
		got := st[0]
		if got.OrgID != w.dept.ID || got.Summoned != 3 || got.Lead != 3 || got.CheckedIn != 2 || got.OnTime != 2 || got.Missed != 1 || got.AvgResponseMinutes != 30 {
			t.Fatalf("stats: %+v", got)
		}
		if _, err := s.WhistleStats(ctx, w.grid, store.MetricsFilter{From: from, To: clock.T}); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a grid worker reads assessments: %v", err)
		}
	})
}

// mustHousing makes a second district department, one the case world's
// categories never route to, and its handler: it sees a case only when
// summoned to it.
func mustHousing(t *testing.T, s *store.Store) (civic.Organisation, civic.Actor) {
	t.Helper()
	ctx := context.Background()
	housing, err := s.CreateOrganisation(ctx, civic.System, civic.Organisation{Name: "住房和城市建设委员会", Kind: civic.OrgDepartment, RegionCode: "110101"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "housing", DisplayName: "住建", Password: "password-housing", Role: civic.RoleHandler, Scope: civic.Scope{RegionCode: "110101", OrgID: housing.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return housing, store.ActorOf(u, "")
}
