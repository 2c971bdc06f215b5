package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // SQLite driver

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/password"
	"github.com/civicgrid/civicgrid/internal/vault"
)

// Engine is the database engine behind a Store.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// pgMaxIdle is how many idle connections the PostgreSQL pool keeps.
const pgMaxIdle = 8

// Store is the database. It holds a single-connection writer pool and a
// reader pool on SQLite (one writer is SQLite's rule), one pool on
// PostgreSQL, and there a small side pool for the caches' checks.
type Store struct {
	engine Engine
	w, r   *sql.DB
	// side serves the reads that caches make while a write transaction
	// holds a connection of w (cacheReader); nil on SQLite, whose reader
	// pool is apart from its writer already.
	side  *sql.DB
	clock civic.Clock
	log   *slog.Logger
	pw    password.Params
	cases CaseSettings
	// cal caches the working calendar for deadline computation.
	cal calendarCache
	// bulk is the shared transaction of a Bulk run, nil otherwise.
	bulk atomic.Pointer[bulkRun]
	// wstmts and rstmts keep SQLite statements prepared (see stmtCache).
	wstmts, rstmts stmtCache
	// vault seals ID and phone numbers of people; nil leaves the people
	// module unable to store them (an error says so).
	vault *vault.Keyring
	care  CareSettings
	// triage holds the active triage model as loaded here.
	triage triageCache
	// retry says how a write aborted by PostgreSQL is tried again.
	retry *txRetry
}

// Options tunes Open.
type Options struct {
	Clock  civic.Clock
	Logger *slog.Logger
	// Password sets the hashing cost; zero means password.Default. Tests
	// lower it.
	Password password.Params
	// Cases sets the loop's limits; zero fields take DefaultCaseSettings.
	Cases CaseSettings
	// BulkLoad relaxes SQLite's synchronous=FULL to NORMAL (WAL stays
	// consistent after a crash but may lose the last commits). Only for
	// generating data nobody has been promised yet, like the demo city's
	// history; a server never sets it.
	BulkLoad bool
	// Vault holds the keys that seal personal data (ID and phone numbers).
	Vault *vault.Keyring
	// Care sets the limits of care work; zero fields take
	// DefaultCareSettings.
	Care CareSettings
}

// IsPostgresDSN reports whether dsn names a PostgreSQL database rather than a
// SQLite file.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to dsn: a SQLite file path or a postgres:// URL. It does not
// migrate; call Migrate.
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	if opt.Clock == nil {
		opt.Clock = civic.SystemClock{}
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Password == (password.Params{}) {
		opt.Password = password.Default
	}
	s := &Store{clock: opt.Clock, log: opt.Logger, pw: opt.Password, cases: opt.Cases, vault: opt.Vault, care: opt.Care, retry: newTxRetry()}
	var err error
	if IsPostgresDSN(dsn) {
		s.engine = Postgres
		s.w, err = openPostgres(dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		s.w.SetMaxOpenConns(16)
		s.w.SetMaxIdleConns(pgMaxIdle)
		s.w.SetConnMaxIdleTime(5 * time.Minute)
		s.r = s.w
		// Write transactions read the working calendar holding their
		// connection. Had the check to take a second one from the same
		// pool, a pool full of such transactions would wait on itself
		// for ever; the check runs under the cache's lock, one at a
		// time, so one connection apart serves it.
		if s.side, err = openPostgres(dsn); err != nil {
			s.w.Close()
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		s.side.SetMaxOpenConns(1)
		s.side.SetMaxIdleConns(1)
		s.side.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		s.engine = SQLite
		if s.w, s.r, err = openSQLite(dsn, opt.BulkLoad); err != nil {
			return nil, err
		}
	}
	if err := s.w.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to %s database: %w", s.engine, err)
	}
	return s, nil
}

// openPostgres opens a pool whose connections read timestamptz in UTC, as
// SQLite's do: pgx returns them in the process's local zone otherwise, so
// on a server running in Asia/Shanghai every time the store forgot to
// .UTC() reached the API and the exports as +08:00 on PostgreSQL and Z on
// SQLite.
func openPostgres(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	return stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID, Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	})), nil
}

