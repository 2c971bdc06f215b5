package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// view is one page's template set: the layout, the shared fragments and
// the page's own file.
type view struct{ t *template.Template }

// langs are the UI languages; Chinese first because it is the default.
var langs = []string{"zh", "en"}

// parseViews builds every page's template set for every language. Each
// language gets its own parse so that {{t "key"}} is bound to that
// language without any per-request state.
func parseViews(fsys fs.FS, zone *time.Location, version string) (map[string]map[string]*view, error) {
	files, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	var shared, pages []string
	for _, f := range files {
		name := path.Base(f)
		if name == "layout.html" || strings.HasPrefix(name, "_") {
			shared = append(shared, f)
		} else {
			pages = append(pages, f)
		}
	}
	if err := checkKeys(fsys, files); err != nil {
		return nil, err
	}
	out := map[string]map[string]*view{}
	for _, lang := range langs {
		base, err := template.New("base").Funcs(funcs(lang, zone, version)).ParseFS(fsys, shared...)
		if err != nil {
			return nil, fmt.Errorf("parse shared templates: %w", err)
		}
		out[lang] = map[string]*view{}
		for _, p := range pages {
			t, err := base.Clone()
			if err != nil {
				return nil, err
			}
			if t, err = t.ParseFS(fsys, p); err != nil {
				return nil, fmt.Errorf("parse %s: %w", p, err)
			}
			if t.Lookup("content") == nil {
				return nil, fmt.Errorf("%s defines no \"content\"", p)
			}
			out[lang][strings.TrimSuffix(path.Base(p), ".html")] = &view{t: t}
		}
	}
	return out, nil
}

// keyUse finds the translation keys a template passes to t or tf.
var (
	actionRe = regexp.MustCompile(`\{\{.*?\}\}`)
	keyUseRe = regexp.MustCompile(`(?:^|[\s(|{])tf?\s+"([^"]+)"`)
)

// checkKeys refuses templates that name a key missing from the table, so a
// typo is found at start-up and not by a user reading "nav.hmoe".
func checkKeys(fsys fs.FS, files []string) error {
	var missing []string
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return err
		}
		for _, act := range actionRe.FindAllString(string(b), -1) {
			for _, m := range keyUseRe.FindAllStringSubmatch(act, -1) {
				if _, ok := messages[m[1]]; !ok {
					missing = append(missing, path.Base(f)+": "+m[1])
				}
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("unknown translation keys: %s", strings.Join(missing, ", "))
	}
	return nil
}

// aside is "main（note）" in Chinese, "main (note)" in English.
func aside(lang, main, note string) string {
	if lang == "en" {
		return main + " (" + note + ")"
	}
	return main + "（" + note + "）"
}

func funcs(lang string, zone *time.Location, version string) template.FuncMap {
	return template.FuncMap{
		"t":  func(key string) string { return tr(lang, key) },
		"tf": func(key string, args ...any) string { return fmt.Sprintf(tr(lang, key), args...) },
		"tx": func(t civic.Text) string { return t.In(lang) },
		// who names an actor as recorded, the system in the reader's
		// language.
		"who": func(name string) string {
			if name == "system" || name == "" {
				return tr(lang, "case.system")
			}
			return name
		},
		// Punctuation between parts of a line: full-width in Chinese,
		// ASCII with its space in English.
		"colon": func() string { return map[bool]string{true: ": ", false: "："}[lang == "en"] },
		"comma": func() string { return map[bool]string{true: ", ", false: "，"}[lang == "en"] },
		"semi":  func() string { return map[bool]string{true: "; ", false: "；"}[lang == "en"] },
		"lp":    func() string { return map[bool]string{true: " (", false: "（"}[lang == "en"] },
		"rp":    func() string { return map[bool]string{true: ")", false: "）"}[lang == "en"] },
		"km2": func(m2 float64) string {
			return fmt.Sprintf("%.2f", m2/1e6)
		},
		"coord": func(v float64) string { return fmt.Sprintf("%.6f", v) },
		"pct":   func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(zone).Format("2006-01-02 15:04")
		},
		"asset": func(name string) string { return "/static/" + name + "?v=" + url.QueryEscape(version) },
		"tel":   func(phone string) template.URL { return template.URL("tel:" + telDigits(phone)) },
	}
}

