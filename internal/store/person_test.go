package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// peopleWorld is the case world with a compound, a building of 3 floors ×
// 2 units and four houses in grid1, and one house in grid2.
type peopleWorld struct {
	*caseWorld
	compound civic.Compound
	building civic.Building
	houses   []civic.House // 1-101, 1-201, 2-101 (vacant), 2-301 in grid1
	far      civic.House   // in grid2
}

func mustPeopleWorld(t *testing.T, s *store.Store) *peopleWorld {
	t.Helper()
	ctx := context.Background()
	w := &peopleWorld{caseWorld: mustCaseWorld(t, s)}
	var err error
	w.compound, err = s.SaveCompound(ctx, w.community, civic.Compound{RegionCode: "110101001001", Name: "幸福里小区", PropertyOrgID: w.propertyOrg(t), Lng: 116.1, Lat: 39.2})
	if err != nil {
		t.Fatal(err)
	}
	w.building, err = s.SaveBuilding(ctx, w.community, civic.Building{CompoundID: w.compound.ID, GridCode: grid1, Name: "3号楼", Floors: 3, Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []civic.House{{Unit: 1, Floor: 1, Number: "101"}, {Unit: 1, Floor: 2, Number: "201"}, {Unit: 2, Floor: 1, Number: "101", Use: civic.HouseVacant}, {Unit: 2, Floor: 3, Number: "301", Use: civic.HouseRented}} {
		h.BuildingID = w.building.ID
		h.AreaM2 = 78.5
		saved, err := s.SaveHouse(ctx, w.community, h)
		if err != nil {
			t.Fatal(err)
		}
		w.houses = append(w.houses, saved)
	}
	b2, err := s.SaveBuilding(ctx, civic.System, civic.Building{GridCode: grid2, Name: "平房5号", Floors: 1, Units: 1})
	if err != nil {
		t.Fatal(err)
	}
	if w.far, err = s.SaveHouse(ctx, civic.System, civic.House{BuildingID: b2.ID, Unit: 1, Floor: 1, Number: "1"}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *peopleWorld) propertyOrg(t *testing.T) int64 {
	t.Helper()
	orgs, _, err := w.s.ListOrganisations(context.Background(), civic.System, store.OrgFilter{Kind: civic.OrgPropertyCompany})
	if err != nil || len(orgs) == 0 {
		t.Fatalf("property company: %v", err)
	}
	return orgs[0].ID
}

func TestPlacesAndFloorPlan(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		if w.houses[0].Address != "幸福里小区3号楼1单元101" || w.houses[0].GridCode != grid1 {
			t.Fatalf("address %+v", w.houses[0])
		}
		if _, err := s.SaveHouse(ctx, w.community, civic.House{BuildingID: w.building.ID, Unit: 1, Floor: 1, Number: "101"}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a second 1-101: %v", err)
		}
		if _, err := s.SaveHouse(ctx, w.community, civic.House{BuildingID: w.building.ID, Unit: 3, Floor: 4, Number: "401"}); civic.ErrorCodeOf(err) != civic.EInvalid || !strings.Contains(err.Error(), "unit") {
			t.Fatalf("a house beyond the building: %v", err)
		}
		if _, err := s.SaveHouse(ctx, w.grid, civic.House{BuildingID: w.building.ID, Unit: 1, Floor: 3, Number: "301"}); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a grid worker writes houses directly: %v", err)
		}
		if _, err := s.GetHouse(ctx, w.outsider, w.houses[0].ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("outsider reads a house: %v", err)
		}
		plan, err := s.FloorPlan(ctx, w.grid, w.building.ID)
		if err != nil || len(plan.Rows) != 3 || len(plan.Units) != 2 {
			t.Fatalf("plan %+v %v", plan, err)
		}
		if top := plan.Rows[0]; top.Floor != 3 || len(top.Cells[1]) != 1 || top.Cells[1][0].Number != "301" || len(top.Cells[0]) != 0 {
			t.Fatalf("top floor %+v", top)
		}
		// Renaming the compound readdresses its houses.
		w.compound.Name = "幸福里北区"
		if _, err := s.SaveCompound(ctx, w.community, w.compound); err != nil {
			t.Fatal(err)
		}
		if h, _ := s.GetHouse(ctx, w.community, w.houses[3].ID); h.Address != "幸福里北区3号楼2单元301" {
			t.Fatalf("readdressed %q", h.Address)
		}
		if c, err := s.GetCompound(ctx, w.street, w.compound.ID); err != nil || c.Buildings != 1 || c.Houses != 4 || c.PropertyName != "甲物业公司" {
			t.Fatalf("compound %+v %v", c, err)
		}
	})
}

