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

const day = 24 * time.Hour

// hotspotWorld is the case world with a second category family and a few
// residents, and a way to file a case some time ago.
type hotspotWorld struct {
	*caseWorld
	clock     *testdb.Clock
	now       time.Time
	residents []civic.Actor
}

func mustHotspotWorld(t *testing.T, s *store.Store, clock *testdb.Clock) *hotspotWorld {
	t.Helper()
	ctx := context.Background()
	w := &hotspotWorld{caseWorld: mustCaseWorld(t, s), clock: clock, now: clock.T}
	limits := map[civic.Stage]civic.TimeLimit{
		civic.StageClaim: {Amount: 2, Unit: civic.UnitWorkHours}, civic.StageFeedback: {Amount: 1, Unit: civic.UnitWorkDays},
		civic.StageComplete: {Amount: 3, Unit: civic.UnitWorkDays}, civic.StageVisit: {Amount: 2, Unit: civic.UnitWorkDays},
	}
	for _, c := range []civic.Category{
		{Code: "02", Name: "公共安全", Active: true, Accepted: true},
		{Code: "0201", ParentCode: "02", Leaf: true, Name: "消防通道堵塞", Type: civic.RequestComplaint, Handler: civic.HandlerRule{Target: civic.HandlerGrid}, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true},
	} {
		if _, err := s.CreateCategory(ctx, civic.System, c); err != nil {
			t.Fatalf("category %s: %v", c.Code, err)
		}
	}
	for i := range 6 {
		name := fmt.Sprintf("hs_resident_%d", i)
		u, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: name, DisplayName: name, Password: "password-" + name, Role: civic.RoleResident,
			Scope: civic.Scope{RegionCode: "110101001001"}, Phone: fmt.Sprintf("1370000000%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		w.residents = append(w.residents, store.ActorOf(u, ""))
	}
	return w
}

// file files a case `ago` before the test's now.
func (w *hotspotWorld) file(t *testing.T, a civic.Actor, cat string, lng, lat float64, ago time.Duration) civic.Case {
	t.Helper()
	w.clock.T = w.now.Add(-ago)
	defer func() { w.clock.T = w.now }()
	c, _, err := w.s.SubmitCase(context.Background(), a, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: cat, Title: "楼道堆物 " + cat,
		HasLocation: true, Lng: lng, Lat: lat})
	if err != nil {
		t.Fatalf("file by %s: %v", a.Username, err)
	}
	return c
}

// fileAt files a hotline case without a location (so it never clusters)
// with its own caller.
func (w *hotspotWorld) fileAt(t *testing.T, cat string, ago time.Duration, n int) {
	t.Helper()
	w.clock.T = w.now.Add(-ago)
	defer func() { w.clock.T = w.now }()
	_, _, err := w.s.SubmitCase(context.Background(), w.operator, w.loc, store.NewCase{Source: civic.SourceHotline, CategoryCode: cat, Title: "来电 " + cat,
		RegionCode: grid1, ReporterName: "来电人", ReporterPhone: fmt.Sprintf("139%08d", n)})
	if err != nil {
		t.Fatalf("file hotline case: %v", err)
	}
}

func mustDetect(t *testing.T, s *store.Store, a civic.Actor, scope string, p civic.HotspotParams, kind civic.HotspotKind) []civic.Hotspot {
	t.Helper()
	hs, _, err := s.DetectHotspots(context.Background(), a, scope, p)
	if err != nil {
		t.Fatalf("detect by %s: %v", a.Username, err)
	}
	var out []civic.Hotspot
	for _, h := range hs {
		if h.Kind == kind || (kind == civic.HotspotCluster && h.Kind == civic.HotspotManyReporters) {
			out = append(out, h)
		}
	}
	return out
}

