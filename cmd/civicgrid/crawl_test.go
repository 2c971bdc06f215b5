package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// crawlPage is what the crawler read of one page: its links and the text a
// user sees (text nodes and the attributes shown as text).
type crawlPage struct {
	links []string
	texts []string
	// unlabelled are form controls with no label: no <label for>, no
	// aria-label or aria-labelledby, not wrapped in a <label>, not hidden.
	unlabelled []string
	forms      []crawlForm // the GET forms (searches and filters)
	posts      []crawlForm // the POST forms
}

// crawlForm is a form: where it goes and its fields by type, with the
// values of its hidden fields.
type crawlForm struct {
	page   string // where it was seen
	action string
	post   bool
	fields [][2]string // name, type (text, number, date, select, …)
	hidden map[string]string
	submit bool // has a button that sends it
}

func parseCrawlPage(body string) crawlPage {
	var p crawlPage
	labelFor := map[string]bool{}
	var controls []html.Token
	inLabel := 0
	var form *crawlForm
	z := html.NewTokenizer(strings.NewReader(body))
	skip := 0         // inside <script> or <style>
	skipText := false // the next text is a code (a report figure's key), not prose
	for {
		switch z.Next() {
		case html.ErrorToken:
			for _, c := range controls {
				if id := attr(c, "id"); id == "" || !labelFor[id] {
					p.unlabelled = append(p.unlabelled, c.Data+" name="+attr(c, "name"))
				}
			}
			return p
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if tok.Data == "script" || tok.Data == "style" {
				if tok.Type == html.StartTagToken {
					skip++
				}
				continue
			}
			switch tok.Data {
			case "label":
				if f := attr(tok, "for"); f != "" {
					labelFor[f] = true
				}
				if tok.Type == html.StartTagToken {
					inLabel++
				}
			case "form":
				m := strings.ToLower(attr(tok, "method"))
				form = &crawlForm{action: attr(tok, "action"), post: m == "post", hidden: map[string]string{}}
			}
			if form != nil && ((tok.Data == "button" && (attr(tok, "type") == "" || attr(tok, "type") == "submit")) || (tok.Data == "input" && attr(tok, "type") == "submit")) {
				form.submit = true
			}
			switch tok.Data {
			case "input", "select", "textarea":
				t := attr(tok, "type")
				if form != nil && attr(tok, "name") != "" {
					kind := t
					if tok.Data != "input" {
						kind = tok.Data
					}
					form.fields = append(form.fields, [2]string{attr(tok, "name"), kind})
					if kind == "hidden" {
						form.hidden[attr(tok, "name")] = attr(tok, "value")
					}
				}
				if inLabel == 0 && attr(tok, "aria-label") == "" && attr(tok, "aria-labelledby") == "" && t != "hidden" && t != "submit" && t != "button" && t != "reset" {
					controls = append(controls, tok)
				}
			}
			if tok.Data == "code" || strings.Contains(" "+attr(tok, "class")+" ", " code ") {
				skipText = true
			}
			for _, a := range tok.Attr {
				switch a.Key {
				case "href":
					if tok.Data == "a" {
						p.links = append(p.links, a.Val)
					}
				case "placeholder", "title", "aria-label", "alt":
					p.texts = append(p.texts, a.Val)
				case "value":
					if tok.Data == "button" || (tok.Data == "input" && attr(tok, "type") == "submit") {
						p.texts = append(p.texts, a.Val)
					}
				}
			}
		case html.EndTagToken:
			n := z.Token().Data
			if (n == "script" || n == "style") && skip > 0 {
				skip--
			}
			if n == "label" && inLabel > 0 {
				inLabel--
			}
			if n == "form" && form != nil {
				if form.post {
					p.posts = append(p.posts, *form)
				} else {
					p.forms = append(p.forms, *form)
				}
				form = nil
			}
		case html.TextToken:
			if skipText {
				skipText = false
				continue
			}
			if skip == 0 {
				if s := strings.TrimSpace(string(z.Text())); s != "" {
					p.texts = append(p.texts, s)
				}
			}
		}
	}
}

