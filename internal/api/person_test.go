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

const (
	clearID    = "11010519491231002X"
	clearPhone = "13800138000"
)

// mustNoClear fails when a response carries a clear ID or phone number.
func mustNoClear(t *testing.T, what string, r response) {
	t.Helper()
	if b := string(r.Body); strings.Contains(b, "19491231002") || strings.Contains(b, clearPhone) {
		t.Fatalf("%s shows a number in clear: %s", what, b)
	}
}

func mustStatusAPI(t *testing.T, what string, r response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, want, r.Body)
	}
}

// TestPlacesAPI builds a compound, a building and houses through the API,
// reads the floor plan, and checks roles and scope.
func TestPlacesAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		staff := f.tokens[civic.RoleCommunityStaff]
		outsider := f.mustUserToken("outsider", civic.RoleCommunityStaff, civic.Scope{RegionCode: codeB1c})
		compound := map[string]any{"region_code": codeA1c, "name": "幸福里小区", "address": "幸福路1号", "property_org_id": f.orgA1.ID, "lng": 116.42, "lat": 39.95}
		for _, role := range []civic.Role{civic.RoleGridWorker, civic.RoleLeader, civic.RoleHandler} {
			mustStatusAPI(t, string(role)+" adds a compound", f.do("POST", "/api/v1/compounds", f.tokens[role], compound), http.StatusForbidden)
		}
		mustStatusAPI(t, "compound out of scope", f.do("POST", "/api/v1/compounds", outsider, compound), http.StatusForbidden)
		bad := f.do("POST", "/api/v1/compounds", staff, map[string]any{"region_code": codeA1c, "property_org_id": f.orgA1.ID})
		if mustStatusAPI(t, "nameless compound", bad, http.StatusUnprocessableEntity); !strings.Contains(string(bad.Body), `"field":"name"`) {
			t.Fatalf("no field error: %s", bad.Body)
		}
		var c civic.Compound
		r := f.do("POST", "/api/v1/compounds", staff, compound)
		mustStatusAPI(t, "compound", r, http.StatusCreated)
		r.decode(t, &c)
		if c.PropertyName != "甲一物业公司" {
			t.Fatalf("compound %+v", c)
		}
		var b civic.Building
		r = f.do("POST", "/api/v1/buildings", staff, map[string]any{"compound_id": c.ID, "grid_code": gridA1x, "name": "3号楼", "floors": 3, "units": 2})
		mustStatusAPI(t, "building", r, http.StatusCreated)
		r.decode(t, &b)
		for _, h := range []map[string]any{{"unit": 1, "floor": 1, "number": "101"}, {"unit": 1, "floor": 2, "number": "201"}, {"unit": 2, "floor": 3, "number": "302", "use": "vacant"}} {
			h["building_id"] = b.ID
			mustStatusAPI(t, "house", f.do("POST", "/api/v1/houses", staff, h), http.StatusCreated)
		}
		mustStatusAPI(t, "a house on floor 4", f.do("POST", "/api/v1/houses", staff, map[string]any{"building_id": b.ID, "unit": 1, "floor": 4, "number": "401"}), http.StatusUnprocessableEntity)
		var plan floorPlanOutput
		r = f.do("GET", fmt.Sprintf("/api/v1/buildings/%d/floorplan", b.ID), f.tokens[civic.RoleGridWorker], nil)
		mustStatusAPI(t, "floor plan", r, http.StatusOK)
		r.decode(t, &plan)
		if len(plan.Floors) != 3 || plan.Floors[0].Floor != 3 || len(plan.Floors[0].Cells) != 2 || len(plan.Floors[0].Cells[1]) != 1 || plan.Floors[0].Cells[1][0].Number != "302" || len(plan.Floors[2].Cells[0]) != 1 {
			t.Fatalf("floor plan %+v", plan)
		}
		var houses list[civic.House]
		r = f.do("GET", fmt.Sprintf("/api/v1/houses?building_id=%d", b.ID), f.tokens[civic.RoleLeader], nil)
		mustStatusAPI(t, "houses", r, http.StatusOK)
		r.decode(t, &houses)
		if houses.Total != 3 || houses.Items[0].Address != "幸福里小区3号楼1单元101" {
			t.Fatalf("houses %+v", houses)
		}
		// Renaming readdresses; an outsider sees none of it.
		c.Name = "幸福里北区"
		mustStatusAPI(t, "rename", f.do("PUT", fmt.Sprintf("/api/v1/compounds/%d", c.ID), staff, map[string]any{"region_code": codeA1c, "name": c.Name, "property_org_id": f.orgA1.ID}), http.StatusOK)
		r = f.do("GET", fmt.Sprintf("/api/v1/houses/%d", houses.Items[0].ID), staff, nil)
		if mustStatusAPI(t, "house", r, http.StatusOK); !strings.Contains(string(r.Body), "幸福里北区3号楼1单元101") {
			t.Fatalf("not readdressed: %s", r.Body)
		}
		for _, path := range []string{fmt.Sprintf("/api/v1/compounds/%d", c.ID), fmt.Sprintf("/api/v1/buildings/%d", b.ID), fmt.Sprintf("/api/v1/buildings/%d/floorplan", b.ID),
			fmt.Sprintf("/api/v1/houses/%d", houses.Items[0].ID), fmt.Sprintf("/api/v1/houses/%d/household", houses.Items[0].ID), "/api/v1/compounds?under=" + codeA1} {
			mustStatusAPI(t, "outsider "+path, f.do("GET", path, outsider, nil), http.StatusNotFound)
		}
		for _, path := range []string{"/api/v1/compounds", "/api/v1/buildings", "/api/v1/houses"} {
			var l list[map[string]any]
			r := f.do("GET", path, outsider, nil)
			mustStatusAPI(t, "outsider "+path, r, http.StatusOK)
			if r.decode(t, &l); l.Total != 0 {
				t.Fatalf("outsider lists %s: %s", path, r.Body)
			}
		}
		mustStatusAPI(t, "outsider edits", f.do("PUT", fmt.Sprintf("/api/v1/buildings/%d", b.ID), outsider, map[string]any{"grid_code": gridB1, "name": "x", "floors": 3, "units": 2}), http.StatusNotFound)
		mustStatusAPI(t, "handler reads houses", f.do("GET", "/api/v1/houses", f.tokens[civic.RoleHandler], nil), http.StatusForbidden)
	})
}

