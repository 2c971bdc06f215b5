package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestSeedBenchCases: the benchmark seed writes the cases and their
// timelines on both engines (COPY on PostgreSQL), the roll-ups rebuilt
// from them count them, and a real submission afterwards gets a fresh ID.
func TestSeedBenchCases(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		states := []string{"visited", "in_progress", "reported"}
		err := s.SeedBenchCases(ctx, 30, func(i int) store.BenchCase {
			return store.BenchCase{State: states[i%3], Category: "0102", Title: "基准工单", Region: grid1, HandlerRegion: grid1[:12],
				Lng: 116.1, Lat: 39.2, CreatedAt: clock.T.Add(-time.Duration(i) * time.Hour), Timeline: true, Satisfaction: "satisfied", Solved: true}
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RebuildRollups(ctx); err != nil {
			t.Fatal(err)
		}
		ov, err := s.Overview(ctx, civic.System, grid1[:9])
		if err != nil {
			t.Fatal(err)
		}
		if ov.ByState["visited"] != 10 || ov.ByState["in_progress"] != 10 || ov.ByState["reported"] != 10 {
			t.Fatalf("the roll-ups count the seeded cases by state: %v", ov.ByState)
		}
		c, _, err := s.SubmitCase(ctx, w.grid, w.loc, store.NewCase{Source: civic.SourcePatrol, CategoryCode: "0102", Title: "楼道堆物", HasLocation: true, Lng: 116.1, Lat: 39.2})
		if err != nil || c.ID != 31 {
			t.Fatalf("a submission after the seed: %d %v", c.ID, err)
		}
	})
}