// TestHotspotClusters: related cases close in space and time cluster,
// distinct reporters (co-reporters too) make 多人同诉, one reporter's many
// cases make 一人多诉, and radius, window, category family and scope each
// keep cases apart.
func TestHotspotClusters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustHotspotWorld(t, s, clock)
		r := w.residents
		// Three residents within ~50 m over three days; 0101 and 0102 are
		// both under 01, so related. 0.0005° of longitude is ~43 m here.
		c1 := w.file(t, r[0], "0102", 116.1, 39.2, 3*day)
		w.file(t, r[1], "0101", 116.1005, 39.2, 2*day)
		w.file(t, r[2], "0102", 116.1, 39.2003, 1*day)
		// Another family at the same spot, and the same family 2 km away.
		w.file(t, r[3], "0201", 116.1, 39.2001, 1*day)
		w.file(t, r[3], "0102", 116.125, 39.2, 1*day)
		p := civic.HotspotParams{RadiusM: 200, Window: 7 * day, MinCases: 3, MinReporters: 3}

		hs := mustDetect(t, s, w.community, "", p, civic.HotspotCluster)
		if len(hs) != 1 || hs[0].Kind != civic.HotspotManyReporters || hs[0].Size != 3 || hs[0].Reporters != 3 || hs[0].Cases[0].ID != c1.ID || hs[0].Mergeable != 3 {
			t.Fatalf("one 多人同诉 cluster of three: %+v", hs)
		}
		if d := hs[0].Lng - 116.1; !hs[0].HasCentre || d < 0 || d > 0.0005 || hs[0].CategoryCode != "0102" {
			t.Fatalf("centre and category: %+v", hs[0])
		}
		// Two categories of one family: the family heads it, with the mix.
		if mix := hs[0].Categories; hs[0].Family != "01" || hs[0].FamilyName == "" || len(mix) != 2 ||
			mix[0].Code != "0102" || mix[0].Cases != 2 || mix[1].Code != "0101" || mix[1].Cases != 1 || mix[0].Name == "" || mix[1].Name == "" {
			t.Fatalf("family and mix: %q %q %+v", hs[0].Family, hs[0].FamilyName, mix)
		}
		for name, q := range map[string]civic.HotspotParams{
			"radius 20 m":    {RadiusM: 20, Window: 7 * day, MinCases: 3},
			"window 12 h":    {RadiusM: 200, Window: 12 * time.Hour, MinCases: 3},
			"four cases":     {RadiusM: 200, Window: 7 * day, MinCases: 4},
			"older than 36h": {RadiusM: 200, Window: 7 * day, MinCases: 3, Since: 36 * time.Hour},
		} {
			if name == "older than 36h" {
				// The period is at least a week: all three are still in.
				if got := mustDetect(t, s, w.community, "", q, civic.HotspotCluster); len(got) != 1 {
					t.Fatalf("%s: %+v", name, got)
				}
				continue
			}
			if got := mustDetect(t, s, w.community, "", q, civic.HotspotCluster); len(got) != 0 {
				t.Fatalf("%s: no cluster, got %+v", name, got)
			}
		}
		// Two reporters only: a cluster, not 多人同诉.
		if got := mustDetect(t, s, w.community, "", civic.HotspotParams{RadiusM: 200, Window: 7 * day, MinCases: 3, MinReporters: 4}, civic.HotspotCluster); len(got) != 1 || got[0].Kind != civic.HotspotCluster {
			t.Fatalf("three reporters under a threshold of four: %+v", got)
		}
		// A co-reporter joins, and the first reporter files again nearby:
		// four cases, four distinct reporters.
		w.clock.T = w.now
		if _, err := s.JoinCase(ctx, r[4], c1.ID, store.JoinInput{Note: "我也看到了", Near: &geo.Point{Lng: 116.1001, Lat: 39.2}}); err != nil {
			t.Fatal(err)
		}
		w.file(t, r[0], "0102", 116.1002, 39.2002, 12*time.Hour)
		if got := mustDetect(t, s, w.community, "", civic.HotspotParams{RadiusM: 200, Window: 7 * day, MinCases: 3, MinReporters: 4}, civic.HotspotCluster); len(got) != 1 || got[0].Size != 4 || got[0].Reporters != 4 || got[0].Kind != civic.HotspotManyReporters {
			t.Fatalf("four cases, four distinct reporters: %+v", got)
		}

		// 一人多诉: r[5] files three cases far apart.
		for i, pt := range [][2]float64{{116.02, 39.05}, {116.2, 39.45}, {116.15, 39.01}} {
			w.file(t, r[5], "0201", pt[0], pt[1], time.Duration(i+1)*day)
		}
		ones := mustDetect(t, s, w.community, "", p, civic.HotspotOneReporter)
		if len(ones) != 1 || ones[0].Size != 3 || ones[0].Cases[0].Title == "" || ones[0].Reporter == "" || ones[0].Categories != nil || ones[0].CategoryCode != "0201" {
			t.Fatalf("一人多诉: %+v", ones)
		}
		for _, h := range ones {
			for _, c := range h.Cases {
				if c.ID == c1.ID {
					t.Fatalf("r[0] has two cases only: %+v", ones)
				}
			}
		}

		// Scope: staff of the other grid see nothing of this one, and
		// naming this grid looks like a missing region.
		u, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "grid2staff", DisplayName: "grid2staff", Password: "password-grid2staff",
			Role: civic.RoleCommunityStaff, Scope: civic.Scope{RegionCode: grid2}})
		if err != nil {
			t.Fatal(err)
		}
		other := store.ActorOf(u, "")
		if hs, _, err := s.DetectHotspots(ctx, other, "", p); err != nil || len(hs) != 0 {
			t.Fatalf("another grid's staff: %+v %v", hs, err)
		}
		if _, _, err := s.DetectHotspots(ctx, other, grid1, p); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("naming a region out of scope: %v", err)
		}
		if hs := mustDetect(t, s, w.community, grid2, p, civic.HotspotCluster); len(hs) != 0 {
			t.Fatalf("narrowed to grid 2: %+v", hs)
		}
		if _, _, err := s.DetectHotspots(ctx, w.grid, "", p); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a grid worker has no insight: %v", err)
		}
	})
}

