package jobs_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/jobs"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestCarePass runs the care job as the clock moves: care tasks are filed,
// a rental stay ends after its departure day, age tags follow a birthday,
// and a second server in the same period runs nothing.
func TestCarePass(t *testing.T) {
	testdb.EachPair(t, func(t *testing.T, s, other *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		mustOneGridCity(t, s)
		const grid = "110101001001001"
		b, err := s.SaveBuilding(ctx, civic.System, civic.Building{GridCode: grid, Name: "1号楼", Floors: 6, Units: 2})
		if err != nil {
			t.Fatal(err)
		}
		h, err := s.SaveHouse(ctx, civic.System, civic.House{BuildingID: b.ID, Unit: 1, Floor: 1, Number: "101"})
		if err != nil {
			t.Fatal(err)
		}
		// Turns 80 on 12 March; lives alone.
		elder, err := s.SavePerson(ctx, civic.System, civic.Person{GridCode: grid, Name: "钱老", BirthDate: "1946-03-12", Gender: civic.GenderMale, Tags: []civic.Tag{civic.TagAlone}}, "")
		if err != nil {
			t.Fatal(err)
		}
		id := "41010219950301123"
		rental, err := s.ReportRental(ctx, civic.System, civic.Rental{HouseID: h.ID, TenantName: "郑租客", IDNumber: id + string(civic.IDCheckChar(id)), From: "2026-03-10", To: "2026-03-11"})
		if err != nil {
			t.Fatal(err)
		}
		if ran := (jobs.Care{Store: s}).Pass(ctx); len(ran) != 3 {
			t.Fatalf("first pass ran %v", ran)
		}
		if ran := (jobs.Care{Store: other}).Pass(ctx); len(ran) != 0 {
			t.Fatalf("a second server ran %v in the same period", ran)
		}
		tasks, n, err := s.CareTasks(ctx, civic.System, store.CareTaskFilter{})
		if err != nil || n != 1 || tasks[0].PersonID != elder.ID {
			t.Fatalf("tasks %+v %v", tasks, err)
		}
		clock.Advance(49 * time.Hour) // 12 March, 11:00
		if ran := (jobs.Care{Store: other}).Pass(ctx); len(ran) != 3 {
			t.Fatalf("two days on, ran %v", ran)
		}
		got, err := s.GetPerson(ctx, civic.System, elder.ID)
		if err != nil || !slices.Contains(got.Tags, civic.TagAge80) {
			t.Fatalf("tags on the 80th birthday %v %v", got.Tags, err)
		}
		if rs, _, _ := s.ListRentals(ctx, civic.System, store.RentalFilter{}); len(rs) != 1 || rs[0].ID != rental.ID || rs[0].Ended != "2026-03-11" {
			t.Fatalf("rental after departure %+v", rs)
		}
		if tasks, n, _ := s.CareTasks(ctx, civic.System, store.CareTaskFilter{}); n != 1 || tasks[0].PersonID != elder.ID {
			t.Fatalf("tasks after two days %+v", tasks)
		}
	})
}