// openSQLite opens the file with the pragmas civicgrid relies on: a busy
// timeout before WAL so that opening waits for other processes, WAL for
// concurrent readers, synchronous=FULL so that an acknowledged write survives
// a power cut, and foreign keys. Writes go through one connection whose
// transactions start IMMEDIATE, so two writers queue instead of deadlocking.
func openSQLite(path string, bulk bool) (w, r *sql.DB, err error) {
	if path == "" {
		return nil, nil, errors.New("open sqlite: empty path")
	}
	sync, extra := "FULL", ""
	if bulk {
		// A bulk load's shared transactions (see Bulk) should not spill
		// dirty pages to the log before they commit: a large page cache.
		sync, extra = "NORMAL", "&_pragma=cache_size(-262144)"
	}
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")&_pragma=foreign_keys(1)&_pragma=temp_store(2)&_time_format=sqlite" + extra
	base := "file:" + (&url.URL{Path: path}).EscapedPath()
	w, err = sql.Open("sqlite", base+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	r, err = sql.Open("sqlite", base+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	return w, r, nil
}

// Engine names the database engine.
func (s *Store) Engine() Engine { return s.engine }

// Now is the store's clock, in UTC and to the microsecond: PostgreSQL
// keeps microseconds and SQLite whatever it is given, so a time with
// nanoseconds came back from one engine as written and from the other
// cut short, and what a write returned differed from what a read of the
// same row returned later.
func (s *Store) Now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// Close releases the pools.
func (s *Store) Close() error {
	s.wstmts.close()
	s.rstmts.close()
	var err error
	if s.r != nil && s.r != s.w {
		err = s.r.Close()
	}
	if s.side != nil {
		err = errors.Join(err, s.side.Close())
	}
	if s.w != nil {
		err = errors.Join(err, s.w.Close())
	}
	return err
}

// Ping checks that the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.engine, err)
	}
	return nil
}

// rebind turns the '?' placeholders that both engines' SQL is written with
// into PostgreSQL's $n. Question marks inside string literals are left alone.
func (s *Store) rebind(q string) string {
	if s.engine != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n, inStr := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Tx is a write transaction. Helpers take (ctx, tx, …) so that several of
// them compose into one transaction.
type Tx struct {
	tx *sql.Tx
	s  *Store
	// now is fixed for the whole transaction so every row it writes agrees.
	now time.Time
	// known holds what the transaction itself wrote of new cases, so that
	// their events need not read the case back to notify.
	known map[int64]caseBrief
	// bound keeps prepared statements bound to a long transaction (a Bulk
	// run's), so that each is bound once rather than at every use.
	bound map[*sql.Stmt]*sql.Stmt
	// rollups gathers the transaction's roll-up counts, written once at
	// the end (flushRollups): a batch of cases shares its rows. caseRollups,
	// when set, holds one savepoint's counts until it is kept or dropped.
	rollups, caseRollups rollups
	// noRollups marks a Bulk run's writes, whose roll-ups are rebuilt
	// once when the run ends instead of being kept event by event.
	noRollups bool
}

// stmt binds a prepared statement to the transaction.
func (tx *Tx) stmt(ctx context.Context, st *sql.Stmt) *sql.Stmt {
	if tx.bound == nil {
		return tx.tx.StmtContext(ctx, st)
	}
	b, ok := tx.bound[st]
	if !ok {
		b = tx.tx.StmtContext(ctx, st)
		tx.bound[st] = b
	}
	return b
}

// caseBrief is what notifications need of a case.
type caseBrief struct {
	title, region, handlerRegion string
	category, source             string // for the roll-ups
	handlerOrg, reporter         sql.NullInt64
	created                      time.Time
}

// cleanArgs replaces NUL characters and bytes that are not UTF-8 in text
// arguments with U+FFFD. PostgreSQL refuses both in text (SQLSTATE 22021,
// a server error for the user) and SQLite would store them; the edges (the
// server's check of paths and queries, api.decode) refuse them with an
// error, and this keeps any path they miss — a form field, an import cell,
// an upload's file name — from failing differently on the two engines.
// Times go in UTC: SQLite keeps a time as text with its offset and compares
// that text, so a time written at +08:00 (a phone's track point, a date
// picked in China time) would sort eight hours away from the same instant
// written in UTC; PostgreSQL compares instants either way.
// The arguments are copied only when one needs cleaning.
func cleanArgs(args []any) []any {
	for i, a := range args {
		if !cleanArg(a) {
			out := slices.Clone(args)
			for j := i; j < len(out); j++ {
				switch v := out[j].(type) {
				case string:
					if !cleanString(v) {
						out[j] = strings.ReplaceAll(strings.ToValidUTF8(v, "\uFFFD"), "\x00", "\uFFFD")
					}
				case time.Time:
					out[j] = v.UTC()
				case *time.Time:
					if v != nil {
						u := v.UTC()
						out[j] = &u
					}
				}
			}
			return out
		}
	}
	return args
}

// cleanArg reports whether an argument goes to the database as it is.
func cleanArg(a any) bool {
	switch v := a.(type) {
	case string:
		return cleanString(v)
	case time.Time:
		return v.Location() == time.UTC
	case *time.Time:
		return v == nil || v.Location() == time.UTC
	}
	return true
}

func cleanString(v string) bool { return strings.IndexByte(v, 0) < 0 && utf8.ValidString(v) }

func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	args = cleanArgs(args)
	q = tx.s.rebind(q)
	if st := tx.s.wstmts.lookup(tx.s, q); st != nil {
		return tx.stmt(ctx, st).ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, q, args...)
}

