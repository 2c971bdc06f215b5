package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// placeWorld is the people world with a property category (0104) and
// three more compounds: 和平里 (grid1, boundary drawn, property company),
// 老旧小区 (community, boundary drawn, no property company) and the
// people world's 幸福里 (community, point 116.1/39.2, no boundary, property
// company).
type placeWorld struct {
	*peopleWorld
	propOrg        int64
	heping, laojiu civic.Compound
}

func mustPlaceWorld(t *testing.T, s *store.Store) *placeWorld {
	t.Helper()
	ctx := context.Background()
	w := &placeWorld{peopleWorld: mustPeopleWorld(t, s)}
	w.propOrg = w.propertyOrg(t)
	limits := map[civic.Stage]civic.TimeLimit{
		civic.StageClaim: {Amount: 2, Unit: civic.UnitWorkHours}, civic.StageFeedback: {Amount: 1, Unit: civic.UnitWorkDays},
		civic.StageComplete: {Amount: 3, Unit: civic.UnitWorkDays}, civic.StageVisit: {Amount: 2, Unit: civic.UnitWorkDays},
	}
	if _, err := s.CreateCategory(ctx, civic.System, civic.Category{Code: "0104", ParentCode: "01", Leaf: true, Name: "物业服务", Type: civic.RequestComplaint,
		Handler: civic.HandlerRule{Target: civic.HandlerProperty}, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true}); err != nil {
		t.Fatal(err)
	}
	var err error
	if w.heping, err = s.SaveCompound(ctx, w.community, civic.Compound{RegionCode: grid1, Name: "和平里小区", PropertyOrgID: w.propOrg,
		Lng: 116.205, Lat: 39.305, Boundary: rect(116.2, 39.3, 116.21, 39.31)}); err != nil {
		t.Fatal(err)
	}
	if w.laojiu, err = s.SaveCompound(ctx, w.community, civic.Compound{RegionCode: "110101001001", Name: "老旧小区",
		Lng: 116.055, Lat: 39.055, Boundary: rect(116.05, 39.05, 116.06, 39.06)}); err != nil {
		t.Fatal(err)
	}
	return w
}

// dispatchData is the routing explanation of a case's dispatch event.
func dispatchData(t *testing.T, s *store.Store, id int64) (note string, data map[string]any) {
	t.Helper()
	evs, err := s.CaseEvents(context.Background(), civic.System, id)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Action == civic.ActDispatch {
			data = map[string]any{}
			if err := json.Unmarshal([]byte(evs[i].Data), &data); err != nil {
				t.Fatal(err)
			}
			return evs[i].Note, data
		}
	}
	t.Fatalf("case %d was not dispatched", id)
	return "", nil
}

