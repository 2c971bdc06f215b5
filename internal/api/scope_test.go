package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// scopeOp is one read or write of the API. build returns the request for
// a target inside the caller's scope or outside it (w says where those
// are), and a marker: text that identifies the target's data. An outside
// answer must never contain its marker; an allowed inside answer must.
type scopeOp struct {
	name    string
	allowed []civic.Role
	build   func(f *fixture, w *scopeWorld, inside bool, n int) (method, path string, body any, marker string)
}

var (
	staffRoles = []civic.Role{civic.RoleGridWorker, civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleHandler, civic.RoleOperator, civic.RoleLeader, civic.RoleAdmin}
	adminOnly  = []civic.Role{civic.RoleAdmin}
	// searchOps answer a search outside the scope with no results, as a
	// search names no target to refuse.
	// Assessments and their drill-downs cover the caller's own scope and
	// name no target either.
	// sessionOps are what a token may not do (auth.SessionActor): the
	// matrix signs in with the user's session for them.
	sessionOps = map[string]bool{"reset password": true}
	searchOps  = map[string]bool{"search people by name": true, "assessment per street": true, "assessment drill-down": true, "assessment weights": true, "find duplicates": true, "search cases": true,
		"list place codes": true, "list imports": true}
	// assessors may read assessments: staff who oversee, and a handling
	// organisation's staff (their own organisation's figures).
	assessors = []civic.Role{civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleHandler, civic.RoleOperator, civic.RoleLeader, civic.RoleAdmin}
	// reportReaders read and generate reports (case.metrics).
	reportReaders = []civic.Role{civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleOperator, civic.RoleLeader, civic.RoleAdmin}
	// peopleReaders may read people and houses in their scope.
	peopleReaders = []civic.Role{civic.RoleGridWorker, civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleLeader, civic.RoleAdmin}
	// caseReaders see a case filed in their region: staff but a handler,
	// which sees only what is dispatched to its organisation.
	caseReaders = []civic.Role{civic.RoleGridWorker, civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleOperator, civic.RoleLeader, civic.RoleAdmin}
	// caseCommenters add a comment to a case they see: leaders only read
	// (DESIGN.md §1).
	caseCommenters = []civic.Role{civic.RoleGridWorker, civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleOperator, civic.RoleAdmin}
	// peopleCaseReaders read a person's cases: people and cases.
	peopleCaseReaders = []civic.Role{civic.RoleGridWorker, civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleLeader, civic.RoleAdmin}
	// hotspotReaders read early warnings: the metrics of cases they read.
	hotspotReaders = []civic.Role{civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleOperator, civic.RoleLeader, civic.RoleAdmin}
	// patrolSupervisors read the patrols of others in their scope; a grid
	// worker reads only their own.
	patrolSupervisors = []civic.Role{civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleLeader, civic.RoleAdmin}
	// peopleWriters keep the people and houses registers.
	peopleWriters = []civic.Role{civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleAdmin}
	// dispatchers accept and route cases, and print place codes.
	dispatchers = []civic.Role{civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleOperator, civic.RoleAdmin}
	// orgWriters keep organisations and their webhooks (addresses of
	// their own systems, with the last failure's reason).
	orgWriters = []civic.Role{civic.RoleStreetStaff, civic.RoleAdmin}
	// visitors record household visits: people readers but leaders.
	visitors = []civic.Role{civic.RoleGridWorker, civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleAdmin}
	// referenceOps name their target in the body: one outside the scope is
	// refused as an invalid reference (422, "does not exist").
	referenceOps = map[string]bool{"record visit": true, "link house": true, "create building": true, "assign household": true,
		"record contact": true, "propose correction": true, "update house": true,
		"move person out of scope": true}
	// unseenOps answer a caller who may not read the target, inside the
	// scope too, as if it were not there (404, or a list without it): a
	// case is not a handler's or a resident's until it is theirs.
	unseenOps = map[string]bool{"get case": true, "case events": true, "case photos": true, "case household": true, "case reporters": true,
		"case whistles": true, "case requests": true, "case duplicates": true, "list cases under": true, "search cases": true, "comment on case": true,
		// A landlord (a resident) lists the rentals they reported.
		"list rentals under": true,
		// A grid worker reads only their own patrols.
		"get patrol": true, "patrol track": true, "patrol findings": true, "list patrols under": true}
)

func pick[T any](inside bool, in, out T) T {
	if inside {
		return in
	}
	return out
}

// scopePlace is where a scope test puts its targets: inside the callers'
// scope, or in the nearest region outside it.
type scopePlace struct {
	grid, gridName string
	// area is what lists are asked for (?under=): the callers' scope, or
	// the region beside it.
	area string
	// unit holds the records every caller shares (reports, accounts,
	// organisations): the narrowest of the callers' scopes, or beside it.
	unit, unitName string
	// parent is a region whose children include grid (grid itself when
	// the callers hold one grid: it has none).
	parent string
	// lng, lat is a point in grid.
	lng, lat float64
	org      civic.Organisation
	// importGrid and importRect are a grid in area to import again.
	importGrid, importRect string
	// assessLevel and assessUnit name an assessment unit of area.
	assessLevel, assessUnit string
}

// scopeWorld is one run of the matrix: callers with a scope, a place in it
// and the nearest place outside.
type scopeWorld struct {
	name    string
	in, out scopePlace
	tokens  map[civic.Role]string
}

