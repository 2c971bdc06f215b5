package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestOpenAPI checks that every route is documented and every documented
// operation is served.
func TestOpenAPI(t *testing.T) {
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	served := map[string]bool{}
	for _, r := range (&API{}).routes() {
		served[strings.ToLower(r.Method)+" "+r.Path] = true
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[method+" "+path] = true
			if op["summary"] == nil || op["responses"] == nil {
				t.Errorf("%s %s lacks a summary or responses", method, path)
			}
			// Every {param} in the path is declared.
			for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(path, -1) {
				if !strings.Contains(mustJSON(op["parameters"]), `"name":"`+m[1]+`"`) {
					t.Errorf("%s %s does not declare path parameter %s", method, path, m[1])
				}
			}
		}
	}
	var missing, extra []string
	for k := range served {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !served[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes not in openapi.json: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("documented but not served: %v", extra)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestSessionFlow signs in with a cookie, is throttled after repeated
// failures, changes the password (ending other sessions) and signs out.
func TestSessionFlow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		client := func() *http.Client {
			jar, _ := cookiejar.New(nil)
			return &http.Client{Jar: jar}
		}
		post := func(c *http.Client, method, path string, body any) (int, string) {
			b, _ := json.Marshal(body)
			req, _ := http.NewRequest(method, f.srv.URL+path+"?lang=en", bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out bytes.Buffer
			out.ReadFrom(resp.Body)
			return resp.StatusCode, out.String()
		}
		a, b := client(), client()
		if code, body := post(a, "GET", "/api/v1/me", nil); code != 401 || !strings.Contains(body, "Please sign in") {
			t.Fatalf("signed out /me: %d %s", code, body)
		}
		if code, body := post(a, "POST", "/api/v1/session", map[string]string{"username": "u_admin", "password": "password-u_admin"}); code != 200 || !strings.Contains(body, `"role":"admin"`) {
			t.Fatalf("sign in: %d %s", code, body)
		}
		if code, _ := post(b, "POST", "/api/v1/session", map[string]string{"username": "u_admin", "password": "password-u_admin"}); code != 200 {
			t.Fatalf("second sign in: %d", code)
		}
		if code, body := post(a, "GET", "/api/v1/me", nil); code != 200 || !strings.Contains(body, "u_admin") {
			t.Fatalf("/me: %d %s", code, body)
		}
		// Wrong current password: refused with a field error, in English.
		if code, body := post(a, "POST", "/api/v1/me/password", map[string]string{"current_password": "nope", "new_password": "brand-new-pass"}); code != 422 || !strings.Contains(body, "current password is wrong") {
			t.Fatalf("bad password change: %d %s", code, body)
		}
		if code, body := post(a, "POST", "/api/v1/me/password", map[string]string{"current_password": "password-u_admin", "new_password": "brand-new-pass"}); code != 204 {
			t.Fatalf("password change: %d %s", code, body)
		}
		if code, _ := post(a, "GET", "/api/v1/me", nil); code != 200 {
			t.Fatalf("the changing session ended: %d", code)
		}
		if code, _ := post(b, "GET", "/api/v1/me", nil); code != 401 {
			t.Fatalf("another session survived a password change: %d", code)
		}
		if code, _ := post(a, "DELETE", "/api/v1/session", nil); code != 204 {
			t.Fatalf("sign out: %d", code)
		}
		if code, _ := post(a, "GET", "/api/v1/me", nil); code != 401 {
			t.Fatalf("signed out session still works: %d", code)
		}

		// Five failures lock the username, even with the right password…
		c := client()
		for i := 0; i < store.MaxUserFailures; i++ {
			if code, _ := post(c, "POST", "/api/v1/session", map[string]string{"username": "u_leader", "password": "wrong"}); code != 401 {
				t.Fatalf("failure %d: %d", i, code)
			}
		}
		if code, body := post(c, "POST", "/api/v1/session", map[string]string{"username": "u_leader", "password": "password-u_leader"}); code != 429 || !strings.Contains(body, "Too many failed sign-ins") {
			t.Fatalf("after 5 failures: %d %s", code, body)
		}
		// …until the window has passed.
		clock.Advance(store.FailureWindow + time.Second)
		if code, body := post(c, "POST", "/api/v1/session", map[string]string{"username": "u_leader", "password": "password-u_leader"}); code != 200 {
			t.Fatalf("after the window: %d %s", code, body)
		}
		// Sessions expire.
		clock.Advance(store.SessionTTL + time.Minute)
		if code, _ := post(c, "GET", "/api/v1/me", nil); code != 401 {
			t.Fatalf("expired session accepted: %d", code)
		}
	})
}