func attr(tok html.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// rawKey is what an untranslated message key looks like on a page
// ("case.title"), and artefacts are what a template or fmt leaves when
// given nothing or the wrong thing.
var (
	rawKey    = regexp.MustCompile(`^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$`)
	fileName  = regexp.MustCompile(`\.(json|csv|xlsx|db|md|go|txt|png|jpg|geojson|com|cn|org|gov)$`)
	artefacts = []string{"<no value>", "%!", "{{", "}}", "&lt;nil&gt;", "<nil>", "NaN", "Infinity", "0001-01-01"}
	digits    = regexp.MustCompile(`[0-9]+`)
)

// TestDemoCrawl signs in to the real demo as each of its users, in Chinese
// and in English, and follows the links of every page it reaches (GET,
// same origin, a few pages of each shape): every page must answer 200 and
// show no untranslated key or template artefact, and every form control
// must have a label a screen reader can say. A link a user is shown must
// lead somewhere the user may go. Every search and filter form (GET) is
// sent once with a wrong value in each field: the answer may be a refusal
// in the user's language, never a server error.
func TestDemoCrawl(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo")
	}
	base := startDemo(t)
	if problems := crawlDemo(t, base, "zh", "en"); len(problems) > 0 {
		t.Fatalf("%d problems:\n%s", len(problems), strings.Join(problems, "\n"))
	}
}

// crawlDemo crawls the demo at base as each of its users in each of langs,
// then sends every form that writes (once a shape, as the users saw them in
// the first language) wrong values in its visible fields (its hidden ones
// as the page gave them): the least powerful users first, so that the
// admin's forms (which may disable an account) come last. It returns what
// was wrong, sorted.
func crawlDemo(t *testing.T, base string, langs ...string) []string {
	t.Helper()
	users := []string{"admin", "leader", "street", "community", "grid", "handler", "operator", "volunteer", "resident"}
	var problems []string
	pages := 0
	posts := map[string][]crawlForm{}
	for _, user := range users {
		for _, lang := range langs {
			n, nf, ps, forms := crawlAs(t, base, user, lang)
			t.Logf("%s/%s: %d pages, %d forms sent wrong values", user, lang, n, nf)
			pages += n
			problems = append(problems, ps...)
			if lang == langs[0] {
				posts[user] = forms
			}
		}
	}
	t.Logf("crawled %d pages as %d users in %s", pages, len(users), strings.Join(langs, " and "))
	for i := len(users) - 1; i >= 0; i-- {
		_, ps := postAs(t, base, users[i], posts[users[i]])
		problems = append(problems, ps...)
	}
	sort.Strings(problems)
	return problems
}

// crawlAs signs in as user with lang and crawls; it returns how many pages
// it read, how many forms it sent, what was wrong with them, and the forms
// that write it saw (one of each shape).
func crawlAs(t *testing.T, base, user, lang string) (int, int, []string, []crawlForm) {
	t.Helper()
	client := signedIn(t, base, user, lang)
	get := func(u string) (*http.Response, string, error) {
		resp, err := client.Get(u)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, string(b), err
	}
	const maxPages, perShape = 400, 2
	origin, _ := url.Parse(base)
	seen := map[string]bool{}
	shapes := map[string]int{}
	triedForms := map[string]bool{}
	triedPosts := map[string]bool{}
	var writes []crawlForm
	queue := []string{"/"}
	from := map[string]string{"/": "(start)"}
	var problems []string
	read := 0
	for len(queue) > 0 && read < maxPages {
		u := queue[0]
		queue = queue[1:]
		resp, body, err := get(base + u)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s/%s %s: %v", user, lang, u, err))
			continue
		}
		read++
		where := fmt.Sprintf("%s/%s %s (linked from %s)", user, lang, u, from[u])
		if resp.StatusCode != http.StatusOK {
			problems = append(problems, fmt.Sprintf("%s: status %d", where, resp.StatusCode))
			continue
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			continue
		}
		if resp.Request.URL.Path == "/login" {
			problems = append(problems, where+": sent to the login page")
			continue
		}
		wantLang := map[string]string{"zh": `<html lang="zh-CN"`, "en": `<html lang="en"`}[lang]
		if !strings.Contains(body, wantLang) {
			problems = append(problems, where+": not in the chosen language")
		}
		p := parseCrawlPage(body)
		for _, s := range p.texts {
			for _, a := range artefacts {
				if strings.Contains(s, a) {
					problems = append(problems, fmt.Sprintf("%s: %q in %q", where, a, clip(s)))
				}
			}
			if rawKey.MatchString(s) && !fileName.MatchString(s) {
				problems = append(problems, fmt.Sprintf("%s: untranslated %q", where, s))
			}
		}
		for _, c := range p.unlabelled {
			problems = append(problems, fmt.Sprintf("%s: a form control without a label: %s", where, c))
		}
		for _, f := range p.posts {
			if !f.submit { // shown read-only
				continue
			}
			target, err := url.Parse(f.action)
			if err != nil {
				continue
			}
			abs := resp.Request.URL.ResolveReference(target)
			if abs.Host != origin.Host || abs.Path == "/logout" || abs.Path == "/login" {
				continue
			}
			shape := digits.ReplaceAllString(abs.Path, "N")
			if !triedPosts[shape] {
				triedPosts[shape] = true
				f.action, f.page = abs.String(), u
				writes = append(writes, f)
			}
		}
		// Each GET form once, every field given something wrong: the
		// answer is the page or a clear refusal, never a server error.
		for _, f := range p.forms {
			target, err := url.Parse(f.action)
			if err != nil {
				continue
			}
			abs := resp.Request.URL.ResolveReference(target)
			sig := abs.Path + "?" + fmt.Sprint(f.fields)
			if triedForms[sig] {
				continue
			}
			triedForms[sig] = true
			q := url.Values{}
			for _, fld := range f.fields {
				q.Set(fld[0], junkFor(fld[1]))
			}
			abs.RawQuery = q.Encode()
			r, b, err := get(abs.String())
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: form %s: %v", where, abs.RequestURI(), err))
				continue
			}
			// A value naming nothing may be refused (400, 404, 422), in
			// the user's language; a server error never.
			if r.StatusCode >= 500 {
				problems = append(problems, fmt.Sprintf("%s: form %s: status %d", where, abs.RequestURI(), r.StatusCode))
				continue
			}
			if strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") && !strings.Contains(b, wantLang) {
				problems = append(problems, fmt.Sprintf("%s: form %s: answered %d not in the chosen language", where, abs.RequestURI(), r.StatusCode))
			}
			for _, a := range artefacts {
				if strings.Contains(b, a) {
					problems = append(problems, fmt.Sprintf("%s: form %s: %q on the page", where, abs.RequestURI(), a))
				}
			}
		}
		for _, l := range p.links {
			ref, err := url.Parse(l)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: bad link %q", where, l))
				continue
			}
			abs := origin.ResolveReference(ref)
			if abs.Host != origin.Host || ref.Scheme == "javascript" {
				continue
			}
			abs.Fragment = ""
			path := abs.Path
			if path == "/logout" || strings.HasPrefix(path, "/lang/") || strings.HasPrefix(path, "/files/") || strings.HasPrefix(path, "/static/") {
				continue
			}
			next := abs.RequestURI()
			if seen[next] {
				continue
			}
			seen[next] = true
			shape := digits.ReplaceAllString(path, "N")
			if abs.RawQuery != "" {
				keys := []string{}
				for k := range abs.Query() {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				shape += "?" + strings.Join(keys, "&")
			}
			if shapes[shape] >= perShape {
				continue
			}
			shapes[shape]++
			from[next] = u
			queue = append(queue, next)
		}
	}
	return read, len(triedForms), problems, writes
}

