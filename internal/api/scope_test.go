package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// scopeOp is one read or write of the foundation API. build returns the
// request for a target inside the caller's scope (street A1) or outside it
// (street B1), and a marker: text that identifies the target's data. An
// outside answer must never contain its marker; an allowed inside answer
// must.
type scopeOp struct {
	name    string
	allowed []civic.Role
	build   func(f *fixture, inside bool, n int) (method, path string, body any, marker string)
}

var (
	staffRoles = []civic.Role{civic.RoleGridWorker, civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleHandler, civic.RoleOperator, civic.RoleLeader, civic.RoleAdmin}
	adminOnly  = []civic.Role{civic.RoleAdmin}
	// searchOps answer a search outside the scope with no results, as a
	// search names no target to refuse.
	// Assessments and their drill-downs cover the caller's own scope and
	// name no target either.
	searchOps = map[string]bool{"search people by name": true, "assessment per street": true, "assessment drill-down": true, "assessment weights": true, "find duplicates": true}
	// assessors may read assessments: staff who oversee, and a handling
	// organisation's staff (their own organisation's figures).
	assessors = []civic.Role{civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleHandler, civic.RoleOperator, civic.RoleLeader, civic.RoleAdmin}
	// reportReaders read and generate reports (case.metrics).
	reportReaders = []civic.Role{civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleOperator, civic.RoleLeader, civic.RoleAdmin}
	// peopleReaders may read people and houses in their scope.
	peopleReaders = []civic.Role{civic.RoleGridWorker, civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleLeader, civic.RoleAdmin}
)

func pick[T any](inside bool, in, out T) T {
	if inside {
		return in
	}
	return out
}

