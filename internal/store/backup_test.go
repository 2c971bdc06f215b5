package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestBackup: a SQLite database is copied while it is open, the copy opens
// as a database with the same cases, and a second backup never overwrites
// the first; PostgreSQL is sent to its own tools.
func TestBackup(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		for i := 0; i < 3; i++ {
			w.file(t, w.operator, store.NewCase{Source: civic.SourceHotline, Title: "路灯不亮", ReporterPhone: "13800001111"})
		}
		dest := filepath.Join(t.TempDir(), "copy.db")
		got, err := s.Backup(ctx, dest)
		if s.Engine() == store.Postgres {
			if e := civic.AsError(err); e.Code != civic.EInvalid || !strings.Contains(e.Msg.ZH, "pg_dump") {
				t.Fatalf("PostgreSQL backup: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got.Cases != 3 || got.Users == 0 || got.Schema != int64(want) {
			t.Fatalf("backup holds %+v; want 3 cases, users, schema %d", got, want)
		}
		if info, err := os.Stat(dest); err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("the copy's mode: %v %v", info.Mode(), err)
		}
		// The copy is a database civicgrid opens, with the same cases.
		copied := testdb.MustOpenDSN(t, dest, clock)
		list, n, err := copied.ListCases(ctx, w.operator, store.CaseFilter{})
		if err != nil || n != 3 || len(list) != 3 || list[0].Title != "路灯不亮" {
			t.Fatalf("the copy's cases: %d %v", n, err)
		}
		before, _ := os.Stat(dest)
		if _, err := s.Backup(ctx, dest); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("a second backup to the same path: %v", err)
		}
		if after, _ := os.Stat(dest); !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
			t.Fatal("the refused backup touched the first")
		}
	})
}
