package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestManyReporters: three residents report one problem — one files it,
// one joins it from the nearby list, one files a duplicate that is merged.
// All three see the case, and the two co-reporters rate separately.
func TestManyReporters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		mk := func(name string) civic.Actor {
			u, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: name, DisplayName: name, Password: "password-" + name, Role: civic.RoleResident, Scope: civic.Scope{RegionCode: "110101001001"}})
			if err != nil {
				t.Fatal(err)
			}
			return store.ActorOf(u, "")
		}
		b, cc := mk("resident_b"), mk("resident_c")
		file := func(a civic.Actor, lng float64) civic.Case {
			c, _, err := s.SubmitCase(ctx, a, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: "楼道堆物", HasLocation: true, Lng: lng, Lat: 39.2, ReporterPhone: "13600000000"})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		first := file(w.resident, 116.1)
		// 0.001° of longitude is about 86 m here: within 250 m.
		near, err := s.NearbyOpenCases(ctx, cc, geo.Point{Lng: 116.101, Lat: 39.2}, store.WGS84, "0102", 0)
		if err != nil || len(near) != 1 || near[0].ID != first.ID || near[0].DistanceM < 80 || near[0].DistanceM > 95 {
			t.Fatalf("nearby: %+v %v", near, err)
		}
		if far, _ := s.NearbyOpenCases(ctx, cc, geo.Point{Lng: 116.11, Lat: 39.2}, store.WGS84, "0102", 0); len(far) != 0 {
			t.Fatalf("860 m away is not nearby: %+v", far)
		}
		// Joining needs the point the resident reports from, near the case.
		if _, err := s.JoinCase(ctx, cc, first.ID, store.JoinInput{Note: "我家门口也是"}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("joining without a point: %v", err)
		}
		if _, err := s.JoinCase(ctx, cc, first.ID, store.JoinInput{Note: "我家门口也是", Near: &geo.Point{Lng: 116.2, Lat: 39.2}}); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("joining from 8.6 km away: %v", err)
		}
		joined, err := s.JoinCase(ctx, cc, first.ID, store.JoinInput{Note: "我家门口也是", Near: &geo.Point{Lng: 116.101, Lat: 39.2}})
		if err != nil {
			t.Fatal(err)
		}
		// The co-reporter sees the case, not who reported it first.
		if joined.ReporterName != "" || joined.ReporterPhone != "" || joined.ReporterID != 0 || joined.Title != "楼道堆物" {
			t.Fatalf("a co-reporter's view of the case: %+v", joined)
		}
		dup := file(b, 116.1005)
		w.act(t, w.community, dup.ID, store.CaseInput{Action: civic.ActMerge, MergeInto: first.ID})
		merged, err := s.GetCase(ctx, b, dup.ID)
		if err != nil || merged.State != civic.StateMerged || merged.MergedInto != first.ID {
			t.Fatalf("the merged case's number must keep working: %+v %v", merged, err)
		}
		for _, a := range []civic.Actor{w.resident, b, cc} {
			mine, _, err := s.ListCases(ctx, a, store.CaseFilter{ReporterID: a.UserID, States: []civic.CaseState{civic.StateDispatched}})
			if err != nil || len(mine) != 1 || mine[0].ID != first.ID {
				t.Fatalf("%s's cases: %+v %v", a.Username, mine, err)
			}
		}
		reps, err := s.CaseReporters(ctx, w.community, first.ID)
		if err != nil || len(reps) != 2 || reps[0].UserID != cc.UserID || reps[1].FromCaseID != dup.ID {
			t.Fatalf("co-reporters: %+v %v", reps, err)
		}
		if near, _ := s.NearbyOpenCases(ctx, cc, geo.Point{Lng: 116.1, Lat: 39.2}, store.WGS84, "0102", 0); len(near) != 1 || near[0].Reporters != 3 {
			t.Fatalf("three reporters: %+v", near)
		}
		// Rating waits for the close; then each rates once.
		if err := s.VisitCoReporter(ctx, b, first.ID, reps[1].ID, civic.Satisfied, true); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("rating an open case: %v", err)
		}
		// The first reporter files again and that case is merged into
		// theirs: they are now reporter and co-reporter, and still hear of
		// each step once, as a co-reporter does.
		again := file(w.resident, 116.1002)
		w.act(t, w.community, again.ID, store.CaseInput{Action: civic.ActMerge, MergeInto: first.ID})
		progress := func(a civic.Actor) int {
			ns, _, err := s.Notifications(ctx, a, false, 0, 500)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, x := range ns {
				if x.CaseID == first.ID && x.Kind == "progress" {
					n++
				}
			}
			return n
		}
		before, beforeCo := progress(w.resident), progress(cc)
		w.act(t, w.grid, first.ID, store.CaseInput{Action: civic.ActClaim})
		w.act(t, w.grid, first.ID, store.CaseInput{Action: civic.ActHandle, Note: "已清理"})
		w.act(t, w.community, first.ID, store.CaseInput{Action: civic.ActVerifyPass})
		if got, gotCo := progress(w.resident)-before, progress(cc)-beforeCo; got != gotCo || got == 0 {
			t.Fatalf("progress notices over three steps: reporter %d, co-reporter %d; want the same, more than 0", got, gotCo)
		}
		reps, err = s.CaseReporters(ctx, w.community, first.ID)
		if err != nil || len(reps) != 3 {
			t.Fatalf("co-reporters after the second merge: %+v %v", reps, err)
		}
		if err := s.VisitCoReporter(ctx, cc, first.ID, reps[1].ID, civic.Satisfied, true); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("rating for someone else: %v", err)
		}
		if err := s.VisitCoReporter(ctx, b, first.ID, reps[1].ID, civic.BasicSatisfied, true); err != nil {
			t.Fatal(err)
		}
		if err := s.VisitCoReporter(ctx, w.operator, first.ID, reps[0].ID, civic.Dissatisfied, false); err != nil {
			t.Fatal(err)
		}
		if err := s.VisitCoReporter(ctx, b, first.ID, reps[1].ID, civic.Satisfied, true); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("rating twice: %v", err)
		}
		reps, _ = s.CaseReporters(ctx, w.community, first.ID)
		if reps[1].Satisfaction != civic.BasicSatisfied || reps[0].Satisfaction != civic.Dissatisfied || *reps[0].Solved {
			t.Fatalf("ratings: %+v", reps)
		}
	})
}