func scopeOps() []scopeOp {
	at := func(w *scopeWorld, in bool) scopePlace { return pick(in, w.in, w.out) }
	grid := func(w *scopeWorld, in bool) string { return at(w, in).grid }
	// Refusals may echo the code that was asked for; the data that must not
	// leak is the region's name.
	gridName := func(w *scopeWorld, in bool) string { return at(w, in).gridName }
	area := func(w *scopeWorld, in bool) string { return at(w, in).area }
	unit := func(w *scopeWorld, in bool) string { return at(w, in).unit }
	unitName := func(w *scopeWorld, in bool) string { return at(w, in).unitName }
	return []scopeOp{
		{"list reports", reportReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			f.mustReport(unit(w, in), 1)
			return "GET", "/api/v1/reports?limit=10000&under=" + unit(w, in), nil, unitName(w, in)
		}},
		{"get report", reportReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", fmt.Sprintf("/api/v1/reports/%d", f.mustReport(unit(w, in), 1)), nil, unitName(w, in)
		}},
		{"report xlsx", reportReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", fmt.Sprintf("/api/v1/reports/%d?format=xlsx", f.mustReport(unit(w, in), 1)), nil, ""
		}},
		{"generate report", reportReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "POST", "/api/v1/reports", map[string]any{"template_id": 1, "region_code": unit(w, in), "period": "2026-03-09"}, ""
		}},
		{"fill report", reportReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			// Template 2 (the weekly report) has a manual row, its last.
			id := f.mustReport(unit(w, in), 2)
			return "POST", fmt.Sprintf("/api/v1/reports/%d/fill", id), map[string]any{"texts": map[string]string{"15": "本周重点工作"}}, ""
		}},
		{"create report template", adminOnly, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "POST", "/api/v1/reports/templates", map[string]any{"name": fmt.Sprintf("模板%d", n), "kind": "daily", "region_code": area(w, in),
				"rows": []map[string]any{{"figure": "cases.received"}}}, ""
		}},
		{"get region", staffRoles, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/regions/" + grid(w, in), nil, gridName(w, in)
		}},
		{"region path", staffRoles, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/regions/" + grid(w, in) + "/path", nil, gridName(w, in)
		}},
		{"list regions under", staffRoles, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/regions?limit=10000&under=" + area(w, in), nil, gridName(w, in)
		}},
		{"list region children", staffRoles, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			marker := gridName(w, in)
			if at(w, in).parent == grid(w, in) {
				marker = "" // a grid has no children
			}
			return "GET", "/api/v1/regions?parent=" + at(w, in).parent, nil, marker
		}},
		{"region geojson", staffRoles, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/regions/geojson?under=" + area(w, in), nil, gridName(w, in)
		}},
		{"export regions", staffRoles, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/regions/export?under=" + area(w, in), nil, gridName(w, in)
		}},
		{"locate point", staffRoles, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", fmt.Sprintf("/api/v1/regions/locate?lng=%g&lat=%g", at(w, in).lng, at(w, in).lat), nil, gridName(w, in)
		}},
		{"grid table", staffRoles, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/grids?under=" + area(w, in), nil, gridName(w, in)
		}},
		{"grid table xlsx", staffRoles, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/grids?format=xlsx&under=" + area(w, in), nil, ""
		}},
		{"assessment per street", assessors, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/insight/assessment?level=street&period=2026", nil, ""
		}},
		{"assessment drill-down", assessors, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			a := at(w, in)
			return "GET", "/api/v1/cases?fig=reported&period=2026&level=" + a.assessLevel + "&unit=" + a.assessUnit, nil, ""
		}},
		{"assessment weights", assessors, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/insight/assessment/weights", nil, ""
		}},
		{"list organisations", staffRoles, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/organisations?limit=10000&under=" + area(w, in), nil, at(w, in).org.Name
		}},
		{"get organisation", staffRoles, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			o := at(w, in).org
			return "GET", fmt.Sprintf("/api/v1/organisations/%d", o.ID), nil, o.Name
		}},
		{"list staff", staffRoles, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			m := f.mustStaff(grid(w, in))
			return "GET", "/api/v1/staff?limit=10000&under=" + area(w, in), nil, m.Name
		}},
		{"staff xlsx", staffRoles, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/staff?format=xlsx&under=" + area(w, in), nil, ""
		}},
		{"get staff", staffRoles, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			m := f.mustStaff(grid(w, in))
			return "GET", fmt.Sprintf("/api/v1/staff/%d", m.ID), nil, m.Name
		}},
		{"list users", adminOnly, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			u := f.mustUser(fmt.Sprintf("target%d_%v", n, in), unit(w, in))
			return "GET", "/api/v1/users?limit=10000&under=" + area(w, in), nil, u.Username
		}},
		{"get user", adminOnly, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			u := f.mustUser(fmt.Sprintf("target%d_%v", n, in), unit(w, in))
			return "GET", fmt.Sprintf("/api/v1/users/%d", u.ID), nil, u.Username
		}},
		{"audit log", adminOnly, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			// A fresh write in the place: the log is newest first.
			m := f.mustStaff(grid(w, in))
			return "GET", "/api/v1/audit?limit=500&under=" + area(w, in), nil, m.Name
		}},

		{"rename region", adminOnly, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "PATCH", "/api/v1/regions/" + grid(w, in), map[string]any{"name": fmt.Sprintf("改名网格%d", n)}, gridName(w, in)
		}},
		{"import regions", adminOnly, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			g := feature(at(w, in).importGrid, fmt.Sprintf("导入网格%d", n), at(w, in).importRect)
			return "POST", "/api/v1/regions/import", collection(g), "created"
		}},
		{"create organisation", []civic.Role{civic.RoleAdmin, civic.RoleStreetStaff}, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			name := fmt.Sprintf("新建组织%d", n)
			return "POST", "/api/v1/organisations", map[string]any{"name": name, "kind": "department", "region_code": area(w, in)}, name
		}},
		{"update organisation", []civic.Role{civic.RoleAdmin, civic.RoleStreetStaff}, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			o := f.mustOrg(fmt.Sprintf("待改组织%d", n), area(w, in))
			name := fmt.Sprintf("已改组织%d", n)
			return "PUT", fmt.Sprintf("/api/v1/organisations/%d", o.ID), map[string]any{"name": name, "kind": "department", "region_code": area(w, in)}, name
		}},
		{"create staff", []civic.Role{civic.RoleAdmin, civic.RoleStreetStaff, civic.RoleCommunityStaff}, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			name := fmt.Sprintf("新网格员%d", n)
			return "POST", "/api/v1/staff", map[string]any{"grid_code": grid(w, in), "name": name, "position": "part_time", "phone": "13900000001", "start_date": "2025-01-01"}, name
		}},
		{"update staff", []civic.Role{civic.RoleAdmin, civic.RoleStreetStaff, civic.RoleCommunityStaff}, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			m := f.mustStaff(grid(w, in))
			name := fmt.Sprintf("改名网格员%d", n)
			return "PUT", fmt.Sprintf("/api/v1/staff/%d", m.ID), map[string]any{"grid_code": grid(w, in), "name": name, "position": "part_time", "phone": "13900000001", "start_date": "2025-01-01"}, name
		}},
		{"move staff out of scope", nil, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			// Even an allowed writer cannot move an inside entry outside.
			m := f.mustStaff(w.in.grid)
			name := fmt.Sprintf("外调网格员%d", n)
			return "PUT", fmt.Sprintf("/api/v1/staff/%d", m.ID), map[string]any{"grid_code": w.out.grid, "name": name, "position": "part_time", "phone": "13900000001", "start_date": "2025-01-01"}, name
		}},
		{"delete staff", []civic.Role{civic.RoleAdmin, civic.RoleStreetStaff, civic.RoleCommunityStaff}, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			m := f.mustStaff(grid(w, in))
			return "DELETE", fmt.Sprintf("/api/v1/staff/%d", m.ID), nil, ""
		}},
		{"create user", adminOnly, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			name := fmt.Sprintf("new%d_%v", n, in)
			return "POST", "/api/v1/users", map[string]any{"username": name, "display_name": name, "password": "long-enough-1", "role": "grid_worker", "scope": map[string]any{"region_code": unit(w, in)}}, name
		}},
		{"update user", adminOnly, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			u := f.mustUser(fmt.Sprintf("upd%d_%v", n, in), unit(w, in))
			return "PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), map[string]any{"display_name": "改过的名字"}, u.Username
		}},

		// People and houses: personal data, the most sensitive reads.
		{"list people under", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPerson(grid(w, in), n)
			return "GET", "/api/v1/people?limit=10000&under=" + area(w, in), nil, p.Name
		}},
		{"search people by name", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPerson(grid(w, in), n)
			return "GET", "/api/v1/people?q=" + url.QueryEscape(p.Name), nil, p.Name
		}},
		{"get person", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPerson(grid(w, in), n)
			return "GET", fmt.Sprintf("/api/v1/people/%d", p.ID), nil, p.Name
		}},
		{"person tag history", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPerson(grid(w, in), n)
			return "GET", fmt.Sprintf("/api/v1/people/%d/tag-history", p.ID), nil, "age60"
		}},
		{"unmask person", []civic.Role{civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleAdmin}, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPerson(grid(w, in), n)
			return "POST", fmt.Sprintf("/api/v1/people/%d/unmask", p.ID), map[string]any{"reason": "核实身份"}, p.Name
		}},
		{"create person", []civic.Role{civic.RoleCommunityStaff, civic.RoleStreetStaff, civic.RoleAdmin}, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			name := fmt.Sprintf("新登记%s", chineseDigits(n))
			return "POST", "/api/v1/people", map[string]any{"grid_code": grid(w, in), "name": name, "birth_date": "1950-01-01", "gender": "male"}, name
		}},
		{"get house", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			h := f.mustHouse(grid(w, in), n)
			return "GET", fmt.Sprintf("/api/v1/houses/%d", h.ID), nil, h.Address
		}},
		{"household", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			h := f.mustHouse(grid(w, in), n)
			return "GET", fmt.Sprintf("/api/v1/houses/%d/household", h.ID), nil, ""
		}},
		{"floor plan", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			h := f.mustHouse(grid(w, in), n)
			return "GET", fmt.Sprintf("/api/v1/buildings/%d/floorplan", h.BuildingID), nil, h.BuildingName
		}},
		{"completeness", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			f.mustHouse(grid(w, in), n)
			marker := grid(w, in)
			if area(w, in) == marker {
				marker = "" // a refusal echoes the root asked for
			}
			return "GET", "/api/v1/completeness?level=grid&root=" + area(w, in), nil, marker
		}},

		{"reset password", adminOnly, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			u := f.mustUser(fmt.Sprintf("pw%d_%v", n, in), unit(w, in))
			return "POST", fmt.Sprintf("/api/v1/users/%d/password", u.ID), map[string]any{"new_password": "another-pass-1"}, ""
		}},
		{"find duplicates", dupFinders(), func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			// A case in the street, and a draft of the same problem 30 m
			// away; the marker is the case's description, which only staff
			// who may read it are shown (residents see nearby titles).
			lng, lat := at(w, in).lng, at(w, in).lat
			desc := f.mustDuplicateCase(n, lng, lat)
			return "POST", "/api/v1/cases/duplicates", map[string]any{"title": "路灯坏了不亮", "lng": lng + 0.0003, "lat": lat}, desc
		}},

		// Cases in the place, and what hangs off them.
		{"get case", caseReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			c := f.mustPlacedCase(n, at(w, in))
			return "GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), nil, c.Title
		}},
		{"case events", caseReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			c := f.mustPlacedCase(n, at(w, in))
			return "GET", fmt.Sprintf("/api/v1/cases/%d/events", c.ID), nil, ""
		}},
		{"case photos", caseReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			c := f.mustPlacedCase(n, at(w, in))
			return "GET", fmt.Sprintf("/api/v1/cases/%d/photos", c.ID), nil, ""
		}},
		{"case household", caseReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			c := f.mustPlacedCase(n, at(w, in))
			return "GET", fmt.Sprintf("/api/v1/cases/%d/household", c.ID), nil, ""
		}},
		{"case reporters", caseReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			c := f.mustPlacedCase(n, at(w, in))
			// The first reporter is the case's; the list is of those who joined.
			return "GET", fmt.Sprintf("/api/v1/cases/%d/reporters", c.ID), nil, ""
		}},
		{"case whistles", caseReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			c := f.mustPlacedCase(n, at(w, in))
			return "GET", fmt.Sprintf("/api/v1/cases/%d/whistles", c.ID), nil, ""
		}},
		{"case requests", caseReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			c := f.mustPlacedCase(n, at(w, in))
			return "GET", fmt.Sprintf("/api/v1/cases/%d/requests", c.ID), nil, ""
		}},
		{"case duplicates", caseReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			c := f.mustPlacedCase(n, at(w, in))
			return "GET", fmt.Sprintf("/api/v1/cases/%d/duplicates", c.ID), nil, ""
		}},
		{"list cases under", caseReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			c := f.mustPlacedCase(n, at(w, in))
			return "GET", "/api/v1/cases?limit=10000&under=" + area(w, in), nil, c.Title
		}},
		{"search cases", caseReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			c := f.mustPlacedCase(n, at(w, in))
			return "GET", "/api/v1/cases?q=" + url.QueryEscape(c.Title), nil, c.Title
		}},
		{"comment on case", caseCommenters, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			c := f.mustPlacedCase(n, at(w, in))
			return "POST", fmt.Sprintf("/api/v1/cases/%d/actions", c.ID), map[string]any{"action": "comment", "note": "请尽快处理"}, ""
		}},
		{"person cases", peopleCaseReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPerson(grid(w, in), n)
			return "GET", fmt.Sprintf("/api/v1/people/%d/cases", p.ID), nil, ""
		}},
		{"overview", reportReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/insight/overview?scope=" + unit(w, in), nil, ""
		}},
		{"hotspots", hotspotReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/insight/hotspots?scope=" + unit(w, in), nil, ""
		}},
		{"case metrics", assessors, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "GET", "/api/v1/metrics/cases?under=" + area(w, in), nil, ""
		}},

		// Houses, people and the field work on them.
		{"list houses under", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			h := f.mustHouse(grid(w, in), n)
			return "GET", "/api/v1/houses?limit=10000&under=" + area(w, in), nil, h.Address
		}},
		{"list buildings under", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			h := f.mustHouse(grid(w, in), n)
			return "GET", "/api/v1/buildings?limit=10000&under=" + area(w, in), nil, h.BuildingName
		}},
		{"get building", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			h := f.mustHouse(grid(w, in), n)
			return "GET", fmt.Sprintf("/api/v1/buildings/%d", h.BuildingID), nil, h.BuildingName
		}},
		{"export people", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPerson(grid(w, in), n)
			return "GET", "/api/v1/people/export?format=csv&under=" + area(w, in), nil, p.Name
		}},
		{"export houses", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			h := f.mustHouse(grid(w, in), n)
			return "GET", "/api/v1/houses/export?format=csv&under=" + area(w, in), nil, h.BuildingName
		}},
		{"person houses", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p, h := f.mustResident(grid(w, in), n)
			return "GET", fmt.Sprintf("/api/v1/people/%d/houses", p.ID), nil, h.Address
		}},
		{"record visit", visitors, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPerson(grid(w, in), n)
			return "POST", "/api/v1/visits", map[string]any{"person_id": p.ID, "notes": "上门走访"}, ""
		}},
		{"list visits under", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			v := f.mustVisit(grid(w, in), n)
			return "GET", "/api/v1/visits?limit=10000&under=" + area(w, in), nil, v.Notes
		}},
		{"party members", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPartyMember(grid(w, in), n)
			return "GET", "/api/v1/party/members?limit=10000&under=" + area(w, in), nil, p.Name
		}},
		{"care tasks under", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustCareTask(grid(w, in), n)
			return "GET", "/api/v1/care/tasks?limit=10000&under=" + area(w, in), nil, p.Name
		}},
		{"party households", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			h := f.mustPartyHousehold(grid(w, in), n, false)
			return "GET", "/api/v1/party/households?limit=10000&under=" + area(w, in), nil, h.HouseAddress
		}},
		{"party contacts", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			h := f.mustPartyHousehold(grid(w, in), n, true)
			return "GET", "/api/v1/party/contacts?limit=10000&under=" + area(w, in), nil, h.HouseAddress
		}},
		{"list rentals under", peopleReaders, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			r := f.mustRental(grid(w, in), n)
			return "GET", "/api/v1/rentals?limit=10000&under=" + area(w, in), nil, r.TenantName
		}},
		{"list place codes", dispatchers, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPlaceCode(at(w, in), n)
			return "GET", "/api/v1/places", nil, p.Name
		}},
		// Writes to people, houses and care work in the place.
		{"update person", peopleWriters, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPerson(grid(w, in), n)
			return "PUT", fmt.Sprintf("/api/v1/people/%d", p.ID), map[string]any{"grid_code": grid(w, in), "name": p.Name, "birth_date": p.BirthDate, "gender": p.Gender, "workplace": "社区超市"}, ""
		}},
		{"move person out of scope", nil, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			// Even a writer cannot move an inside person to the place beside.
			p := f.mustPerson(w.in.grid, n)
			return "PUT", fmt.Sprintf("/api/v1/people/%d", p.ID), map[string]any{"grid_code": w.out.grid, "name": p.Name, "birth_date": p.BirthDate, "gender": p.Gender}, ""
		}},
		{"link house", peopleWriters, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p, h := f.mustPerson(grid(w, in), n), f.mustHouse(grid(w, in), n)
			return "POST", "/api/v1/house-links", map[string]any{"person_id": p.ID, "house_id": h.ID, "relation": "owner"}, ""
		}},
		{"create building", peopleWriters, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			return "POST", "/api/v1/buildings", map[string]any{"grid_code": grid(w, in), "name": chineseDigits(n) + "号新楼", "floors": 6, "units": 2}, ""
		}},
		{"update house", peopleWriters, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			h := f.mustHouse(grid(w, in), n)
			return "PUT", fmt.Sprintf("/api/v1/houses/%d", h.ID), map[string]any{"building_id": h.BuildingID, "unit": 1, "floor": 3, "number": "302"}, ""
		}},
		{"assign household", peopleWriters, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			m, h := f.mustPartyMember(grid(w, in), n), f.mustHouse(grid(w, in), n)
			return "POST", "/api/v1/party/households", map[string]any{"member_id": m.ID, "house_id": h.ID}, ""
		}},
		{"record contact", visitors, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			h := f.mustPartyHousehold(grid(w, in), n, false)
			return "POST", "/api/v1/party/contacts", map[string]any{"member_id": h.MemberID, "house_id": h.HouseID, "way": "phone", "notes": "电话问候"}, ""
		}},
		{"propose correction", visitors, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPerson(grid(w, in), n)
			return "POST", "/api/v1/corrections", map[string]any{"kind": "person", "target_id": p.ID, "changes": map[string]string{"workplace": "社区超市"}, "reason": "工作单位有变化"}, ""
		}},
		{"close care task", visitors, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustCareTask(grid(w, in), n)
			ts, _, err := f.s.CareTasks(context.Background(), civic.System, store.CareTaskFilter{PersonID: p.ID})
			if err != nil || len(ts) == 0 {
				f.t.Fatalf("care task of %s: %v", p.Name, err)
			}
			return "POST", fmt.Sprintf("/api/v1/care/tasks/%d/close", ts[0].ID), map[string]any{"note": "住院治疗"}, ""
		}},
		// A grid worker's patrol in the place: supervisors in scope read it.
		{"get patrol", patrolSupervisors, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPatrol(grid(w, in), n)
			return "GET", fmt.Sprintf("/api/v1/patrols/%d", p.ID), nil, p.WorkerName
		}},
		{"patrol track", patrolSupervisors, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPatrol(grid(w, in), n)
			return "GET", fmt.Sprintf("/api/v1/patrols/%d/track", p.ID), nil, ""
		}},
		{"patrol findings", patrolSupervisors, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPatrol(grid(w, in), n)
			return "GET", fmt.Sprintf("/api/v1/patrols/%d/findings", p.ID), nil, ""
		}},
		{"list patrols under", patrolSupervisors, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			p := f.mustPatrol(grid(w, in), n)
			return "GET", "/api/v1/patrols?limit=10000&under=" + area(w, in), nil, p.WorkerName
		}},
		// An import queued by the place's community staff, and its report.
		{"get import", peopleWriters, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			im := f.mustImport(at(w, in), n)
			return "GET", fmt.Sprintf("/api/v1/imports/%d", im.ID), nil, im.FileName
		}},
		{"import issues", peopleWriters, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			im := f.mustImport(at(w, in), n)
			return "GET", fmt.Sprintf("/api/v1/imports/%d/issues", im.ID), nil, ""
		}},
		{"list imports", peopleWriters, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			im := f.mustImport(at(w, in), n)
			return "GET", "/api/v1/imports?limit=10000", nil, im.FileName
		}},
		{"list webhooks", orgWriters, func(f *fixture, w *scopeWorld, in bool, n int) (string, string, any, string) {
			h := f.mustWebhook(at(w, in).org, n)
			return "GET", fmt.Sprintf("/api/v1/organisations/%d/webhooks", at(w, in).org.ID), nil, h
		}},
	}
}

