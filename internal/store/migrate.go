package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/textseg"
)

//go:embed migrations
var migrationFS embed.FS

// Migration is one forward-only schema step. Files are numbered
// NNNN_name.sql and each engine's folder has the same names.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the engine's migrations in order.
func Migrations(e Engine) ([]Migration, error) {
	dir := path.Join("migrations", string(e))
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations for %s: %w", e, err)
	}
	var ms []Migration
	for _, ent := range entries {
		name := ent.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", name)
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := range ms {
		if ms[i].Version != i+1 {
			return nil, fmt.Errorf("migrations for %s: expected version %d, found %s", e, i+1, ms[i].Name)
		}
	}
	return ms, nil
}

// Migrate applies every migration not yet applied, each in its own
// transaction. On PostgreSQL an exclusive lock on the bookkeeping table lets
// several processes start at once without applying a step twice.
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	ms, err := Migrations(s.engine)
	if err != nil {
		return nil, err
	}
	create := `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`
	if _, err := s.w.ExecContext(ctx, create); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range ms {
		done := false
		err := s.write(ctx, func(tx *Tx) error {
			if s.engine == Postgres {
				if _, err := tx.exec(ctx, `LOCK TABLE schema_migrations IN EXCLUSIVE MODE`); err != nil {
					return err
				}
			}
			var n int
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				done = true
				return nil
			}
			if _, err := tx.tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			if m.Name == "0034_case_search_words.sql" {
				// Words of a case's text no longer pass for region terms:
				// re-index the cases holding such a word with the
				// migration, both or neither.
				if _, err := tx.reindexWhere(ctx, hasRegionWord); err != nil {
					return fmt.Errorf("re-index cases: %w", err)
				}
			}
			if m.Name == "0037_search_joined_words.sql" {
				// Words such as "Wi-Fi" and "PM2.5" are indexed by their
				// pieces and as one, and full-width letters as ASCII:
				// re-index the cases and articles holding one.
				if _, err := tx.reindexWhere(ctx, textseg.Compound); err != nil {
					return fmt.Errorf("re-index cases: %w", err)
				}
				if err := tx.reindexArticles(ctx); err != nil {
					return err
				}
			}
			if m.Name == "0027_rollups_response_day.sql" {
				// What the roll-ups count changed: recount them with it, in
				// the migration's transaction, so both happen or neither.
				if _, err := tx.rebuildRollups(ctx); err != nil {
					return fmt.Errorf("rebuild roll-ups: %w", err)
				}
			}
			_, err := tx.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, tx.now.Format("2006-01-02T15:04:05Z"))
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migrate %s %s: %w", s.engine, m.Name, err)
		}
		if !done {
			applied = append(applied, m.Name)
			s.dropIdleConns()
			if m.Name == "0007_case_search.sql" {
				// Terms are cut in Go, so cases filed before search existed
				// are indexed here rather than in SQL.
				if _, err := s.ReindexCases(ctx); err != nil {
					return applied, fmt.Errorf("index existing cases: %w", err)
				}
			}
		}
	}
	// Phones stored in clear (before migration 0036, or by a store opened
	// without keys) are sealed whenever the store has keys; with none
	// left, the partial indexes answer at once.
	if s.vault != nil {
		if _, err := s.SealCasePhones(ctx); err != nil {
			return applied, err
		}
	}
	return applied, nil
}

// dropIdleConns closes the idle PostgreSQL connections after a migration,
// so that no statement pgx prepared on them before it runs again after:
// one prepared before a column changed type (or collation, as 0041 does)
// fails once with "cached plan must not change result type".
func (s *Store) dropIdleConns() {
	if s.engine != Postgres {
		return
	}
	for db, idle := range map[*sql.DB]int{s.w: pgMaxIdle, s.side: 1} {
		db.SetMaxIdleConns(0)
		db.SetMaxIdleConns(idle)
	}
}

// SchemaVersion returns the highest applied migration, 0 for an empty database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
