package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

// FormErrors is a refused form: a summary for the top of the form and one
// message per field, shown under the input of that name.
type FormErrors struct {
	Summary []string
	Fields  map[string]string
	// status is the HTTP status of the refused form's page.
	status int
}

// Status is the reply status for the refused form: 422 for invalid input,
// 409 for a conflict, 403 for a record outside the user's scope.
func (f FormErrors) Status() int {
	if f.status == 0 {
		return http.StatusUnprocessableEntity
	}
	return f.status
}

// Any reports whether there is anything to show.
func (f FormErrors) Any() bool { return len(f.Summary) > 0 || len(f.Fields) > 0 }

// formErrors splits err into messages for the fields the form shows (by
// input name) and a summary for everything else. Errors that are not about
// the input (not found, a role's missing permission, internal) are returned
// as is; a refusal that names a field (a grid outside the user's scope) is
// about the input and shown on the form.
func formErrors(err error, lang string, fields ...string) (FormErrors, error) {
	e := civic.AsError(err)
	if e.Code != civic.EInvalid && e.Code != civic.EConflict && !(e.Code == civic.EForbidden && len(e.Fields) > 0) {
		return FormErrors{}, err
	}
	fe := FormErrors{Fields: map[string]string{}, status: auth.StatusOf(e.Code)}
	shown := map[string]bool{}
	for _, f := range fields {
		shown[f] = true
	}
	for _, f := range e.Fields {
		if shown[f.Field] {
			if _, dup := fe.Fields[f.Field]; !dup {
				fe.Fields[f.Field] = f.Msg.In(lang)
			}
			continue
		}
		fe.Summary = append(fe.Summary, f.Msg.In(lang))
	}
	if len(e.Fields) == 0 || len(fe.Fields) == 0 {
		fe.Summary = append([]string{e.Msg.In(lang)}, fe.Summary...)
	}
	return fe, nil
}

// addField adds a message the web layer found itself (a confirmation that
// does not match).
func (f *FormErrors) addField(name, msg string) {
	if f.Fields == nil {
		f.Fields = map[string]string{}
	}
	f.Fields[name] = msg
}

// readPosted reads a posted url-encoded form before any handler sees it
// and drops the invisible control characters from its values (see
// civic.StripInvisibleControls), so that no name, address or note stores
// them whichever form it came from. Uploads (multipart forms) are read by
// their handlers, through parseUpload, which does the same.
func readPosted(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return nil
	}
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	if !strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded") {
		return nil
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	stripControls(r.PostForm)
	stripControls(r.Form)
	return nil
}

// stripControls removes invisible control characters from every value.
func stripControls(vs url.Values) {
	for k, list := range vs {
		for i, v := range list {
			list[i] = civic.StripInvisibleControls(v)
		}
		vs[k] = list
	}
}

// parseForm reads a posted form, refusing oversized bodies.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return civic.Errorf(civic.EInvalid, "无法读取提交的表单", "the form could not be read")
	}
	return nil
}

func formInt(r *http.Request, name string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue(name)), 10, 64)
	return n
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, civic.NotFound(r.PathValue("id"), r.PathValue("id"))
	}
	return id, nil
}

// optionalPathID is pathID for forms served both as "new" (no {id}, 0)
// and as "edit".
func optionalPathID(r *http.Request) (int64, error) {
	if r.PathValue("id") == "" {
		return 0, nil
	}
	return pathID(r)
}

// perPage is the length of every paged table.
const perPage = 50

// Pager is the paging bar under a table.
type Pager struct {
	Page, Pages, Total, From, To int
	Prev, Next                   string
	Links                        []PageLink
}

// PageLink is one page number; Gap marks an ellipsis.
type PageLink struct {
	N       int
	URL     string
	Current bool
	Gap     bool
}