func (tx *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	args = cleanArgs(args)
	q = tx.s.rebind(q)
	if st := tx.s.wstmts.lookup(tx.s, q); st != nil {
		return tx.stmt(ctx, st).QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, q, args...)
}

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	args = cleanArgs(args)
	q = tx.s.rebind(q)
	if st := tx.s.wstmts.lookup(tx.s, q); st != nil {
		return tx.stmt(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, q, args...)
}

// insertID runs an INSERT … RETURNING id.
func (tx *Tx) insertID(ctx context.Context, q string, args ...any) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, q+" RETURNING id", args...).Scan(&id)
	return id, err
}

func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	args = cleanArgs(args)
	if tx := s.bulkTx(); tx != nil {
		return tx.query(ctx, q, args...)
	}
	q = s.rebind(q)
	if st := s.rstmts.lookup(s, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	s.rstmts.preparePending(ctx, s.r)
	return s.r.QueryContext(ctx, q, args...)
}

func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	args = cleanArgs(args)
	if tx := s.bulkTx(); tx != nil {
		return tx.queryRow(ctx, q, args...)
	}
	q = s.rebind(q)
	if st := s.rstmts.lookup(s, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	s.rstmts.preparePending(ctx, s.r)
	return s.r.QueryRowContext(ctx, q, args...)
}

// cacheReader is what a cache reads its revision and contents through
// when it may be asked from inside a write transaction: on PostgreSQL the
// side pool, so that the read never waits for a connection of the pool the
// transactions hold; the store itself on SQLite (whose readers are apart
// from the writer) and during a Bulk run (whose transaction must see its
// own writes).
func (s *Store) cacheReader() querier {
	if s.side == nil || s.bulk.Load() != nil {
		return s
	}
	return sideReader{s}
}

// sideReader reads through the side pool.
type sideReader struct{ s *Store }

func (r sideReader) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return r.s.side.QueryContext(ctx, r.s.rebind(q), cleanArgs(args)...)
}

func (r sideReader) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return r.s.side.QueryRowContext(ctx, r.s.rebind(q), cleanArgs(args)...)
}

