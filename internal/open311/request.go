package open311

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// maxBody bounds a POST body; a request is a few short fields.
const maxBody = 1 << 20

// Limits of what the GET requests list returns, as the specification
// recommends: the last 90 days by default, a window of at most 90 days,
// at most 1000 requests at once — a page, of page_size requests (the
// extension many servers offer), by default the first 1000.
const (
	window      = 90 * 24 * time.Hour
	maxPageSize = 1000
	maxPage     = 10000
	maxRefs     = 100 // service_request_id values in one query
	maxCodes    = 50  // service_code values in one query
)

// mediaLabel starts the line that keeps a submitted media_url in the
// case's description: civicgrid has no field for a link, and never fetches
// one (photos come in through its own upload, type-checked and stripped).
const mediaLabel = "附件链接："

// receipt answers a POST. account_id is always empty (civicgrid keeps no
// account for the client's own user): null in JSON and, as in the
// specification's example, an empty element in XML, which encoding/xml
// would leave out for a nil pointer.
type receipt struct {
	ID           string   `json:"service_request_id" xml:"service_request_id"`
	Notice       string   `json:"service_notice" xml:"service_notice"`
	AccountID    *string  `json:"account_id" xml:"-"`
	XMLAccountID struct{} `json:"-" xml:"account_id"`
}

type receiptList struct {
	XMLName  xml.Name  `json:"-" xml:"service_requests"`
	Receipts []receipt `xml:"request"`
}

func (l receiptList) MarshalJSON() ([]byte, error) { return marshalJSON(nonNil(l.Receipts)) }

// coord is a coordinate: a JSON number, and in XML the same digits
// (encoding/xml would write small ones with an exponent).
type coord float64

func (v coord) MarshalJSON() ([]byte, error) { return []byte(number(float64(v))), nil }
func (v coord) MarshalText() ([]byte, error) { return []byte(number(float64(v))), nil }

// serviceRequest is a case as Open311 shows it. It has no field for the
// reporter: nothing personal leaves through Open311.
type serviceRequest struct {
	ID          string  `json:"service_request_id" xml:"service_request_id"`
	Status      string  `json:"status" xml:"status"`
	StatusNotes string  `json:"status_notes" xml:"status_notes"`
	ServiceName string  `json:"service_name" xml:"service_name"`
	ServiceCode string  `json:"service_code" xml:"service_code"`
	Description string  `json:"description" xml:"description"`
	Agency      string  `json:"agency_responsible" xml:"agency_responsible"`
	Notice      string  `json:"service_notice" xml:"service_notice"`
	Requested   string  `json:"requested_datetime" xml:"requested_datetime"`
	Updated     string  `json:"updated_datetime" xml:"updated_datetime"`
	Expected    *string `json:"expected_datetime" xml:"expected_datetime,omitempty"`
	Address     string  `json:"address" xml:"address"`
	AddressID   string  `json:"address_id" xml:"address_id"`
	Lat         *coord  `json:"lat" xml:"lat,omitempty"`
	Long        *coord  `json:"long" xml:"long,omitempty"`
	MediaURL    string  `json:"media_url" xml:"media_url"`
}

type requestList struct {
	XMLName  xml.Name         `json:"-" xml:"service_requests"`
	Requests []serviceRequest `xml:"request"`
}

func (l requestList) MarshalJSON() ([]byte, error) { return marshalJSON(nonNil(l.Requests)) }

// postRequest files a case through the same intake as POST /api/v1/cases,
// as the api_key's account, with source api (接口).
func (h *Handler) postRequest(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := readForm(w, r); err != nil {
		return err
	}
	act, err := h.authenticate(r, c)
	if err != nil {
		return err
	}
	byCode, _, err := h.catalogue(r, act)
	if err != nil {
		return err
	}
	n, err := submission(r, act, byCode, h.store.Now())
	if err != nil {
		return err
	}
	cs, existing, err := h.intake.Submit(r.Context(), act, n)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if existing {
		status = http.StatusOK
	}
	write(w, c.format, status, receiptList{Receipts: []receipt{{ID: cs.Number, Notice: notice(cs, c.lang)}}})
	return nil
}

