package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestPersonCases finds a person's cases by the three ties (filed for
// them, from their current house, from their phone) within case scope.
func TestPersonCases(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		p, err := s.SavePerson(ctx, w.community, civic.Person{GridCode: grid1, Name: "周大爷", BirthDate: "1950-01-01", Gender: civic.GenderMale, Phone: "13800001111"}, "")
		if err != nil {
			t.Fatal(err)
		}
		link, err := s.LinkHouse(ctx, w.community, civic.HouseLink{PersonID: p.ID, HouseID: w.houses[0].ID, Relation: civic.RelationOwner})
		if err != nil {
			t.Fatal(err)
		}
		submit := func(title, phone string, lng float64) int64 {
			t.Helper()
			c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: title,
				HasLocation: true, Lng: lng, Lat: 39.2, ReporterPhone: phone})
			if err != nil {
				t.Fatalf("submit %s: %v", title, err)
			}
			return c.ID
		}
		byPhone := submit("楼道堆物一", "13800001111", 116.1)
		fromHouse := submit("楼道堆物二", "13900009999", 116.1)
		forPerson := submit("楼道堆物三", "", 116.1)
		elsewhere := submit("楼道堆物四", "", 116.4) // in grid2, filed for the person
		unrelated := submit("楼道堆物五", "13900008888", 116.1)
		dashed := submit("楼道堆物六", "138-0000-1111", 116.1) // the same number written with dashes
		// An anonymous report from the person's phone stays off their
		// list: it would name them as its reporter.
		if _, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: "楼道堆物七",
			HasLocation: true, Lng: 116.1, Lat: 39.2, ReporterPhone: "13800001111", Anonymous: true}); err != nil {
			t.Fatal(err)
		}
		for _, set := range [][3]int64{{fromHouse, w.houses[0].ID, 0}, {forPerson, 0, p.ID}, {elsewhere, 0, p.ID}} {
			if err := s.SetCasePlaceForTest(ctx, set[0], set[1], set[2]); err != nil {
				t.Fatal(err)
			}
		}
		ids := func(a civic.Actor) string {
			t.Helper()
			cs, err := s.PersonCases(ctx, a, p.ID)
			if err != nil {
				t.Fatalf("%s: %v", a.Username, err)
			}
			var out []int64
			for _, c := range cs {
				out = append(out, c.ID)
			}
			return fmt.Sprint(out)
		}
		want := func(ids ...int64) string {
			slices.SortFunc(ids, func(a, b int64) int { return int(b - a) })
			return fmt.Sprint(ids)
		}
		if got := ids(w.street); got != want(byPhone, fromHouse, forPerson, elsewhere, dashed) {
			t.Fatalf("street sees %s", got)
		}
		// The grid worker sees the person but not the case filed in grid2.
		if got := ids(w.grid); got != want(byPhone, fromHouse, forPerson, dashed) {
			t.Fatalf("grid worker sees %s", got)
		}
		_ = unrelated
		if _, err := s.PersonCases(ctx, w.outsider, p.ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("outsider: %v", err)
		}
		if _, err := s.PersonCases(ctx, w.handler, p.ID); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("handler: %v", err)
		}
		// Cases from a house count while the person lives there.
		if err := s.EndLink(ctx, w.community, 0, link.ID, ""); err != nil {
			t.Fatal(err)
		}
		if got := ids(w.street); got != want(byPhone, forPerson, elsewhere, dashed) {
			t.Fatalf("after moving out: %s", got)
		}
	})
}

// TestGridTableCompleteness checks the grid table's linkage figures
// against a hand count of the people world.
func TestGridTableCompleteness(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		mk := func(name string, house int) {
			t.Helper()
			p, err := s.SavePerson(ctx, w.community, civic.Person{GridCode: grid1, Name: name, BirthDate: "1980-01-01", Gender: civic.GenderFemale}, "")
			if err != nil {
				t.Fatal(err)
			}
			if house >= 0 {
				if _, err := s.LinkHouse(ctx, w.community, civic.HouseLink{PersonID: p.ID, HouseID: w.houses[house].ID, Relation: civic.RelationFamily}); err != nil {
					t.Fatal(err)
				}
			}
		}
		// By hand: grid1 has 1-101 (two residents), 1-201 (none), 2-101
		// (vacant), 2-301 (one tenant) → 3 of 4 houses; people 3 of 4
		// linked. grid2 has one house, no one.
		mk("甲", 0)
		mk("乙", 0)
		mk("丙", 3)
		mk("丁", -1)
		want := map[string][4]int{grid1: {4, 3, 4, 3}, grid2: {1, 0, 0, 0}}
		for _, a := range []civic.Actor{w.street, w.grid} {
			rows, _, err := s.ListGrids(ctx, a, store.GridFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range rows {
				if got := [4]int{g.Houses, g.HousesComplete, g.People, g.PeopleLinked}; got != want[g.Code] {
					t.Errorf("%s: grid %s %v, want %v", a.Username, g.Code, got, want[g.Code])
				}
			}
			if a.Username == "gridworker" && (len(rows) != 1 || rows[0].Code != grid1) {
				t.Errorf("grid worker's table %+v", rows)
			}
		}
		if r := (store.GridRow{Houses: 4, HousesComplete: 3}).Linkage(); r.HouseRate() != 0.75 {
			t.Errorf("house rate %v", r.HouseRate())
		}
		// The same figures by community and street, and none for roles
		// that do not read people.
		for _, lvl := range []civic.Level{civic.LevelCommunity, civic.LevelStreet} {
			cs, err := s.Completeness(ctx, w.street, "", lvl)
			if err != nil || len(cs) != 1 || cs[0].Houses != 5 || cs[0].HousesComplete != 3 || cs[0].People != 4 || cs[0].PeopleLinked != 3 {
				t.Errorf("level %d: %+v %v", lvl, cs, err)
			}
		}
		rows, _, err := s.ListGrids(ctx, w.handler, store.GridFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range rows {
			if g.Houses != 0 || g.People != 0 {
				t.Errorf("a handler sees linkage figures %+v", g)
			}
		}
	})
}