// TestJoinOutOfReach: a case ID is not a key. Staff cannot join a case
// outside their scope (and so cannot read it by joining), and a resident
// cannot join one far from where they report; a joined staff member does
// not see the case's internal timeline.
func TestJoinOutOfReach(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: "楼道堆物",
			HasLocation: true, Lng: 116.1, Lat: 39.2, ReporterPhone: "13600000000"})
		if err != nil {
			t.Fatal(err)
		}
		// A staff member of another scope: neither sees nor joins it.
		other, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "elsewhere", DisplayName: "别处网格员", Password: "password-elsewhere",
			Role: civic.RoleGridWorker, Scope: civic.Scope{RegionCode: grid2}})
		if err != nil {
			t.Fatal(err)
		}
		oa := store.ActorOf(other, "")
		if _, err := s.GetCase(ctx, oa, c.ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("out of scope: %v", err)
		}
		for _, near := range []*geo.Point{nil, {Lng: 116.1, Lat: 39.2}} {
			if _, err := s.JoinCase(ctx, oa, c.ID, store.JoinInput{Near: near}); civic.ErrorCodeOf(err) != civic.ENotFound {
				t.Fatalf("staff joining a case out of scope (point %v): %v", near, err)
			}
		}
		if _, err := s.GetCase(ctx, oa, c.ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("still out of scope after the refused join: %v", err)
		}
		// Staff in scope may join; a resident within reach, by GCJ-02 too.
		if _, err := s.JoinCase(ctx, w.grid, c.ID, store.JoinInput{}); err != nil {
			t.Fatalf("staff in scope: %v", err)
		}
		r2, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "neighbour", DisplayName: "邻居", Password: "password-neighbour",
			Role: civic.RoleResident, Scope: civic.Scope{RegionCode: "110101001001"}})
		if err != nil {
			t.Fatal(err)
		}
		ra := store.ActorOf(r2, "")
		gcj := geo.WGS84ToGCJ02(geo.Point{Lng: 116.1005, Lat: 39.2})
		if _, err := s.JoinCase(ctx, ra, c.ID, store.JoinInput{Near: &gcj, CRS: store.GCJ02}); err != nil {
			t.Fatalf("resident 40 m away, GCJ-02: %v", err)
		}
		evs, err := s.CaseEvents(ctx, ra, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if !e.Public {
				t.Fatalf("a co-reporter sees an internal event: %+v", e)
			}
		}
		if _, err := s.JoinCase(ctx, ra, c.ID, store.JoinInput{Near: &geo.Point{Lng: 200, Lat: 39.2}}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("a point off the globe: %v", err)
		}
	})
}

