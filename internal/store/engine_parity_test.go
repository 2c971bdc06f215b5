package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// The tests in this file hold the two engines to the same answers where
// SQL alone would let them differ: collation, LIKE, NULLs, times, numbers.
// testdb makes PostgreSQL databases with a pinyin collation, as a Chinese
// server's locale would give them.

// TestScopeUnderLinguisticCollation reads a district's subtree and a list
// of names: a scope is the code range [code, code+":"), which a linguistic
// collation (punctuation before digits) empties, and names come in byte
// order as on SQLite, not in pinyin or case-blind order.
func TestScopeUnderLinguisticCollation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		mustImport(t, s, collection(base...))
		admin := mustActor(t, s, "district-admin", civic.RoleAdmin, "110101")
		rs, n, err := s.ListRegions(ctx, admin, store.RegionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, r := range rs {
			codes = append(codes, r.Code)
		}
		if want := []string{"110101", "110101001", "110101001001"}; n != 3 || !slices.Equal(codes, want) {
			t.Errorf("district admin sees %d regions %v, want %v", n, codes, want)
		}
		for _, name := range []string{"li_si", "li.si", "li-si", "lisa", "li2"} {
			mustActor(t, s, name, civic.RoleOperator, "110101001")
		}
		us, _, err := s.ListUsers(ctx, civic.System, store.UserFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range us {
			names = append(names, u.Username)
		}
		if want := []string{"district-admin", "li-si", "li.si", "li2", "li_si", "lisa"}; !slices.Equal(names, want) {
			t.Errorf("users listed %v, want byte order %v", names, want)
		}
	})
}

// TestTextColumnsCompareBytes keeps later migrations to migration 0041's
// rule: every text column compares by bytes, SQLite's BINARY collation and
// PostgreSQL's "C", whatever locale the server was initialised with.
func TestTextColumnsCompareBytes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		q := `SELECT COALESCE(group_concat(name, ', '), '') FROM sqlite_master WHERE sql LIKE '%COLLATE%'`
		if s.Engine() == store.Postgres {
			q = `SELECT COALESCE(string_agg(c.relname || '.' || a.attname, ', '), '') FROM pg_attribute a
				JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
				AND a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype)
				AND a.attcollation <> (SELECT k.oid FROM pg_collation k WHERE k.collname = 'C' AND k.collnamespace = 'pg_catalog'::regnamespace)`
		}
		var cols string
		if err := s.QueryRowForTest(context.Background(), q).Scan(&cols); err != nil {
			t.Fatal(err)
		}
		if cols != "" {
			t.Errorf("text columns that do not compare by bytes (declare them TEXT COLLATE \"C\" on PostgreSQL): %s", cols)
		}
	})
}
