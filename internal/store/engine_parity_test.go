package store_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

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
		mustNoColumns(t, s, q, `text columns that do not compare by bytes (declare them TEXT COLLATE "C" on PostgreSQL)`)
	})
}

// mustNoColumns fails the test with what, naming the columns q lists (one
// text of them, empty for none).
func mustNoColumns(t *testing.T, s *store.Store, q, what string) {
	t.Helper()
	var cols string
	if err := s.QueryRowForTest(context.Background(), q).Scan(&cols); err != nil {
		t.Fatal(err)
	}
	if cols != "" {
		t.Errorf("%s: %s", what, cols)
	}
}

// TestTimeColumnsHaveZone keeps PostgreSQL's time columns to timestamptz
// (migration 0043): a timestamp without time zone drops the zone of what
// is written and reads back as UTC or as the session's zone depending on
// the driver and the server's TimeZone, so one time column could disagree
// with the rest. SQLite keeps every time as UTC text and has no such type.
func TestTimeColumnsHaveZone(t *testing.T) {
	// SQLite has no time types with or without a zone: PostgreSQL only,
	// without a skipped SQLite subtest in every run's count.
	if !slices.Contains(testdb.Engines(t), store.Postgres) {
		t.Skip("PostgreSQL only: SQLite has no time types with or without a zone")
	}
	mustNoColumns(t, testdb.MustOpen(t, store.Postgres, nil), `SELECT COALESCE(string_agg(table_name || '.' || column_name, ', ' ORDER BY table_name, column_name), '')
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type IN ('timestamp without time zone', 'time without time zone')`,
		"time columns without a time zone (declare them TIMESTAMPTZ)")
}

// TestMigrationGivesActiveSinceAZone migrates a database from before 0043,
// whose sessions run in China's zone, as a Chinese server's may: the UTC
// time an older binary kept in the TIMESTAMP active_since is the same
// instant in the timestamptz after, not one 8 hours off.
func TestMigrationGivesActiveSinceAZone(t *testing.T) {
	if !slices.Contains(testdb.Engines(t), store.Postgres) {
		t.Skip("PostgreSQL only: SQLite has no time types to convert")
	}
	ctx := context.Background()
	clock := testdb.NewClock()
	dsn := testdb.DSN(t, store.Postgres)
	s := testdb.MustOpenDSN(t, dsn, clock)
	mustImport(t, s, collection(base...))
	admin := mustActor(t, s, "cityadmin", civic.RoleAdmin, "1101")
	tpl := reportTemplateAll()
	tpl.Active = true
	tpl, err := s.SaveReportTemplate(ctx, admin, tpl)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`ALTER TABLE report_templates ALTER COLUMN active_since TYPE TIMESTAMP USING active_since AT TIME ZONE 'UTC'`,
		`DELETE FROM schema_migrations WHERE version = 43`,
		`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone TO %L', current_database(), 'Asia/Shanghai'); END $$`,
	} {
		if _, err := s.ExecForTest(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	upgraded := testdb.MustOpenDSN(t, dsn, clock) // migrates
	var zone string
	if err := upgraded.QueryRowForTest(ctx, `SELECT current_setting('TimeZone')`).Scan(&zone); err != nil || zone != "Asia/Shanghai" {
		t.Fatalf("sessions run in %q (%v), want Asia/Shanghai: the test would not tell UTC from the session's zone", zone, err)
	}
	got, err := upgraded.GetReportTemplate(ctx, admin, tpl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ActiveSince.Equal(clock.T) {
		t.Errorf("active since %v after the migration, want %v", got.ActiveSince, clock.T)
	}
}

// TestSearchBoxIgnoresASCIICase searches region names: SQLite's LIKE
// ignores the case of ASCII letters and PostgreSQL's does not, so "soho"
// found SOHO社区 on one engine only; and %, _ and \ in the box are the
// user's characters, not patterns.
func TestSearchBoxIgnoresASCIICase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		mustImport(t, s, collection(append(base,
			feature("110101001001002", "SOHO_A社区", rect(116.0, 39.0, 116.1, 39.1)),
			feature("110101001001003", "SohoXA社区", rect(116.1, 39.0, 116.2, 39.1)),
			feature("110101001001004", "100%社区", rect(116.2, 39.0, 116.3, 39.1)),
			feature("110101001001005", "1000社区", rect(116.3, 39.0, 116.4, 39.1)),
			feature("110101001001006", `A\B社区`, rect(116.4, 39.0, 116.5, 39.1)),
			feature("110101001001007", "Ｓｏｈｏ社区", rect(116.0, 39.1, 116.1, 39.2)),
		)...))
		for _, tc := range []struct{ query, want string }{
			{"soho", "110101001001002 110101001001003"},
			{"SOHO", "110101001001002 110101001001003"},
			{"soho_a", "110101001001002"},
			{"100%", "110101001001004"},
			{`a\b`, "110101001001006"},
			{"ｓｏｈｏ", ""}, // full-width letters are not ASCII: matched as typed
			{"Ｓｏｈｏ", "110101001001007"},
		} {
			rs, _, err := s.ListRegions(ctx, civic.System, store.RegionFilter{Query: tc.query})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rs {
				got = append(got, r.Code)
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("regions matching %q: %q, want %q", tc.query, g, tc.want)
			}
		}
	})
}

// inZoneEnv marks the copy of the test binary that TestTimesReadInUTC
// starts in China's zone.
const inZoneEnv = "CIVICGRID_TEST_IN_CHINA_ZONE"