func scopeOps() []scopeOp {
	grid := func(in bool) string { return pick(in, gridA1x, gridB1) }
	// Refusals may echo the code that was asked for; the data that must not
	// leak is the region's name.
	gridName := func(in bool) string { return pick(in, "甲一社区第1网格", "乙一社区第1网格") }
	street := func(in bool) string { return pick(in, codeA1, codeB1) }
	// Grid workers and community staff hold a community at most, so
	// records every staff role shares sit at community level.
	community := func(in bool) string { return pick(in, codeA1c, codeB1c) }
	communityName := func(in bool) string { return pick(in, "甲一社区", "乙一社区") }
	return []scopeOp{
		{"list reports", reportReaders, func(f *fixture, in bool, n int) (string, string, any, string) {
			f.mustReport(community(in), 1)
			return "GET", "/api/v1/reports?under=" + community(in), nil, communityName(in)
		}},
		{"get report", reportReaders, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", fmt.Sprintf("/api/v1/reports/%d", f.mustReport(community(in), 1)), nil, communityName(in)
		}},
		{"report xlsx", reportReaders, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", fmt.Sprintf("/api/v1/reports/%d?format=xlsx", f.mustReport(community(in), 1)), nil, ""
		}},
		{"generate report", reportReaders, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "POST", "/api/v1/reports", map[string]any{"template_id": 1, "region_code": community(in), "period": "2026-03-09"}, ""
		}},
		{"fill report", reportReaders, func(f *fixture, in bool, n int) (string, string, any, string) {
			// Template 2 (the weekly report) has a manual row, its last.
			id := f.mustReport(community(in), 2)
			return "POST", fmt.Sprintf("/api/v1/reports/%d/fill", id), map[string]any{"texts": map[string]string{"15": "本周重点工作"}}, ""
		}},
		{"create report template", adminOnly, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "POST", "/api/v1/reports/templates", map[string]any{"name": fmt.Sprintf("模板%d", n), "kind": "daily", "region_code": street(in),
				"rows": []map[string]any{{"figure": "cases.received"}}}, ""
		}},
		{"get region", staffRoles, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/regions/" + grid(in), nil, gridName(in)
		}},
		{"region path", staffRoles, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/regions/" + grid(in) + "/path", nil, gridName(in)
		}},
		{"list regions under", staffRoles, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/regions?under=" + street(in), nil, gridName(in)
		}},
		{"list region children", staffRoles, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/regions?parent=" + pick(in, codeA1c, codeB1c), nil, gridName(in)
		}},
		{"region geojson", staffRoles, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/regions/geojson?under=" + street(in), nil, gridName(in)
		}},
		{"export regions", staffRoles, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/regions/export?under=" + street(in), nil, gridName(in)
		}},
		{"locate point", staffRoles, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", pick(in, "/api/v1/regions/locate?lng=116.42&lat=39.95", "/api/v1/regions/locate?lng=116.35&lat=39.9"), nil, gridName(in)
		}},
		{"grid table", staffRoles, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/grids?under=" + street(in), nil, gridName(in)
		}},
		{"grid table xlsx", staffRoles, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/grids?format=xlsx&under=" + street(in), nil, ""
		}},
		{"assessment per street", assessors, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/insight/assessment?level=street&period=2026", nil, ""
		}},
		{"assessment drill-down", assessors, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/cases?fig=reported&level=street&period=2026&unit=" + street(in), nil, ""
		}},
		{"assessment weights", assessors, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/insight/assessment/weights", nil, ""
		}},
		{"list organisations", staffRoles, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/organisations?under=" + street(in), nil, pick(in, f.orgA1.Name, f.orgB1.Name)
		}},
		{"get organisation", staffRoles, func(f *fixture, in bool, n int) (string, string, any, string) {
			o := pick(in, f.orgA1, f.orgB1)
			return "GET", fmt.Sprintf("/api/v1/organisations/%d", o.ID), nil, o.Name
		}},
		{"list staff", staffRoles, func(f *fixture, in bool, n int) (string, string, any, string) {
			m := f.mustStaff(grid(in))
			return "GET", "/api/v1/staff?under=" + street(in), nil, m.Name
		}},
		{"staff xlsx", staffRoles, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/staff?format=xlsx&under=" + street(in), nil, ""
		}},
		{"get staff", staffRoles, func(f *fixture, in bool, n int) (string, string, any, string) {
			m := f.mustStaff(grid(in))
			return "GET", fmt.Sprintf("/api/v1/staff/%d", m.ID), nil, m.Name
		}},
		{"list users", adminOnly, func(f *fixture, in bool, n int) (string, string, any, string) {
			u := f.mustUser(fmt.Sprintf("target%d_%v", n, in), community(in))
			return "GET", "/api/v1/users?under=" + street(in), nil, u.Username
		}},
		{"get user", adminOnly, func(f *fixture, in bool, n int) (string, string, any, string) {
			u := f.mustUser(fmt.Sprintf("target%d_%v", n, in), community(in))
			return "GET", fmt.Sprintf("/api/v1/users/%d", u.ID), nil, u.Username
		}},
		{"audit log", adminOnly, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/audit?limit=500&under=" + street(in), nil, gridName(in)
		}},

		{"rename region", adminOnly, func(f *fixture, in bool, n int) (string, string, any, string) {
			return "PATCH", "/api/v1/regions/" + grid(in), map[string]any{"name": fmt.Sprintf("改名网格%d", n)}, gridName(in)
		}},
		{"import regions", adminOnly, func(f *fixture, in bool, n int) (string, string, any, string) {
			g := pick(in, feature(gridA1y, fmt.Sprintf("导入网格%d", n), rect(116.45, 39.90, 116.50, 40.00)),
				feature(gridB1, fmt.Sprintf("导入网格%d", n), rect(116.30, 39.80, 116.40, 40.00)))
			return "POST", "/api/v1/regions/import", collection(g), "created"
		}},
		{"create organisation", []civic.Role{civic.RoleAdmin, civic.RoleStreetStaff}, func(f *fixture, in bool, n int) (string, string, any, string) {
			name := fmt.Sprintf("新建组织%d", n)
			return "POST", "/api/v1/organisations", map[string]any{"name": name, "kind": "department", "region_code": street(in)}, name
		}},
		{"update organisation", []civic.Role{civic.RoleAdmin, civic.RoleStreetStaff}, func(f *fixture, in bool, n int) (string, string, any, string) {
			o := f.mustOrg(fmt.Sprintf("待改组织%d", n), street(in))
			name := fmt.Sprintf("已改组织%d", n)
			return "PUT", fmt.Sprintf("/api/v1/organisations/%d", o.ID), map[string]any{"name": name, "kind": "department", "region_code": street(in)}, name
		}},
		{"create staff", []civic.Role{civic.RoleAdmin, civic.RoleStreetStaff, civic.RoleCommunityStaff}, func(f *fixture, in bool, n int) (string, string, any, string) {
			name := fmt.Sprintf("新网格员%d", n)
			return "POST", "/api/v1/staff", map[string]any{"grid_code": grid(in), "name": name, "position": "part_time", "phone": "13900000001", "start_date": "2025-01-01"}, name
		}},
		{"update staff", []civic.Role{civic.RoleAdmin, civic.RoleStreetStaff, civic.RoleCommunityStaff}, func(f *fixture, in bool, n int) (string, string, any, string) {
			m := f.mustStaff(grid(in))
			name := fmt.Sprintf("改名网格员%d", n)
			return "PUT", fmt.Sprintf("/api/v1/staff/%d", m.ID), map[string]any{"grid_code": grid(in), "name": name, "position": "part_time", "phone": "13900000001", "start_date": "2025-01-01"}, name
		}},
		{"move staff out of scope", nil, func(f *fixture, in bool, n int) (string, string, any, string) {
			// Even an allowed writer cannot move an inside entry outside.
			m := f.mustStaff(gridA1x)
			name := fmt.Sprintf("外调网格员%d", n)
			return "PUT", fmt.Sprintf("/api/v1/staff/%d", m.ID), map[string]any{"grid_code": pick(in, gridB1, gridB1), "name": name, "position": "part_time", "phone": "13900000001", "start_date": "2025-01-01"}, name
		}},
		{"delete staff", []civic.Role{civic.RoleAdmin, civic.RoleStreetStaff, civic.RoleCommunityStaff}, func(f *fixture, in bool, n int) (string, string, any, string) {
			m := f.mustStaff(grid(in))
			return "DELETE", fmt.Sprintf("/api/v1/staff/%d", m.ID), nil, ""
		}},
		{"create user", adminOnly, func(f *fixture, in bool, n int) (string, string, any, string) {
			name := fmt.Sprintf("new%d_%v", n, in)
			return "POST", "/api/v1/users", map[string]any{"username": name, "display_name": name, "password": "long-enough-1", "role": "grid_worker", "scope": map[string]any{"region_code": community(in)}}, name
		}},
		{"update user", adminOnly, func(f *fixture, in bool, n int) (string, string, any, string) {
			u := f.mustUser(fmt.Sprintf("upd%d_%v", n, in), community(in))
			return "PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), map[string]any{"display_name": "改过的名字"}, u.Username
		}},

		// People and houses: personal data, the most sensitive reads.
		{"list people under", peopleReaders, func(f *fixture, in bool, n int) (string, string, any, string) {
			p := f.mustPerson(grid(in), n)
			return "GET", "/api/v1/people?under=" + street(in), nil, p.Name
		}},
		{"search people by name", peopleReaders, func(f *fixture, in bool, n int) (string, string, any, string) {
			p := f.mustPerson(grid(in), n)
			return "GET", "/api/v1/people?q=" + url.QueryEscape(p.Name), nil, p.Name
		}},
		{"get person", peopleReaders, func(f *fixture, in bool, n int) (string, string, any, string) {
			p := f.mustPerson(grid(in), n)
			return "GET", fmt.Sprintf("/api/v1/people/%d", p.ID), nil, p.Name
		}},
		{"person tag history", peopleReaders, func(f *fixture, in bool, n int) (string, string, any, string) {
			p := f.mustPerson(grid(in), n)
			return "GET", fmt.Sprintf("/api/v1/people/%d/tag-history", p.ID), nil, "age60"
		}},
		{"unmask person", []civic.Role{civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleAdmin}, func(f *fixture, in bool, n int) (string, string, any, string) {
			p := f.mustPerson(grid(in), n)
			return "POST", fmt.Sprintf("/api/v1/people/%d/unmask", p.ID), map[string]any{"reason": "核实身份"}, p.Name
		}},
		{"create person", []civic.Role{civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleAdmin}, func(f *fixture, in bool, n int) (string, string, any, string) {
			name := fmt.Sprintf("新登记%s", chineseDigits(n))
			return "POST", "/api/v1/people", map[string]any{"grid_code": grid(in), "name": name, "birth_date": "1950-01-01", "gender": "male"}, name
		}},
		{"get house", peopleReaders, func(f *fixture, in bool, n int) (string, string, any, string) {
			h := f.mustHouse(grid(in), n)
			return "GET", fmt.Sprintf("/api/v1/houses/%d", h.ID), nil, h.Address
		}},
		{"household", peopleReaders, func(f *fixture, in bool, n int) (string, string, any, string) {
			h := f.mustHouse(grid(in), n)
			return "GET", fmt.Sprintf("/api/v1/houses/%d/household", h.ID), nil, ""
		}},
		{"floor plan", peopleReaders, func(f *fixture, in bool, n int) (string, string, any, string) {
			h := f.mustHouse(grid(in), n)
			return "GET", fmt.Sprintf("/api/v1/buildings/%d/floorplan", h.BuildingID), nil, h.BuildingName
		}},
		{"completeness", peopleReaders, func(f *fixture, in bool, n int) (string, string, any, string) {
			f.mustHouse(grid(in), n)
			return "GET", "/api/v1/completeness?level=grid&root=" + street(in), nil, grid(in)
		}},

		{"reset password", adminOnly, func(f *fixture, in bool, n int) (string, string, any, string) {
			u := f.mustUser(fmt.Sprintf("pw%d_%v", n, in), community(in))
			return "POST", fmt.Sprintf("/api/v1/users/%d/password", u.ID), map[string]any{"new_password": "another-pass-1"}, ""
		}},
		{"find duplicates", dupFinders(), func(f *fixture, in bool, n int) (string, string, any, string) {
			// A case in the street, and a draft of the same problem 30 m
			// away; the marker is the case's description, which only staff
			// who may read it are shown (residents see nearby titles).
			lng, lat := pick(in, 116.42, 116.35), pick(in, 39.95, 39.90)
			desc := f.mustDuplicateCase(n, lng, lat)
			return "POST", "/api/v1/cases/duplicates", map[string]any{"title": "路灯坏了不亮", "lng": lng + 0.0003, "lat": lat}, desc
		}},
	}
}

