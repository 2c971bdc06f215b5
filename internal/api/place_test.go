package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestCasesAtHouses: a compound place code made over the API routes
// property cases to the compound's company; a caller's homes come back as
// addresses only; a case filed at a house carries house_id and person_id,
// and its household is full for staff who read people and just the
// address for the property company.
func TestCasesAtHouses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		f := mustFixture(t, s, clock)
		f.mustCategories()
		limits := map[civic.Stage]civic.TimeLimit{
			civic.StageClaim: {Amount: 2, Unit: civic.UnitWorkHours}, civic.StageFeedback: {Amount: 1, Unit: civic.UnitWorkDays},
			civic.StageComplete: {Amount: 3, Unit: civic.UnitWorkDays}, civic.StageVisit: {Amount: 2, Unit: civic.UnitWorkDays},
		}
		if _, err := s.CreateCategory(ctx, civic.System, civic.Category{Code: "0102", ParentCode: "01", Leaf: true, Name: "电梯故障", Type: civic.RequestHelp,
			Handler: civic.HandlerRule{Target: civic.HandlerProperty}, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true}); err != nil {
			t.Fatal(err)
		}
		cp, err := s.SaveCompound(ctx, civic.System, civic.Compound{RegionCode: codeA1c, Name: "甲一小区", PropertyOrgID: f.orgA1.ID, Lng: 116.42, Lat: 39.95})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.SaveBuilding(ctx, civic.System, civic.Building{CompoundID: cp.ID, GridCode: gridA1x, Name: "1号楼", Floors: 6, Units: 1, Lng: 116.42, Lat: 39.95})
		if err != nil {
			t.Fatal(err)
		}
		h, err := s.SaveHouse(ctx, civic.System, civic.House{BuildingID: b.ID, Unit: 1, Floor: 5, Number: "501"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.SavePerson(ctx, civic.System, civic.Person{GridCode: gridA1x, Name: "周大爷", BirthDate: "1938-02-02", Gender: civic.GenderMale, Phone: "13766667777"}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.LinkHouse(ctx, civic.System, civic.HouseLink{PersonID: p.ID, HouseID: h.ID, Relation: civic.RelationOwner}); err != nil {
			t.Fatal(err)
		}

		// A compound place code.
		r := f.do("POST", "/api/v1/places", f.tokens[civic.RoleCommunityStaff], map[string]any{"compound_id": cp.ID})
		var place civic.PlaceCode
		if r.Status != http.StatusCreated {
			t.Fatalf("create place: %d %s", r.Status, r.Body)
		}
		r.decode(t, &place)
		if place.CompoundID != cp.ID || place.Name != "甲一小区" || !place.HasLocation {
			t.Fatalf("place %+v", place)
		}
		if r := f.do("GET", "/api/v1/places", f.tokens[civic.RoleCommunityStaff], nil); r.Status != 200 || !strings.Contains(string(r.Body), `"compound_name":"甲一小区"`) {
			t.Fatalf("list places: %d %s", r.Status, r.Body)
		}
		if r := f.do("POST", "/api/v1/places", f.tokens[civic.RoleGridWorker], map[string]any{"compound_id": cp.ID}); r.Status != http.StatusForbidden {
			t.Fatalf("a grid worker makes a place code: %d", r.Status)
		}
		var c civic.Case
		r = f.do("POST", "/api/v1/cases", f.tokens[civic.RoleResident], map[string]any{"title": "电梯停了", "category_code": "0102", "place_token": place.Token})
		if r.Status != http.StatusCreated {
			t.Fatalf("report through the code: %d %s", r.Status, r.Body)
		}
		r.decode(t, &c)
		if c.HandlerOrgID != f.orgA1.ID {
			t.Fatalf("routed to %d %q, want the property company", c.HandlerOrgID, c.HandlerRegionCode)
		}

		// The caller's homes, addresses only, for staff who take reports.
		r = f.do("GET", "/api/v1/cases/caller-houses?phone=13766667777", f.tokens[civic.RoleOperator], nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"address":"甲一小区1号楼1单元501"`) || strings.Contains(string(r.Body), "周") {
			t.Fatalf("caller houses: %d %s", r.Status, r.Body)
		}
		for _, role := range []civic.Role{civic.RoleHandler, civic.RoleResident, civic.RoleLeader} {
			if r := f.do("GET", "/api/v1/cases/caller-houses?phone=13766667777", f.tokens[role], nil); r.Status != http.StatusForbidden {
				t.Fatalf("%s looks up a caller: %d", role, r.Status)
			}
		}
		if r := f.do("GET", "/api/v1/cases/caller-houses?phone=12", f.tokens[civic.RoleOperator], nil); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("a partial number: %d", r.Status)
		}

		// Filed at the house by the operator, for the caller.
		r = f.do("POST", "/api/v1/cases", f.tokens[civic.RoleOperator], map[string]any{"source": "hotline", "title": "电梯困人", "category_code": "0102",
			"reporter_phone": "13766667777", "house_id": h.ID})
		if r.Status != http.StatusCreated {
			t.Fatalf("hotline at the house: %d %s", r.Status, r.Body)
		}
		r.decode(t, &c)
		if c.HouseID != h.ID || c.PersonID != p.ID || c.HandlerOrgID != f.orgA1.ID || !strings.Contains(string(r.Body), fmt.Sprintf(`"house_id":%d`, h.ID)) {
			t.Fatalf("case at the house: %s", r.Body)
		}
		path := fmt.Sprintf("/api/v1/cases/%d/household", c.ID)
		r = f.do("GET", path, f.tokens[civic.RoleCommunityStaff], nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"phone":"137****7777"`) || !strings.Contains(string(r.Body), `"full":true`) || strings.Contains(string(r.Body), "13766667777") {
			t.Fatalf("household for community staff: %d %s", r.Status, r.Body)
		}
		r = f.do("GET", path, f.tokens[civic.RoleHandler], nil)
		if r.Status != 200 || strings.Contains(string(r.Body), "周大爷") || !strings.Contains(string(r.Body), `"full":false`) {
			t.Fatalf("household for the property company: %d %s", r.Status, r.Body)
		}
		if r := f.do("GET", path, f.tokens[civic.RoleResident], nil); r.Status != http.StatusNotFound {
			t.Fatalf("another's household: %d", r.Status)
		}
	})
}