// readForm parses a form-encoded (or multipart) body of at most maxBody
// and refuses values that are not UTF-8 text or hold invisible controls.
// Uploaded files in a multipart body are not read: media come as links.
// A body without a Content-Type is read as form-encoded, the only body
// GeoReport v2 names: net/http would skip it, and the client would be
// told its api_key or service_code is missing when it sent both.
func readForm(w http.ResponseWriter, r *http.Request) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	var err error
	switch ct {
	case "application/x-www-form-urlencoded", "":
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		err = r.ParseForm()
	case "multipart/form-data":
		err = r.ParseMultipartForm(maxBody)
		if r.MultipartForm != nil {
			_ = r.MultipartForm.RemoveAll()
		}
	default:
		return civic.Errorf(civic.EInvalid, "请以表单编码（application/x-www-form-urlencoded）提交", "send the request form-encoded (application/x-www-form-urlencoded)")
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return tooLarge
		}
		return civic.Errorf(civic.EInvalid, "请求内容不是有效的表单编码", "the request body is not a valid form")
	}
	for k, vs := range r.Form {
		if !utf8.ValidString(k) || civic.HasInvisibleControl(k) {
			return invalidParam("form", "参数名含有无法识别的字符", "a parameter name holds characters that are not text")
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return invalidParam(k, "含有无法识别的字符（不是 UTF-8 编码）", "holds characters that are not UTF-8 text")
			}
			if civic.HasInvisibleControl(v) {
				return invalidParam(k, "含有不可见的控制字符", "contains an invisible control character")
			}
		}
	}
	return nil
}