func (f *fixture) mustUser(username, scope string) civic.User {
	f.t.Helper()
	return f.mustAccount(username, username, civic.RoleGridWorker, scope)
}

// mustAccount makes an account of a role scoped to a region.
func (f *fixture) mustAccount(username, displayName string, role civic.Role, scope string) civic.User {
	f.t.Helper()
	u, err := f.s.CreateUser(context.Background(), civic.System, store.NewUser{Username: username, DisplayName: displayName, Password: "password-x", Role: role, Scope: civic.Scope{RegionCode: scope}})
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
	p, err := f.s.SavePerson(context.Background(), civic.System, civic.Person{GridCode: grid, Name: "居民" + chineseDigits(n),
		IDNumber: idNumber("110101", n), Phone: fmt.Sprintf("139%08d", n)}, "")
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

// TestScopeMatrix tries every read and write of the API as every role, on
// a target inside the caller's scope and on one outside it, in three
// worlds: callers of a street (or its community) against another district's
// street, callers of one grid against the other grid of their community,
// and callers of one community against the other community of their
// street. Leaks are likelier near home than across the city. Inside, the
// role's permission decides (2xx with the data, or 403); outside, every
// attempt is refused with 403 or 404 and the answer carries none of the
// target's data.
func TestScopeMatrix(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		n := 0
		for _, w := range f.mustScopeWorlds() {
			for _, op := range scopeOps() {
				for _, role := range civic.Roles {
					for _, inside := range []bool{true, false} {
						n++
						if op.allowed == nil && inside {
							continue
						}
						method, path, body, marker := op.build(f, w, inside, n)
						var resp response
						if sessionOps[op.name] {
							resp = f.doSession(method, path, f.sessions[w.tokens[role]], body)
						} else {
							resp = f.do(method, path, w.tokens[role], body)
						}
						checkScopeAnswer(t, w, op, role, inside, method, marker, resp, searchOps[op.name])
						// The handlers refuse an ?under= outside the
						// scope before the store is asked; without it,
						// the store's own scope must leave the target out.
						if whole, ok := withoutParam(path, "under"); ok && method == "GET" {
							op := op
							op.name += wholeScope
							resp := f.do(method, whole, w.tokens[role], nil)
							checkScopeAnswer(t, w, op, role, inside, method, marker, resp, true)
						}
					}
				}
			}
		}
	})
}

