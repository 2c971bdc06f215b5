package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/auth"
)

func TestLogin(t *testing.T) {
	f := mustFixture(t)
	tests := []struct {
		name       string
		user, pass string
		next       string
		wantStatus int
		wantBody   string
		wantLoc    string
	}{
		{"success goes to next", "admin", password, "/grids?q=x", http.StatusSeeOther, "", "/grids?q=x"},
		{"success without next goes home", "street", password, "", http.StatusSeeOther, "", "/"},
		{"foreign next is refused", "street", password, "//evil.example/", http.StatusSeeOther, "", "/"},
		{"wrong password shows inline error", "admin", "nope-nope-nope", "", http.StatusUnauthorized, "用户名或密码错误", ""},
		{"unknown user shows the same error", "ghost", password, "", http.StatusUnauthorized, "用户名或密码错误", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := f.client(t)
			rec := c.post("/login", url.Values{"username": {tc.user}, "password": {tc.pass}, "next": {tc.next}})
			body := mustStatus(t, rec, tc.wantStatus)
			if tc.wantLoc != "" && rec.Header().Get("Location") != tc.wantLoc {
				t.Errorf("Location %q, want %q", rec.Header().Get("Location"), tc.wantLoc)
			}
			if tc.wantBody != "" {
				mustContain(t, body, tc.wantBody, `id="login-error"`, `aria-invalid="true"`, `value="`+tc.user+`"`)
				if c.cookies[auth.CookieName] != nil {
					t.Error("a failed login set a session cookie")
				}
			}
		})
	}
}

func TestLoginThrottleMessage(t *testing.T) {
	f := mustFixture(t)
	c := f.client(t)
	for range 5 {
		c.post("/login", url.Values{"username": {"admin"}, "password": {"wrong-password"}})
	}
	// Even the right password is refused while throttled, with the store's
	// explanation in the user's language.
	rec := c.post("/login?lang=en", url.Values{"username": {"admin"}, "password": {password}})
	body := mustStatus(t, rec, http.StatusTooManyRequests)
	mustContain(t, body, "Too many failed sign-ins")
	if secs, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || secs < 1 || secs > 3600 {
		t.Errorf("throttled sign-in: Retry-After %q", rec.Header().Get("Retry-After"))
	}
}

func TestSignedOutVisitorsGoToLogin(t *testing.T) {
	f := mustFixture(t)
	c := f.client(t)
	for _, p := range []string{"/", "/grids?q=%E5%B9%B8", "/map", "/staff/1", "/account"} {
		rec := c.get(p)
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
			t.Errorf("%s: status %d Location %q, want a redirect to /login", p, rec.Code, rec.Header().Get("Location"))
		}
	}
	if loc := c.get("/grids?q=x").Header().Get("Location"); loc != "/login?next=%2Fgrids%3Fq%3Dx" {
		t.Errorf("next not kept: %q", loc)
	}
	// htmx must navigate, not swap the login page into a table.
	rec := c.get("/grids", "HX-Request", "true")
	if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("HX-Redirect"), "/login") {
		t.Errorf("htmx: status %d HX-Redirect %q", rec.Code, rec.Header().Get("HX-Redirect"))
	}
	mustStatus(t, c.get("/login"), http.StatusOK)
}

func TestLogout(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "admin")
	mustStatus(t, c.get("/"), http.StatusOK)
	old := c.cookies[auth.CookieName]
	rec := c.post("/logout", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
		t.Fatalf("logout: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	// The old token no longer works even if replayed.
	c.cookies[auth.CookieName] = old
	if rec := c.get("/"); rec.Code != http.StatusSeeOther {
		t.Errorf("old session still works: %d", rec.Code)
	}
}

func TestLangSwitch(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "admin")
	mustContain(t, c.get("/grids").Body.String(), `<html lang="zh-CN"`, "网格一览表")

	req := httptestRequest("GET", "/lang/en")
	req.Header.Set("Referer", "http://example.com/grids?q=%E5%B9%B8")
	rec := c.do(req)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/grids?q=%E5%B9%B8" {
		t.Fatalf("switch: %d Location %q", rec.Code, rec.Header().Get("Location"))
	}
	if ck := c.cookies[auth.LangCookie]; ck == nil || ck.Value != "en" {
		t.Fatalf("language cookie not set: %v", ck)
	}
	body := c.get("/grids").Body.String()
	mustContain(t, body, `<html lang="en"`, "Grid table", `href="/lang/zh"`)
	mustNotContain(t, body, "网格一览表")

	// A Referer from another site is not followed.
	req = httptestRequest("GET", "/lang/zh")
	req.Header.Set("Referer", "https://evil.example/phish")
	if loc := c.do(req).Header().Get("Location"); loc != "/" {
		t.Errorf("foreign referer followed: %q", loc)
	}
	mustContain(t, c.get("/").Body.String(), `<html lang="zh-CN"`)
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "/",
		"/grids?page=2":     "/grids?page=2",
		"//evil.example":    "/",
		"/\\evil.example":   "/",
		"https://x.y/":      "/",
		"/login?next=/":     "/",
		"grids":             "/",
		"/\t/evil.example":  "/",
		"/\n/evil.example":  "/",
		"/\r/evil.example":  "/",
		"/ /evil.example":   "/",
		"/%09/evil.example": "/%09/evil.example", // still encoded: a path of this site
		"/cases?q=a%20b":    "/cases?q=a%20b",
		"/\u3000/x":         "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLoginKeepsAskedLanguage: a sign-in page opened with ?lang=en keeps