// submission reads a POST's parameters into a case: service_code is a
// category cases can be filed under; the place is lat and long (WGS-84, or
// GCJ-02 with crs=gcj02), else address_id naming a region code, else, with
// only address_string, a staff account's own territory, where a dispatcher
// reads the address; first_name, last_name and phone are the reporter's;
// media_url is kept as a line of the description. email, device_id,
// account_id, jurisdiction_id and attributes have nothing to go to in
// civicgrid: they are not length-checked either, since nothing keeps them
// (a device_id can be a push token of several hundred characters) and
// maxBody bounds the whole. A request without an
// idempotency key gets one from its content (contentKey).
func submission(r *http.Request, act civic.Actor, byCode map[string]civic.Category, now time.Time) (store.NewCase, error) {
	get := func(name string) string { return strings.TrimSpace(r.Form.Get(name)) }
	// Every refused parameter is named at once, as the specification's
	// error list allows, so that a client fixes its request in one round;
	// a parameter refused for its length is not checked again.
	var fs []civic.FieldError
	refused := map[string]bool{}
	refuse := func(name, zh, en string, args ...any) {
		fs = append(fs, civic.FieldErr(name, zh, en, args...))
		refused[name] = true
	}
	for _, p := range []struct {
		name string
		max  int
	}{{"service_code", 8}, {"address_string", 300}, {"address_id", 18}, {"first_name", 50}, {"last_name", 50}, {"phone", 30},
		{"media_url", 2000}, {"crs", 10}} {
		if utf8.RuneCountInString(get(p.name)) > p.max {
			refuse(p.name, "不超过%d个字符", "is at most %d characters", p.max)
		}
	}
	// The key comes as the JSON API takes it: a parameter (idempotency_key,
	// an extension), or else the Idempotency-Key header.
	n := store.NewCase{IdempotencyKey: get("idempotency_key"), Source: civic.SourceAPI, Description: get("description"),
		Address: get("address_string"), CRS: store.WGS84}
	if n.IdempotencyKey == "" {
		n.IdempotencyKey = r.Header.Get("Idempotency-Key")
	}
	if n.IdempotencyKey == "" {
		n.IdempotencyKey = contentKey(r.Form, now)
	}
	code := get("service_code")
	cat, ok := byCode[code]
	switch {
	case refused["service_code"]:
	case code == "":
		refuse("service_code", "请提供服务代码", "is required")
	case !ok || !cat.Leaf || !cat.Active:
		refuse("service_code", "没有这项服务“%s”（见 services 列表）", "there is no service %q (see the services list)", code)
	case !cat.Accepted:
		refuse("service_code", "此类事项不予受理：%s", "this kind of request is not taken: %s", cat.NotAcceptedReason)
	default:
		n.CategoryCode = code
		if n.Description == "" {
			// Open311 lets the service say it all: "a streetlight is out".
			n.Title = cat.Name
		}
	}
	if m := get("media_url"); m != "" && !refused["media_url"] {
		// The link's line must fit beside the description in the store's
		// limit; said here, since the store would blame the description
		// the client kept within it.
		withLink := strings.TrimSpace(n.Description + "\n\n" + mediaLabel + m)
		switch {
		case !isWebLink(m):
			refuse("media_url", "应为 http 或 https 网址", "must be an http or https address")
		case utf8.RuneCountInString(n.Description) <= store.MaxDescription && utf8.RuneCountInString(withLink) > store.MaxDescription:
			refuse("media_url", "附件链接保存在问题描述末尾，二者合计不超过%d个字符；请缩短 description",
				"the link is kept at the end of the description, and the two together are at most %d characters: shorten the description", store.MaxDescription)
		default:
			n.Description = withLink
		}
	}
	switch crs := strings.ToLower(get("crs")); {
	case refused["crs"], crs == "", crs == string(store.WGS84):
	case crs == string(store.GCJ02):
		n.CRS = store.GCJ02
	default:
		refuse("crs", "坐标系应为 wgs84 或 gcj02", "the coordinate system must be wgs84 or gcj02")
	}
	lat, long := get("lat"), get("long")
	switch {
	case lat != "" && long != "":
		la, err1 := civic.ParseNumber(lat)
		lo, err2 := civic.ParseNumber(long)
		if err1 != nil || !civic.InRange(la, -90, 90) {
			refuse("lat", "纬度应为 -90 到 90 之间的数字", "the latitude must be a number from -90 to 90")
		}
		if err2 != nil || !civic.InRange(lo, -180, 180) {
			refuse("long", "经度应为 -180 到 180 之间的数字", "the longitude must be a number from -180 to 180")
		}
		n.HasLocation, n.Lat, n.Lng = true, la, lo
	case lat != "" || long != "":
		refuse("lat/long", "请同时提供纬度 lat 和经度 long", "give both lat and long")
	case refused["address_id"]:
	case get("address_id") != "":
		n.RegionCode = get("address_id")
	case n.Address != "" && act.Can(civic.PermCaseRead) && act.Scope.RegionCode != "":
		n.RegionCode = act.Scope.RegionCode
	default:
		refuse("lat/long", "请提供纬度 lat 和经度 long（WGS-84），或用 address_id 写明区域代码",
			"give lat and long (WGS-84), or a region code as address_id")
	}
	n.ReporterName = reporterName(get("first_name"), get("last_name"))
	if p := get("phone"); p != "" && !refused["phone"] {
		if norm, fe := civic.NormalizePhone(p); fe != nil {
			refuse("phone", "联系电话格式不正确", "the phone number is not valid")
		} else {
			n.ReporterPhone = norm
		}
	}
	if len(fs) > 0 {
		return n, civic.Invalid(fs...)
	}
	return n, nil
}