// telDigits keeps what a dialler understands, so that tel: links built from
// stored numbers can never carry anything else.
func telDigits(p string) string {
	var b strings.Builder
	for _, c := range p {
		if c >= '0' && c <= '9' || c == '+' || c == '-' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// Page is what the layout needs; every page struct embeds it.
type Page struct {
	Lang     string
	Title    string
	User     civic.User
	SignedIn bool
	RoleName string
	Nav      []NavItem
	Crumbs   []Crumb
	Flash    string
	// Leaflet adds the map library to the page.
	Leaflet bool
	// LargeText is the age-friendly large text (适老化) the reader chose.
	LargeText bool
}

// NavItem is one entry of the side navigation.
type NavItem struct {
	Label  string
	URL    string
	Icon   string
	Active bool
}

// Crumb is one step of the breadcrumbs; the last has no URL.
type Crumb struct {
	Label string
	URL   string
}

// navItems is the navigation, each entry shown only to roles that may use
// it.
var navItems = []struct {
	key, url, icon string
	perm           civic.Permission
}{
	{"nav.home", "/", "home", ""},
	{"nav.overview", "/overview", "grid", civic.PermCaseMetrics},
	{"nav.hotspots", "/hotspots", "alert", civic.PermCaseMetrics},
	{"nav.reports", "/reports", "log", civic.PermCaseMetrics},
	{"nav.report", "/report", "plus", civic.PermCaseReport},
	{"nav.cases", "/cases", "log", civic.PermCaseRead},
	{"nav.my_cases", "/my/cases", "empty", ""},
	{"nav.map", "/map", "map", civic.PermRegionRead},
	{"nav.regions", "/regions", "tree", civic.PermRegionRead},
	{"nav.grids", "/grids", "grid", civic.PermRegionRead},
	{"nav.staff", "/staff", "people", civic.PermStaffRead},
	{"nav.organisations", "/organisations", "org", civic.PermOrgRead},
	// The catalogue page is for staff; residents read the catalogue
	// through the report form.
	{"nav.categories", "/categories", "tree", civic.PermCaseRead},
	{"nav.users", "/users", "key", civic.PermUserAdmin},
	{"nav.audit", "/audit", "log", civic.PermAuditRead},
	{"nav.assessment", "/assessment", "grid", civic.PermCaseMetrics},
	{"nav.places", "/places", "map", civic.PermCaseDispatch},
	{"nav.calendar", "/calendar", "log", civic.PermCalendarWrite},
	{"nav.abuse", "/abuse", "key", civic.PermCaseAbuse},
	{"nav.people", "/people", "user", civic.PermPeopleRead},
	{"nav.compounds", "/compounds", "home", civic.PermPeopleRead},
	{"nav.completeness", "/completeness", "grid", civic.PermPeopleRead},
	{"nav.care", "/care", "log", civic.PermPeopleRead},
	{"nav.party", "/party", "people", civic.PermPeopleRead},
	{"nav.rentals", "/rentals", "grid", civic.PermPeopleRead},
	{"nav.rental_report", "/rentals/new", "plus", civic.PermRentalReport},
	{"nav.field", "/field", "map", civic.PermPatrol},
	{"nav.patrols", "/patrols", "map", civic.PermPatrolSupervise},
	{"nav.corrections", "/corrections", "log", civic.PermPeopleWrite},
	{"nav.inbox", "/inbox", "log", ""},
	{"nav.account", "/account", "user", ""},
	{"nav.people_import", "/people/import", "people", civic.PermPeopleRead},
	{"nav.knowledge", "/knowledge", "log", civic.PermKnowledgeRead},
	{"nav.triage", "/triage", "grid", civic.PermCaseMetrics},
}

// rq is what a page handler knows about the request's user.
type rq struct {
	User  civic.User
	Actor civic.Actor
	Lang  string
	r     *http.Request
}

// T translates a key into the request's language.
func (c *rq) T(key string) string { return tr(c.Lang, key) }

// page builds the layout part of a page. active is the nav URL to mark.
func (h *Web) base(w http.ResponseWriter, c *rq, titleKey, active string) Page {
	p := Page{Lang: c.Lang, Title: c.T(titleKey), User: c.User, SignedIn: c.User.ID != 0,
		RoleName: c.User.Role.Label().In(c.Lang), Flash: h.takeFlash(w, c), LargeText: largeText(c.r)}
	for _, n := range navItems {
		if n.perm != "" && !c.Actor.Can(n.perm) {
			continue
		}
		p.Nav = append(p.Nav, NavItem{Label: c.T(n.key), URL: n.url, Icon: n.icon, Active: n.url == active})
	}
	return p
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, c *rq) error

// page wraps a handler: it sends visitors who are not signed in to the
// login page, refuses roles without perm ("" = any signed-in user), and
// turns returned errors into friendly pages in the user's language.
func (h *Web) page(perm civic.Permission, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := auth.User(r.Context())
		if !ok {
			h.toLogin(w, r)
			return
		}
		c := &rq{User: u, Lang: auth.Lang(r.Context()), r: r}
		c.Actor = store.ActorOf(u, auth.IP(r.Context()))
		// Pages are personal and scoped; no shared cache may keep them.
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Vary", "HX-Request, Cookie")
		if perm != "" && !c.Actor.Can(perm) {
			h.fail(w, r, c, civic.Forbidden())
			return
		}
		if err := readPosted(w, r); err != nil {
			h.fail(w, r, c, err)
			return
		}
		if err := fn(w, r, c); err != nil {
			h.fail(w, r, c, err)
		}
	})
}

