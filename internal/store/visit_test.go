package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestVisitsDue records visits with a next date and lists what is due:
// due once the date comes, answered by the next visit to the same person
// or house, and only within scope.
func TestVisitsDue(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		p, err := s.SavePerson(ctx, w.community, civic.Person{GridCode: grid1, Name: "赵大爷", BirthDate: "1940-02-02", Gender: civic.GenderMale}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.LinkHouse(ctx, w.community, civic.HouseLink{PersonID: p.ID, HouseID: w.houses[1].ID, Relation: civic.RelationOwner}); err != nil {
			t.Fatal(err)
		}
		// Today is 2026-03-10 on the test clock.
		toPerson, err := s.RecordVisit(ctx, w.grid, civic.Visit{PersonID: p.ID, Notes: "腿脚不便", Needs: "助餐", NextVisit: "2026-03-12"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordVisit(ctx, w.grid, civic.Visit{HouseID: w.houses[3].ID, Notes: "出租屋，租户不在", NextVisit: "2026-03-20"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordVisit(ctx, w.grid, civic.Visit{HouseID: w.houses[0].ID, Notes: "一切正常"}); err != nil {
			t.Fatal(err)
		}
		due := func(a civic.Actor, by string) []civic.Visit {
			t.Helper()
			vs, n, err := s.ListVisits(ctx, a, store.VisitFilter{DueBy: by})
			if err != nil || n != len(vs) {
				t.Fatalf("due by %s: %d/%d %v", by, len(vs), n, err)
			}
			return vs
		}
		if vs := due(w.grid, "2026-03-10"); len(vs) != 0 {
			t.Fatalf("due today: %+v", vs)
		}
		vs := due(w.grid, "2026-03-31")
		if len(vs) != 2 || vs[0].ID != toPerson.ID || vs[0].PersonName != "赵大爷" || vs[0].HouseAddress != "幸福里小区3号楼1单元201" || vs[1].HouseAddress != "幸福里小区3号楼2单元301" {
			t.Fatalf("due this month: %+v", vs)
		}
		if vs := due(w.outsider, "2026-03-31"); len(vs) != 0 {
			t.Fatalf("the other grid's worker sees %d due", len(vs))
		}
		// The next visit answers the first.
		clock.Advance(48 * time.Hour)
		if _, err := s.RecordVisit(ctx, w.grid, civic.Visit{PersonID: p.ID, Notes: "已送餐上门"}); err != nil {
			t.Fatal(err)
		}
		if vs := due(w.community, "2026-03-31"); len(vs) != 1 || vs[0].HouseID != w.houses[3].ID {
			t.Fatalf("after the next visit: %+v", vs)
		}
		// My visits, by day.
		mine, n, err := s.ListVisits(ctx, w.grid, store.VisitFilter{VisitorID: w.grid.UserID, From: clock.T.Add(-time.Hour)})
		if err != nil || n != 1 || mine[0].Notes != "已送餐上门" {
			t.Fatalf("today's visits %+v %v", mine, err)
		}
	})
}
