package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestCareAPI drives party contact, the care to-do list and rental reports
// through the API, inside and outside the caller's scope.
func TestCareAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		f := mustFixture(t, s, clock)
		outsider := f.mustUserToken("outsider", civic.RoleCommunityStaff, civic.Scope{RegionCode: codeB1c})
		b, err := s.SaveBuilding(ctx, civic.System, civic.Building{GridCode: gridA1x, Name: "1号楼", Floors: 6, Units: 2})
		if err != nil {
			t.Fatal(err)
		}
		h, err := s.SaveHouse(ctx, civic.System, civic.House{BuildingID: b.ID, Unit: 1, Floor: 1, Number: "101"})
		if err != nil {
			t.Fatal(err)
		}
		elder, err := s.SavePerson(ctx, civic.System, civic.Person{GridCode: gridA1x, Name: "孙奶奶", BirthDate: "1940-02-02", Tags: []civic.Tag{civic.TagAlone}}, "")
		if err != nil {
			t.Fatal(err)
		}
		member, err := s.SavePerson(ctx, civic.System, civic.Person{GridCode: gridA1x, Name: "党员甲", BirthDate: "1970-02-02", Tags: []civic.Tag{civic.TagParty}}, "")
		if err != nil {
			t.Fatal(err)
		}
		staff, grid := f.tokens[civic.RoleCommunityStaff], f.tokens[civic.RoleGridWorker]
		assign := map[string]any{"member_id": member.ID, "house_id": h.ID}
		mustStatus := func(r response, want int) response {
			t.Helper()
			if r.Status != want {
				t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
			}
			return r
		}
		mustStatus(f.do("POST", "/api/v1/party/households", grid, assign), http.StatusForbidden)
		mustStatus(f.do("POST", "/api/v1/party/households", outsider, assign), http.StatusUnprocessableEntity)
		var ph civic.PartyHousehold
		mustStatus(f.do("POST", "/api/v1/party/households", staff, assign), http.StatusCreated).decode(t, &ph)
		mustStatus(f.do("POST", "/api/v1/party/households", staff, assign), http.StatusConflict)
		mustStatus(f.do("POST", "/api/v1/party/contacts", grid, map[string]any{"member_id": member.ID, "house_id": h.ID, "way": "phone", "notes": "电话问候"}), http.StatusCreated)
		var quiet list[civic.PartyHousehold]
		mustStatus(f.do("GET", "/api/v1/party/households?quiet_days=30", grid, nil), http.StatusOK).decode(t, &quiet)
		if quiet.Total != 0 {
			t.Fatalf("quiet %+v", quiet)
		}
		mustStatus(f.do("GET", "/api/v1/party/households?under="+codeA1c, outsider, nil), http.StatusNotFound)

		// The elder lives next door, not in the contacted household, so the
		// job files her a task.
		h2, err := s.SaveHouse(ctx, civic.System, civic.House{BuildingID: b.ID, Unit: 1, Floor: 1, Number: "102"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.LinkHouse(ctx, civic.System, civic.HouseLink{PersonID: elder.ID, HouseID: h2.ID, Relation: civic.RelationOwner}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(24 * 3600e9)
		if _, err := s.EvaluateCareRules(ctx, 100); err != nil {
			t.Fatal(err)
		}
		var tasks list[civic.CareTask]
		mustStatus(f.do("GET", "/api/v1/care/tasks", grid, nil), http.StatusOK).decode(t, &tasks)
		if tasks.Total != 1 || tasks.Items[0].PersonID != elder.ID {
			t.Fatalf("to-do %+v", tasks)
		}
		var none list[civic.CareTask]
		mustStatus(f.do("GET", "/api/v1/care/tasks", outsider, nil), http.StatusOK).decode(t, &none)
		if none.Total != 0 {
			t.Fatalf("an outsider's to-do %+v", none)
		}
		path := "/api/v1/care/tasks/" + strconv.FormatInt(tasks.Items[0].ID, 10) + "/close"
		mustStatus(f.do("POST", path, outsider, map[string]string{"note": "x"}), http.StatusNotFound)
		mustStatus(f.do("POST", path, grid, map[string]string{"note": ""}), http.StatusUnprocessableEntity)
		var closed civic.CareTask
		mustStatus(f.do("POST", path, grid, map[string]string{"note": "住院中"}), http.StatusOK).decode(t, &closed)
		if closed.State != civic.CareDismissed {
			t.Fatalf("closed %+v", closed)
		}
		var rules list[civic.CareRule]
		mustStatus(f.do("GET", "/api/v1/care/rules", grid, nil), http.StatusOK).decode(t, &rules)
		if rules.Total != 4 {
			t.Fatalf("rules %+v", rules)
		}
		rule := map[string]any{"region_code": codeA1c, "name": "高龄每周", "target": "person", "tags": []string{"age80"}, "period": "days", "days": 7, "active": true}
		mustStatus(f.do("POST", "/api/v1/care/rules", grid, rule), http.StatusForbidden)
		mustStatus(f.do("POST", "/api/v1/care/rules", staff, rule), http.StatusCreated)

		// Rentals: report, daily list as JSON, CSV and Excel, masked.
		id := "41010219950301123"
		id += string(civic.IDCheckChar(id))
		rent := map[string]any{"house_id": h.ID, "tenant_name": "郑租客", "id_number": id, "phone": "13912345678", "from": "2026-03-11", "to": "2026-03-13"}
		mustStatus(f.do("POST", "/api/v1/rentals", outsider, rent), http.StatusUnprocessableEntity)
		var r civic.Rental
		mustStatus(f.do("POST", "/api/v1/rentals", staff, rent), http.StatusCreated).decode(t, &r)
		if r.IDNumber == id || !strings.Contains(r.IDNumber, "*") {
			t.Fatalf("report %+v", r)
		}
		var day store.RentalDay
		mustStatus(f.do("GET", "/api/v1/rentals/daily?date=2026-03-11&under="+codeA1c, grid, nil), http.StatusOK).decode(t, &day)
		if len(day.Arrivals) != 1 || len(day.Departures) != 0 {
			t.Fatalf("day %+v", day)
		}
		csv := mustStatus(f.do("GET", "/api/v1/rentals/daily?date=2026-03-11&format=csv", grid, nil), http.StatusOK)
		if body := string(csv.Body); !strings.HasPrefix(body, "\xef\xbb\xbf") || !strings.Contains(body, "郑租客") || strings.Contains(body, id) || !strings.Contains(body, r.IDNumber) {
			t.Fatalf("csv %q", body)
		}
		xlsx := mustStatus(f.do("GET", "/api/v1/rentals/daily?date=2026-03-13&format=xlsx", grid, nil), http.StatusOK)
		if xlsx.Header.Get("Content-Type") != sheet.ContentType {
			t.Fatalf("xlsx content type %q", xlsx.Header.Get("Content-Type"))
		}
		rows, err := sheet.Read(strings.NewReader(string(xlsx.Body)))
		if err != nil || len(rows) != 2 || rows[1][1] != "郑租客" || rows[1][3] != r.IDNumber {
			t.Fatalf("xlsx rows %v %v", rows, err)
		}
		var empty store.RentalDay
		mustStatus(f.do("GET", "/api/v1/rentals/daily?date=2026-03-11", outsider, nil), http.StatusOK).decode(t, &empty)
		if len(empty.Arrivals) != 0 {
			t.Fatalf("an outsider's day %+v", empty)
		}
	})
}