func TestPeopleMaskingSearchAndLinks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		old, err := s.SavePerson(ctx, w.community, civic.Person{GridCode: grid1, Name: "王秀英", IDNumber: "11010519491231002x", Phone: "138 0013 8000", Tags: []civic.Tag{civic.TagAlone}}, "入户登记")
		if err != nil {
			t.Fatal(err)
		}
		if old.IDNumber != "1****************X" || old.Phone != "138****8000" || !old.Masked || old.Gender != civic.GenderFemale {
			t.Fatalf("masked person %+v", old)
		}
		// Born 1949 (76 on the test clock): 60+ derived, living alone set by staff.
		if strings.Join(tagStrings(old.Tags), ",") != "age60,alone" {
			t.Fatalf("tags %v", old.Tags)
		}
		kid, err := s.SavePerson(ctx, w.community, civic.Person{GridCode: grid1, Name: "李小明", BirthDate: "2018-05-01", Gender: civic.GenderMale, ResidenceType: civic.ResidenceFloating}, "")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(tagStrings(kid.Tags), ",") != "child,floating" {
			t.Fatalf("kid tags %v", kid.Tags)
		}
		// The same ID number twice is a conflict, whatever its case.
		if _, err := s.SavePerson(ctx, w.community, civic.Person{GridCode: grid1, Name: "王秀英", IDNumber: "11010519491231002X"}, ""); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("duplicate ID: %v", err)
		}
		if _, err := s.SavePerson(ctx, w.grid, civic.Person{GridCode: grid1, Name: "张三", BirthDate: "1990-01-01"}, ""); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a grid worker writes people: %v", err)
		}
		// A grid code that names no grid is a mistake in the form (422 on
		// the field), not a trespass; only a real grid elsewhere is out of
		// scope.
		u, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "grid2staff", DisplayName: "二号网格社工", Password: "password-grid2staff", Role: civic.RoleCommunityStaff, Scope: civic.Scope{RegionCode: grid2}})
		if err != nil {
			t.Fatal(err)
		}
		narrow := store.ActorOf(u, "")
		for _, tc := range []struct {
			grid string
			code civic.ErrorCode
		}{{"110101001001999", civic.EInvalid}, {"乱码", civic.EInvalid}, {"", civic.EInvalid}, {grid1, civic.EForbidden}} {
			_, err := s.SavePerson(ctx, narrow, civic.Person{GridCode: tc.grid, Name: "张三", BirthDate: "1990-01-01"}, "")
			var ce *civic.Error
			if civic.ErrorCodeOf(err) != tc.code || !errors.As(err, &ce) || len(ce.Fields) != 1 || ce.Fields[0].Field != "grid_code" {
				t.Fatalf("person in grid %q: %v, want %s on grid_code", tc.grid, err, tc.code)
			}
		}
		if _, err := s.SaveBuilding(ctx, narrow, civic.Building{GridCode: "110101001001999", Name: "无此网格楼"}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("building in no grid: %v", err)
		}
		if _, err := s.SaveCompound(ctx, narrow, civic.Compound{RegionCode: "110101001999", Name: "无此社区小区"}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("compound in no region: %v", err)
		}
		// Nothing in the database holds the number in clear.
		var raw string
		if err := s.QueryRowForTest(ctx, `SELECT id_sealed || id_hash || phone_sealed || phone_hash FROM people WHERE id = ?`, old.ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, "19491231") || strings.Contains(raw, "00138000") {
			t.Fatal("the ID or phone number is stored in clear")
		}
		// Exact searches by ID or phone, partial by name or address.
		for _, q := range []string{"11010519491231002X", "13800138000", "秀英", "王"} {
			got, n, err := s.ListPeople(ctx, w.grid, store.PeopleFilter{Query: q})
			if err != nil || n != 1 || got[0].ID != old.ID {
				t.Fatalf("search %q: %d %v", q, n, err)
			}
		}
		if _, n, _ := s.ListPeople(ctx, w.outsider, store.PeopleFilter{Query: "王秀英"}); n != 0 {
			t.Fatal("an outsider finds the person")
		}
		if _, err := s.GetPerson(ctx, w.outsider, old.ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("outsider reads: %v", err)
		}
		if _, n, _ := s.ListPeople(ctx, w.street, store.PeopleFilter{Tag: civic.TagAge60}); n != 1 {
			t.Fatalf("tag search found %d", n)
		}
		// Unmasking needs the permission and a reason, and is audited.
		if _, _, err := s.UnmaskPerson(ctx, w.grid, old.ID, "核实身份"); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a grid worker unmasks: %v", err)
		}
		if _, _, err := s.UnmaskPerson(ctx, w.community, old.ID, ""); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("unmask without reason: %v", err)
		}
		id, phone, err := s.UnmaskPerson(ctx, w.community, old.ID, "办理高龄津贴核实身份")
		if err != nil || id != "11010519491231002X" || phone != "13800138000" {
			t.Fatalf("unmask: %q %q %v", id, phone, err)
		}
		if entries, _, err := s.ListAudit(ctx, civic.System, store.AuditFilter{Action: "person.unmask"}); err != nil || len(entries) != 1 || !strings.Contains(entries[0].After, "高龄津贴") || entries[0].Username != "community" {
			t.Fatalf("unmask audit: %+v %v", entries, err)
		}
		if entries, _, _ := s.ListAudit(ctx, civic.System, store.AuditFilter{Action: "person.create"}); len(entries) != 2 || strings.Contains(entries[0].After+entries[1].After, "19491231") {
			t.Fatalf("create audit shows the number: %+v", entries)
		}
		// Saving with the masked number keeps it.
		old.Workplace = "退休"
		if _, err := s.SavePerson(ctx, w.community, old, ""); err != nil {
			t.Fatal(err)
		}
		if id, _, _ := s.UnmaskPerson(ctx, w.community, old.ID, "核对修改结果"); id != "11010519491231002X" {
			t.Fatalf("masked save changed the number to %q", id)
		}
		// Links: move in, household, move out keeps history.
		l, err := s.LinkHouse(ctx, w.community, civic.HouseLink{PersonID: old.ID, HouseID: w.houses[0].ID, Relation: civic.RelationOwner, MoveIn: "2001-06-01"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.LinkHouse(ctx, w.community, civic.HouseLink{PersonID: old.ID, HouseID: w.houses[0].ID, Relation: civic.RelationFamily}); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("second link to one house: %v", err)
		}
		u, err = s.CreateUser(ctx, civic.System, store.NewUser{Username: "grid1staff", DisplayName: "一网格社工", Password: "password-grid1", Role: civic.RoleCommunityStaff, Scope: civic.Scope{RegionCode: grid1}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.LinkHouse(ctx, store.ActorOf(u, ""), civic.HouseLink{PersonID: kid.ID, HouseID: w.far.ID, Relation: civic.RelationFamily}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("link to a house outside scope: %v", err)
		}
		if _, err := s.LinkHouse(ctx, w.community, civic.HouseLink{PersonID: kid.ID, HouseID: w.houses[3].ID, Relation: civic.RelationTenant}); err != nil {
			t.Fatal(err)
		}
		if p, _ := s.GetPerson(ctx, w.grid, old.ID); p.Houses != 1 || p.Address != "幸福里小区3号楼1单元101" {
			t.Fatalf("linked person %+v", p)
		}
		if got, n, _ := s.ListPeople(ctx, w.grid, store.PeopleFilter{Query: "3号楼1单元"}); n != 1 || got[0].ID != old.ID {
			t.Fatalf("address search found %d", n)
		}
		// Completeness by hand: houses 101 (resident), 201 (none), 2-101
		// (vacant), 2-301 (tenant) → 3 of 4; people 2 of 2 linked.
		comp, err := s.Completeness(ctx, w.street, "", civic.LevelGrid)
		if err != nil || len(comp) != 2 || comp[0].RegionCode != grid1 || comp[1].Houses != 1 || comp[1].HousesComplete != 0 || comp[0].Houses != 4 || comp[0].HousesComplete != 3 || comp[0].People != 2 || comp[0].PeopleLinked != 2 {
			t.Fatalf("completeness %+v %v", comp, err)
		}
		if err := s.EndLink(ctx, w.community, w.houses[1].ID, l.ID, ""); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("ending a link from another house's page: %v", err)
		}
		if err := s.EndLink(ctx, w.community, 0, l.ID, "9999-12-31"); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("moving out in 9999: %v", err)
		}
		if err := s.EndLink(ctx, w.community, 0, l.ID, "2026-03-01"); err != nil {
			t.Fatal(err)
		}
		if err := s.EndLink(ctx, w.community, 0, l.ID, "2026-03-02"); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("moving out twice: %v", err)
		}
		hh, err := s.Household(ctx, w.grid, w.houses[0].ID)
		if err != nil || len(hh) != 1 || hh[0].MoveOut != "2026-03-01" {
			t.Fatalf("household history %+v %v", hh, err)
		}
		comp, _ = s.Completeness(ctx, w.street, "110101001", civic.LevelCommunity)
		if len(comp) != 1 || comp[0].Houses != 5 || comp[0].HousesComplete != 2 || comp[0].PeopleLinked != 1 {
			t.Fatalf("completeness after moving out %+v", comp)
		}
	})
}