func TestPropertyRouting(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPlaceWorld(t, s)
		place, err := s.CreatePlaceCode(ctx, w.community, w.loc, civic.PlaceCode{CompoundID: w.compound.ID})
		if err != nil || place.Name != "幸福里小区" || place.CompoundID != w.compound.ID || !place.HasLocation {
			t.Fatalf("compound place code %+v %v", place, err)
		}
		far, err := s.CreatePlaceCode(ctx, w.community, w.loc, civic.PlaceCode{CompoundID: w.compound.ID, Name: "幸福里北门", HasLocation: true, Lng: 116.2, Lat: 39.1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreatePlaceCode(ctx, w.outsider, w.loc, civic.PlaceCode{CompoundID: w.compound.ID}); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a grid worker makes place codes: %v", err)
		}
		at := func(lng, lat float64) store.NewCase {
			return store.NewCase{Source: civic.SourcePatrol, CategoryCode: "0104", Title: "物业问题", HasLocation: true, Lng: lng, Lat: lat}
		}
		for _, tc := range []struct {
			name     string
			n        store.NewCase
			org      int64
			region   string
			compound int64
			why      string
		}{
			{"house in a compound", store.NewCase{Source: civic.SourcePatrol, CategoryCode: "0104", Title: "楼道灯坏了", HouseID: w.houses[0].ID},
				w.propOrg, "", w.compound.ID, "报事房屋在该小区"},
			{"compound place code, its own point", store.NewCase{Source: civic.SourcePatrol, CategoryCode: "0104", Title: "门禁坏了", PlaceToken: place.Token},
				w.propOrg, "", w.compound.ID, "场所二维码"},
			{"compound place code wins over the point", store.NewCase{Source: civic.SourcePatrol, CategoryCode: "0104", Title: "门禁坏了", PlaceToken: far.Token},
				w.propOrg, "", w.compound.ID, "场所二维码"},
			{"inside a boundary", at(116.205, 39.305), w.propOrg, "", w.heping.ID, "位于小区边界内"},
			{"near a compound without boundary", at(116.1008, 39.2), w.propOrg, "", w.compound.ID, "距小区中心约69米"},
			{"too far from it", at(116.103, 39.2), 0, "110101001001", 0, "不在任何已登记的小区内"},
			{"compound without property company", at(116.055, 39.055), 0, "110101001001", w.laojiu.ID, "“老旧小区”"},
			{"house outside any compound", store.NewCase{Source: civic.SourceAPI, CategoryCode: "0104", Title: "平房漏雨", HouseID: w.far.ID},
				0, "110101001001", 0, "不在任何已登记的小区内"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c, _, err := s.SubmitCase(ctx, civic.System, w.loc, tc.n)
				if err != nil {
					t.Fatal(err)
				}
				if c.State != civic.StateDispatched || c.HandlerOrgID != tc.org || c.HandlerRegionCode != tc.region {
					t.Fatalf("routed to org %d region %q (%s)", c.HandlerOrgID, c.HandlerRegionCode, c.State)
				}
				note, data := dispatchData(t, s, c.ID)
				if !strings.Contains(note, tc.why) {
					t.Fatalf("explanation %q lacks %q", note, tc.why)
				}
				why, _ := data["why"].(map[string]any)
				if en, _ := why["en"].(string); en == "" {
					t.Fatalf("no English explanation in %v", data)
				}
				if got, _ := data["compound_id"].(float64); int64(got) != tc.compound {
					t.Fatalf("compound %v, want %d", data["compound_id"], tc.compound)
				}
			})
		}
		// The property company's handler sees the cases routed to it (and
		// only those), claims and reports back; the department does not
		// see them.
		mine, n, err := s.ListCases(ctx, w.otherHandler, store.CaseFilter{})
		if err != nil || n != 5 {
			t.Fatalf("property handler sees %d: %v", n, err)
		}
		if _, n, _ := s.ListCases(ctx, w.handler, store.CaseFilter{CategoryCode: "0104"}); n != 0 {
			t.Fatalf("the department sees %d property cases", n)
		}
		if _, err := s.GetCase(ctx, w.handler, mine[0].ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("the department reads a property case: %v", err)
		}
		w.act(t, w.otherHandler, mine[0].ID, store.CaseInput{Action: civic.ActClaim})
		if c := w.act(t, w.otherHandler, mine[0].ID, store.CaseInput{Action: civic.ActHandle, Note: "已更换"}); c.State != civic.StateHandled {
			t.Fatalf("after handling: %s", c.State)
		}
		// Returned by the company and dispatched again by the suggested
		// route, a case from the compound's code finds the compound again
		// (its point is far outside it).
		var qr civic.Case
		for _, c := range mine {
			if c.Source == civic.SourceQR && c.Lng == 116.2 {
				qr = c
			}
		}
		if qr.ID == 0 {
			t.Fatal("no case from the far place code")
		}
		w.act(t, w.otherHandler, qr.ID, store.CaseInput{Action: civic.ActReturn, Note: "不是我们的"})
		if c := w.act(t, w.community, qr.ID, store.CaseInput{Action: civic.ActDispatch}); c.HandlerOrgID != w.propOrg {
			t.Fatalf("dispatched again to org %d region %q", c.HandlerOrgID, c.HandlerRegionCode)
		}
	})
}