// TestTimesReadInUTC runs the process in China's zone, as many servers
// are, and reads back a report template: pgx returned timestamptz in the
// local zone, so the API showed +08:00 on PostgreSQL and Z on SQLite
// wherever the store did not convert a time itself. The zone is the
// process's own (time.Local), so the check runs in a copy of the test
// binary started with TZ set: changing time.Local here would change it
// for every test running beside this one.
func TestTimesReadInUTC(t *testing.T) {
	if os.Getenv(inZoneEnv) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTimesReadInUTC$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "TZ=Asia/Shanghai", inZoneEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestTimesReadInUTC") {
			// A copy that ran no test would exit 0 too.
			t.Fatalf("in China's zone: %v\n%s", err, out)
		}
		return
	}
	if _, off := time.Now().Zone(); off != 8*3600 {
		t.Fatalf("the process runs at UTC%+d, not in China's zone (is tzdata installed?)", off/3600)
	}
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		mustImport(t, s, collection(base...))
		admin := mustActor(t, s, "cityadmin", civic.RoleAdmin, "1101")
		tpl, err := s.SaveReportTemplate(ctx, admin, reportTemplateAll())
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.GetReportTemplate(ctx, admin, tpl.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(got.UpdatedAt)
		if err != nil {
			t.Fatal(err)
		}
		if want := `"2026-03-10T02:00:00Z"`; string(b) != want {
			t.Errorf("template updated at %s, want %s", b, want)
		}
	})
}

// TestTimesKeepMicroseconds writes with a clock that has nanoseconds, as
// the system clock does: what a save returns is what a later read gives,
// on both engines.
func TestTimesKeepMicroseconds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		clock.Advance(123456789 * time.Nanosecond)
		mustImport(t, s, collection(base...))
		admin := mustActor(t, s, "cityadmin", civic.RoleAdmin, "1101")
		tpl, err := s.SaveReportTemplate(ctx, admin, reportTemplateAll())
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.GetReportTemplate(ctx, admin, tpl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2026, 3, 10, 2, 0, 0, 123456000, time.UTC); !tpl.UpdatedAt.Equal(want) || !got.UpdatedAt.Equal(want) {
			t.Errorf("saved at %v, read back %v, want both %v", tpl.UpdatedAt, got.UpdatedAt, want)
		}
	})
}

// TestDepartmentRoutingMatchesCase routes a category whose department has
// ASCII letters: the organisation that differs in case is not it, on
// either engine (SQLite's LIKE found it, PostgreSQL's did not).
func TestDepartmentRoutingMatchesCase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		if _, err := s.ImportOrganisations(ctx, civic.System, []civic.Organisation{
			{Name: "甲区abc分局", Kind: civic.OrgDepartment, RegionCode: "110101"},
		}); err != nil {
			t.Fatal(err)
		}
		limits := map[civic.Stage]civic.TimeLimit{
			civic.StageClaim: {Amount: 2, Unit: civic.UnitWorkHours}, civic.StageFeedback: {Amount: 1, Unit: civic.UnitWorkDays},
			civic.StageComplete: {Amount: 3, Unit: civic.UnitWorkDays}, civic.StageVisit: {Amount: 2, Unit: civic.UnitWorkDays},
		}
		if _, err := s.CreateCategory(ctx, civic.System, civic.Category{Code: "0104", ParentCode: "01", Leaf: true, Name: "网络设施", Type: civic.RequestComplaint,
			Handler: civic.HandlerRule{Target: civic.HandlerDepartment, Department: "ABC分局"}, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true}); err != nil {
			t.Fatal(err)
		}
		c := w.file(t, w.resident, store.NewCase{Source: civic.SourceResident, Title: "光缆垂落", Description: "小区门口光缆垂落到地面", CategoryCode: "0104"})
		if c.HandlerOrgID != 0 || c.HandlerRegionCode != "110101001" {
			t.Errorf("routed to organisation %d, region %q; want the street 110101001 (no department ABC分局)", c.HandlerOrgID, c.HandlerRegionCode)
		}
	})
}

// TestDuplicateCandidatesNewestByID files cases in one instant (a batch
// shares its time) and caps the candidates below their number: the newest
// by id are read on both engines, not whichever rows of the tie each
// engine's sort happened to keep.
func TestDuplicateCandidatesNewestByID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		var ids []int64
		for i := range 6 {
			c := w.file(t, w.resident, store.NewCase{Source: civic.SourceResident, Title: "路灯不亮", Description: "小区门口路灯不亮", HasLocation: true, Lng: 116.1, Lat: 39.2 + float64(i%3)*0.0001})
			ids = append(ids, c.ID)
		}
		ds, err := s.FindDuplicates(ctx, w.operator, civic.DuplicateDraft{Title: "路灯不亮", Description: "小区门口路灯不亮", HasLocation: true, Lng: 116.1, Lat: 39.2},
			civic.DuplicateParams{MaxCandidates: 2, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, d := range ds {
			got = append(got, d.ID)
		}
		slices.Sort(got)
		if want := ids[4:]; !slices.Equal(got, want) {
			t.Errorf("candidates %v, want the newest %v", got, want)
		}
	})
}

// TestSignInWithLongUsername signs in with a made-up name of 4,000
// letters that do not compress: a wrong sign-in on both engines. On
// PostgreSQL the failure's row outgrew the btree index on login_failures
// (at most 2,704 bytes) and the attempt ended in a server error.
func TestSignInWithLongUsername(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		var b strings.Builder
		x := uint32(1)
		for range 4000 {
			x = x*1664525 + 1013904223
			b.WriteByte("abcdefghijklmnopqrstuvwxyz0123456789"[x>>24%36])
		}
		_, err := s.Authenticate(context.Background(), b.String(), "password", "203.0.113.7")
		if code := civic.ErrorCodeOf(err); code != civic.EUnauthorized {
			t.Fatalf("sign in as a 4,000-letter name: %v (code %q), want unauthorized", err, code)
		}
	})
}