func TestDerivedTagsRefresh(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		// Clock: 2026-03-10. Turns 80 on 2026-03-12, 14 on 2026-03-11.
		p, err := s.SavePerson(ctx, w.community, civic.Person{GridCode: grid1, Name: "赵老", BirthDate: "1946-03-12", Gender: civic.GenderMale, Tags: []civic.Tag{civic.TagVeteran}}, "")
		if err != nil {
			t.Fatal(err)
		}
		k, err := s.SavePerson(ctx, w.community, civic.Person{GridCode: grid1, Name: "钱小", BirthDate: "2012-03-11", Gender: civic.GenderFemale}, "")
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(72 * 3600e9)
		n, err := s.RefreshDerivedTags(ctx, 31)
		if err != nil || n != 2 {
			t.Fatalf("refresh changed %d: %v", n, err)
		}
		if n, _ := s.RefreshDerivedTags(ctx, 31); n != 0 {
			t.Fatalf("second refresh changed %d", n)
		}
		if got, _ := s.GetPerson(ctx, w.grid, p.ID); strings.Join(tagStrings(got.Tags), ",") != "age60,age80,veteran" {
			t.Fatalf("tags %v", got.Tags)
		}
		if got, _ := s.GetPerson(ctx, w.grid, k.ID); len(got.Tags) != 0 {
			t.Fatalf("the 14-year-old keeps %v", got.Tags)
		}
		hist, err := s.TagHistory(ctx, w.grid, p.ID)
		if err != nil || len(hist) != 3 || hist[0].Tag != civic.TagAge80 || !hist[0].Added || hist[0].By != "system" {
			t.Fatalf("history %+v %v", hist, err)
		}
	})
}