// publicPage serves a page to everyone: signed-in users as page does,
// visitors who are not signed in as an anonymous resident (the report form
// reached from a place code or a link, where making an account first would
// lose most reports). The store limits anonymous submissions per address.
func (h *Web) publicPage(fn handlerFunc) http.Handler {
	signed := h.page(civic.PermCaseReport, fn)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := auth.User(r.Context()); ok {
			signed.ServeHTTP(w, r)
			return
		}
		c := &rq{User: civic.User{Role: civic.RoleResident}, Lang: auth.Lang(r.Context()), r: r}
		c.Actor = civic.Actor{Username: "anonymous", Role: civic.RoleResident, IP: auth.IP(r.Context())}
		w.Header().Set("Cache-Control", "no-store")
		if err := readPosted(w, r); err != nil {
			h.fail(w, r, c, err)
			return
		}
		if err := fn(w, r, c); err != nil {
			h.fail(w, r, c, err)
		}
	})
}

func (h *Web) toLogin(w http.ResponseWriter, r *http.Request) {
	target := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !isHX(r) {
		// A form sent after the session expired: a redirect to the login
		// page would drop what was typed without a word. Say that nothing
		// was saved, and offer the way back to the form (where browsers
		// keep the typed text) and a login that does not leave it.
		c := &rq{Lang: auth.Lang(r.Context()), r: r}
		w.Header().Set("Cache-Control", "no-store")
		p := errorPage{Page: h.base(w, c, "session.expired", ""), Status: http.StatusUnauthorized, Heading: c.T("session.expired"),
			Message: c.T("session.expired_post"), Back: formPage(r), Login: "/login"}
		if p.Back != "" {
			p.Login += "?next=" + url.QueryEscape(p.Back)
		}
		h.render(w, c, http.StatusUnauthorized, "error", p)
		return
	}
	if isHX(r) {
		// htmx would swap the login page into a fragment; make it navigate.
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// formPage is the page of this site a refused form was sent from, or ""
// when the browser did not say (or it was the home page).
func formPage(r *http.Request) string {
	if b := backTo(r); b != "/" {
		return b
	}
	return ""
}

// errorPage is the friendly page for refused or failed requests.
type errorPage struct {
	Page
	Status  int
	Heading string
	Message string
	// Back is the page a refused form was sent from, to go back to and
	// correct it; Login signs in again in a new tab (the session expired).
	Back, Login string
}

// fail shows err to the user in their language. Internal errors are logged
// with their cause and shown only as a generic message.
func (h *Web) fail(w http.ResponseWriter, r *http.Request, c *rq, err error) {
	e := civic.AsError(err)
	if e.Code == civic.EUnauthorized {
		h.toLogin(w, r)
		return
	}
	status := auth.StatusOf(e.Code)
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The browser went away (a page left while loading): nothing
		// failed, and there is no one to answer.
		h.log.Debug("web request abandoned", "method", r.Method, "path", r.URL.Path, "user", c.User.Username)
		return
	}
	if status >= 500 {
		h.log.Error("web request failed", "method", r.Method, "path", r.URL.Path, "user", c.User.Username, "err", err)
	}
	headKey := "error.title"
	switch status {
	case http.StatusNotFound:
		headKey = "error.not_found"
	case http.StatusForbidden:
		headKey = "error.forbidden"
	}
	// A throttled or busy answer says when to come back, as the API's do.
	auth.SetRetryAfter(w.Header(), e)
	p := errorPage{Page: h.base(w, c, headKey, ""), Status: status, Heading: c.T(headKey), Message: e.Msg.In(c.Lang)}
	// A refused form, or one the database was too busy to keep (nothing
	// of it was saved), offers the way back to send it again.
	if r.Method == http.MethodPost && (status < 500 || e.Code == civic.EBusy) {
		p.Back = formPage(r)
	}
	sep := "；"
	if c.Lang == "en" {
		sep = "; "
	}
	for _, f := range e.Fields {
		p.Message += sep + f.Msg.In(c.Lang)
	}
	if isHX(r) {
		h.fragment(w, c, status, "error", "_error", p)
		return
	}
	h.render(w, c, status, "error", p)
}

// isHX reports an htmx request that wants a fragment. A history restore
// after a cache miss asks for the whole page.
func isHX(r *http.Request) bool {
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-History-Restore-Request") != "true"
}

// render executes a page's layout into a buffer first, so that a template
// error becomes a clean 500 instead of half a page.
func (h *Web) render(w http.ResponseWriter, c *rq, status int, name string, data any) {
	h.exec(w, c.Lang, status, name, "layout", data)
}

// fragment renders one named template of a page's set, for htmx swaps.
func (h *Web) fragment(w http.ResponseWriter, c *rq, status int, name, tmpl string, data any) {
	h.exec(w, c.Lang, status, name, tmpl, data)
}

func (h *Web) exec(w http.ResponseWriter, lang string, status int, name, tmpl string, data any) {
	v, ok := h.views[lang][name]
	if !ok {
		v = h.views["zh"][name]
	}
	var buf bytes.Buffer
	var err error
	if v == nil {
		err = fmt.Errorf("no template %q", name)
	} else {
		err = v.t.ExecuteTemplate(&buf, tmpl, data)
	}
	if err != nil {
		h.log.Error("render template", "page", name, "template", tmpl, "err", err)
		http.Error(w, tr(lang, "error.internal"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// list renders a list page, or only its results when htmx asks, so that
// filtering and paging swap the table without reloading the page.
func (h *Web) list(w http.ResponseWriter, r *http.Request, c *rq, name string, data any) {
	if isHX(r) {
		h.fragment(w, c, http.StatusOK, name, "_results", data)
		return
	}
	h.render(w, c, http.StatusOK, name, data)
}

const flashCookie = "cg_flash"

// flash remembers a message key for the next page, the usual
// post/redirect/get confirmation. Only keys travel, never text.
func (h *Web) flash(w http.ResponseWriter, key string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: key, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

func (h *Web) takeFlash(w http.ResponseWriter, c *rq) string {
	if c.r == nil {
		return ""
	}
	ck, err := c.r.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1})
	if _, ok := messages[ck.Value]; !ok || !strings.HasPrefix(ck.Value, "flash.") {
		return ""
	}
	return c.T(ck.Value)
}

// redirect answers a successful form post.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}