// TestHotspotRising: a category rises against the last four weeks or the
// same week last year; one busy on both baselines does not; nothing rises
// against a baseline the scope has no reports in (a new deployment).
func TestHotspotRising(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		w := mustHotspotWorld(t, s, clock)
		n := 0
		put := func(cat string, ago time.Duration, k int) {
			for range k {
				n++
				w.fileAt(t, cat, ago+time.Duration(n)*time.Minute, n)
			}
		}
		// Only this week's reports: no history, nothing rises.
		put("0102", day, 3)
		if hs := mustDetect(t, s, w.community, "", civic.HotspotParams{MinCases: 2}, civic.HotspotRising); len(hs) != 0 {
			t.Fatalf("rising without history: %+v", hs)
		}
		lastYear := 52*7*day + 2*day
		// 0102: quiet weeks, busy a year ago: rises against the weeks.
		put("0102", lastYear, 4)
		// 0101: busy weeks (8 in four, 2 a week), quiet a year ago: rises
		// against last year.
		put("0101", day, 2)
		put("0101", 10*day, 4)
		put("0101", 24*day, 4)
		// 0201: busy on both: steady.
		put("0201", day, 2)
		put("0201", 10*day, 4)
		put("0201", 24*day, 4)
		put("0201", lastYear, 2)
		hs := mustDetect(t, s, w.community, "", civic.HotspotParams{MinCases: 2}, civic.HotspotRising)
		got := map[string]civic.Hotspot{}
		for _, h := range hs {
			got[h.CategoryCode] = h
		}
		if len(got) != 2 {
			t.Fatalf("rising: %+v", hs)
		}
		if h := got["0102"]; h.ThisWeek != 3 || h.WeeksAvg != 0 || h.LastYear != 4 || len(h.Cases) != 3 {
			t.Fatalf("0102 against the weeks: %+v", h)
		}
		if h := got["0101"]; h.ThisWeek != 2 || h.WeeksAvg != 2 || h.LastYear != 0 || h.CategoryName == "" {
			t.Fatalf("0101 against last year: %+v", h)
		}
	})
}

// TestHotspotPerKind: only the PerKind highest-scoring warnings of a kind
// are returned, and found counts them all.
func TestHotspotPerKind(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		w := mustHotspotWorld(t, s, clock)
		r := w.residents
		// Two 多人同诉 spots 2 km apart, the second with four reporters.
		for i := range 3 {
			w.file(t, r[i], "0101", 116.1, 39.2+float64(i)*0.0001, day)
		}
		for i := range 4 {
			w.file(t, r[i], "0101", 116.125, 39.2+float64(i)*0.0001, day)
		}
		p := civic.HotspotParams{RadiusM: 100, MinCases: 3, MinReporters: 3}
		all, found, err := s.DetectHotspots(context.Background(), w.community, "", p)
		if err != nil || len(all) != 2 || found[civic.HotspotManyReporters] != 2 {
			t.Fatalf("both: %v %v %+v", err, found, all)
		}
		p.PerKind = 1
		one, found, err := s.DetectHotspots(context.Background(), w.community, "", p)
		if err != nil || len(one) != 1 || found[civic.HotspotManyReporters] != 2 || one[0].Size != 4 || one[0].CategoryName == "" {
			t.Fatalf("the higher score only: %v %v %+v", err, found, one)
		}
	})
}