// TestTokensAndAccounts: tokens are made in a session, never by a token;
// a password change, one's own or an admin's reset, revokes the user's
// tokens; revoked and disabled users' tokens stop working.
func TestTokensAndAccounts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		var me civic.User
		f.do("GET", "/api/v1/me", f.admin, nil).decode(t, &me)
		session, err := s.CreateSession(t.Context(), me.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		// A token can neither make a token nor change the password.
		if got := f.do("POST", "/api/v1/me/tokens?lang=en", f.admin, map[string]string{"name": "后门"}); got.Status != 403 || !strings.Contains(string(got.Body), "an API token cannot create tokens") {
			t.Fatalf("a token made a token: %d %s", got.Status, got.Body)
		}
		if got := f.do("POST", "/api/v1/me/password", f.admin, map[string]string{"current_password": "password-cityadmin", "new_password": "taken-over-1"}); got.Status != 403 || !strings.Contains(string(got.Body), "API 令牌不能创建令牌、修改或重置密码") {
			t.Fatalf("a token changed the password: %d %s", got.Status, got.Body)
		}

		r := f.doSession("POST", "/api/v1/me/tokens", session, map[string]string{"name": "报表脚本"})
		if r.Status != 201 {
			t.Fatalf("create token: %d %s", r.Status, r.Body)
		}
		var tok struct {
			ID    int64  `json:"id"`
			Token string `json:"token"`
		}
		r.decode(t, &tok)
		if got := f.do("GET", "/api/v1/me", tok.Token, nil); got.Status != 200 {
			t.Fatalf("new token: %d", got.Status)
		}
		if got := f.do("GET", "/api/v1/me/tokens", tok.Token, nil); !strings.Contains(string(got.Body), "报表脚本") || strings.Contains(string(got.Body), tok.Token) {
			t.Fatalf("token list shows the secret or lacks the token: %s", got.Body)
		}
		if got := f.do("DELETE", "/api/v1/me/tokens/"+itoa(tok.ID), f.admin, nil); got.Status != 204 {
			t.Fatalf("revoke: %d %s", got.Status, got.Body)
		}
		if got := f.do("GET", "/api/v1/me", tok.Token, nil); got.Status != 401 {
			t.Fatalf("revoked token still works: %d", got.Status)
		}

		// Changing one's password revokes one's tokens, and keeps the
		// session that changed it.
		if got := f.doSession("POST", "/api/v1/me/password", session, map[string]string{"current_password": "password-cityadmin", "new_password": "a-new-password-1"}); got.Status != 204 {
			t.Fatalf("password change: %d %s", got.Status, got.Body)
		}
		if got := f.do("GET", "/api/v1/me", f.admin, nil); got.Status != 401 {
			t.Fatalf("a token survived its owner's password change: %d", got.Status)
		}
		if got := f.doSession("GET", "/api/v1/me", session, nil); got.Status != 200 {
			t.Fatalf("the changing session ended: %d", got.Status)
		}
		// An admin's reset revokes the user's tokens too.
		op := f.tokens[civic.RoleOperator]
		var opUser civic.User
		f.do("GET", "/api/v1/me", op, nil).decode(t, &opUser)
		// Not with a token: it could take over the account.
		if got := f.do("POST", "/api/v1/users/"+itoa(opUser.ID)+"/password", mustSessionToken(t, f, session), map[string]string{"new_password": "reset-by-token-1"}); got.Status != 403 || !strings.Contains(string(got.Body), "重置密码") {
			t.Fatalf("reset with a token: %d %s", got.Status, got.Body)
		}
		if got := f.doSession("POST", "/api/v1/users/"+itoa(opUser.ID)+"/password", session, map[string]string{"new_password": "reset-by-admin-1"}); got.Status != 204 {
			t.Fatalf("reset: %d %s", got.Status, got.Body)
		}
		if got := f.do("GET", "/api/v1/me", op, nil); got.Status != 401 {
			t.Fatalf("a token survived an admin's reset of its owner's password: %d", got.Status)
		}
		f.admin = mustSessionToken(t, f, session)

		// Admins cannot lock themselves out.
		if got := f.do("PATCH", "/api/v1/users/"+itoa(me.ID), f.admin, map[string]any{"disabled": true}); got.Status != 409 {
			t.Fatalf("self-disable: %d %s", got.Status, got.Body)
		}
		// A disabled account's token stops working.
		u := f.mustUser("soon_disabled", codeA1c)
		_, secret, err := s.CreateToken(t.Context(), store.ActorOf(u, ""), "x")
		if err != nil {
			t.Fatal(err)
		}
		if got := f.do("PATCH", "/api/v1/users/"+itoa(u.ID), f.admin, map[string]any{"disabled": true}); got.Status != 200 {
			t.Fatalf("disable: %d %s", got.Status, got.Body)
		}
		if got := f.do("GET", "/api/v1/me", secret, nil); got.Status != 401 {
			t.Fatalf("disabled user's token works: %d", got.Status)
		}
		// Validation answers per field; a duplicate username is refused.
		got := f.do("POST", "/api/v1/users", f.admin, map[string]any{"username": "X", "display_name": "", "password": "short", "role": "king", "scope": map[string]any{"region_code": "9"}})
		if got.Status != 422 {
			t.Fatalf("bad user: %d %s", got.Status, got.Body)
		}
		for _, field := range []string{`"username"`, `"display_name"`, `"password"`, `"role"`, `"scope.region_code"`} {
			if !strings.Contains(string(got.Body), field) {
				t.Errorf("bad user answer lacks field %s: %s", field, got.Body)
			}
		}
		if got := f.do("POST", "/api/v1/users", f.admin, map[string]any{"username": "u_admin", "display_name": "重名", "password": "long-enough-1", "role": "leader", "scope": map[string]any{"region_code": codeCity}}); got.Status != 422 || !strings.Contains(string(got.Body), "已被使用") {
			t.Fatalf("duplicate username: %d %s", got.Status, got.Body)
		}
		// Unknown JSON fields are refused rather than ignored.
		if got := f.do("PATCH", "/api/v1/me", f.admin, map[string]any{"dispaly_name": "typo"}); got.Status != 422 {
			t.Fatalf("unknown field: %d %s", got.Status, got.Body)
		}
	})
}