// pageOf reads ?page= (1-based).
func pageOf(q url.Values) int {
	n, err := strconv.Atoi(q.Get("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

func storePage(page int) store.Page {
	return store.Page{Limit: perPage, Offset: (page - 1) * perPage}
}

// newPager builds the paging bar; links keep the filters in q.
func newPager(basePath string, q url.Values, page, total int) Pager {
	p := Pager{Page: page, Total: total, Pages: (total + perPage - 1) / perPage}
	if total > 0 {
		p.From = (page-1)*perPage + 1
		p.To = min(page*perPage, total)
	}
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			if k != "page" {
				v[k] = vs
			}
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return basePath
		}
		return basePath + "?" + v.Encode()
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if page < p.Pages {
		p.Next = link(page + 1)
	}
	// First, last and two either side of the current page.
	last := 0
	for n := 1; n <= p.Pages; n++ {
		if n == 1 || n == p.Pages || (n >= page-2 && n <= page+2) {
			if last != 0 && n > last+1 {
				p.Links = append(p.Links, PageLink{Gap: true})
			}
			p.Links = append(p.Links, PageLink{N: n, URL: link(n), Current: n == page})
			last = n
		}
	}
	return p
}

// withQuery appends the filter query to a path (for export links).
func withQuery(p string, q url.Values) string {
	v := url.Values{}
	for k, vs := range q {
		if k != "page" && len(vs) > 0 && vs[0] != "" {
			v[k] = vs
		}
	}
	if len(v) == 0 {
		return p
	}
	return p + "?" + v.Encode()
}

// Option is one entry of a select.
type Option struct {
	Value    string
	Label    string
	Selected bool
	// Indent shows a community under its street.
	Indent bool
}

// areaOptions lists the streets in the actor's scope, each followed by its
// communities, for "under" filters.
func (h *Web) areaOptions(ctx context.Context, a civic.Actor, selected string) ([]Option, error) {
	all := store.Page{Limit: 10000}
	streets, _, err := h.store.ListRegions(ctx, a, store.RegionFilter{Level: civic.LevelStreet, Page: all})
	if err != nil {
		return nil, err
	}
	comms, _, err := h.store.ListRegions(ctx, a, store.RegionFilter{Level: civic.LevelCommunity, Page: all})
	if err != nil {
		return nil, err
	}
	var out []Option
	ci := 0
	// Both lists are ordered by code and a community's code extends its
	// street's, so one merge pass groups them.
	for _, s := range streets {
		for ci < len(comms) && comms[ci].Code < s.Code {
			out = append(out, Option{Value: comms[ci].Code, Label: comms[ci].Name, Selected: comms[ci].Code == selected})
			ci++
		}
		out = append(out, Option{Value: s.Code, Label: s.Name, Selected: s.Code == selected})
		for ci < len(comms) && civic.InSubtree(comms[ci].Code, s.Code) {
			out = append(out, Option{Value: comms[ci].Code, Label: comms[ci].Name, Selected: comms[ci].Code == selected, Indent: true})
			ci++
		}
	}
	for ; ci < len(comms); ci++ {
		out = append(out, Option{Value: comms[ci].Code, Label: comms[ci].Name, Selected: comms[ci].Code == selected})
	}
	// A grid chosen elsewhere (a link from a grid's page) is kept in the
	// list so that the filter shows what is applied.
	found := selected == ""
	for _, o := range out {
		found = found || o.Selected
	}
	if !found {
		out = append([]Option{{Value: selected, Label: selected, Selected: true}}, out...)
	}
	return out, nil
}

// underParam reads an area filter; codes that are not region codes are
// dropped rather than passed on to the store.
func underParam(q url.Values) string {
	u := strings.TrimSpace(q.Get("under"))
	if _, ok := civic.LevelOfCode(u); !ok {
		return ""
	}
	return u
}

// sendXLSX renders a workbook into memory first so that a failure becomes
// an error page rather than a truncated download.
func sendXLSX(w http.ResponseWriter, filename string, t sheet.Table) error {
	var buf bytes.Buffer
	if err := sheet.Write(&buf, t); err != nil {
		return fmt.Errorf("write %s: %w", filename, err)
	}
	w.Header().Set("Content-Type", sheet.ContentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err := buf.WriteTo(w)
	return err
}

// exportPage is how many rows an export reads at a time: the store caps a
// page at 10000 rows, so larger exports page through.
const exportPage = 10000

// today is the date in China, which is what start and end dates mean.
func (h *Web) today() string { return civic.Today(h.store.Now()) }

// withOwnChecks adds to a form's refusal for what could not be read
// (numbers typed as text) the record's own checks of its other fields, so
// that every mistake shows at once rather than one round at a time. A
// field the form already refused keeps the form's message.
func withOwnChecks(err error, check func() error) error {
	e := civic.AsError(err)
	if e.Code != civic.EInvalid {
		return err
	}
	more := civic.AsError(check())
	if more.Code != civic.EInvalid {
		return err
	}
	fields := slices.Clone(e.Fields)
	for _, f := range more.Fields {
		if !slices.ContainsFunc(fields, func(g civic.FieldError) bool { return g.Field == f.Field }) {
			fields = append(fields, f)
		}
	}
	return civic.Invalid(fields...)
}
