package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestBulk: inside a Bulk run reads see what was written before it is
// committed, a failed write leaves nothing behind while the others stay,
// and everything is there afterwards.
func TestBulk(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		boom := errors.New("boom")
		var ids []int64
		err := s.Bulk(ctx, func() error {
			for i := range 600 { // more than one shared commit
				c, _, err := s.SubmitCase(ctx, w.grid, w.loc, store.NewCase{Source: civic.SourcePatrol, CategoryCode: "0102", Title: fmt.Sprintf("楼道堆物%d", i), HasLocation: true, Lng: 116.1, Lat: 39.2})
				if err != nil {
					return err
				}
				ids = append(ids, c.ID)
			}
			// A write that fails after changing a row leaves it as it was.
			if err := s.ExecThenFailForTest(ctx, boom, `UPDATE cases SET title = 'x' WHERE id = ?`, ids[0]); !errors.Is(err, boom) {
				return fmt.Errorf("failed write: %v", err)
			}
			if c, err := s.GetCase(ctx, w.grid, ids[0]); err != nil || c.Title != "楼道堆物0" {
				return fmt.Errorf("after a failed write: %+v %v", c, err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("bulk returned %v", err)
		}
		if _, n, err := s.ListCases(ctx, w.street, store.CaseFilter{}); err != nil || n != 600 {
			t.Fatalf("after the run: %d cases, %v", n, err)
		}
		// A run writes its roll-up counts at its commits: they must equal
		// a rebuild from the events, the failed write's counts left out.
		inc, err := s.Rollups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RebuildRollups(ctx); err != nil {
			t.Fatal(err)
		}
		reb, err := s.Rollups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(inc) == 0 || len(reb) != len(inc) {
			t.Fatalf("roll-ups: %d rows incremental, %d rebuilt", len(inc), len(reb))
		}
		for i := range inc {
			if reb[i] != inc[i] {
				t.Errorf("row %d: rebuild %+v, bulk run %+v", i, reb[i], inc[i])
			}
		}
	})
}
