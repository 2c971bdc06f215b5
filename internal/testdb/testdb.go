// Package testdb gives tests a fresh, migrated database on every engine the
// test environment provides: always a SQLite file in a temp dir, and a new
// PostgreSQL database per test when CIVICGRID_TEST_PG names a server.
// With CIVICGRID_REQUIRE_PG=1 (set by the test command and CI) a missing
// server fails the tests instead of skipping PostgreSQL.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/password"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/vault"
)

// Engines lists the engines to run store tests on.
func Engines(tb testing.TB) []store.Engine {
	tb.Helper()
	es := []store.Engine{store.SQLite}
	if os.Getenv("CIVICGRID_TEST_PG") != "" {
		es = append(es, store.Postgres)
	} else if os.Getenv("CIVICGRID_REQUIRE_PG") == "1" {
		tb.Fatal("CIVICGRID_REQUIRE_PG=1 but CIVICGRID_TEST_PG is not set: PostgreSQL tests cannot run")
	}
	return es
}

// Clock is a settable clock for tests.
type Clock struct{ T time.Time }

func (c *Clock) Now() time.Time { return c.T }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.T = c.T.Add(d) }

// NewClock starts at a fixed, ordinary working day.
func NewClock() *Clock { return &Clock{T: time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)} }

// FastPassword is a cheap hashing cost for tests.
var FastPassword = password.Params{Time: 1, MemKiB: 1024, Threads: 1}

// DSN returns a connection string for a new, empty database of the engine,
// dropped when the test ends.
func DSN(tb testing.TB, e store.Engine) string {
	tb.Helper()
	if e == store.SQLite {
		return filepath.Join(tb.TempDir(), "civicgrid.db")
	}
	base := os.Getenv("CIVICGRID_TEST_PG")
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "cgtest_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("open postgres admin connection: %v", err)
	}
	ctx := context.Background()
	// A Chinese deployment's database sorts text by pinyin, not by bytes
	// as SQLite does (and as the C locale of a bare initdb does): tests
	// run on such a collation so that SQL depending on the database's
	// collation fails here rather than in production. Servers without
	// ICU (or older than PostgreSQL 15) get their default.
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'zh-CN'"); err != nil {
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			admin.Close()
			tb.Fatalf("create test database: %v", err)
		}
	}
	tb.Cleanup(func() {
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse CIVICGRID_TEST_PG: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// MustOpen returns a migrated store on a fresh database of the engine.
func MustOpen(tb testing.TB, e store.Engine, clock civic.Clock) *store.Store {
	tb.Helper()
	return MustOpenDSN(tb, DSN(tb, e), clock)
}

// MustOpenDSN opens and migrates a store at dsn, closed when the test ends.
func MustOpenDSN(tb testing.TB, dsn string, clock civic.Clock) *store.Store {
	tb.Helper()
	return MustOpenWith(tb, dsn, clock, MustVault(tb))
}

// MustOpenWith is MustOpenDSN with the given personal-data keys.
func MustOpenWith(tb testing.TB, dsn string, clock civic.Clock, keys *vault.Keyring) *store.Store {
	tb.Helper()
	if clock == nil {
		clock = NewClock()
	}
	s, err := store.Open(context.Background(), dsn, store.Options{Clock: clock, Password: FastPassword, Vault: keys})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return s
}

// EachPair runs fn as a subtest per engine with two stores on one fresh
// database, as two servers behind a load balancer, sharing one clock.
func EachPair(t *testing.T, fn func(t *testing.T, a, b *store.Store, clock *Clock)) {
	t.Helper()
	for _, e := range Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			clock := NewClock()
			dsn := DSN(t, e)
			fn(t, MustOpenDSN(t, dsn, clock), MustOpenDSN(t, dsn, clock), clock)
		})
	}
}

// Each runs fn as a subtest per engine, each with its own fresh store.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store, clock *Clock)) {
	t.Helper()
	for _, e := range Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			c := NewClock()
			fn(t, MustOpen(t, e, c), c)
		})
	}
}

// MustVault makes a fresh keyring for a test's personal data.
func MustVault(tb testing.TB) *vault.Keyring {
	tb.Helper()
	spec, err := vault.Generate()
	if err != nil {
		tb.Fatal(err)
	}
	k, err := vault.Parse(spec)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}
