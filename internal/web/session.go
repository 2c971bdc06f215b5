package web

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
)

// loginPage is the sign-in form.
type loginPage struct {
	Page
	Username string
	Next     string
	Error    string
	// AskedLang is the ?lang= the sign-in page was opened with: signing
	// in keeps it (a cookie), so the pages after are in it too.
	AskedLang string
}

// askedLang is an explicit, valid ?lang= or form lang, else "".
func askedLang(v string) string {
	if v == "en" || v == "zh" {
		return v
	}
	return ""
}

func (h *Web) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := auth.User(r.Context()); ok {
		redirect(w, r, safeNext(r.URL.Query().Get("next")))
		return
	}
	h.renderLogin(w, r, http.StatusOK, loginPage{Next: safeNext(r.URL.Query().Get("next")), AskedLang: askedLang(r.URL.Query().Get("lang"))})
}

func (h *Web) login(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderLogin(w, r, http.StatusBadRequest, loginPage{})
		return
	}
	p := loginPage{Username: strings.TrimSpace(r.PostFormValue("username")), Next: safeNext(r.PostFormValue("next")), AskedLang: askedLang(r.PostFormValue("lang"))}
	_, err := h.auth.Login(w, r, p.Username, r.PostFormValue("password"))
	if err != nil {
		e := civic.AsError(err)
		status := auth.StatusOf(e.Code)
		if status >= 500 {
			h.log.Error("sign in", "username", p.Username, "err", err)
		}
		// The store's message already says why: wrong credentials, a
		// disabled account, or how long a throttled user must wait.
		lang := auth.Lang(r.Context())
		if p.AskedLang != "" {
			lang = p.AskedLang
		}
		p.Error = e.Msg.In(lang)
		auth.SetRetryAfter(w.Header(), e)
		h.renderLogin(w, r, status, p)
		return
	}
	if p.AskedLang != "" {
		h.auth.SetLang(w, p.AskedLang)
	}
	redirect(w, r, p.Next)
}

func (h *Web) renderLogin(w http.ResponseWriter, r *http.Request, status int, p loginPage) {
	lang := auth.Lang(r.Context())
	if p.AskedLang != "" {
		lang = p.AskedLang
	}
	p.Page = Page{Lang: lang, Title: tr(lang, "login.title")}
	w.Header().Set("Cache-Control", "no-store")
	h.exec(w, lang, status, "login", "layout", p)
}

func (h *Web) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.auth.Logout(w, r); err != nil {
		h.log.Error("sign out", "err", err)
	}
	redirect(w, r, "/login")
}

// setLang switches the language and returns to the page the switch was
// clicked on.
func (h *Web) setLang(w http.ResponseWriter, r *http.Request) {
	h.auth.SetLang(w, r.PathValue("lang"))
	redirect(w, r, backTo(r))
}

// backTo is the page of this site a switch was clicked on, or home.
func backTo(r *http.Request) string {
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Path != "" && (ref.Host == "" || ref.Host == r.Host) {
		return safeNext(ref.RequestURI())
	}
	return "/"
}

// textCookie holds the reader's text size: "large" for the age-friendly
// large text (适老化), absent for the standard size.
const textCookie = "cg_text"

// largeText reports whether the request asks for large text.
func largeText(r *http.Request) bool {
	if r == nil {
		return false
	}
	c, err := r.Cookie(textCookie)
	return err == nil && c.Value == "large"
}

// setTextSize switches large text on (/text/large) or off (/text/standard)
// for this browser and goes back to the page it came from. Like the
// language, it needs no sign-in: the login page offers it too.
func (h *Web) setTextSize(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("size") == "large" {
		http.SetCookie(w, &http.Cookie{Name: textCookie, Value: "large", Path: "/", SameSite: http.SameSiteLaxMode, MaxAge: 5 * 365 * 24 * 3600})
	} else {
		http.SetCookie(w, &http.Cookie{Name: textCookie, Value: "", Path: "/", SameSite: http.SameSiteLaxMode, MaxAge: -1})
	}
	redirect(w, r, backTo(r))
}

// safeNext keeps redirects on this site: only a local absolute path is
// accepted, never "//host" or "/\host", which browsers treat as another
// site.
func safeNext(next string) string {
	// Browsers drop tabs and line breaks from an address and read a
	// backslash as a slash, so "/\t/evil.example" is "//evil.example", another
	// site: a path with any control character, space or backslash is
	// refused, and what is left must parse as a path of this site.
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/login") ||
		strings.ContainsFunc(next, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) || r == '\\' }) {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return next
}