// signedIn is an HTTP client signed in to base as user, in lang.
func signedIn(t *testing.T, base, user, lang string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := client.Get(base + "/lang/" + lang)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(url.Values{"username": {user}, "password": {"Civic2026!"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path == "/login" {
		t.Fatalf("sign in as %s: still on the login page (%d)", user, resp.StatusCode)
	}
	return client
}

// postAs signs in as user and sends each form wrong values in its visible
// fields: the answer may be a refusal or a redirect, never a server error,
// and never the bare "no access" page (the form should not have been
// offered).
func postAs(t *testing.T, base, user string, forms []crawlForm) (int, []string) {
	t.Helper()
	client := signedIn(t, base, user, "zh")
	var problems []string
	statuses := map[int]int{} // after redirects
	for _, f := range forms {
		v := url.Values{}
		for _, fld := range f.fields {
			if fld[1] == "hidden" {
				v.Set(fld[0], f.hidden[fld[0]])
			} else {
				v.Set(fld[0], junkFor(fld[1]))
			}
		}
		req, _ := http.NewRequest(http.MethodPost, f.action, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		resp, err := client.Do(req)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s POST %s: %v", user, f.action, err))
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			problems = append(problems, fmt.Sprintf("%s POST %s %s: status %d: %s", user, f.action, v.Encode(), resp.StatusCode, clip(string(b))))
		}
		statuses[resp.StatusCode]++
		// A form a page offers must be the user's to send: a refusal of
		// a field's value is fine, the bare "no access" page is not.
		if resp.StatusCode == http.StatusForbidden && strings.Contains(string(b), "<title>无权访问") {
			problems = append(problems, fmt.Sprintf("%s POST %s: offered on %s but forbidden", user, f.action, f.page))
		}
	}
	t.Logf("%s: %d forms that write sent wrong values, answered %v", user, len(forms), statuses)
	return len(forms), problems
}

// junkFor is a wrong value for a field of type kind: what a careless or
// hostile hand might type.
func junkFor(kind string) string {
	switch kind {
	case "number":
		return "-1x"
	case "date", "month", "datetime-local":
		return "2026-13-45"
	case "select":
		return "no-such-option"
	case "checkbox", "radio":
		return "on"
	}
	return "不存在<>'\"%_\\"
}

func clip(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:80]) + "…"
	}
	return s
}
