package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestCaseScopeMatrix reads a case inside street A1 and one in street B1
// through every case endpoint as every role scoped to A1. Outside cases
// answer 404 and never their data; inside, staff who oversee the street
// see it, while a resident who did not report it and a department it was
// not dispatched to get 404 too.
func TestCaseScopeMatrix(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		f.mustCategories()
		reporter := f.mustUserToken("reporter_b", civic.RoleResident, civic.Scope{RegionCode: codeB1})
		file := func(token string, lng, lat float64, title string) civic.Case {
			r := f.do("POST", "/api/v1/cases", token, map[string]any{"source": "resident", "category_code": "0101", "title": title, "lng": lng, "lat": lat, "reporter_phone": "13711112222"})
			if r.Status != 201 {
				t.Fatalf("file %s: %d %s", title, r.Status, r.Body)
			}
			var c civic.Case
			r.decode(t, &c)
			return c
		}
		inside := file(f.tokens[civic.RoleResident], 116.42, 39.95, "甲一街道的井盖")
		outside := file(reporter, 116.35, 39.90, "乙一街道的井盖")
		endpoints := []string{"", "/events", "/whistles", "/reporters", "/requests", "/photos", "/household"}
		// Who sees the case filed in their street (A1).
		seesInside := map[civic.Role]bool{
			civic.RoleGridWorker: true, civic.RoleCommunityStaff: true, civic.RoleStreetStaff: true,
			civic.RoleOperator: true, civic.RoleLeader: true, civic.RoleAdmin: true,
			civic.RoleResident: true, // u_resident reported it
		}
		for _, role := range civic.Roles {
			for _, c := range []civic.Case{inside, outside} {
				for _, ep := range endpoints {
					if ep == "/requests" && role == civic.RoleResident {
						continue // staff only even for one's own case; covered below
					}
					r := f.do("GET", fmt.Sprintf("/api/v1/cases/%d%s", c.ID, ep), f.tokens[role], nil)
					want := c.ID == inside.ID && seesInside[role]
					if want && r.Status != http.StatusOK {
						t.Errorf("%s GET case %s%s: %d, want 200: %.200s", role, c.Title, ep, r.Status, r.Body)
					}
					if !want {
						if r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
							t.Errorf("%s GET case %s%s: %d, want 403/404", role, c.Title, ep, r.Status)
						}
						if strings.Contains(string(r.Body), c.Title) || strings.Contains(string(r.Body), "13711112222") {
							t.Errorf("%s GET case %s%s leaks it: %.200s", role, c.Title, ep, r.Body)
						}
					}
				}
				// Lists and search never carry a case outside the scope.
				r := f.do("GET", "/api/v1/cases?q=井盖&limit=100", f.tokens[role], nil)
				if strings.Contains(string(r.Body), outside.Title) {
					t.Errorf("%s's search shows the other street's case", role)
				}
			}
		}
		// The reporter of the outside case sees it, and only its public
		// events.
		if r := f.do("GET", fmt.Sprintf("/api/v1/cases/%d/events", outside.ID), reporter, nil); r.Status != 200 || strings.Contains(string(r.Body), `"public":false`) {
			t.Fatalf("reporter's timeline: %d %.300s", r.Status, r.Body)
		}
	})
}