func tagStrings(ts []civic.Tag) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

func TestVisits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		p, err := s.SavePerson(ctx, w.community, civic.Person{GridCode: grid1, Name: "孙奶奶", BirthDate: "1940-02-02", Gender: civic.GenderFemale}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordVisit(ctx, w.grid, civic.Visit{PersonID: p.ID}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a visit without notes: %v", err)
		}
		if _, err := s.RecordVisit(ctx, w.outsider, civic.Visit{PersonID: p.ID, Notes: "x"}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("an outsider visits: %v", err)
		}
		v, err := s.RecordVisit(ctx, w.grid, civic.Visit{PersonID: p.ID, HouseID: w.houses[1].ID, Notes: "身体尚可，独自生活", Needs: "需要助餐", NextVisit: "2026-04-10"})
		if err != nil || v.GridCode != grid1 || v.VisitorName != "gridworker" {
			t.Fatalf("visit %+v %v", v, err)
		}
		got, n, err := s.ListVisits(ctx, w.street, store.VisitFilter{PersonID: p.ID})
		if err != nil || n != 1 || got[0].Needs != "需要助餐" || !got[0].VisitedAt.Equal(clock.Now()) {
			t.Fatalf("list %+v %v", got, err)
		}
		if _, n, _ := s.ListVisits(ctx, w.outsider, store.VisitFilter{}); n != 0 {
			t.Fatal("an outsider lists the visit")
		}
	})
}

func TestSystemTagReasons(t *testing.T) {
	for reason, want := range map[string]bool{
		store.TagReasonBirthDate: true, store.TagReasonRental: true, store.TagReasonImport(12): true,
		"批量导入（任务12） / import 13": false, "入户登记": false, "修好了 / fixed": false, "": false,
	} {
		if got := store.IsSystemTagReason(reason); got != want {
			t.Errorf("%q: %v, want %v", reason, got, want)
		}
	}
}