// contentKey is the idempotency key of a request that brings none: the
// China day and every parameter but the key, the api_key and the reply
// language. GeoReport v2 has no
// idempotency key, and real clients retry a POST whose answer they did not
// get (FixMyStreet resends a failed report every few minutes), which would
// file the complaint twice. The store keys it by account, so the same words
// from another account are another report; the day bounds it, so the same
// pothole reported again tomorrow is a new case. Values cannot hold NUL
// (readForm refuses controls), so NUL separates them unambiguously.
func contentKey(form url.Values, now time.Time) string {
	names := make([]string, 0, len(form))
	for k := range form {
		if k != "api_key" && k != "idempotency_key" && k != "lang" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	h := sha256.New()
	for _, k := range names {
		for _, v := range form[k] {
			h.Write([]byte(k + "\x00" + v + "\x00"))
		}
	}
	return "open311-" + now.In(civic.ChinaTime).Format("20060102") + "-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// reporterName is the reporter's name as a case keeps it: the two halves
// joined, clipped (with an ellipsis) when the join outgrows the store's
// limit. Each half may have 50 characters, as in the report form, and two
// Latin halves of 50 make 101 with their space: the specification sets no
// limit, so a client sending such a name is not refused for what the
// server adds; the clip costs the last two characters of the family name,
// and the ellipsis shows staff that it was cut.
func reporterName(first, last string) string {
	name := personName(first, last)
	if utf8.RuneCountInString(name) > store.MaxReporterName {
		name = civic.Clip(name, store.MaxReporterName-1)
	}
	return name
}

// personName joins a given and a family name: family name first and no
// space for a Chinese name (王 + 小明 → 王小明), given name first
// otherwise.
func personName(first, last string) string {
	switch {
	case first == "":
		return last
	case last == "":
		return first
	case strings.ContainsFunc(first+last, func(r rune) bool { return unicode.Is(unicode.Han, r) }):
		return last + first
	}
	return first + " " + last
}

func isWebLink(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, " \t\r\n")
}

// listRequests lists the cases the account may see, as the JSON API's case
// list does: service_request_id picks cases and overrides every other
// filter; otherwise service_code, status, start_date and end_date narrow
// the last 90 days, newest first. page and page_size take one page of
// either, at most 1000 requests.
func (h *Handler) listRequests(w http.ResponseWriter, r *http.Request, c *call) error {
	act, err := h.authenticate(r, c)
	if err != nil {
		return err
	}
	ctx := r.Context()
	q := r.URL.Query()
	page, err := pageParams(q)
	if err != nil {
		return err
	}
	var cases []civic.Case
	var total int
	if ids := splitList(q.Get("service_request_id")); len(ids) > 0 {
		if len(ids) > maxRefs {
			return invalidParam("service_request_id", "一次最多查询%d个", "at most %d at once", maxRefs)
		}
		if cases, err = h.casesByRef(ctx, act, ids); err != nil {
			return err
		}
		// Paged too, so that a client reading pages until one comes back
		// short stops here as well.
		total = len(cases)
		cases = cases[min(page.Offset, len(cases)):min(page.Offset+page.Limit, len(cases))]
	} else {
		f, err := listFilter(q, h.store.Now())
		if err != nil {
			return err
		}
		f.Page = page
		if cases, total, err = h.store.ListCases(ctx, act, f); err != nil {
			return err
		}
	}
	pageHeaders(w.Header(), r.URL, page, total)
	return h.writeRequests(w, r, c, act, cases, http.StatusOK)
}

// pageHeaders tells a client how many requests the list holds
// (X-Total-Count) and, while pages remain, where the next one is (Link,
// rel="next", RFC 8288): the same query with page one further and without
// api_key, which a header should not repeat (proxies log headers); the
// client sends its key again as it did.
func pageHeaders(h http.Header, u *url.URL, page store.Page, total int) {
	h.Set("X-Total-Count", strconv.Itoa(total))
	next := page.Offset/page.Limit + 2
	if page.Offset+page.Limit >= total || next > maxPage {
		return
	}
	q := u.Query()
	q.Del("api_key")
	q.Set("page", strconv.Itoa(next))
	q.Set("page_size", strconv.Itoa(page.Limit))
	h.Set("Link", "<"+u.Path+"?"+q.Encode()+`>; rel="next"`)
}

// pageParams reads page (from 1) and page_size (1 to 1000, by default
// 1000, the cap before paging) into the page they name.
func pageParams(q url.Values) (store.Page, error) {
	num := func(name string, def, most int) (int, error) {
		s := strings.TrimSpace(q.Get(name))
		if s == "" {
			return def, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > most {
			return 0, invalidParam(name, "应为 1 到 %d 之间的整数", "must be a whole number from 1 to %d", most)
		}
		return n, nil
	}
	page, err := num("page", 1, maxPage)
	if err != nil {
		return store.Page{}, err
	}
	size, err := num("page_size", maxPageSize, maxPageSize)
	if err != nil {
		return store.Page{}, err
	}
	return store.Page{Limit: size, Offset: (page - 1) * size}, nil
}

// getRequest shows one case the account may see, as a list of one.
func (h *Handler) getRequest(w http.ResponseWriter, r *http.Request, c *call) error {
	act, err := h.authenticate(r, c)
	if err != nil {
		return err
	}
	ref := pathValue(r, "id")
	cs, err := h.caseByRef(r.Context(), act, ref)
	if civic.ErrorCodeOf(err) == civic.ENotFound {
		// Named as the client named it, not by the ID inside a number.
		return civic.NotFound("服务请求 "+civic.Clip(ref, 20), "service request "+civic.Clip(ref, 20))
	}
	if err != nil {
		return err
	}
	return h.writeRequests(w, r, c, act, []civic.Case{cs}, http.StatusOK)
}

// token answers GET tokens/{token_id}, which GeoReport v2 offers for
// servers that answer a POST with a token before the request exists.
// civicgrid never does: every service is realtime and a POST answers with
// the service_request_id itself, so no token can be known, and saying why
// tells a client that asks anyway where the ID already is. It needs no
// key, as it reveals nothing.
func (h *Handler) token(_ http.ResponseWriter, r *http.Request, _ *call) error {
	tok := civic.Clip(pathValue(r, "token"), 40)
	return civic.Errorf(civic.ENotFound, "没有令牌“%s”：本系统从不发放令牌，提交请求（POST requests）的应答中已有 service_request_id",
		"no token %q: civicgrid never issues tokens; the answer to POST requests already holds the service_request_id", tok)
}

// caseByRef reads a case by its number (what service_request_id holds) or
// its ID, with the account's rights: a case out of its sight is not found.
func (h *Handler) caseByRef(ctx context.Context, act civic.Actor, ref string) (civic.Case, error) {
	if _, _, ok := civic.ParseCaseNumber(ref); ok {
		return h.store.GetCaseByNumber(ctx, act, ref)
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		return h.store.GetCase(ctx, act, id)
	}
	return civic.Case{}, civic.NotFound("服务请求", "service request")
}

// casesByRef reads the cases that refs name, as caseByRef reads each, in
// the order named and each once, leaving out those not found: one read of
// the store for all of them, not one per reference.
func (h *Handler) casesByRef(ctx context.Context, act civic.Actor, refs []string) ([]civic.Case, error) {
	ids := make([]int64, len(refs)) // 0: names no case
	dates := make([]string, len(refs))
	var named []int64
	for i, ref := range refs {
		if id, date, ok := civic.ParseCaseNumber(ref); ok {
			ids[i], dates[i] = id, date
		} else if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
			ids[i] = id
		}
		if ids[i] != 0 {
			named = append(named, ids[i])
		}
	}
	found, err := h.store.GetCases(ctx, act, named)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]civic.Case, len(found))
	for _, cs := range found {
		byID[cs.ID] = cs
	}
	var out []civic.Case
	seen := map[int64]bool{}
	for i, id := range ids {
		cs, ok := byID[id]
		// A number's date must match too, as GetCaseByNumber checks, so
		// that numbers cannot be guessed from IDs alone.
		if !ok || seen[id] || !strings.HasPrefix(cs.Number, dates[i]) {
			continue
		}
		seen[id] = true
		out = append(out, cs)
	}
	return out, nil
}