// TestPeopleAPI registers, finds, unmasks, links and moves out a person
// through the API as each role, inside and outside the scope, and checks
// that no answer but the unmask carries the numbers in clear.
func TestPeopleAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		staff, worker, leader := f.tokens[civic.RoleCommunityStaff], f.tokens[civic.RoleGridWorker], f.tokens[civic.RoleLeader]
		outsider := f.mustUserToken("outsider", civic.RoleCommunityStaff, civic.Scope{RegionCode: codeB1c})
		var b civic.Building
		r := f.do("POST", "/api/v1/buildings", staff, map[string]any{"grid_code": gridA1x, "name": "平房", "floors": 1, "units": 1})
		mustStatusAPI(t, "building", r, http.StatusCreated)
		r.decode(t, &b)
		var h, vacant civic.House
		f.do("POST", "/api/v1/houses", staff, map[string]any{"building_id": b.ID, "unit": 1, "floor": 1, "number": "1"}).decode(t, &h)
		f.do("POST", "/api/v1/houses", staff, map[string]any{"building_id": b.ID, "unit": 1, "floor": 1, "number": "2", "use": "vacant"}).decode(t, &vacant)

		in := map[string]any{"grid_code": gridA1x, "name": "王秀英", "id_number": "110105194912310021", "phone": "138 0013 8000", "tags": []string{"alone"}, "reason": "入户登记"}
		r = f.do("POST", "/api/v1/people?lang=en", staff, in)
		mustStatusAPI(t, "bad check digit", r, http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.Body), `"field":"id_number"`) || !strings.Contains(string(r.Body), "check character") {
			t.Fatalf("check digit message: %s", r.Body)
		}
		in["id_number"] = strings.ToLower(clearID)
		for _, tok := range []string{worker, leader} {
			mustStatusAPI(t, "read-only role registers", f.do("POST", "/api/v1/people", tok, in), http.StatusForbidden)
		}
		mustStatusAPI(t, "outsider registers in A1", f.do("POST", "/api/v1/people", outsider, in), http.StatusForbidden)
		var p civic.Person
		r = f.do("POST", "/api/v1/people", staff, in)
		mustStatusAPI(t, "register", r, http.StatusCreated)
		mustNoClear(t, "register", r)
		r.decode(t, &p)
		if p.IDNumber != "1****************X" || p.Phone != "138****8000" || !p.Masked || p.Gender != civic.GenderFemale || p.BirthDate != "1949-12-31" {
			t.Fatalf("person %+v", p)
		}
		mustStatusAPI(t, "twice", f.do("POST", "/api/v1/people", staff, in), http.StatusConflict)
		person := fmt.Sprintf("/api/v1/people/%d", p.ID)

		// Search by name, ID and phone, within scope only.
		for _, q := range []string{"秀英", clearID, clearPhone, "138-0013-8000"} {
			for _, tok := range []string{worker, leader, staff} {
				var l list[civic.Person]
				r := f.do("GET", "/api/v1/people?q="+strings.ReplaceAll(q, " ", "+"), tok, nil)
				mustStatusAPI(t, "search "+q, r, http.StatusOK)
				mustNoClear(t, "search", r)
				if r.decode(t, &l); l.Total != 1 || l.Items[0].ID != p.ID {
					t.Fatalf("search %q found %s", q, r.Body)
				}
			}
			var l list[civic.Person]
			if f.do("GET", "/api/v1/people?q="+q, outsider, nil).decode(t, &l); l.Total != 0 {
				t.Fatalf("outsider finds %q", q)
			}
		}
		var byTag list[civic.Person]
		if f.do("GET", "/api/v1/people?tag=60岁以上&under="+gridA1x, worker, nil).decode(t, &byTag); byTag.Total != 1 {
			t.Fatalf("by tag: %+v", byTag)
		}
		mustStatusAPI(t, "unknown tag", f.do("GET", "/api/v1/people?tag=vip", worker, nil), http.StatusUnprocessableEntity)
		for _, path := range []string{person, person + "/tag-history", person + "/houses", person + "/cases", "/api/v1/people?under=" + codeA1} {
			mustStatusAPI(t, "outsider "+path, f.do("GET", path, outsider, nil), http.StatusNotFound)
			r := f.do("GET", path, worker, nil)
			mustStatusAPI(t, "worker "+path, r, http.StatusOK)
			mustNoClear(t, path, r)
		}

		// Unmasking: roles, reason, scope, audit.
		for _, tok := range []string{worker, leader} {
			mustStatusAPI(t, "read-only role unmasks", f.do("POST", person+"/unmask", tok, map[string]any{"reason": "核实身份"}), http.StatusForbidden)
		}
		mustStatusAPI(t, "outsider unmasks", f.do("POST", person+"/unmask", outsider, map[string]any{"reason": "核实身份"}), http.StatusNotFound)
		mustStatusAPI(t, "no reason", f.do("POST", person+"/unmask", staff, map[string]any{"reason": " "}), http.StatusUnprocessableEntity)
		var clear unmaskOutput
		r = f.do("POST", person+"/unmask", staff, map[string]any{"reason": "办理高龄津贴核实身份"})
		mustStatusAPI(t, "unmask", r, http.StatusOK)
		if r.decode(t, &clear); clear.IDNumber != clearID || clear.Phone != clearPhone {
			t.Fatalf("unmasked %+v", clear)
		}
		var audit list[civic.AuditEntry]
		r = f.do("GET", "/api/v1/audit?action=person.unmask", f.admin, nil)
		if r.decode(t, &audit); audit.Total != 1 || !strings.Contains(audit.Items[0].After, "高龄津贴") || audit.Items[0].Username != "u_community_staff" {
			t.Fatalf("unmask audit %s", r.Body)
		}
		mustNoClear(t, "audit", f.do("GET", "/api/v1/audit", f.admin, nil))

		// An update without the numbers keeps them; tags change with history.
		upd := map[string]any{"grid_code": gridA1x, "name": "王秀英", "workplace": "退休", "tags": []string{"alone", "dibao"}, "reason": "低保审批通过"}
		for _, tok := range []string{worker, leader} {
			mustStatusAPI(t, "read-only role edits", f.do("PUT", person, tok, upd), http.StatusForbidden)
		}
		mustStatusAPI(t, "outsider edits", f.do("PUT", person, outsider, upd), http.StatusForbidden)
		r = f.do("PUT", person, staff, upd)
		mustStatusAPI(t, "update", r, http.StatusOK)
		mustNoClear(t, "update", r)
		if f.do("POST", person+"/unmask", staff, map[string]any{"reason": "核对修改"}).decode(t, &clear); clear.IDNumber != clearID || clear.Phone != clearPhone {
			t.Fatalf("the update changed the numbers: %+v", clear)
		}
		var hist list[civic.TagChange]
		if f.do("GET", person+"/tag-history", leader, nil).decode(t, &hist); hist.Total != 3 || hist.Items[0].Tag != civic.TagDibao || hist.Items[0].Reason != "低保审批通过" {
			t.Fatalf("tag history %+v", hist)
		}

		// Links and completeness by hand: houses 1 (resident) and 2
		// (vacant) complete; one person, linked.
		link := map[string]any{"person_id": p.ID, "house_id": h.ID, "relation": "owner", "move_in": "2001-06-01"}
		mustStatusAPI(t, "worker links", f.do("POST", "/api/v1/house-links", worker, link), http.StatusForbidden)
		mustStatusAPI(t, "outsider links", f.do("POST", "/api/v1/house-links", outsider, link), http.StatusUnprocessableEntity)
		var l civic.HouseLink
		r = f.do("POST", "/api/v1/house-links", staff, link)
		mustStatusAPI(t, "link", r, http.StatusCreated)
		r.decode(t, &l)
		var hh list[civic.HouseLink]
		if f.do("GET", fmt.Sprintf("/api/v1/houses/%d/household", h.ID), worker, nil).decode(t, &hh); hh.Total != 1 || hh.Items[0].PersonName != "王秀英" || hh.Items[0].MoveOut != "" {
			t.Fatalf("household %+v", hh)
		}
		var comp list[completenessOutput]
		r = f.do("GET", "/api/v1/completeness?root="+codeA1+"&level=grid", leader, nil)
		mustStatusAPI(t, "completeness", r, http.StatusOK)
		if r.decode(t, &comp); comp.Total != 1 || comp.Items[0].RegionCode != gridA1x || comp.Items[0].Houses != 2 || comp.Items[0].HousesComplete != 2 || comp.Items[0].PeopleLinked != 1 || comp.Items[0].HouseRate != 1 {
			t.Fatalf("completeness %s", r.Body)
		}
		mustStatusAPI(t, "outsider completeness", f.do("GET", "/api/v1/completeness?root="+codeA1, outsider, nil), http.StatusNotFound)
		mustStatusAPI(t, "bad level", f.do("GET", "/api/v1/completeness?level=city", leader, nil), http.StatusUnprocessableEntity)
		var grids list[store.GridRow]
		if f.do("GET", "/api/v1/grids?under="+codeA1c, staff, nil).decode(t, &grids); grids.Total != 2 || grids.Items[0].Houses != 2 || grids.Items[0].PeopleLinked != 1 {
			t.Fatalf("grid table %+v", grids)
		}

		// Moving out keeps the link as history.
		moveOut := fmt.Sprintf("/api/v1/house-links/%d/move-out", l.ID)
		mustStatusAPI(t, "outsider moves out", f.do("POST", moveOut, outsider, map[string]any{}), http.StatusNotFound)
		mustStatusAPI(t, "before moving in", f.do("POST", moveOut, staff, map[string]any{"move_out": "2000-01-01"}), http.StatusUnprocessableEntity)
		mustStatusAPI(t, "move out", f.do("POST", moveOut, staff, map[string]any{"move_out": "2026-03-01"}), http.StatusNoContent)
		mustStatusAPI(t, "again", f.do("POST", moveOut, staff, map[string]any{}), http.StatusConflict)
		if f.do("GET", person+"/houses", worker, nil).decode(t, &hh); hh.Total != 1 || hh.Items[0].MoveOut != "2026-03-01" {
			t.Fatalf("history %+v", hh)
		}
		var unlinked list[civic.Person]
		if f.do("GET", "/api/v1/people?unlinked=true", worker, nil).decode(t, &unlinked); unlinked.Total != 1 {
			t.Fatalf("unlinked %+v", unlinked)
		}
	})
}