// mustResident gives the people world's resident account a name and phone
// number and registers a person with both (who is then that account), plus
// a neighbour with the same phone but another name.
func mustResident(t *testing.T, w *placeWorld) (me, neighbour civic.Person) {
	t.Helper()
	ctx := context.Background()
	s := w.s
	name, phone := "张桂兰", "13911112222"
	// An admin enters the pair: one the resident typed stands for nobody.
	if _, err := s.UpdateUser(ctx, civic.System, w.resident.UserID, store.UserUpdate{DisplayName: &name, Phone: &phone}); err != nil {
		t.Fatal(err)
	}
	w.resident.DisplayName = name
	var err error
	if me, err = s.SavePerson(ctx, w.community, civic.Person{GridCode: grid1, Name: name, BirthDate: "1940-05-01", Gender: civic.GenderFemale, Phone: phone, Tags: []civic.Tag{civic.TagAlone}}, "入户登记"); err != nil {
		t.Fatal(err)
	}
	if neighbour, err = s.SavePerson(ctx, w.community, civic.Person{GridCode: grid1, Name: "李建国", BirthDate: "1970-01-01", Gender: civic.GenderMale, Phone: phone}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkHouse(ctx, w.community, civic.HouseLink{PersonID: me.ID, HouseID: w.houses[1].ID, Relation: civic.RelationOwner}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkHouse(ctx, w.community, civic.HouseLink{PersonID: neighbour.ID, HouseID: w.houses[3].ID, Relation: civic.RelationTenant}); err != nil {
		t.Fatal(err)
	}
	return me, neighbour
}

func TestFilingFromAHouse(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPlaceWorld(t, s)
		me, neighbour := mustResident(t, w)
		// Give the building a point: a case from one of its houses without
		// a location takes it, and the house's grid.
		b := w.building
		b.Lng, b.Lat = 116.2001, 39.4001
		if _, err := s.SaveBuilding(ctx, w.community, b); err != nil {
			t.Fatal(err)
		}

		// A resident: "my home" is the house their person lives in.
		homes, err := s.MyHouses(ctx, w.resident)
		if err != nil || len(homes) != 1 || homes[0].ID != w.houses[1].ID || homes[0].Address != "幸福里小区3号楼1单元201" {
			t.Fatalf("my houses %+v %v", homes, err)
		}
		c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: "家门口堆物", HouseID: w.houses[1].ID})
		if err != nil {
			t.Fatal(err)
		}
		if c.HouseID != w.houses[1].ID || c.PersonID != me.ID || c.RegionCode != grid1 || !c.HasLocation || c.Lng != 116.2001 || c.Lat != 39.4001 || c.Address != "幸福里小区3号楼1单元201" {
			t.Fatalf("filed from home: %+v", c)
		}
		// Not a house they live in: the neighbour's (same phone, another
		// name), nor anyone's when the name on the account differs.
		if _, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, Title: "x", HouseID: w.houses[3].ID}); civic.ErrorCodeOf(err) != civic.EInvalid || !strings.Contains(err.Error(), "house") {
			t.Fatalf("a resident files for the neighbour's house: %v", err)
		}
		if _, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, Title: "x", HouseID: w.houses[1].ID, PersonID: neighbour.ID}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a resident files for another person: %v", err)
		}
		if _, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, Title: "x", HouseID: w.houses[1].ID, Anonymous: true}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("an anonymous report names a home: %v", err)
		}
		if _, _, err := s.SubmitCase(ctx, civic.Actor{Role: civic.RoleResident, Username: "anonymous"}, w.loc, store.NewCase{Source: civic.SourceResident, Title: "x", HouseID: w.houses[1].ID, Anonymous: true}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a signed-out visitor names a home: %v", err)
		}
		other := "王某"
		if _, err := s.UpdateUser(ctx, w.resident, w.resident.UserID, store.UserUpdate{DisplayName: &other}); err != nil {
			t.Fatal(err)
		}
		if homes, _ := s.MyHouses(ctx, w.resident); len(homes) != 0 {
			t.Fatalf("another name still finds %+v", homes)
		}
		if _, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, Title: "x", HouseID: w.houses[1].ID}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a resident with another name files from the house: %v", err)
		}
		// Typing someone's name and number claims nothing (anyone who
		// knows them could): the pair counts once an admin confirms it.
		back := "张桂兰"
		if u, err := s.UpdateUser(ctx, w.resident, w.resident.UserID, store.UserUpdate{DisplayName: &back}); err != nil || u.IdentityChecked {
			t.Fatalf("the resident types the name back: %+v %v", u, err)
		}
		if homes, _ := s.MyHouses(ctx, w.resident); len(homes) != 0 {
			t.Fatalf("a typed name and number open a home: %+v", homes)
		}
		if _, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, Title: "x", HouseID: w.houses[1].ID}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a typed name and number file from the home: %v", err)
		}
		yes := true
		if _, err := s.UpdateUser(ctx, w.resident, w.resident.UserID, store.UserUpdate{IdentityChecked: &yes}); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a resident confirms their own pair: %v", err)
		}
		if u, err := s.UpdateUser(ctx, civic.System, w.resident.UserID, store.UserUpdate{IdentityChecked: &yes}); err != nil || !u.IdentityChecked {
			t.Fatalf("an admin confirms the pair: %+v %v", u, err)
		}
		if homes, _ := s.MyHouses(ctx, w.resident); len(homes) != 1 {
			t.Fatalf("the confirmed pair finds %+v", homes)
		}
		// Name and phone open a home, and users set them unverified: they
		// may change them only a few times a day, so nobody tries pair
		// after pair (the language is not counted).
		refused := false
		for i := 0; i < store.MaxIdentityChanges && !refused; i++ {
			name := fmt.Sprintf("王某%d", i)
			_, err := s.UpdateUser(ctx, w.resident, w.resident.UserID, store.UserUpdate{DisplayName: &name})
			switch {
			case civic.ErrorCodeOf(err) == civic.ETooMany:
				refused = true // the name was changed above already
			case err != nil:
				t.Fatalf("change %d: %v", i+1, err)
			}
		}
		if !refused {
			t.Fatalf("%d more changes of the name in a day were allowed", store.MaxIdentityChanges)
		}
		en := "en"
		if _, err := s.UpdateUser(ctx, w.resident, w.resident.UserID, store.UserUpdate{Lang: &en}); err != nil {
			t.Fatalf("the language: %v", err)
		}
		phone := "13922223333"
		if _, err := s.UpdateUser(ctx, w.resident, w.resident.UserID, store.UserUpdate{Phone: &phone}); civic.ErrorCodeOf(err) != civic.ETooMany {
			t.Fatalf("change %d in a day: %v", store.MaxIdentityChanges+1, err)
		}
		clock.T = clock.T.Add(25 * time.Hour)
		if _, err := s.UpdateUser(ctx, w.resident, w.resident.UserID, store.UserUpdate{Phone: &phone}); err != nil {
			t.Fatalf("a day later: %v", err)
		}
		clock.T = clock.T.Add(-25 * time.Hour)

		// A grid worker: any house and person of the grid, not beyond.
		c, _, err = s.SubmitCase(ctx, w.grid, w.loc, store.NewCase{Source: civic.SourcePatrol, CategoryCode: "0102", Title: "独居老人家中漏水", HouseID: w.houses[1].ID, PersonID: me.ID,
			HasLocation: true, Lng: 116.1, Lat: 39.1, Address: "3号楼东侧"})
		if err != nil || c.PersonID != me.ID || c.Address != "3号楼东侧" || c.Lng != 116.1 || c.RegionCode != grid1 {
			t.Fatalf("patrol from a house with its own point: %+v %v", c, err)
		}
		if _, _, err := s.SubmitCase(ctx, w.grid, w.loc, store.NewCase{Source: civic.SourcePatrol, Title: "x", HouseID: w.far.ID}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a grid worker names a house outside the grid: %v", err)
		}
		if _, _, err := s.SubmitCase(ctx, w.grid, w.loc, store.NewCase{Source: civic.SourcePatrol, Title: "x", HouseID: 999999}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a missing house: %v", err)
		}

		// A hotline operator: only a house the caller's number is
		// registered at; the case is then for that person.
		if _, err := s.CallerHouses(ctx, w.resident, "13911112222"); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a resident looks up a caller: %v", err)
		}
		if _, err := s.CallerHouses(ctx, w.handler, "13911112222"); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a department handler looks up a caller: %v", err)
		}
		got, err := s.CallerHouses(ctx, w.operator, "139-1111-2222")
		if err != nil || len(got) != 2 || got[0].Address != "幸福里小区3号楼1单元201" || got[1].Address != "幸福里小区3号楼2单元301" {
			t.Fatalf("caller houses %+v %v", got, err)
		}
		if b, _ := json.Marshal(got); strings.Contains(string(b), "张") || strings.Contains(string(b), "1391") {
			t.Fatalf("caller lookup tells more than addresses: %s", b)
		}
		if got, _ := s.CallerHouses(ctx, w.operator, "13900000000"); len(got) != 0 {
			t.Fatalf("an unknown number finds %+v", got)
		}
		if got, _ := s.CallerHouses(ctx, w.outsider, "13911112222"); len(got) != 0 {
			t.Fatalf("a grid worker of grid2 finds houses of grid1: %+v", got)
		}
		call := store.NewCase{Source: civic.SourceHotline, CategoryCode: "0104", Title: "电梯坏了", ReporterPhone: "13911112222", HouseID: w.houses[3].ID}
		c, _, err = s.SubmitCase(ctx, w.operator, w.loc, call)
		if err != nil || c.PersonID != neighbour.ID || c.HandlerOrgID != w.propOrg {
			t.Fatalf("hotline from the caller's house: %+v %v", c, err)
		}
		call.HouseID, call.Title = w.houses[0].ID, "不是来电人的房屋"
		if _, _, err := s.SubmitCase(ctx, w.operator, w.loc, call); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("an operator names a house not the caller's: %v", err)
		}
	})
}