// TestHotspotMerge: a dispatcher turns a cluster into one case — the
// oldest kept, the others merged with every reporter kept — in one
// transaction; others are refused.
func TestHotspotMerge(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustHotspotWorld(t, s, clock)
		r := w.residents
		c1 := w.file(t, r[0], "0102", 116.1, 39.2, 3*day)
		c2 := w.file(t, r[1], "0101", 116.1005, 39.2, 2*day)
		c3 := w.file(t, r[2], "0102", 116.1, 39.2003, 1*day)
		hs := mustDetect(t, s, w.community, "", civic.HotspotParams{RadiusM: 200, MinCases: 3}, civic.HotspotCluster)
		if len(hs) != 1 {
			t.Fatalf("cluster: %+v", hs)
		}
		var ids []int64
		for _, c := range hs[0].Cases {
			ids = append([]int64{c.ID}, ids...) // newest first: the store picks the oldest
		}
		if _, err := s.MergeHotspot(ctx, w.grid, ids); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a grid worker may not merge: %v", err)
		}
		if _, err := s.MergeHotspot(ctx, w.resident, ids); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a resident may not merge: %v", err)
		}
		// One case already finished: nothing is merged.
		w.act(t, w.grid, c3.ID, store.CaseInput{Action: civic.ActClaim})
		w.act(t, w.grid, c3.ID, store.CaseInput{Action: civic.ActHandle, Note: "已清理"})
		if _, err := s.MergeHotspot(ctx, w.community, ids); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("a handled case in the set: %v", err)
		}
		if c, _ := s.GetCase(ctx, w.community, c2.ID); c.State == civic.StateMerged {
			t.Fatal("a refused merge must leave every case as it was")
		}
		c4 := w.file(t, r[3], "0102", 116.1001, 39.2001, 12*time.Hour)
		kept, err := s.MergeHotspot(ctx, w.community, []int64{c4.ID, c2.ID, c1.ID, c2.ID})
		if err != nil || kept.ID != c1.ID {
			t.Fatalf("merge: %+v %v", kept, err)
		}
		for _, id := range []int64{c2.ID, c4.ID} {
			if c, err := s.GetCase(ctx, w.community, id); err != nil || c.State != civic.StateMerged || c.MergedInto != c1.ID {
				t.Fatalf("case %d merged into the oldest: %+v %v", id, c, err)
			}
		}
		reps, err := s.CaseReporters(ctx, w.community, c1.ID)
		if err != nil || len(reps) != 2 {
			t.Fatalf("every reporter kept: %+v %v", reps, err)
		}
		for _, a := range []civic.Actor{r[1], r[3]} {
			if _, err := s.GetCase(ctx, a, c1.ID); err != nil {
				t.Fatalf("%s sees the kept case: %v", a.Username, err)
			}
		}
		// Detection now sees one case with three reporters: no cluster.
		if hs := mustDetect(t, s, w.community, "", civic.HotspotParams{RadiusM: 200, MinCases: 3}, civic.HotspotCluster); len(hs) != 0 {
			t.Fatalf("after the merge: %+v", hs)
		}
		// Out of scope looks like missing.
		u, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "grid2staff", DisplayName: "grid2staff", Password: "password-grid2staff",
			Role: civic.RoleCommunityStaff, Scope: civic.Scope{RegionCode: grid2}})
		if err != nil {
			t.Fatal(err)
		}
		c5 := w.file(t, r[4], "0102", 116.1, 39.2, time.Hour)
		c6 := w.file(t, r[5], "0102", 116.1, 39.2, time.Hour)
		if _, err := s.MergeHotspot(ctx, store.ActorOf(u, ""), []int64{c5.ID, c6.ID}); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("merging another grid's cases: %v", err)
		}
	})
}

