package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// mustPerson registers a person in grid with tags, born on birth.
func mustPerson(t *testing.T, s *store.Store, a civic.Actor, grid, name, birth string, tags ...civic.Tag) civic.Person {
	t.Helper()
	p, err := s.SavePerson(context.Background(), a, civic.Person{GridCode: grid, Name: name, BirthDate: birth, Gender: civic.GenderFemale, Tags: tags}, "")
	if err != nil {
		t.Fatalf("person %s: %v", name, err)
	}
	return p
}

// mustActor creates an account with a role and scope.
func mustActor(t *testing.T, s *store.Store, name string, role civic.Role, scope string) civic.Actor {
	t.Helper()
	u, err := s.CreateUser(context.Background(), civic.System, store.NewUser{Username: name, DisplayName: name, Password: "password-" + name, Role: role, Scope: civic.Scope{RegionCode: scope}})
	if err != nil {
		t.Fatal(err)
	}
	return store.ActorOf(u, "")
}

// TestPartyHouseholdCap fills a party member's list to the default cap of
// 30 households and checks the 31st is refused, with who may assign what.
func TestPartyHouseholdCap(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		member := mustPerson(t, s, w.community, grid1, "党员甲", "1970-01-01", civic.TagParty)
		other := mustPerson(t, s, w.community, grid1, "党员乙", "1972-01-01", civic.TagParty)
		plain := mustPerson(t, s, w.community, grid1, "群众丙", "1980-01-01")
		if s.CareSettings().MaxHouseholds != 30 {
			t.Fatalf("default cap %d", s.CareSettings().MaxHouseholds)
		}
		b, err := s.SaveBuilding(ctx, w.community, civic.Building{CompoundID: w.compound.ID, GridCode: grid1, Name: "9号楼", Floors: 11, Units: 3})
		if err != nil {
			t.Fatal(err)
		}
		var houses []civic.House
		for i := 0; i < 31; i++ {
			h, err := s.SaveHouse(ctx, w.community, civic.House{BuildingID: b.ID, Unit: i%3 + 1, Floor: i/3 + 1, Number: fmt.Sprintf("%d0%d", i/3+1, i%3+1)})
			if err != nil {
				t.Fatal(err)
			}
			houses = append(houses, h)
		}
		outCommunity := mustActor(t, s, "community2", civic.RoleCommunityStaff, grid2)
		for _, c := range []struct {
			name   string
			a      civic.Actor
			member int64
			house  int64
			want   civic.ErrorCode
		}{
			{"a grid worker may not assign", w.grid, member.ID, houses[0].ID, civic.EForbidden},
			{"a house outside scope", outCommunity, member.ID, houses[0].ID, civic.EInvalid},
			{"a member outside scope", outCommunity, member.ID, w.far.ID, civic.EInvalid},
			{"not a party member", w.community, plain.ID, houses[0].ID, civic.EInvalid},
		} {
			if _, err := s.AssignHousehold(ctx, c.a, c.member, c.house); civic.ErrorCodeOf(err) != c.want {
				t.Fatalf("%s: %v, want %s", c.name, err, c.want)
			}
		}
		for _, h := range houses[:30] {
			if _, err := s.AssignHousehold(ctx, w.community, member.ID, h.ID); err != nil {
				t.Fatal(err)
			}
		}
		_, err = s.AssignHousehold(ctx, w.community, member.ID, houses[30].ID)
		if civic.ErrorCodeOf(err) != civic.EConflict || !strings.Contains(civic.AsError(err).Msg.ZH, "30户") {
			t.Fatalf("the 31st household: %v", err)
		}
		if _, err := s.AssignHousehold(ctx, w.community, other.ID, houses[0].ID); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("a house with a member already: %v", err)
		}
		// Ending one assignment frees a place and the house.
		list, n, err := s.PartyHouseholds(ctx, w.grid, store.HouseholdFilter{MemberID: member.ID, HouseID: houses[0].ID})
		if err != nil || n != 1 {
			t.Fatalf("find assignment: %d %v", n, err)
		}
		if err := s.EndHousehold(ctx, w.outsider, list[0].ID); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a grid worker ends an assignment: %v", err)
		}
		if err := s.EndHousehold(ctx, outCommunity, list[0].ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("staff outside scope end an assignment: %v", err)
		}
		if err := s.EndHousehold(ctx, w.community, list[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := s.EndHousehold(ctx, w.community, list[0].ID); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("ending twice: %v", err)
		}
		if _, err := s.AssignHousehold(ctx, w.community, other.ID, houses[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AssignHousehold(ctx, w.community, member.ID, houses[30].ID); err != nil {
			t.Fatal(err)
		}
		if _, n, _ := s.PartyHouseholds(ctx, w.street, store.HouseholdFilter{MemberID: member.ID, Ended: true}); n != 31 {
			t.Fatalf("history keeps %d assignments, want 31", n)
		}
		members, n, err := s.PartyMembers(ctx, w.grid, "", "", 0, store.Page{})
		if err != nil || n != 2 || members[0].Households+members[1].Households != 31 {
			t.Fatalf("members %+v %v", members, err)
		}
		if _, n, _ := s.PartyMembers(ctx, w.outsider, "", "", 0, store.Page{}); n != 0 {
			t.Fatal("an outsider lists party members")
		}
	})
}