func (f *fixture) mustUser(username, scope string) civic.User {
	f.t.Helper()
	u, err := f.s.CreateUser(context.Background(), civic.System, store.NewUser{Username: username, DisplayName: username, Password: "password-x", Role: civic.RoleGridWorker, Scope: civic.Scope{RegionCode: scope}})
	if err != nil {
		f.t.Fatalf("create user %s: %v", username, err)
	}
	return u
}

// chineseDigits spells n in Chinese numerals, so that names made from it
// pass the rule that a name has no digits.
func chineseDigits(n int) string {
	d := []rune("零一二三四五六七八九")
	var out []rune
	for _, c := range fmt.Sprint(n) {
		out = append(out, d[c-'0'])
	}
	return string(out)
}

// mustPerson registers a person aged over 60 in grid, with a valid and
// unique ID number.
func (f *fixture) mustPerson(grid string, n int) civic.Person {
	f.t.Helper()
	first17 := fmt.Sprintf("11010119500101%03d", n%1000)
	p, err := f.s.SavePerson(context.Background(), civic.System, civic.Person{GridCode: grid, Name: "居民" + chineseDigits(n),
		IDNumber: first17 + string(civic.IDCheckChar(first17)), Phone: fmt.Sprintf("139%08d", n)}, "")
	if err != nil {
		f.t.Fatalf("person in %s: %v", grid, err)
	}
	return p
}