// mustSessionToken makes a new token in a session.
func mustSessionToken(t *testing.T, f *fixture, session string) string {
	t.Helper()
	var tok struct {
		Token string `json:"token"`
	}
	r := f.doSession("POST", "/api/v1/me/tokens", session, map[string]string{"name": "测试"})
	if r.Status != 201 {
		t.Fatalf("create token: %d %s", r.Status, r.Body)
	}
	r.decode(t, &tok)
	return tok.Token
}

func itoa(n int64) string { return strings.TrimSpace(mustJSON(n)) }

func TestImportAndExports(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		// A file with one good and one broken feature writes nothing and
		// names the broken feature.
		bad := collection(
			feature(gridA1y, "好网格", rect(116.45, 39.90, 116.50, 40.00)),
			feature("110101001001003", "坏网格", `{"type":"Polygon","coordinates":[[[116.41,39.91],[116.42,39.91],[116.42,39.92]]]}`))
		got := f.do("POST", "/api/v1/regions/import", f.admin, bad)
		if got.Status != 422 || !strings.Contains(string(got.Body), "第2个要素（110101001001003 坏网格）") {
			t.Fatalf("broken import: %d %s", got.Status, got.Body)
		}
		if r := f.do("GET", "/api/v1/regions/"+gridA1y, f.admin, nil); strings.Contains(string(r.Body), "好网格") {
			t.Fatal("a refused import renamed a grid")
		}
		// Locate with GCJ-02 input.
		if r := f.do("GET", "/api/v1/regions/locate?lng=116.4262&lat=39.9513&crs=gcj02", f.admin, nil); r.Status != 200 || !strings.Contains(string(r.Body), gridA1x) {
			t.Fatalf("locate gcj02: %d %s", r.Status, r.Body)
		}
		f.mustStaff(gridA1x)
		f.mustStaff(gridB1)
		r := f.do("GET", "/api/v1/grids?format=xlsx&under="+codeDistA, f.admin, nil)
		if r.Status != 200 || r.Header.Get("Content-Type") != sheet.ContentType {
			t.Fatalf("grid xlsx: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		rows, err := sheet.Read(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 || rows[0][0] != "网格编码" || rows[1][0] != gridA1x || rows[1][6] != "1" {
			t.Fatalf("grid workbook rows: %q", rows)
		}
		r = f.do("GET", "/api/v1/staff?format=xlsx&lang=en", f.admin, nil)
		rows, err = sheet.Read(bytes.NewReader(r.Body))
		if err != nil || len(rows) != 3 || rows[0][2] != "name" || rows[1][3] != "Full-time grid worker" {
			t.Fatalf("staff workbook rows: %q %v", rows, err)
		}
		// The audit log records the writes with before and after.
		var audit struct {
			Items []civic.AuditEntry `json:"items"`
		}
		f.do("GET", "/api/v1/audit?entity=staff", f.admin, nil).decode(t, &audit)
		if len(audit.Items) != 2 || audit.Items[0].Action != "staff.create" || !strings.Contains(audit.Items[0].After, "测试人员") {
			t.Fatalf("audit: %+v", audit.Items)
		}
	})
}