// TestNumberSearchLimit: staff who see ID and phone numbers masked may
// search by an exact number, each search audited with the number masked,
// at most store.MaxNumberSearches an hour (else the search would unmask
// the numbers: a phone's four hidden digits are 10,000 guesses); staff who
// may unmask are not counted. The stored mask of an ID number shows its
// first and last character only.
func TestNumberSearchLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		p, err := s.SavePerson(ctx, w.community, civic.Person{GridCode: grid1, Name: "王秀英", IDNumber: "11010519491231002X", Phone: "13800138000"}, "入户登记")
		if err != nil {
			t.Fatal(err)
		}
		if p.IDNumber != "1****************X" || p.BirthDate != "1949-12-31" {
			t.Fatalf("masked: %+v", p)
		}
		find := func(a civic.Actor, q string) (int, error) {
			_, n, err := s.ListPeople(ctx, a, store.PeopleFilter{Query: q})
			return n, err
		}
		for i := 0; i < store.MaxNumberSearches; i++ {
			q := fmt.Sprintf("1380013%04d", 8000+i) // a guess at the hidden digits
			if n, err := find(w.grid, q); err != nil || n != map[bool]int{true: 1, false: 0}[i == 0] {
				t.Fatalf("search %d (%s): %d %v", i, q, n, err)
			}
		}
		if _, err := find(w.grid, "11010519491231002X"); civic.ErrorCodeOf(err) != civic.ETooMany {
			t.Fatalf("search %d in the hour: %v", store.MaxNumberSearches+1, err)
		} else if ra := civic.AsError(err).RetryAfter; ra < time.Second || ra > time.Hour {
			t.Fatalf("the limit says to come back in %v", ra)
		}
		// The houses a number is registered at tell whose it is: the same
		// limit holds there.
		if _, err := s.CallerHouses(ctx, w.grid, "13800138000"); civic.ErrorCodeOf(err) != civic.ETooMany {
			t.Fatalf("caller houses past the limit: %v", err)
		}
		// Words are not counted; staff who may unmask are not limited.
		if _, err := find(w.grid, "王秀英"); err != nil {
			t.Fatalf("a name search: %v", err)
		}
		if n, err := find(w.community, "11010519491231002X"); err != nil || n != 1 {
			t.Fatalf("community staff: %d %v", n, err)
		}
		entries, total, err := s.ListAudit(ctx, civic.System, store.AuditFilter{Action: "search.number"})
		if err != nil || total != store.MaxNumberSearches {
			t.Fatalf("audited number searches: %d %v", total, err)
		}
		for _, e := range entries {
			if strings.Contains(e.After, "13800138") || e.Username != w.grid.Username {
				t.Fatalf("audit entry: %+v", e)
			}
		}
		// An hour later the grid worker may search again.
		clock.T = clock.T.Add(61 * time.Minute)
		if n, err := find(w.grid, "11010519491231002X"); err != nil || n != 1 {
			t.Fatalf("an hour later: %d %v", n, err)
		}
	})
}

// TestTagReasonLimit: the reason written to the tag history is bounded as
// the person form asks, in characters: one over is refused on its field,
// naming the limit, and the person is not saved; at the limit it is kept
// whole.
func TestTagReasonLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		p := civic.Person{GridCode: grid1, Name: "赵秀兰", BirthDate: "1950-05-01", Gender: civic.GenderFemale, Tags: []civic.Tag{civic.TagAlone}}
		_, err := s.SavePerson(ctx, w.community, p, strings.Repeat("独", 201))
		mustRefuseLength(t, err, "reason", 200)
		if _, n, err := s.ListPeople(ctx, w.community, store.PeopleFilter{}); err != nil || n != 0 {
			t.Fatalf("a refused person was saved: %d %v", n, err)
		}
		reason := strings.Repeat("独", 200)
		saved, err := s.SavePerson(ctx, w.community, p, reason)
		if err != nil {
			t.Fatalf("a reason of 200 characters: %v", err)
		}
		hist, err := s.TagHistory(ctx, w.community, saved.ID)
		if err != nil || len(hist) == 0 || hist[0].Reason != reason {
			t.Fatalf("history %+v %v", hist, err)
		}
	})
}
