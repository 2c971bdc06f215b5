// Package auth turns a request's session cookie or API token into the user
// and actor that every store call needs, and picks the reply language. Both
// the web pages and the JSON API use it.
package auth

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// CookieName is the session cookie; LangCookie holds a chosen language.
const (
	CookieName = "cg_session"
	LangCookie = "cg_lang"
)

// Auth resolves credentials.
type Auth struct {
	Store *store.Store
	// Secure marks cookies Secure (behind HTTPS).
	Secure bool
	// TrustProxy takes the client address from X-Forwarded-For: the
	// rightmost entry, the one the proxy in front appended (see clientIP).
	TrustProxy bool
}

type ctxKey int

const (
	userKey ctxKey = iota
	langKey
	ipKey
	viaTokenKey
)

// Middleware attaches the signed-in user (if any), the client address and
// the language to the request context. It never refuses a request; handlers
// that need a user call User or Require.
//
// An API token (Authorization: Bearer) signs in to the programs' interfaces
// only, the JSON API and Open311; the pages are for people, with a session.
func (a *Auth) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ip := a.clientIP(r)
		ctx = context.WithValue(ctx, ipKey, ip)
		var u civic.User
		var ok bool
		forPrograms := strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/open311/")
		if h := r.Header.Get("Authorization"); forPrograms && strings.HasPrefix(h, "Bearer ") {
			if tu, err := a.Store.TokenUser(ctx, strings.TrimPrefix(h, "Bearer ")); err == nil {
				u, ok = tu, true
				ctx = context.WithValue(ctx, viaTokenKey, true)
			}
		} else if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
			if su, err := a.Store.SessionUser(ctx, c.Value); err == nil {
				u, ok = su, true
			}
		}
		if ok {
			ctx = context.WithValue(ctx, userKey, u)
		}
		ctx = context.WithValue(ctx, langKey, pickLang(r, u, ok))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// clientIP is the address login throttling, the audit log and anonymous
// intake limits count by. Behind a trusted proxy it is the rightmost entry
// of X-Forwarded-For, which the proxy appended: everything left of it came
// from the client and may be forged (a fresh one per attempt would escape
// every limit). An entry that is not an address falls back to the
// connection's, the proxy's own.
func (a *Auth) clientIP(r *http.Request) string {
	if a.TrustProxy {
		if ip, ok := lastForwarded(r.Header.Values("X-Forwarded-For")); ok {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// lastForwarded is the rightmost entry of X-Forwarded-For, whose header
// lines make one list (RFC 9110 §5.3), as an address; some proxies add the
// client's port.
func lastForwarded(lines []string) (string, bool) {
	all := strings.Join(lines, ",")
	if strings.TrimSpace(all) == "" {
		return "", false
	}
	last := all
	if i := strings.LastIndexByte(all, ','); i >= 0 {
		last = all[i+1:]
	}
	last = strings.TrimSpace(last)
	if ip, err := netip.ParseAddr(last); err == nil {
		return ip.String(), true
	}
	if ap, err := netip.ParseAddrPort(last); err == nil {
		return ap.Addr().String(), true
	}
	return "", false
}

// pickLang: an explicit ?lang= or the language cookie wins; then, for the
// APIs (JSON and Open311), whose callers set Accept-Language on purpose, that header; then the
// user's saved preference, then the browser's Accept-Language (which a
// browser sends whatever the user chose here); Chinese by default.
func pickLang(r *http.Request, u civic.User, signedIn bool) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
		return l
	}
	if c, err := r.Cookie(LangCookie); err == nil && (c.Value == "en" || c.Value == "zh") {
		return c.Value
	}
	header, ok := acceptLang(r.Header.Get("Accept-Language"))
	if ok && (strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/open311/")) {
		return header
	}
	if signedIn && (u.Lang == "en" || u.Lang == "zh") {
		return u.Lang
	}
	if ok {
		return header
	}
	return "zh"
}

// LangFor is the reply language of a request by user u, for callers that
// find the user themselves (Open311's api_key).
func LangFor(r *http.Request, u civic.User) string { return pickLang(r, u, true) }

// QueryControlChar names a query parameter whose name ("query") or value
// holds a control character or an invisible one (see
// civic.IsInvisibleControl): no query has a use for one, and PostgreSQL
// refuses NUL in text. The API and Open311 refuse such requests.
func QueryControlChar(r *http.Request) (string, bool) {
	if r.URL.RawQuery == "" {
		return "", false
	}
	bad := func(s string) bool {
		return strings.ContainsFunc(s, func(c rune) bool { return c < 0x20 || civic.IsInvisibleControl(c) })
	}
	for k, vs := range r.URL.Query() {
		if bad(k) {
			return "query", true
		}
		for _, v := range vs {
			if bad(v) {
				return k, true
			}
		}
	}
	return "", false
}

// AllowedMethods lists the methods, other than r's own, under which mux
// has a route for r's path, the catch-all pattern aside: the Allow header
// of a 405, empty when the path is simply unknown.
func AllowedMethods(mux *http.ServeMux, r *http.Request, catchAll string) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method || (m == http.MethodGet && r.Method == http.MethodHead) {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := mux.Handler(probe); p != catchAll && p != "" {
			allow = append(allow, m)
		}
	}
	return allow
}