// TestHotspotTask: a dispatcher turns a cluster into one proactive task at
// its centre, in its most common category, listing the cases; filing it
// again returns the same task; others may not.
func TestHotspotTask(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustHotspotWorld(t, s, clock)
		r := w.residents
		c1 := w.file(t, r[0], "0102", 116.1, 39.2, 3*day)
		c2 := w.file(t, r[1], "0101", 116.1006, 39.2, 2*day)
		c3 := w.file(t, r[2], "0102", 116.1, 39.2003, 1*day)
		ids := []int64{c3.ID, c1.ID, c2.ID, c1.ID}
		if _, err := s.HotspotTask(ctx, w.grid, w.loc, ids); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("a grid worker files a hotspot task: %v", err)
		}
		if _, err := s.HotspotTask(ctx, w.community, w.loc, ids[:1]); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("one case is no hotspot: %v", err)
		}
		task, err := s.HotspotTask(ctx, w.community, w.loc, ids)
		if err != nil {
			t.Fatal(err)
		}
		if task.Source != civic.SourcePatrol || task.CategoryCode != "0102" || !task.HasLocation ||
			task.Lng < 116.1 || task.Lng > 116.1006 || task.Lat < 39.2 || task.Lat > 39.2003 {
			t.Fatalf("task %+v", task)
		}
		for _, c := range []civic.Case{c1, c2, c3} {
			if !strings.Contains(task.Description, c.Number) {
				t.Fatalf("the task does not list %s: %q", c.Number, task.Description)
			}
			if got, _ := s.GetCase(ctx, w.community, c.ID); got.State == civic.StateMerged {
				t.Fatal("a proactive task must leave the cases as they are")
			}
		}
		again, err := s.HotspotTask(ctx, w.community, w.loc, []int64{c2.ID, c1.ID, c3.ID})
		if err != nil || again.ID != task.ID {
			t.Fatalf("filed twice: %d and %d, %v", task.ID, again.ID, err)
		}
	})
}

// TestHotspotPatrolFinds: what a grid worker files from patrol is the
// worker's duty, not an appeal: it never makes the worker a 一人多诉
// reporter, and adds a case but no reporter to a cluster.
func TestHotspotPatrolFinds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustHotspotWorld(t, s, clock)
		patrol := func(lng, lat float64, ago time.Duration) {
			t.Helper()
			w.clock.T = w.now.Add(-ago)
			defer func() { w.clock.T = w.now }()
			if _, _, err := s.SubmitCase(ctx, w.grid, w.loc, store.NewCase{Source: civic.SourcePatrol, CategoryCode: "0201", Title: "巡查发现消防通道堵塞",
				HasLocation: true, Lng: lng, Lat: lat}); err != nil {
				t.Fatalf("patrol: %v", err)
			}
		}
		for i, pt := range [][2]float64{{116.02, 39.05}, {116.2, 39.45}, {116.15, 39.01}, {116.1, 39.2}} {
			patrol(pt[0], pt[1], time.Duration(i+1)*day)
		}
		p := civic.HotspotParams{RadiusM: 200, Window: 7 * day, MinCases: 3, MinReporters: 3}
		if ones := mustDetect(t, s, w.community, "", p, civic.HotspotOneReporter); len(ones) != 0 {
			t.Fatalf("a grid worker's patrol finds as 一人多诉: %+v", ones)
		}
		// Two residents where the worker found the last one: three cases,
		// two reporters — a cluster, not 多人同诉.
		w.file(t, w.residents[0], "0201", 116.1003, 39.2, 2*day)
		w.file(t, w.residents[1], "0201", 116.1, 39.2002, 3*day)
		hs := mustDetect(t, s, w.community, "", p, civic.HotspotCluster)
		if len(hs) != 1 || hs[0].Kind != civic.HotspotCluster || hs[0].Size != 3 || hs[0].Reporters != 2 || hs[0].Found != 1 {
			t.Fatalf("two residents and a patrol find: %+v", hs)
		}
		w.file(t, w.residents[2], "0201", 116.1001, 39.2001, 1*day)
		if hs := mustDetect(t, s, w.community, "", p, civic.HotspotCluster); len(hs) != 1 || hs[0].Kind != civic.HotspotManyReporters || hs[0].Reporters != 3 {
			t.Fatalf("three residents and a patrol find: %+v", hs)
		}
	})
}