// mustHouse makes a building with one house in grid.
func (f *fixture) mustHouse(grid string, n int) civic.House {
	f.t.Helper()
	ctx := context.Background()
	b, err := f.s.SaveBuilding(ctx, civic.System, civic.Building{GridCode: grid, Name: fmt.Sprintf("%s号楼", chineseDigits(n)), Floors: 6, Units: 2})
	if err != nil {
		f.t.Fatalf("building in %s: %v", grid, err)
	}
	h, err := f.s.SaveHouse(ctx, civic.System, civic.House{BuildingID: b.ID, Unit: 1, Floor: 3, Number: "301"})
	if err != nil {
		f.t.Fatalf("house in %s: %v", grid, err)
	}
	return h
}

func (f *fixture) mustOrg(name, region string) civic.Organisation {
	f.t.Helper()
	o, err := f.s.CreateOrganisation(context.Background(), civic.System, civic.Organisation{Name: name, Kind: civic.OrgDepartment, RegionCode: region})
	if err != nil {
		f.t.Fatalf("create organisation %s: %v", name, err)
	}
	return o
}

// TestScopeMatrix tries every read and write of the foundation API as every
// role, on a target inside the caller's scope and on one outside it. Inside,
// the role's permission decides (2xx with the data, or 403); outside, every
// attempt is refused with 403 or 404 and the answer carries none of the
// target's data.
func TestScopeMatrix(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		n := 0
		for _, op := range scopeOps() {
			for _, role := range civic.Roles {
				for _, inside := range []bool{true, false} {
					n++
					if op.allowed == nil && inside {
						continue
					}
					method, path, body, marker := op.build(f, inside, n)
					resp := f.do(method, path, f.tokens[role], body)
					where := map[bool]string{true: "inside", false: "outside"}[inside]
					allowed := false
					for _, r := range op.allowed {
						allowed = allowed || r == role
					}
					switch {
					case !inside || op.allowed == nil:
						// A free-text search names no region: outside
						// the scope it finds nothing rather than refusing.
						filters := searchOps[op.name] && resp.Status == http.StatusOK
						if resp.Status != http.StatusForbidden && resp.Status != http.StatusNotFound && !filters {
							t.Errorf("%s as %s %s: status %d, want 403/404; body %.300s", op.name, role, where, resp.Status, resp.Body)
						}
						if marker != "" && strings.Contains(string(resp.Body), marker) {
							t.Errorf("%s as %s %s: refusal leaks %q: %.300s", op.name, role, where, marker, resp.Body)
						}
					case allowed:
						if resp.Status < 200 || resp.Status > 299 {
							t.Errorf("%s as %s %s: status %d, want 2xx; body %.300s", op.name, role, where, resp.Status, resp.Body)
						} else if marker != "" && method == "GET" && !strings.Contains(string(resp.Body), marker) {
							t.Errorf("%s as %s %s: answer lacks %q: %.300s", op.name, role, where, marker, resp.Body)
						}
					default:
						if resp.Status != http.StatusForbidden {
							t.Errorf("%s as %s %s: status %d, want 403; body %.300s", op.name, role, where, resp.Status, resp.Body)
						}
					}
				}
			}
		}
	})
}