// English after signing in (the pages after it carry no ?lang=).
func TestLoginKeepsAskedLanguage(t *testing.T) {
	f := mustFixture(t)
	c := f.client(t)
	body := mustStatus(t, c.get("/login?lang=en"), http.StatusOK)
	mustContain(t, body, `<input type="hidden" name="lang" value="en">`, "Sign in")
	rec := c.post("/login", url.Values{"username": {"admin"}, "password": {password}, "lang": {"en"}})
	mustStatus(t, rec, http.StatusSeeOther)
	if ck := c.cookies[auth.LangCookie]; ck == nil || ck.Value != "en" {
		t.Fatalf("language cookie after signing in: %v", ck)
	}
	home := mustStatus(t, c.get("/"), http.StatusOK)
	mustContain(t, home, `<html lang="en"`, "Scope: ")
	// English pages use English punctuation between their parts.
	mustNotContain(t, home, "：", "（", "）")
	// Without ?lang= the sign-in sets no language.
	c2 := f.client(t)
	mustNotContain(t, mustStatus(t, c2.get("/login"), http.StatusOK), `name="lang"`)
	mustStatus(t, c2.post("/login", url.Values{"username": {"admin"}, "password": {password}}), http.StatusSeeOther)
	if ck := c2.cookies[auth.LangCookie]; ck != nil {
		t.Fatalf("a language cookie without asking: %v", ck)
	}
}

// TestExpiredSessionPost: a staff form sent after the session expired is
// not silently redirected to the login page, which would drop what was
// typed: the page says nothing was saved, goes back to the form and signs
// in again in a new tab, in the user's language.
func TestExpiredSessionPost(t *testing.T) {
	f := mustCaseFixture(t)
	v := f.client(t)
	v.cookies[auth.CookieName] = &http.Cookie{Name: auth.CookieName, Value: "expired"}
	req := httptest.NewRequest(http.MethodPost, "/cases/1/act", strings.NewReader(url.Values{"action": {"comment"}, "note": {"已联系物业"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", "http://example.com/cases/1")
	body := mustStatus(t, v.do(req), http.StatusUnauthorized)
	mustContain(t, body, "登录已过期", "刚才提交的内容没有保存", `href="/cases/1" data-history-back`, `href="/login?next=%2Fcases%2F1" target="_blank"`)

	// A page of another site is no way back.
	req = httptest.NewRequest(http.MethodPost, "/cases/1/act", strings.NewReader("action=comment"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", "https://evil.example.org/x")
	req.AddCookie(&http.Cookie{Name: "cg_lang", Value: "en"})
	body = mustStatus(t, v.do(req), http.StatusUnauthorized)
	mustContain(t, body, "Your session has expired", `href="/login" target="_blank"`)
	if strings.Contains(body, "evil.example.org") || strings.Contains(body, "data-history-back") {
		t.Fatalf("the way back leads off the site: %s", body)
	}
}

// TestRefusedPostGoesBack: a form refused on the error page (here, one
// the user may not send) offers the way back to it.
func TestRefusedPostGoesBack(t *testing.T) {
	f := mustCaseFixture(t)
	c := f.mustLogin(t, "resident")
	req := httptest.NewRequest(http.MethodPost, "/users/new", strings.NewReader("username=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", "http://example.com/users/new")
	body := mustStatus(t, c.do(req), http.StatusForbidden)
	mustContain(t, body, `href="/users/new" data-history-back`, "返回修改")
}