// checkScopeAnswer judges one answer of the matrix.
// A search (or a list of the whole scope) outside it may answer 200
// without the target rather than refuse.
func checkScopeAnswer(t *testing.T, w *scopeWorld, op scopeOp, role civic.Role, inside bool, method, marker string, resp response, search bool) {
	t.Helper()
	where := w.name + " " + map[bool]string{true: "inside", false: "outside"}[inside]
	allowed := false
	for _, r := range op.allowed {
		allowed = allowed || r == role
	}
	switch {
	case !inside || op.allowed == nil:
		// A free-text search names no region: outside the scope it finds
		// nothing rather than refusing.
		filters := search && resp.Status == http.StatusOK
		invalid := referenceOps[op.name] && resp.Status == http.StatusUnprocessableEntity
		if resp.Status != http.StatusForbidden && resp.Status != http.StatusNotFound && !filters && !invalid {
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
	case unseenOps[strings.TrimSuffix(op.name, wholeScope)] && (resp.Status == http.StatusNotFound || resp.Status == http.StatusOK && method == "GET"):
		if marker != "" && strings.Contains(string(resp.Body), marker) {
			t.Errorf("%s as %s %s: a caller who may not read it sees %q: %.300s", op.name, role, where, marker, resp.Body)
		}
	default:
		if resp.Status != http.StatusForbidden {
			t.Errorf("%s as %s %s: status %d, want 403; body %.300s", op.name, role, where, resp.Status, resp.Body)
		}
	}
}

// Street A2 of the fixture, split for the near-home worlds: community A2c
// keeps its first grid and gains a second, and a second community A2d
// lies beside it in the same street.
const (
	gridA2b  = "110101002001002"
	codeA2d  = "110101002002"
	gridA2d  = "110101002002001"
	rectA2c  = "116.40,39.80,116.45,39.90"
	rectA2g1 = "116.40,39.80,116.45,39.85"
	rectA2g2 = "116.40,39.85,116.45,39.90"
	rectA2d  = "116.45,39.80,116.50,39.90"
)

func rectOf(r string) string {
	var a, b, c, d float64
	fmt.Sscanf(r, "%g,%g,%g,%g", &a, &b, &c, &d)
	return rect(a, b, c, d)
}

// mustScopeWorlds splits street A2 and returns the matrix's worlds, in the
// order they must run: the grid world renames and re-imports only grid
// A2's first grid, which no later world names.
func (f *fixture) mustScopeWorlds() []*scopeWorld {
	f.t.Helper()
	f.mustSplitStreetA2()
	base := &scopeWorld{name: "street", tokens: f.tokens,
		in: scopePlace{grid: gridA1x, gridName: "甲一社区第1网格", area: codeA1, unit: codeA1c, unitName: "甲一社区", parent: codeA1c,
			lng: 116.42, lat: 39.95, org: f.orgA1, importGrid: gridA1y, importRect: rect(116.45, 39.90, 116.50, 40.00),
			assessLevel: "street", assessUnit: codeA1},
		out: scopePlace{grid: gridB1, gridName: "乙一社区第1网格", area: codeB1, unit: codeB1c, unitName: "乙一社区", parent: codeB1c,
			lng: 116.35, lat: 39.90, org: f.orgB1, importGrid: gridB1, importRect: rect(116.30, 39.80, 116.40, 40.00),
			assessLevel: "street", assessUnit: codeB1},
	}
	g1 := scopePlace{grid: gridA2, gridName: "甲二社区第1网格", area: gridA2, unit: gridA2, unitName: "甲二社区第1网格", parent: gridA2,
		lng: 116.42, lat: 39.82, org: f.mustOrg("甲二一网格物业", gridA2), importGrid: gridA2, importRect: rectOf(rectA2g1),
		assessLevel: "community", assessUnit: codeA2c}
	g2 := scopePlace{grid: gridA2b, gridName: "甲二社区第2网格", area: gridA2b, unit: gridA2b, unitName: "甲二社区第2网格", parent: gridA2b,
		lng: 116.42, lat: 39.87, org: f.mustOrg("甲二二网格物业", gridA2b), importGrid: gridA2b, importRect: rectOf(rectA2g2),
		assessLevel: "community", assessUnit: codeA2c}
	grids := &scopeWorld{name: "grid", in: g1, out: g2, tokens: f.mustWorldTokens("g", g1)}
	c1 := scopePlace{grid: gridA2b, gridName: "甲二社区第2网格", area: codeA2c, unit: codeA2c, unitName: "甲二社区", parent: codeA2c,
		lng: 116.42, lat: 39.87, org: f.mustOrg("甲二社区物业", codeA2c), importGrid: gridA2b, importRect: rectOf(rectA2g2),
		assessLevel: "community", assessUnit: codeA2c}
	c2 := scopePlace{grid: gridA2d, gridName: "甲二东社区第1网格", area: codeA2d, unit: codeA2d, unitName: "甲二东社区", parent: codeA2d,
		lng: 116.47, lat: 39.85, org: f.mustOrg("甲二东社区物业", codeA2d), importGrid: gridA2d, importRect: rectOf(rectA2d),
		assessLevel: "community", assessUnit: codeA2d}
	communities := &scopeWorld{name: "community", in: c1, out: c2, tokens: f.mustWorldTokens("c", c1)}
	return []*scopeWorld{base, grids, communities}
}

// mustSplitStreetA2 gives community A2c a second grid and street A2 a
// second community.
func (f *fixture) mustSplitStreetA2() {
	f.t.Helper()
	ctx := context.Background()
	feats, err := store.ParseRegionFile(collection(
		feature(codeA2c, "甲二社区", rectOf(rectA2c)),
		feature(gridA2, "甲二社区第1网格", rectOf(rectA2g1)),
		feature(gridA2b, "甲二社区第2网格", rectOf(rectA2g2)),
		feature(codeA2d, "甲二东社区", rectOf(rectA2d)),
		feature(gridA2d, "甲二东社区第1网格", rectOf(rectA2d)),
	))
	if err != nil {
		f.t.Fatalf("parse street A2's split: %v", err)
	}
	if _, err := f.s.ImportRegions(ctx, civic.System, feats); err != nil {
		f.t.Fatalf("split street A2: %v", err)
	}
}

// mustWorldTokens makes one account per role scoped to in's area (a
// handler of in's organisation) and returns their tokens.
func (f *fixture) mustWorldTokens(prefix string, in scopePlace) map[civic.Role]string {
	f.t.Helper()
	out := map[civic.Role]string{}
	for _, role := range civic.Roles {
		sc := civic.Scope{RegionCode: in.area}
		if role == civic.RoleHandler {
			sc.OrgID = in.org.ID
		}
		out[role] = f.mustUserToken(prefix+"_"+string(role), role, sc)
	}
	return out
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
	u := f.mustAccount(fmt.Sprintf("dupres%d", n), "居民", civic.RoleResident, codeCity)
	if _, _, err := f.s.SubmitCase(context.Background(), store.ActorOf(u, ""), f.s.NewLocator(0), store.NewCase{Source: civic.SourceResident,
		Title: "路灯坏了", Description: desc, HasLocation: true, Lng: lng, Lat: lat}); err != nil {
		f.t.Fatalf("file case: %v", err)
	}
	return desc
}

// mustPlacedCase files an open case at the place's point, by a resident of
// the city, with a title and reporter name of its own.
func (f *fixture) mustPlacedCase(n int, p scopePlace) civic.Case {
	f.t.Helper()
	ctx := context.Background()
	u := f.mustAccount(fmt.Sprintf("caseres%d", n), "报事人"+chineseDigits(n), civic.RoleResident, codeCity)
	c, _, err := f.s.SubmitCase(ctx, store.ActorOf(u, ""), f.s.NewLocator(0), store.NewCase{Source: civic.SourceResident,
		Title: "井盖破损" + chineseDigits(n), Description: "小区门口井盖破损，有人踩空", HasLocation: true, Lng: p.lng, Lat: p.lat})
	if err != nil {
		f.t.Fatalf("file case: %v", err)
	}
	if !civic.InSubtree(c.RegionCode, p.grid) {
		f.t.Fatalf("case filed at %g,%g lies in %s, not in %s", p.lng, p.lat, c.RegionCode, p.grid)
	}
	return c
}

// mustResident registers a person living in a new house of grid.
func (f *fixture) mustResident(grid string, n int) (civic.Person, civic.House) {
	f.t.Helper()
	p, h := f.mustPerson(grid, n), f.mustHouse(grid, n)
	if _, err := f.s.LinkHouse(context.Background(), civic.System, civic.HouseLink{PersonID: p.ID, HouseID: h.ID, Relation: civic.RelationOwner}); err != nil {
		f.t.Fatalf("link %s to %s: %v", p.Name, h.Address, err)
	}
	return p, h
}

// mustVisit records a visit to a new person of grid.
func (f *fixture) mustVisit(grid string, n int) civic.Visit {
	f.t.Helper()
	p := f.mustPerson(grid, n)
	v, err := f.s.RecordVisit(context.Background(), civic.System, civic.Visit{PersonID: p.ID, Notes: "走访记录" + chineseDigits(n), VisitedAt: f.clock.Now()})
	if err != nil {
		f.t.Fatalf("visit %s: %v", p.Name, err)
	}
	return v
}

// mustPartyMember registers a party member in grid.
func (f *fixture) mustPartyMember(grid string, n int) civic.Person {
	f.t.Helper()
	p := f.mustPerson(grid, n)
	p.Tags = []civic.Tag{civic.TagParty}
	p, err := f.s.SavePerson(context.Background(), civic.System, p, "")
	if err != nil {
		f.t.Fatalf("tag %s a party member: %v", p.Name, err)
	}
	return p
}

// mustCareTask registers an elder living alone in grid and lets the care
// rules file her a task; it returns her.
func (f *fixture) mustCareTask(grid string, n int) civic.Person {
	f.t.Helper()
	ctx := context.Background()
	p, err := f.s.SavePerson(ctx, civic.System, civic.Person{GridCode: grid, Name: "独居老人" + chineseDigits(n), BirthDate: "1940-02-02", Tags: []civic.Tag{civic.TagAlone}}, "")
	if err != nil {
		f.t.Fatalf("elder in %s: %v", grid, err)
	}
	if _, err := f.s.EvaluateCareRules(ctx, 1000); err != nil {
		f.t.Fatalf("care rules: %v", err)
	}
	ts, _, err := f.s.CareTasks(ctx, civic.System, store.CareTaskFilter{PersonID: p.ID})
	if err != nil || len(ts) == 0 {
		f.t.Fatalf("no care task for %s: %v", p.Name, err)
	}
	return p
}

// mustPartyHousehold gives a new house of grid to a new party member of
// grid to keep in touch with, and with contacted records a contact.
func (f *fixture) mustPartyHousehold(grid string, n int, contacted bool) civic.PartyHousehold {
	f.t.Helper()
	ctx := context.Background()
	m, h := f.mustPartyMember(grid, n), f.mustHouse(grid, n)
	ph, err := f.s.AssignHousehold(ctx, civic.System, m.ID, h.ID)
	if err != nil {
		f.t.Fatalf("assign %s to %s: %v", h.Address, m.Name, err)
	}
	if contacted {
		if _, err := f.s.RecordContact(ctx, civic.System, civic.PartyContact{MemberID: m.ID, HouseID: h.ID, Way: civic.ContactVisit, ContactedAt: f.clock.Now(), Notes: "上门问候"}); err != nil {
			f.t.Fatalf("contact %s: %v", h.Address, err)
		}
	}
	return ph
}

// wholeScope marks the run of a list op without its ?under=.
const wholeScope = " (whole scope)"

// withoutParam drops a query parameter from path, if it has it.
func withoutParam(path, name string) (string, bool) {
	u, err := url.Parse(path)
	if err != nil || !u.Query().Has(name) {
		return path, false
	}
	q := u.Query()
	q.Del(name)
	u.RawQuery = q.Encode()
	return u.String(), true
}

// TestHouseholdAcrossGrids: a house's members registered in another grid
// (or community) are listed as members, without their name or record, to
// a viewer whose scope holds the house but not them; that the house is
// lived in still shows.
func TestHouseholdAcrossGrids(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		f := mustFixture(t, s, clock)
		f.mustSplitStreetA2()
		worker := f.mustUserToken("g_worker", civic.RoleGridWorker, civic.Scope{RegionCode: gridA2})
		community := f.mustUserToken("c_staff", civic.RoleCommunityStaff, civic.Scope{RegionCode: codeA2c})
		h := f.mustHouse(gridA2, 1)
		mine := f.mustPerson(gridA2, 2)
		neighbour := f.mustPerson(gridA2b, 3) // the other grid of the community
		away := f.mustPerson(gridA2d, 4)      // the other community of the street
		// The two from elsewhere have their homes there: a first home
		// would move them to the house's grid.
		for _, l := range []civic.HouseLink{
			{PersonID: neighbour.ID, HouseID: f.mustHouse(gridA2b, 6).ID, Relation: civic.RelationOwner},
			{PersonID: away.ID, HouseID: f.mustHouse(gridA2d, 7).ID, Relation: civic.RelationOwner},
			{PersonID: mine.ID, HouseID: h.ID, Relation: civic.RelationOwner},
			{PersonID: neighbour.ID, HouseID: h.ID, Relation: civic.RelationTenant},
			{PersonID: away.ID, HouseID: h.ID, Relation: civic.RelationTenant},
		} {
			if _, err := s.LinkHouse(ctx, civic.System, l); err != nil {
				t.Fatalf("link %+v: %v", l, err)
			}
		}
		household := func(token string) []civic.HouseLink {
			t.Helper()
			r := f.do("GET", fmt.Sprintf("/api/v1/houses/%d/household", h.ID), token, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("household: %d %s", r.Status, r.Body)
			}
			for _, p := range []civic.Person{neighbour, away} {
				if token == worker && strings.Contains(string(r.Body), p.Name) {
					t.Errorf("the grid worker's household names %s, registered outside the grid: %s", p.Name, r.Body)
				}
			}
			var ls list[civic.HouseLink]
			r.decode(t, &ls)
			return ls.Items
		}
		for _, c := range []struct {
			name    string
			token   string
			visible map[int64]bool
		}{
			{"grid worker", worker, map[int64]bool{mine.ID: true}},
			{"community staff", community, map[int64]bool{mine.ID: true, neighbour.ID: true}},
		} {
			got := household(c.token)
			if len(got) != 3 {
				t.Fatalf("%s sees %d members, want 3 (the house is lived in): %+v", c.name, len(got), got)
			}
			named := 0
			for _, l := range got {
				switch {
				case c.visible[l.PersonID] && !l.OutsideScope && l.PersonName != "":
					named++
				case l.OutsideScope && l.PersonID == 0 && l.PersonName == "":
				default:
					t.Errorf("%s: member %+v", c.name, l)
				}
			}
			if named != len(c.visible) {
				t.Errorf("%s: %d members named, want %d", c.name, named, len(c.visible))
			}
		}
	})
}