// TestMergeKeepsAnonymous: a case filed anonymously and merged into
// another leaves its reporter a co-reporter of the survivor, still
// anonymous to every member of staff, as on their own case.
func TestMergeKeepsAnonymous(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		file := func(a civic.Actor, anonymous bool) civic.Case {
			c, _, err := s.SubmitCase(ctx, a, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: "楼道堆物",
				HasLocation: true, Lng: 116.1, Lat: 39.2, ReporterPhone: "13811112222", Anonymous: anonymous})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		survivor := file(w.grid, false)
		secret := file(w.resident, true)
		if got, err := s.GetCase(ctx, w.community, secret.ID); err != nil || got.ReporterName != "" || got.ReporterPhone != "" || got.ReporterID != 0 {
			t.Fatalf("the anonymous case as staff see it: %+v %v", got, err)
		}
		w.act(t, w.community, secret.ID, store.CaseInput{Action: civic.ActMerge, MergeInto: survivor.ID})
		for _, a := range []civic.Actor{w.community, w.street, w.grid, w.operator} {
			reps, err := s.CaseReporters(ctx, a, survivor.ID)
			if err != nil || len(reps) != 1 {
				t.Fatalf("%s: co-reporters %+v %v", a.Username, reps, err)
			}
			if r := reps[0]; r.Name != "" || r.Phone != "" || r.UserID != 0 || !r.Anonymous {
				t.Fatalf("%s sees the anonymous reporter: %+v", a.Username, r)
			}
		}
		// They are still told of progress on the survivor, and see
		// themselves.
		mine, _, err := s.ListCases(ctx, w.resident, store.CaseFilter{ReporterID: w.resident.UserID})
		if err != nil || len(mine) != 2 {
			t.Fatalf("the anonymous reporter's cases: %d %v", len(mine), err)
		}
		reps, err := s.CaseReporters(ctx, w.resident, survivor.ID)
		if err != nil || len(reps) != 1 || reps[0].UserID != w.resident.UserID {
			t.Fatalf("the anonymous reporter sees their own row: %+v %v", reps, err)
		}
	})
}

