package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// residentID makes a valid GB 11643 number from its first 17 digits.
func residentID(first17 string) string { return first17 + string(civic.IDCheckChar(first17)) }

// TestRentalReports files short-term rental reports as staff and as a
// landlord, lists a day's arrivals and departures, and ends the stays on
// their departure day.
func TestRentalReports(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		// Clock: 2026-03-10 (China).
		tenantID := residentID("41010219950301123")
		r, err := s.ReportRental(ctx, w.community, civic.Rental{HouseID: w.houses[3].ID, TenantName: "郑租客", IDNumber: tenantID, Phone: "13912345678", From: "2026-03-10", To: "2026-03-15"})
		if err != nil {
			t.Fatal(err)
		}
		if r.IDNumber != civic.MaskID(tenantID) || r.Phone != "139****5678" || r.ByLandlord || r.LinkID == 0 {
			t.Fatalf("report %+v", r)
		}
		if strings.Contains(auditText(t, s, "rental.create")+auditText(t, s, "person.create"), tenantID[6:14]) {
			t.Fatal("the audit log holds the tenant's ID number")
		}
		tenant, err := s.GetPerson(ctx, w.grid, r.TenantID)
		if err != nil || tenant.ResidenceType != civic.ResidenceFloating || tenant.Houses != 1 || strings.Join(tagStrings(tenant.Tags), ",") != "floating" {
			t.Fatalf("tenant %+v %v", tenant, err)
		}
		hh, _ := s.Household(ctx, w.grid, w.houses[3].ID)
		if len(hh) != 1 || hh[0].Relation != civic.RelationTenant || hh[0].MoveIn != "2026-03-10" || !hh[0].Current() {
			t.Fatalf("household %+v", hh)
		}
		for _, c := range []struct {
			name string
			a    civic.Actor
			in   civic.Rental
			want civic.ErrorCode
		}{
			{"an outsider's report", w.outsider, civic.Rental{HouseID: w.houses[0].ID, TenantName: "王五", IDNumber: residentID("11010119900101001"), From: "2026-03-10", To: "2026-03-11"}, civic.EInvalid},
			{"a leader", mustActor(t, s, "leader", civic.RoleLeader, "1101"), civic.Rental{HouseID: w.houses[0].ID, TenantName: "王五", IDNumber: residentID("11010119900101001"), From: "2026-03-10", To: "2026-03-11"}, civic.EForbidden},
			{"a wrong check digit", w.community, civic.Rental{HouseID: w.houses[0].ID, TenantName: "王五", IDNumber: "110101199001010010", From: "2026-03-10", To: "2026-03-11"}, civic.EInvalid},
			{"departure before arrival", w.community, civic.Rental{HouseID: w.houses[0].ID, TenantName: "王五", IDNumber: residentID("11010119900101001"), From: "2026-03-10", To: "2026-03-09"}, civic.EInvalid},
			{"the same ID under another name", w.community, civic.Rental{HouseID: w.houses[0].ID, TenantName: "李四", IDNumber: tenantID, From: "2026-03-10", To: "2026-03-11"}, civic.EInvalid},
			{"reported twice for one house", w.community, civic.Rental{HouseID: w.houses[3].ID, TenantName: "郑租客", IDNumber: tenantID, From: "2026-03-12", To: "2026-03-14"}, civic.EConflict},
			{"a resident without a linked person", w.resident, civic.Rental{HouseID: w.houses[0].ID, TenantName: "王五", IDNumber: residentID("11010119900101001"), From: "2026-03-10", To: "2026-03-11"}, civic.EInvalid},
		} {
			if _, err := s.ReportRental(ctx, c.a, c.in); civic.ErrorCodeOf(err) != c.want {
				t.Fatalf("%s: %v, want %s", c.name, err, c.want)
			}
		}
		// A landlord: the resident account is tied to the owner of house 0.
		owner := mustPerson(t, s, w.community, grid1, "冯房东", "1965-05-05")
		if _, err := s.LinkHouse(ctx, w.community, civic.HouseLink{PersonID: owner.ID, HouseID: w.houses[0].ID, Relation: civic.RelationOwner}); err != nil {
			t.Fatal(err)
		}
		if err := s.LinkAccount(ctx, w.grid, w.resident.UserID, owner.ID); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a grid worker links an account: %v", err)
		}
		if err := s.LinkAccount(ctx, w.community, w.grid.UserID, owner.ID); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a staff account tied to a person: %v", err)
		}
		if err := s.LinkAccount(ctx, w.community, w.resident.UserID, owner.ID); err != nil {
			t.Fatal(err)
		}
		if hs, err := s.OwnedHouses(ctx, w.resident); err != nil || len(hs) != 1 || hs[0].ID != w.houses[0].ID {
			t.Fatalf("owned houses %+v %v", hs, err)
		}
		if _, err := s.ReportRental(ctx, w.resident, civic.Rental{HouseID: w.houses[1].ID, TenantName: "王五", IDNumber: residentID("11010119900101001"), From: "2026-03-10", To: "2026-03-11"}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a landlord reports a house they do not own: %v", err)
		}
		// The tenant came back: found by ID number, not registered twice.
		again, err := s.ReportRental(ctx, w.resident, civic.Rental{HouseID: w.houses[0].ID, TenantName: "郑租客", IDType: civic.IDResident, IDNumber: strings.ToLower(tenantID), From: "2026-03-11", To: "2026-03-12"})
		if err != nil || again.TenantID != r.TenantID || !again.ByLandlord || again.ReporterName != "resident" {
			t.Fatalf("landlord's report %+v %v", again, err)
		}
		if mine, n, err := s.ListRentals(ctx, w.resident, store.RentalFilter{}); err != nil || n != 1 || mine[0].ID != again.ID {
			t.Fatalf("a landlord lists %d reports: %v", n, err)
		}
		// The daily list.
		day, err := s.DailyRentals(ctx, w.community, "110101001001", "2026-03-10")
		if err != nil || len(day.Arrivals) != 1 || day.Arrivals[0].ID != r.ID || len(day.Departures) != 0 {
			t.Fatalf("10 March %+v %v", day, err)
		}
		if day, _ := s.DailyRentals(ctx, w.street, "", "2026-03-12"); len(day.Arrivals) != 0 || len(day.Departures) != 1 || day.Departures[0].ID != again.ID {
			t.Fatalf("12 March %+v", day)
		}
		if day, _ := s.DailyRentals(ctx, w.outsider, "", "2026-03-10"); len(day.Arrivals)+len(day.Departures) != 0 {
			t.Fatalf("an outsider's daily list %+v", day)
		}
		if _, n, _ := s.ListRentals(ctx, w.outsider, store.RentalFilter{}); n != 0 {
			t.Fatal("an outsider lists reports")
		}
		if _, err := s.DailyRentals(ctx, w.grid, "", "10/03/2026"); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a bad date: %v", err)
		}
		// Stays end once their departure day has passed.
		if n, err := s.EndRentals(ctx); err != nil || n != 0 {
			t.Fatalf("nothing has ended yet: %d %v", n, err)
		}
		clock.Advance(3 * 24 * time.Hour) // 13 March: the landlord's tenant left on the 12th
		if n, err := s.EndRentals(ctx); err != nil || n != 1 {
			t.Fatalf("end on the 13th: %d %v", n, err)
		}
		clock.Advance(3 * 24 * time.Hour)
		if n, err := s.EndRentals(ctx); err != nil || n != 1 {
			t.Fatalf("end on the 16th: %d %v", n, err)
		}
		if n, _ := s.EndRentals(ctx); n != 0 {
			t.Fatalf("ended again: %d", n)
		}
		hh, _ = s.Household(ctx, w.grid, w.houses[3].ID)
		if len(hh) != 1 || hh[0].MoveOut != "2026-03-15" {
			t.Fatalf("household after the stay %+v", hh)
		}
		if p, _ := s.GetPerson(ctx, w.grid, r.TenantID); p.Houses != 0 {
			t.Fatalf("the tenant still lives in %d houses", p.Houses)
		}
		if cur, n, _ := s.ListRentals(ctx, w.community, store.RentalFilter{Current: true}); n != 0 {
			t.Fatalf("current stays %+v", cur)
		}
	})
}

// auditText joins the after-summaries of an action's audit entries.
func auditText(t *testing.T, s *store.Store, action string) string {
	t.Helper()
	es, _, err := s.ListAudit(context.Background(), civic.System, store.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.After)
	}
	return b.String()
}

// TestRentalCSVNoFormulas: what a landlord typed cannot run as a formula
// when community staff open the day's list in a spreadsheet.
func TestRentalCSVNoFormulas(t *testing.T) {
	var b strings.Builder
	d := store.RentalDay{Arrivals: []civic.Rental{{TenantName: "@SUM(1+1)", Note: `=HYPERLINK("http://evil.example","点击")`, From: "2026-03-01"}}}
	if err := store.WriteRentalDay(&b, d, store.SheetCSV, "zh"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, `"'=HYPERLINK(""http://evil.example"",""点击"")"`) || !strings.Contains(out, "'@SUM(1+1)") || !strings.Contains(out, ",2026-03-01,") {
		t.Fatalf("rental CSV:\n%s", out)
	}
}