// mustWebhook registers an endpoint for an organisation and returns its
// address.
func (f *fixture) mustWebhook(o civic.Organisation, n int) string {
	f.t.Helper()
	u := fmt.Sprintf("https://hooks.example.gov.cn/%d", n)
	if _, err := f.s.CreateWebhook(context.Background(), civic.System, o.ID, u); err != nil {
		f.t.Fatalf("webhook of %s: %v", o.Name, err)
	}
	return u
}

// idNumber is a valid ID number of an area code born in 1950, unique for
// each n: a birth date a day later every thousand.
func idNumber(area string, n int) string {
	born := time.Date(1950, 1, 1+n/1000, 0, 0, 0, 0, time.UTC).Format("20060102")
	first17 := fmt.Sprintf("%s%s%03d", area, born, n%1000)
	return first17 + string(civic.IDCheckChar(first17))
}

// mustRental reports a new tenant of a new house in grid.
func (f *fixture) mustRental(grid string, n int) civic.Rental {
	f.t.Helper()
	h := f.mustHouse(grid, n)
	today := civic.Today(f.clock.Now())
	r, err := f.s.ReportRental(context.Background(), civic.System, civic.Rental{HouseID: h.ID, TenantName: "租客" + chineseDigits(n),
		IDNumber: idNumber("110102", n), Phone: fmt.Sprintf("137%08d", n), From: today, To: today})
	if err != nil {
		f.t.Fatalf("rental in %s: %v", grid, err)
	}
	return r
}