// stmtCache keeps SQLite statements prepared: modernc's driver parses the
// SQL on every call otherwise, a third of the CPU of a case's intake. A
// statement is prepared on the pool (database/sql then keeps it prepared
// on every connection it runs on) but never from inside a write
// transaction: the writer pool has one connection, which the transaction
// holds, so preparing there would wait for ever. Queries met for the first
// time inside a transaction run unprepared and are prepared right after
// its commit. PostgreSQL needs none of this: pgx caches statements itself.
type stmtCache struct {
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]bool
}

// maxCachedStmts bounds the cache: queries built with IN lists of varying
// length are many and rarely repeat.
const maxCachedStmts = 300

func (c *stmtCache) lookup(s *Store, q string) *sql.Stmt {
	if s.engine != SQLite {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		return st
	}
	if len(c.m)+len(c.pending) < maxCachedStmts {
		if c.pending == nil {
			c.pending = map[string]bool{}
		}
		c.pending[q] = true
	}
	return nil
}

func (c *stmtCache) preparePending(ctx context.Context, db *sql.DB) {
	c.mu.Lock()
	var qs []string
	for q := range c.pending {
		qs = append(qs, q)
	}
	c.pending = nil
	c.mu.Unlock()
	for _, q := range qs {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			continue // it runs unprepared, and reports its own error there
		}
		c.mu.Lock()
		if c.m == nil {
			c.m = map[string]*sql.Stmt{}
		}
		if _, dup := c.m[q]; dup {
			st.Close()
		} else {
			c.m[q] = st
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m, c.pending = nil, nil
}

// isUniqueViolation reports a unique-constraint failure on either engine.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	m := err.Error()
	return strings.Contains(m, "UNIQUE constraint failed") || strings.Contains(m, "SQLSTATE 23505")
}

// Page selects a window of a list.
type Page struct {
	Limit  int
	Offset int
}

// normal clamps a page to sane bounds; Limit 0 means the default of 50.
func (p Page) normal() Page {
	if p.Limit <= 0 {
		p.Limit = 50
	}
	if p.Limit > 10000 {
		p.Limit = 10000
	}
	if p.Offset < 0 {
		p.Offset = 0
	}
	return p
}

// likeContains builds a LIKE pattern that matches s anywhere, escaping the
// pattern characters of the user's text.
func likeContains(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// containsAny is the condition "one of cols contains q", with its
// arguments, for a search box. It ignores the case of ASCII letters on both
// engines, as SQLite's LIKE does and PostgreSQL's does not: LOWER on both
// sides, which lowers ASCII only on both (SQLite's LOWER; PostgreSQL's
// under the "C" collation of every text column), so the pattern is lowered
// in Go the same way rather than with strings.ToLower.
func containsAny(q string, cols ...string) (string, []any) {
	p := likeContains(asciiLower(q))
	conds, args := make([]string, len(cols)), make([]any, len(cols))
	for i, c := range cols {
		conds[i], args[i] = `LOWER(`+c+`) LIKE ? ESCAPE '\'`, p
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}

// asciiLower lowers ASCII letters only.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// scopeClause returns "col >= ? AND col < ?" limiting col (a region code
// column) to the actor's subtree, or "1=1" for the system actor.
func scopeClause(a civic.Actor, col string) (string, []any) {
	if a.IsSystem() {
		return "1=1", nil
	}
	lo, hi := civic.ScopePrefixRange(a.Scope.RegionCode)
	if a.Scope.RegionCode == "" {
		return "1=0", nil
	}
	return col + " >= ? AND " + col + " < ?", []any{lo, hi}
}

// forUpdate locks the selected rows for the rest of the transaction on
// PostgreSQL; SQLite's single writer already excludes other writers.
func (s *Store) forUpdate() string {
	if s.engine == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// errNoRow is what a skipped locked row looks like: no row at all.
var errNoRow = sql.ErrNoRows

// lockRowSkip locks the selected row of table alias t for the rest of the
// transaction on PostgreSQL, skipping it if another transaction holds it.
// SQLite has one writer, so a write transaction already excludes others.
func (s *Store) lockRowSkip(t string) string {
	if s.engine == Postgres {
		return " FOR UPDATE OF " + t + " SKIP LOCKED"
	}
	return ""
}