// TestJoinLimit: the point a resident joins from is their own word, so
// joins are limited per day, saying when the next is possible.
func TestJoinLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		var ids []int64
		for i := 0; i <= store.MaxJoinsPerDay; i++ {
			c, _, err := s.SubmitCase(ctx, w.operator, w.loc, store.NewCase{Source: civic.SourceHotline, CategoryCode: "0102", Title: "楼道堆物",
				HasLocation: true, Lng: 116.1 + float64(i)*0.0001, Lat: 39.2, ReporterPhone: fmt.Sprintf("1360000%04d", i)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		here := &geo.Point{Lng: 116.1, Lat: 39.2}
		for _, id := range ids[:store.MaxJoinsPerDay] {
			if _, err := s.JoinCase(ctx, w.resident, id, store.JoinInput{Near: here}); err != nil {
				t.Fatalf("join %d: %v", id, err)
			}
			clock.Advance(time.Minute)
		}
		_, err := s.JoinCase(ctx, w.resident, ids[store.MaxJoinsPerDay], store.JoinInput{Near: here})
		e := civic.AsError(err)
		if e.Code != civic.ETooMany || e.RetryAfter < 23*time.Hour || e.RetryAfter > 24*time.Hour {
			t.Fatalf("join %d in a day: %v (retry after %v)", store.MaxJoinsPerDay+1, err, e.RetryAfter)
		}
		// Joining again what one joined already is no new join; staff are
		// not limited; a day later the resident may join again.
		if _, err := s.JoinCase(ctx, w.resident, ids[0], store.JoinInput{Near: here}); err != nil {
			t.Fatalf("joining a joined case again: %v", err)
		}
		clock.Advance(24 * time.Hour)
		if _, err := s.JoinCase(ctx, w.resident, ids[store.MaxJoinsPerDay], store.JoinInput{Near: here}); err != nil {
			t.Fatalf("a day later: %v", err)
		}

		// Joins sent side by side are counted one at a time.
		u, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "eager", DisplayName: "eager", Password: "password-eager", Role: civic.RoleResident, Scope: civic.Scope{RegionCode: "110101001001"}})
		if err != nil {
			t.Fatal(err)
		}
		eager := store.ActorOf(u, "")
		errs := make(chan error, len(ids))
		for _, id := range ids {
			go func() {
				_, err := s.JoinCase(ctx, eager, id, store.JoinInput{Near: here})
				errs <- err
			}()
		}
		ok, limited := 0, 0
		for range ids {
			switch err := <-errs; civic.ErrorCodeOf(err) {
			case "":
				ok++
			case civic.ETooMany:
				limited++
			default:
				t.Errorf("a join side by side: %v", err)
			}
		}
		if ok != store.MaxJoinsPerDay || limited != len(ids)-store.MaxJoinsPerDay {
			t.Fatalf("side by side: %d joined, %d limited", ok, limited)
		}
	})
}

// TestJoinTextLimits: a co-reporter's name and note are bounded as a
// case's reporter name and description are: one character over is refused
// on its field, naming the limit, and nobody joins; at the limit the name
// is kept whole.
func TestJoinTextLimits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		c := w.file(t, w.operator, store.NewCase{Source: civic.SourceHotline, Title: "楼道堆物", ReporterPhone: "13600000000"})
		here := &geo.Point{Lng: 116.1, Lat: 39.2}
		_, err := s.JoinCase(ctx, w.resident, c.ID, store.JoinInput{Name: strings.Repeat("王", store.MaxReporterName+1), Near: here})
		mustRefuseLength(t, err, "name", store.MaxReporterName)
		_, err = s.JoinCase(ctx, w.resident, c.ID, store.JoinInput{Note: strings.Repeat("堆", store.MaxDescription+1), Near: here})
		mustRefuseLength(t, err, "note", store.MaxDescription)
		if rs, err := s.CaseReporters(ctx, w.operator, c.ID); err != nil || len(rs) != 0 {
			t.Fatalf("refused joins joined: %+v %v", rs, err)
		}
		name := strings.Repeat("王", store.MaxReporterName)
		if _, err := s.JoinCase(ctx, w.resident, c.ID, store.JoinInput{Name: name, Note: strings.Repeat("堆", store.MaxDescription), Near: here}); err != nil {
			t.Fatalf("a name and note at the limits: %v", err)
		}
		if rs, err := s.CaseReporters(ctx, w.operator, c.ID); err != nil || len(rs) != 1 || rs[0].Name != name {
			t.Fatalf("after joining: %+v %v", rs, err)
		}
	})
}