// TestPartyContacts records contacts and lists the households not
// contacted for 30 days as the clock moves.
func TestPartyContacts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustPeopleWorld(t, s)
		member := mustPerson(t, s, w.community, grid1, "党员甲", "1970-01-01", civic.TagParty)
		for _, h := range w.houses[:3] {
			if _, err := s.AssignHousehold(ctx, w.community, member.ID, h.ID); err != nil {
				t.Fatal(err)
			}
		}
		// A second member keeps one household, never contacted; a third
		// keeps none.
		second := mustPerson(t, s, w.community, grid1, "党员乙", "1971-01-01", civic.TagParty)
		if _, err := s.AssignHousehold(ctx, w.community, second.ID, w.houses[3].ID); err != nil {
			t.Fatal(err)
		}
		third := mustPerson(t, s, w.community, grid1, "党员丙", "1972-01-01", civic.TagParty)
		quiet := func(a civic.Actor, days int) []int64 {
			t.Helper()
			list, n, err := s.PartyHouseholds(ctx, a, store.HouseholdFilter{QuietDays: days})
			if err != nil || n != len(list) {
				t.Fatalf("quiet list: %d %v", n, err)
			}
			var ids []int64
			for _, h := range list {
				ids = append(ids, h.HouseID)
			}
			return ids
		}
		if got := quiet(w.grid, 30); len(got) != 0 {
			t.Fatalf("assigned today, quiet already: %v", got)
		}
		clock.Advance(20 * 24 * time.Hour)
		if _, err := s.RecordContact(ctx, w.grid, civic.PartyContact{MemberID: member.ID, HouseID: w.houses[0].ID, Way: civic.ContactPhone, Notes: "电话问候，家中一切正常"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			a    civic.Actor
			in   civic.PartyContact
			want civic.ErrorCode
		}{
			{"an outsider", w.outsider, civic.PartyContact{MemberID: member.ID, HouseID: w.houses[1].ID}, civic.EInvalid},
			{"a leader", mustActor(t, s, "leader", civic.RoleLeader, "1101"), civic.PartyContact{MemberID: member.ID, HouseID: w.houses[1].ID}, civic.EForbidden},
			{"a household not assigned", w.grid, civic.PartyContact{MemberID: member.ID, HouseID: w.houses[3].ID}, civic.EInvalid},
			{"an unknown way", w.grid, civic.PartyContact{MemberID: member.ID, HouseID: w.houses[1].ID, Way: "pigeon"}, civic.EInvalid},
			{"in the future", w.grid, civic.PartyContact{MemberID: member.ID, HouseID: w.houses[1].ID, ContactedAt: clock.Now().Add(48 * time.Hour)}, civic.EInvalid},
		} {
			if _, err := s.RecordContact(ctx, c.a, c.in); civic.ErrorCodeOf(err) != c.want {
				t.Fatalf("%s: %v, want %s", c.name, err, c.want)
			}
		}
		// Day 31: houses 1 and 2 were never contacted since the assignment
		// 31 days ago; house 0 was, 11 days ago.
		clock.Advance(11 * 24 * time.Hour)
		got := quiet(w.grid, 30)
		if len(got) != 3 || got[0] != w.houses[1].ID || got[1] != w.houses[2].ID || got[2] != w.houses[3].ID {
			t.Fatalf("quiet for 30 days: %v", got)
		}
		if got := quiet(w.outsider, 30); len(got) != 0 {
			t.Fatalf("an outsider sees %v", got)
		}
		if got := quiet(w.grid, 10); len(got) != 4 {
			t.Fatalf("quiet for 10 days: %v", got)
		}
		all, _, _ := s.PartyHouseholds(ctx, w.grid, store.HouseholdFilter{MemberID: member.ID})
		for _, h := range all {
			want := 31
			if h.HouseID == w.houses[0].ID {
				want = 11
				if h.LastContact == nil || !h.LastContact.Equal(clock.Now().Add(-11*24*time.Hour)) {
					t.Fatalf("last contact %v", h.LastContact)
				}
			}
			if h.Quiet != want {
				t.Fatalf("house %d quiet %d days, want %d", h.HouseID, h.Quiet, want)
			}
		}
		// Each member's quiet count, all in one query, is what the member's
		// own list says.
		members, _, err := s.PartyMembers(ctx, w.community, "", "党员", 30, store.Page{})
		if err != nil || len(members) != 3 {
			t.Fatalf("members %+v %v", members, err)
		}
		for _, m := range members {
			want := map[int64][2]int{member.ID: {3, 2}, second.ID: {1, 1}, third.ID: {0, 0}}[m.ID]
			if m.Households != want[0] || m.Quiet != want[1] {
				t.Fatalf("member %s: %d households, %d quiet; want %v", m.Name, m.Households, m.Quiet, want)
			}
		}
		if members, _, err := s.PartyMembers(ctx, w.outsider, "", "党员", 30, store.Page{}); err != nil || len(members) != 0 {
			t.Fatalf("an outsider's members %+v %v", members, err)
		}
		cs, n, err := s.PartyContacts(ctx, w.street, store.ContactFilter{MemberID: member.ID})
		if err != nil || n != 1 || cs[0].Way != civic.ContactPhone || cs[0].RecorderName != "gridworker" || cs[0].HouseAddress != w.houses[0].Address {
			t.Fatalf("contacts %+v %v", cs, err)
		}
		if _, n, _ := s.PartyContacts(ctx, w.outsider, store.ContactFilter{}); n != 0 {
			t.Fatal("an outsider lists contacts")
		}
	})
}