// openStates are the states Open311 calls open: someone still has to act
// before the work is done. A closed case (结案, waiting for the return
// visit) is done, and closed; a reopening makes it open again.
var openStates = []civic.CaseState{civic.StateReported, civic.StateAccepted, civic.StateDispatched, civic.StateInProgress, civic.StateHandled}

func statusOf311(s civic.CaseState) string {
	for _, o := range openStates {
		if s == o {
			return "open"
		}
	}
	return "closed"
}

// listFilter reads the list's query into a case filter: newest first, by
// creation time and then ID, a total order, so that the same query gives
// the same pages.
func listFilter(q url.Values, now time.Time) (store.CaseFilter, error) {
	f := store.CaseFilter{Newest: true}
	open, closed := false, false
	for _, s := range splitList(q.Get("status")) {
		switch strings.ToLower(s) {
		case "open":
			open = true
		case "closed":
			closed = true
		default:
			return f, invalidParam("status", "应为 open 或 closed", "must be open or closed")
		}
	}
	if open != closed {
		for _, s := range civic.CaseStates {
			if (statusOf311(s) == "open") == open {
				f.States = append(f.States, s)
			}
		}
	}
	codes := splitList(q.Get("service_code"))
	if len(codes) > maxCodes {
		return f, invalidParam("service_code", "一次最多查询%d个", "at most %d at once", maxCodes)
	}
	for _, code := range codes {
		if !civic.ValidCategoryCode(code) {
			return f, invalidParam("service_code", "“%s”不是服务代码", "%q is not a service code", civic.Clip(code, 20))
		}
	}
	start, err := dateParam(q, "start_date", false)
	if err != nil {
		return f, err
	}
	end, err := dateParam(q, "end_date", true)
	if err != nil {
		return f, err
	}
	switch {
	case start.IsZero() && end.IsZero():
		start, end = now.Add(-window), now.Add(time.Microsecond)
	case start.IsZero():
		start = end.Add(-window)
	case end.IsZero():
		end = start.Add(window)
	}
	if !end.After(start) {
		return f, invalidParam("end_date", "应晚于 start_date", "must be after start_date")
	}
	// end is exclusive by then: one microsecond past the last included.
	if end.Sub(start) > window+time.Microsecond {
		return f, invalidParam("end_date", "查询时间范围不能超过90天", "the dates may span at most 90 days")
	}
	f.From, f.To = start, end
	f.CategoryCodes = codes
	return f, nil
}