// mustPlaceCode prints a place code at the place's point.
func (f *fixture) mustPlaceCode(p scopePlace, n int) civic.PlaceCode {
	f.t.Helper()
	pc, err := f.s.CreatePlaceCode(context.Background(), civic.System, f.s.NewLocator(0), civic.PlaceCode{Name: "扫码点" + chineseDigits(n), HasLocation: true, Lng: p.lng, Lat: p.lat})
	if err != nil {
		f.t.Fatalf("place code at %s: %v", p.grid, err)
	}
	return pc
}

// mustPatrol has a new grid worker of grid start a patrol there.
func (f *fixture) mustPatrol(grid string, n int) civic.Patrol {
	f.t.Helper()
	ctx := context.Background()
	u := f.mustAccount(fmt.Sprintf("patrol%d", n), "巡查员"+chineseDigits(n), civic.RoleGridWorker, grid)
	p, err := f.s.StartPatrol(ctx, store.ActorOf(u, ""), grid)
	if err != nil {
		f.t.Fatalf("start patrol in %s: %v", grid, err)
	}
	return p
}

// mustImport has new community staff of the place's unit queue a houses
// import, named for n.
func (f *fixture) mustImport(p scopePlace, n int) civic.Import {
	f.t.Helper()
	ctx := context.Background()
	u := f.mustAccount(fmt.Sprintf("importer%d", n), "导入员", civic.RoleCommunityStaff, p.unit)
	data := []byte("网格编码,小区,楼栋,单元,楼层,门牌号,面积,用途\n" + p.grid + ",和平里,1号楼,1,2,201,60,自住\n")
	im, err := f.s.StartImport(ctx, store.ActorOf(u, ""), civic.ImportHouses, "房屋导入"+chineseDigits(n)+".csv", data)
	if err != nil {
		f.t.Fatalf("queue import in %s: %v", p.unit, err)
	}
	return im
}