// mustReport returns a report of a template for a region, generated once.
func (f *fixture) mustReport(region string, templateID int64) int64 {
	f.t.Helper()
	ctx := context.Background()
	rs, _, err := f.s.ListReports(ctx, civic.System, store.ReportFilter{Under: region, TemplateID: templateID})
	if err != nil {
		f.t.Fatalf("reports of %s: %v", region, err)
	}
	for _, r := range rs {
		if r.RegionCode == region {
			return r.ID
		}
	}
	r, err := f.s.GenerateReport(ctx, civic.System, templateID, region, "2026-03-09")
	if err != nil {
		f.t.Fatalf("report of %s: %v", region, err)
	}
	return r.ID
}

// dupFinders may ask for duplicates of a draft: whoever reads or files
// cases.
func dupFinders() []civic.Role {
	var out []civic.Role
	for _, r := range civic.Roles {
		a := civic.Actor{Role: r}
		if a.Can(civic.PermCaseRead) || a.Can(civic.PermCaseReport) {
			out = append(out, r)
		}
	}
	return out
}

// mustDuplicateCase files an open case about a broken street lamp at a
// point, by a resident of that street, and returns its description.
func (f *fixture) mustDuplicateCase(n int, lng, lat float64) string {
	f.t.Helper()
	desc := fmt.Sprintf("路灯坏了晚上不亮，编号D%d", n)
	u, err := f.s.CreateUser(context.Background(), civic.System, store.NewUser{Username: fmt.Sprintf("dupres%d", n), DisplayName: "居民", Password: "password-x", Role: civic.RoleResident, Scope: civic.Scope{RegionCode: codeCity}})
	if err != nil {
		f.t.Fatalf("create resident: %v", err)
	}
	if _, _, err := f.s.SubmitCase(context.Background(), store.ActorOf(u, ""), f.s.NewLocator(0), store.NewCase{Source: civic.SourceResident,
		Title: "路灯坏了", Description: desc, HasLocation: true, Lng: lng, Lat: lat}); err != nil {
		f.t.Fatalf("file case: %v", err)
	}
	return desc
}
