package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestReporterPrivacy: the timeline hides who reported an anonymous case
// as the case does; a co-reporter learns neither the first reporter's name
// nor the numbers they wrote, nor does staff who sees phones masked; the
// nearby list masks numbers and offers staff only their own scope.
func TestReporterPrivacy(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		u, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "neighbour", DisplayName: "邻居", Password: "password-neighbour", Role: civic.RoleResident, Scope: civic.Scope{RegionCode: "110101001001"}})
		if err != nil {
			t.Fatal(err)
		}
		neighbour := store.ActorOf(u, "")

		anon, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: "楼道堆物",
			HasLocation: true, Lng: 116.1, Lat: 39.2, Anonymous: true})
		if err != nil {
			t.Fatal(err)
		}
		events, err := s.CaseEvents(ctx, w.community, anon.ID)
		if err != nil || len(events) == 0 {
			t.Fatalf("events: %v %v", events, err)
		}
		for _, e := range events {
			if e.Action == civic.ActReport && (!e.ActorHidden || e.ActorID != 0 || e.ActorName != "") {
				t.Fatalf("staff learn the anonymous reporter from the timeline: %+v", e)
			}
		}
		if own, _ := s.CaseEvents(ctx, w.resident, anon.ID); own[0].ActorHidden || own[0].ActorID != w.resident.UserID {
			t.Fatalf("the reporter's own timeline hides them: %+v", own[0])
		}

		// A search by the phone an anonymous report gave would say whose
		// number filed it: staff find only the named report.
		for _, anonymous := range []bool{true, false} {
			if _, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: "楼道里有人吸烟",
				HasLocation: true, Lng: 116.1, Lat: 39.2, Anonymous: anonymous, ReporterPhone: "13977778888"}); err != nil {
				t.Fatal(err)
			}
		}
		for _, who := range []civic.Actor{w.operator, w.community} {
			got, _, err := s.ListCases(ctx, who, store.CaseFilter{Phone: "13977778888"})
			if err != nil || len(got) != 1 || got[0].Anonymous {
				t.Fatalf("%s searches by the phone: %d cases %v", who.Username, len(got), err)
			}
		}

		named, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102",
			Title: "请联系我13912345678，井盖丢失", Description: "身份证110101199001011234，电话13912345678", HasLocation: true, Lng: 116.2, Lat: 39.2})
		if err != nil {
			t.Fatal(err)
		}
		near, err := s.NearbyOpenCases(ctx, neighbour, geo.Point{Lng: 116.2, Lat: 39.2}, store.WGS84, "", 0)
		if err != nil || len(near) != 1 || strings.Contains(near[0].Title, "13912345678") || !strings.Contains(near[0].Title, "139****5678") {
			t.Fatalf("nearby for a resident: %+v %v", near, err)
		}
		if near, _ := s.NearbyOpenCases(ctx, w.outsider, geo.Point{Lng: 116.2, Lat: 39.2}, store.WGS84, "", 0); len(near) != 0 {
			t.Fatalf("a grid worker is offered another grid's case: %+v", near)
		}
		joined, err := s.JoinCase(ctx, neighbour, named.ID, store.JoinInput{Note: "我也看到了", Near: &geo.Point{Lng: 116.2, Lat: 39.2}})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(joined.Title+joined.Description, "13912345678") || strings.Contains(joined.Description, "110101199001011234") {
			t.Fatalf("a co-reporter reads the first reporter's numbers: %q %q", joined.Title, joined.Description)
		}
		events, err = s.CaseEvents(ctx, neighbour, named.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.ActorID == w.resident.UserID || strings.Contains(e.ActorName, w.resident.DisplayName) && w.resident.DisplayName != "" {
				t.Fatalf("a co-reporter learns the first reporter from the timeline: %+v", e)
			}
		}
		// Inboxes carry the title masked: the handler's and the
		// co-reporter's notifications are read outside the case.
		w.act(t, w.grid, named.ID, store.CaseInput{Action: civic.ActClaim})
		w.act(t, w.grid, named.ID, store.CaseInput{Action: civic.ActFeedback, Note: "已联系物业"})
		for _, who := range []civic.Actor{neighbour, w.grid} {
			ns, _, err := s.Notifications(ctx, who, false, 0, 50)
			if err != nil || len(ns) == 0 {
				t.Fatalf("%s has no notification: %v", who.Username, err)
			}
			for _, n := range ns {
				if strings.Contains(n.Title+n.Body, "13912345678") {
					t.Fatalf("%s's inbox shows the number: %+v", who.Username, n)
				}
			}
		}
		// A handler's public note naming the first reporter's number:
		// the reporter reads it as written, the co-reporter masked, in
		// the timeline and in the inbox.
		w.act(t, w.grid, named.ID, store.CaseInput{Action: civic.ActFeedback, Note: "已电话联系13912345678，说明处理进度"})
		noteOf := func(who civic.Actor) (timeline, inbox string) {
			evs, err := s.CaseEvents(ctx, who, named.ID)
			if err != nil {
				t.Fatal(err)
			}
			ns, _, err := s.Notifications(ctx, who, false, 0, 1)
			if err != nil || len(ns) == 0 {
				t.Fatalf("%s's inbox: %v", who.Username, err)
			}
			return evs[len(evs)-1].Note, ns[0].Body
		}
		if tl, in := noteOf(neighbour); strings.Contains(tl+in, "13912345678") || !strings.Contains(tl, "139****5678") {
			t.Fatalf("the co-reporter reads the first reporter's number in a note: %q %q", tl, in)
		}
		if tl, in := noteOf(w.resident); !strings.Contains(tl, "13912345678") || !strings.Contains(in, "13912345678") {
			t.Fatalf("the reporter loses the note as written: %q %q", tl, in)
		}
		if staff, _ := s.GetCase(ctx, w.community, named.ID); !strings.Contains(staff.Description, "13912345678") {
			t.Fatalf("staff who call reporters back lose what the reporter wrote: %q", staff.Description)
		}
		dups, err := s.FindDuplicates(ctx, w.grid, civic.DuplicateDraft{Title: "井盖丢失", Description: "井盖丢失了", CategoryCode: "0102",
			HasLocation: true, Lng: 116.2, Lat: 39.2}, civic.DuplicateParams{})
		if err != nil {
			t.Fatal(err)
		}
		if len(dups) == 0 {
			t.Fatal("the duplicate finder offers nothing for the same manhole")
		}
		for _, d := range dups {
			if strings.Contains(d.Title+d.Description, "13912345678") {
				t.Fatalf("the duplicate finder shows a grid worker the numbers: %+v", d)
			}
		}
		// A search by that number is a search by number: counted, audited.
		if _, n, err := s.ListCases(ctx, w.grid, store.CaseFilter{Query: "13912345678"}); err != nil || n != 1 {
			t.Fatalf("text search by number: %d %v", n, err)
		}
		if _, n, _ := s.ListAudit(ctx, civic.System, store.AuditFilter{Action: "search.number"}); n != 1 {
			t.Fatalf("the text search by number was not counted: %d", n)
		}
		// Who sees the reporter's phone masked sees it masked in the text.
		if grid, err := s.GetCase(ctx, w.grid, named.ID); err != nil || strings.Contains(grid.Title+grid.Description, "13912345678") || !strings.Contains(grid.Description, "139****5678") {
			t.Fatalf("a grid worker reads the numbers in the text: %q %v", grid.Description, err)
		}
	})
}

// TestHandlerNeedsOrganisation: a handler account without an organisation
// would read every case of its region, so it is refused.
func TestHandlerNeedsOrganisation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		_, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "loose", DisplayName: "无单位", Password: "password-loose", Role: civic.RoleHandler, Scope: civic.Scope{RegionCode: "110101"}})
		if e := civic.AsError(err); e.Code != civic.EInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "scope_org_id" {
			t.Fatalf("a handler without an organisation: %v", err)
		}
		if _, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "bound", DisplayName: "城管", Password: "password-bound", Role: civic.RoleHandler, Scope: civic.Scope{RegionCode: "110101", OrgID: w.dept.ID}}); err != nil {
			t.Fatal(err)
		}
	})
}
