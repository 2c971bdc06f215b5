package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// BackupCounts are what a backup holds, read back from the copy so that a
// backup is known to open before anyone needs it.
type BackupCounts struct {
	Schema, Cases, People, Users int64
}

// Backup writes a consistent copy of a SQLite database to dest while the
// server keeps running (VACUUM INTO: one read transaction, so writers go on
// and the copy is the database at one moment), then opens the copy, checks
// its integrity and counts what it holds. dest must not exist. PostgreSQL
// is backed up with its own tools (pg_dump, or base backups with WAL
// archiving), which know its replicas and point-in-time recovery.
func (s *Store) Backup(ctx context.Context, dest string) (BackupCounts, error) {
	if s.engine != SQLite {
		return BackupCounts{}, civic.Errorf(civic.EInvalid,
			"PostgreSQL 数据库请用 pg_dump（或基础备份加 WAL 归档）备份；本命令只备份 SQLite 数据库文件",
			"back up PostgreSQL with pg_dump (or base backups with WAL archiving); this command backs up a SQLite database file")
	}
	if _, err := os.Lstat(dest); err == nil {
		return BackupCounts{}, civic.Errorf(civic.EConflict, "%s 已存在，备份不会覆盖已有文件", "%s exists; a backup never overwrites a file", dest)
	} else if !errors.Is(err, os.ErrNotExist) {
		return BackupCounts{}, fmt.Errorf("check backup path: %w", err)
	}
	// The store's readers are query_only, which refuses VACUUM INTO even
	// though it only reads this database: a connection of its own does it.
	var path string
	if err := s.queryRow(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		return BackupCounts{}, fmt.Errorf("find database file: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return BackupCounts{}, fmt.Errorf("open %s: %w", path, err)
	}
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, dest)
	db.Close()
	if err != nil {
		os.Remove(dest)
		return BackupCounts{}, fmt.Errorf("copy database to %s: %w", dest, err)
	}
	// The copy holds names, addresses and cases: its owner's only.
	if err := os.Chmod(dest, 0o600); err != nil {
		return BackupCounts{}, fmt.Errorf("restrict backup %s: %w", dest, err)
	}
	counts, err := checkBackup(ctx, dest)
	if err != nil {
		return BackupCounts{}, fmt.Errorf("check backup %s: %w", dest, err)
	}
	return counts, nil
}

// checkBackup opens a copy read-only, runs SQLite's integrity check over it
// and counts its schema version, cases, people and accounts.
func checkBackup(ctx context.Context, path string) (BackupCounts, error) {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		return BackupCounts{}, err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil {
		return BackupCounts{}, fmt.Errorf("integrity check: %w", err)
	}
	if ok != "ok" {
		return BackupCounts{}, fmt.Errorf("integrity check: %s", ok)
	}
	var c BackupCounts
	for _, q := range []struct {
		sql string
		to  *int64
	}{
		{`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`, &c.Schema},
		{`SELECT COUNT(*) FROM cases`, &c.Cases},
		{`SELECT COUNT(*) FROM people`, &c.People},
		{`SELECT COUNT(*) FROM users`, &c.Users},
	} {
		if err := db.QueryRowContext(ctx, q.sql).Scan(q.to); err != nil {
			return BackupCounts{}, fmt.Errorf("count: %w", err)
		}
	}
	return c, nil
}
