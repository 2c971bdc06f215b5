package api

import (
	"database/sql"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestHTTPConventions: a 401 names its scheme, a flag takes true or false
// and nothing else (a typo must not widen a list), a report needs its
// template and period, a path under another method is 405, and a "not
// found" reads as one sentence.
func TestHTTPConventions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		r := f.do("GET", "/api/v1/cases", "", nil)
		if r.Status != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("401: %d %q", r.Status, r.Header.Get("WWW-Authenticate"))
		}
		for _, v := range []string{"yes", "2", "on"} {
			if r := f.do("GET", "/api/v1/cases?overdue="+v, f.admin, nil); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"overdue"`) {
				t.Fatalf("overdue=%s: %d %s", v, r.Status, r.Body)
			}
		}
		for _, v := range []string{"1", "TRUE", "false", "0"} {
			if r := f.do("GET", "/api/v1/cases?mine="+v, f.admin, nil); r.Status != http.StatusOK {
				t.Fatalf("mine=%s: %d %s", v, r.Status, r.Body)
			}
		}
		if r := f.do("POST", "/api/v1/reports", f.admin, map[string]any{}); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(string(r.Body), "template_id") || !strings.Contains(string(r.Body), "period") {
			t.Fatalf("empty report request: %d %s", r.Status, r.Body)
		}
		r = f.do("PUT", "/api/v1/cases", f.admin, nil)
		if r.Status != http.StatusMethodNotAllowed || !strings.Contains(r.Header.Get("Allow"), "GET") || !strings.Contains(string(r.Body), "method_not_allowed") {
			t.Fatalf("PUT /cases: %d %q %s", r.Status, r.Header.Get("Allow"), r.Body)
		}
		if r := f.do("GET", "/api/v1/no-such-thing", f.admin, nil); r.Status != http.StatusNotFound {
			t.Fatalf("unknown path: %d", r.Status)
		}
		if r := f.do("GET", "/api/v1/staff?format=bogus", f.admin, nil); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"format"`) {
			t.Fatalf("format=bogus: %d %s", r.Status, r.Body)
		}
		if r := f.do("POST", "/api/v1/session", "", map[string]any{}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "password") {
			t.Fatalf("empty sign-in: %d %s", r.Status, r.Body)
		}
		// A limit says when it lets the caller in again.
		var locked response
		for i := 0; i < 40 && locked.Status != http.StatusTooManyRequests; i++ {
			locked = f.do("POST", "/api/v1/session", "", map[string]any{"username": "cityadmin", "password": "wrong-password-1"})
		}
		if secs, err := strconv.Atoi(locked.Header.Get("Retry-After")); locked.Status != http.StatusTooManyRequests || err != nil || secs < 1 || secs > 3600 {
			t.Fatalf("lockout: %d Retry-After %q", locked.Status, locked.Header.Get("Retry-After"))
		}
		r = f.do("GET", "/api/v1/reports/templates/99999", f.admin, nil)
		if r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), "未找到报表模板") {
			t.Fatalf("missing template: %d %s", r.Status, r.Body)
		}
	})
}

// TestBusyWriteAsksToTryAgain: a write PostgreSQL aborts every time it is
// tried (here a trigger raising serialization_failure on the audit log,
// which every write ends with) answers 503 "busy" with Retry-After and a
// message in the caller's language, and keeps nothing: not an internal
// error, since the same request is likely to go through a moment later.
func TestBusyWriteAsksToTryAgain(t *testing.T) {
	if !slices.Contains(testdb.Engines(t), store.Postgres) {
		t.Skip("PostgreSQL only: SQLite has no deadlocks (one writer)")
	}
	dsn := testdb.DSN(t, store.Postgres)
	clock := testdb.NewClock()
	f := mustFixture(t, testdb.MustOpenDSN(t, dsn, clock), clock)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE FUNCTION busy_for_test() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'busy for test' USING ERRCODE = 'serialization_failure'; END $$;
		CREATE TRIGGER busy_for_test BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION busy_for_test()`); err != nil {
		t.Fatal(err)
	}
	admin := f.tokens[civic.RoleAdmin]
	r := f.do("POST", "/api/v1/organisations", admin, map[string]any{"name": "繁忙测试局", "kind": "department", "region_code": codeA1})
	var body struct {
		Error struct{ Code, Message string }
	}
	r.decode(t, &body)
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") != "1" || body.Error.Code != "busy" || !strings.Contains(body.Error.Message, "系统繁忙") {
		t.Fatalf("busy write: %d Retry-After %q %+v", r.Status, r.Header.Get("Retry-After"), body)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM organisations WHERE name = '繁忙测试局'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the refused write kept %d organisations (%v)", n, err)
	}
}