// w3cLayouts are the W3C date-times (the note GeoReport v2 cites) with a
// time of day: to the minute or the second (a fraction is read with the
// seconds), and the zone as Z or ±hh:mm — or ±hhmm, which some clients'
// date libraries write.
var w3cLayouts = []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z0700"}

// dateParam reads a W3C date-time (2026-03-01T08:00:00+08:00, or Z; the T
// and Z in either case) or a date (2026-03-01, a day in China time). An
// end is exclusive inside and inclusive outside: end_date names the last
// moment or day to include. A "+" the client left unencoded arrives as a
// space and is put back. A date-time without its zone is refused, as the
// specification requires one: read as China time it would be eight hours
// off for a client that meant UTC.
func dateParam(q url.Values, name string, end bool) (time.Time, error) {
	s := strings.ToUpper(strings.TrimSpace(q.Get(name)))
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range w3cLayouts {
		if t, err := time.Parse(layout, strings.Replace(s, " ", "+", 1)); err == nil && civic.PlausibleYear(t) {
			if end {
				t = t.Add(time.Microsecond)
			}
			return t, nil
		}
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, civic.ChinaTime); err == nil && civic.PlausibleYear(t) {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if _, err := time.Parse(layout, s); err == nil {
			return time.Time{}, invalidParam(name, "请写明时区，如 2026-03-01T08:00:00+08:00，或以 Z 结尾表示 UTC",
				"give the time zone, as in 2026-03-01T08:00:00+08:00, or end with Z for UTC")
		}
	}
	return time.Time{}, invalidParam(name, "应为 W3C 日期时间，如 2026-03-01T00:00:00+08:00", "must be a W3C date-time such as 2026-03-01T00:00:00+08:00")
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// writeRequests renders cases. Their text is as the store returned it for
// this account, masked as the JSON API shows it.
func (h *Handler) writeRequests(w http.ResponseWriter, r *http.Request, c *call, act civic.Actor, cases []civic.Case, status int) error {
	byCode, _, err := h.catalogue(r, act)
	if err != nil {
		return err
	}
	// Where a merged case went, if the account may see that case too: all
	// of them in one read.
	var intoIDs []int64
	for _, cs := range cases {
		if cs.State == civic.StateMerged && cs.MergedInto != 0 {
			intoIDs = append(intoIDs, cs.MergedInto)
		}
	}
	found, err := h.store.GetCases(r.Context(), act, intoIDs)
	if err != nil {
		return err
	}
	into := map[int64]string{}
	for _, cs := range found {
		into[cs.ID] = cs.Number
	}
	l := requestList{}
	for _, cs := range cases {
		sr := requestOf(cs, byCode, c.lang)
		if number, ok := into[cs.MergedInto]; ok && cs.State == civic.StateMerged {
			sr.StatusNotes += civic.T("：并入 ", ": into ").In(c.lang) + number
		}
		l.Requests = append(l.Requests, sr)
	}
	write(w, c.format, status, l)
	return nil
}

// requestOf maps a case to a service request (docs/OPEN311.md).
func requestOf(cs civic.Case, byCode map[string]civic.Category, lang string) serviceRequest {
	sr := serviceRequest{
		ID:          cs.Number,
		Status:      statusOf311(cs.State),
		StatusNotes: cs.State.Label().In(lang),
		ServiceCode: cs.CategoryCode,
		ServiceName: cs.CategoryName,
		Agency:      cs.HandlerName,
		Notice:      notice(cs, lang),
		Requested:   datetime(cs.CreatedAt),
		Updated:     datetime(cs.UpdatedAt),
		Address:     cs.Address,
		AddressID:   cs.RegionCode,
	}
	if cat, ok := byCode[cs.CategoryCode]; ok {
		sr.ServiceName = cat.Label(lang)
	}
	sr.Description, sr.MediaURL = splitMedia(cs.Description)
	switch {
	case sr.Description == "":
		sr.Description = cs.Title
	case !strings.Contains(sr.Description, cs.Title):
		sr.Description = cs.Title + "\n" + sr.Description
	}
	if sr.Status == "open" {
		sr.Expected = optDatetime(cs.CompleteDue)
	}
	if cs.HasLocation {
		lat, long := coord(cs.Lat), coord(cs.Lng)
		sr.Lat, sr.Long = &lat, &long
	}
	return sr
}

// splitMedia takes back the media_url line a POST added to the end of a
// description.
func splitMedia(desc string) (string, string) {
	i := strings.LastIndex(desc, mediaLabel)
	if i < 0 || (i > 0 && !strings.HasSuffix(desc[:i], "\n")) {
		return desc, ""
	}
	link := desc[i+len(mediaLabel):]
	if !isWebLink(link) {
		return desc, ""
	}
	return strings.TrimSpace(desc[:i]), link
}

// notice tells what happens next: who it was assigned to, or that it
// waits for a dispatcher.
func notice(cs civic.Case, lang string) string {
	switch cs.State {
	case civic.StateReported, civic.StateAccepted:
		return civic.T("已收到，等待派单", "received; waiting to be assigned").In(lang)
	case civic.StateDispatched, civic.StateInProgress, civic.StateHandled:
		if cs.HandlerName != "" {
			return civic.T("已派发至"+cs.HandlerName+"办理", "assigned to "+cs.HandlerName).In(lang)
		}
	}
	return ""
}
