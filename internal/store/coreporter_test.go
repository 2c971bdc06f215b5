package store_test

import (
	"context"
	"testing"

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
		if _, err := s.JoinCase(ctx, cc, first.ID, store.JoinInput{Note: "我家门口也是"}); err != nil {
			t.Fatal(err)
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