// SetRetryAfter sends a limit's Retry-After (RFC 9110 §10.2.3), in whole
// seconds, when the error says when the caller may come back.
func SetRetryAfter(h http.Header, e *civic.Error) {
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Round(time.Second)/time.Second)))
	}
}

// acceptLang picks Chinese or English from an Accept-Language header by
// the weights given (RFC 9110 §12.5.4): "en;q=0.1, zh;q=0.9" is Chinese,
// "fr-FR, en" English. It reports false if the header names neither.
func acceptLang(h string) (string, bool) {
	best, bestQ := "", 0.0
	for _, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || !(f >= 0 && f <= 1) {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if (primary == "en" || primary == "zh") && q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best, best != ""
}

// RequestLang is the reply language of a request before anyone is known
// to be signed in: ?lang=, the language cookie, then Accept-Language.
func RequestLang(r *http.Request) string { return pickLang(r, civic.User{}, false) }

// User returns the signed-in user.
func User(ctx context.Context) (civic.User, bool) {
	u, ok := ctx.Value(userKey).(civic.User)
	return u, ok
}

// Actor returns the actor for the signed-in user, or an Unauthorized error.
func Actor(ctx context.Context) (civic.Actor, error) {
	u, ok := User(ctx)
	if !ok {
		return civic.Actor{}, civic.Errorf(civic.EUnauthorized, "请先登录", "Please sign in")
	}
	return store.ActorOf(u, IP(ctx)), nil
}

// ViaToken reports whether the request signed in with an API token rather
// than a session.
func ViaToken(ctx context.Context) bool {
	v, _ := ctx.Value(viaTokenKey).(bool)
	return v
}

// SessionActor is Actor for what only a person signed in with the password
// may do: make API tokens, change the password, reset another user's. A
// token holder is refused, or a leaked token could make itself successors
// that outlive its revocation, lock the owner out by changing the password,
// or take over another account by resetting its password.
func SessionActor(ctx context.Context) (civic.Actor, error) {
	act, err := Actor(ctx)
	if err != nil {
		return civic.Actor{}, err
	}
	if ViaToken(ctx) {
		return civic.Actor{}, civic.Errorf(civic.EForbidden,
			"API 令牌不能创建令牌、修改或重置密码，请用用户名和密码登录（POST /api/v1/session 或网页）后再操作",
			"an API token cannot create tokens or change or reset passwords; sign in with the username and password (POST /api/v1/session, or the web pages) to do so")
	}
	return act, nil
}

// Lang is the reply language: "zh" or "en".
func Lang(ctx context.Context) string {
	if l, ok := ctx.Value(langKey).(string); ok {
		return l
	}
	return "zh"
}

// IP is the client address.
func IP(ctx context.Context) string {
	s, _ := ctx.Value(ipKey).(string)
	return s
}

// Login checks credentials, starts a session and sets its cookie.
func (a *Auth) Login(w http.ResponseWriter, r *http.Request, username, pw string) (civic.User, error) {
	ctx := r.Context()
	u, err := a.Store.Authenticate(ctx, username, pw, IP(ctx))
	if err != nil {
		return civic.User{}, err
	}
	tok, err := a.Store.CreateSession(ctx, u.ID, IP(ctx), r.UserAgent())
	if err != nil {
		return civic.User{}, err
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: tok, Path: "/", HttpOnly: true, Secure: a.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(store.SessionTTL / time.Second)})
	return u, nil
}

// Logout ends the request's session and clears the cookie.
func (a *Auth) Logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		if err := a.Store.DeleteSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, Secure: a.Secure, MaxAge: -1})
	return nil
}

// SessionToken returns the request's session token, so that a password
// change can keep the current session while ending the others.
func SessionToken(r *http.Request) string {
	if c, err := r.Cookie(CookieName); err == nil {
		return c.Value
	}
	return ""
}

// SetLang remembers a chosen language in a cookie.
func (a *Auth) SetLang(w http.ResponseWriter, lang string) {
	if lang != "en" {
		lang = "zh"
	}
	http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: lang, Path: "/", Secure: a.Secure, SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
}

// StatusOf maps an application error code to its HTTP status: the one table
// both the API and the pages use.
func StatusOf(code civic.ErrorCode) int {
	switch code {
	case civic.EInvalid:
		return http.StatusUnprocessableEntity
	case civic.ENotFound:
		return http.StatusNotFound
	case civic.EConflict:
		return http.StatusConflict
	case civic.EForbidden:
		return http.StatusForbidden
	case civic.EUnauthorized:
		return http.StatusUnauthorized
	case civic.ETooMany:
		return http.StatusTooManyRequests
	case civic.EMethod:
		return http.StatusMethodNotAllowed
	case civic.EBusy:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