func TestCaseHousehold(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPlaceWorld(t, s)
		me, _ := mustResident(t, w)
		c, _, err := s.SubmitCase(ctx, w.grid, w.loc, store.NewCase{Source: civic.SourcePatrol, CategoryCode: "0104", Title: "独居老人家中停水", HouseID: w.houses[1].ID, PersonID: me.ID})
		if err != nil {
			t.Fatal(err)
		}
		hh, err := s.CaseHousehold(ctx, w.community, c.ID)
		if err != nil || !hh.Full || hh.Address != "幸福里小区3号楼1单元201" || hh.CompoundName != "幸福里小区" || len(hh.Members) != 1 || hh.Person == nil {
			t.Fatalf("household for community staff %+v %v", hh, err)
		}
		m := hh.Members[0]
		if m.Phone != "139****2222" || m.Relation != civic.RelationOwner || strings.Join(tagStrings(m.Tags), ",") != "age60,age80,alone" {
			t.Fatalf("member %+v", m)
		}
		// The property company handles the case and sees where, not who.
		hh, err = s.CaseHousehold(ctx, w.otherHandler, c.ID)
		if err != nil || hh.Full || hh.Address == "" || hh.Members != nil || hh.Person != nil {
			t.Fatalf("household for the property company %+v %v", hh, err)
		}
		if _, err := s.CaseHousehold(ctx, w.outsider, c.ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("an outsider reads the household: %v", err)
		}
		// The JSON of the case carries the links.
		got, err := s.GetCase(ctx, w.otherHandler, c.ID)
		if err != nil || got.HouseID != w.houses[1].ID || got.PersonID != me.ID {
			t.Fatalf("case links %+v %v", got, err)
		}
	})
}
