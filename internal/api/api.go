package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/files"
	"github.com/civicgrid/civicgrid/internal/store"
)

// API serves /api/v1.
type API struct {
	store   *store.Store
	auth    *auth.Auth
	loc     *store.Locator
	intake  *store.Intake
	files   *files.Store
	log     *slog.Logger
	version string
}

// Config wires an API.
type Config struct {
	Store   *store.Store
	Auth    *auth.Auth
	Locator *store.Locator
	// Intake files cases with group commit; nil makes one that lives as
	// long as the process.
	Intake *store.Intake
	// Files keeps case photos; nil turns photo uploads off.
	Files   *files.Store
	Log     *slog.Logger
	Version string
}

// New builds the API.
func New(c Config) *API {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Locator == nil {
		c.Locator = c.Store.NewLocator(5 * time.Second)
	}
	if c.Intake == nil {
		c.Intake = c.Store.NewIntake(c.Locator)
	}
	return &API{store: c.Store, auth: c.Auth, loc: c.Locator, intake: c.Intake, files: c.Files, log: c.Log, version: c.Version}
}

// handlerFunc is a handler that returns its error for one place to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// Register adds every route to mux.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.routes() {
		mux.Handle(rt.Method+" "+rt.Path, a.wrap(rt.Handler))
	}
	// Unknown API paths answer in JSON like every other API error; a
	// path that exists under other methods answers 405 with Allow.
	mux.Handle("/api/", a.wrap(func(w http.ResponseWriter, r *http.Request) error {
		if allow := auth.AllowedMethods(mux, r, "/api/"); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			return civic.Errorf(civic.EMethod, "该接口不支持 %s 方法，可用：%s", "%s is not allowed here; use %s", r.Method, strings.Join(allow, ", "))
		}
		return civic.Errorf(civic.ENotFound, "没有这个接口：%s %s", "no such endpoint: %s %s", r.Method, r.URL.Path)
	}))
}

func (a *API) wrap(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name, ok := auth.QueryControlChar(r); ok {
			a.writeError(w, r, civic.Invalid(civic.FieldErr(name, "含有不可见的控制字符，请删除后重试", "contains an invisible control character; remove it and try again")))
			return
		}
		if err := normaliseQuery(r); err != nil {
			a.writeError(w, r, err)
			return
		}
		if err := h(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
}

type errorBody struct {
	Error struct {
		Code    civic.ErrorCode    `json:"code"`
		Message string             `json:"message"`
		Fields  []fieldErrorOutput `json:"fields,omitempty"`
	} `json:"error"`
}

type fieldErrorOutput struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := civic.AsError(err)
	status := auth.StatusOf(e.Code)
	if status >= 500 {
		a.log.ErrorContext(r.Context(), "api error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	lang := auth.Lang(r.Context())
	var body errorBody
	body.Error.Code = e.Code
	body.Error.Message = e.Msg.In(lang)
	for _, f := range e.Fields {
		body.Error.Fields = append(body.Error.Fields, fieldErrorOutput{Field: f.Field, Message: f.Msg.In(lang)})
	}
	auth.SetRetryAfter(w.Header(), e)
	if status == http.StatusUnauthorized {
		// RFC 9110 §11.6.1: a 401 names the scheme that would be accepted.
		w.Header().Set("WWW-Authenticate", `Bearer realm="civicgrid"`)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// list is the envelope of every list response.
type list[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

func newList[T any](items []T, total int, p store.Page) list[T] {
	if items == nil {
		items = []T{}
	}
	if p.Limit <= 0 {
		p.Limit = 50
	}
	return list[T]{Items: items, Total: total, Limit: p.Limit, Offset: p.Offset}
}

// maxBody bounds request bodies; a region file may be large.
const maxBody, maxImportBody = 1 << 20, 64 << 20

// decode reads a JSON body strictly: unknown fields are an error so that a
// typo does not silently do nothing.
func decode(r *http.Request, v any) error { return decodeLimit(r, v, maxBody) }

// decodeLimit is decode for bodies that may hold up to limit bytes.
func decodeLimit(r *http.Request, v any, limit int64) error {
	// One byte over the limit tells a body that is too large from one
	// that is exactly the limit.
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return civic.Errorf(civic.EInvalid, "请求内容无法读取", "the request body cannot be read")
	}
	if int64(len(body)) > limit {
		return civic.Errorf(civic.EInvalid, "请求内容过大（上限 %d KB）", "the request body is too large (at most %d KB)", limit>>10)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return civic.Errorf(civic.EInvalid, "请求内容在 JSON 之后还有多余内容", "the request body has more after its JSON value")
	}
	if field, ok := controlChar(reflect.ValueOf(v), ""); ok {
		return civic.Invalid(civic.FieldErr(field, "含有不可见的控制字符，请删除后重试", "contains an invisible control character; remove it and try again"))
	}
	return nil
}

// flagParams are the query parameters that switch a filter on or off.
var flagParams = []string{"overdue", "mine", "ended", "unstaffed", "unread", "unlinked", "plain", "current", "active", "due"}

// normaliseQuery reads each flag as true or false (1, 0, TRUE and the
// like included) and writes it back as "true" or "false", so that the
// handlers' test for "true" sees what the caller meant; any other value
// is refused rather than read as "off", which would silently widen a list.
// A format other than json, csv or xlsx is refused too: each list takes
// some of these, none another.
func normaliseQuery(r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	q := r.URL.Query()
	if f := q.Get("format"); f != "" && f != "json" && f != "csv" && f != "xlsx" {
		return civic.Invalid(civic.FieldErr("format", "format 应为 json、csv 或 xlsx", "format must be json, csv or xlsx"))
	}
	changed := false
	for _, name := range flagParams {
		vs, ok := q[name]
		if !ok {
			continue
		}
		for i, v := range vs {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			b, err := strconv.ParseBool(v)
			if err != nil {
				return civic.Invalid(civic.FieldErr(name, "应为 true 或 false", "must be true or false"))
			}
			vs[i] = strconv.FormatBool(b)
		}
		changed = true
	}
	if changed {
		r.URL.RawQuery = q.Encode()
	}
	return nil
}

// jsonError turns a decoding error into a message for the user: what was
// wrong and where, in words, never Go's names for types.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	switch {
	case errors.As(err, &te):
		k := civic.JSONKind(te.Type)
		zh, en := k.ZH, k.EN
		if te.Field == "" {
			return civic.Errorf(civic.EInvalid, "请求内容应为一个%[1]s", "the request body must be %[2]s", zh, en)
		}
		return civic.Invalid(civic.FieldErr(te.Field, "类型不正确，应为%[1]s", "wrong type, expected %[2]s", zh, en))
	case errors.As(err, &pe):
		return civic.Errorf(civic.EInvalid, "时间格式不正确，应如 2025-03-01T10:00:00+08:00", "a time is not valid; write it as 2025-03-01T10:00:00+08:00")
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return civic.Errorf(civic.EInvalid, "请求内容不是有效的 JSON", "the request body is not valid JSON")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return civic.Invalid(civic.FieldErr(name, "没有这个字段", "there is no such field"))
	}
	if strings.Contains(err.Error(), "Time.UnmarshalJSON") {
		return civic.Errorf(civic.EInvalid, "时间应为文字，如 \"2025-03-01T10:00:00+08:00\"", "a time must be a string such as \"2025-03-01T10:00:00+08:00\"")
	}
	return civic.Errorf(civic.EInvalid, "请求内容无法读取", "the request body cannot be read")
}

// controlChar finds a string in a decoded value holding a control
// character other than tab, line feed and carriage return — NUL above all,
// which PostgreSQL refuses in text — and names its field as JSON does.
func controlChar(v reflect.Value, path string) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", false
		}
		return controlChar(v.Elem(), path)
	case reflect.String:
		return path, civic.HasInvisibleControl(v.String())
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if f.Anonymous && f.Tag.Get("json") == "" {
				name = "" // embedded: its fields are the parent's
			}
			if p, ok := controlChar(v.Field(i), joinPath(path, name)); ok {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return "", false // raw bytes (json.RawMessage)
		}
		for i := 0; i < v.Len(); i++ {
			if p, ok := controlChar(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			k := fmt.Sprint(it.Key().Interface())
			if p, ok := controlChar(it.Key(), joinPath(path, k)); ok {
				return p, true
			}
			if p, ok := controlChar(it.Value(), joinPath(path, k)); ok {
				return p, true
			}
		}
	}
	return "", false
}

func joinPath(path, name string) string {
	switch {
	case path == "":
		return name
	case name == "":
		return path
	}
	return path + "." + name
}

// crsParam reads a coordinate system: wgs84 (also when empty) or gcj02.
func crsParam(s string) (store.CRS, error) {
	switch crs := store.CRS(strings.ToLower(s)); crs {
	case "":
		return store.WGS84, nil
	case store.WGS84, store.GCJ02:
		return crs, nil
	}
	return "", civic.Invalid(civic.FieldErr("crs", "坐标系应为 wgs84 或 gcj02", "the coordinate system must be wgs84 or gcj02"))
}

// page reads limit and offset.
func page(r *http.Request) (store.Page, error) {
	q := r.URL.Query()
	var p store.Page
	var err error
	if s := q.Get("limit"); s != "" {
		if p.Limit, err = strconv.Atoi(s); err != nil || p.Limit < 1 || p.Limit > 10000 {
			return p, civic.Invalid(civic.FieldErr("limit", "limit 应为1到10000的整数", "limit must be an integer from 1 to 10000"))
		}
	}
	if s := q.Get("offset"); s != "" {
		if p.Offset, err = strconv.Atoi(s); err != nil || p.Offset < 0 {
			return p, civic.Invalid(civic.FieldErr("offset", "offset 应为非负整数", "offset must be a non-negative integer"))
		}
	}
	return p, nil
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, civic.NotFound(fmt.Sprintf("“%s”", r.PathValue("id")), fmt.Sprintf("%q", r.PathValue("id")))
	}
	return id, nil
}

// subtreeParam reads a region-code query parameter (?under=, ?parent=) and
// refuses a subtree the actor cannot see any of, so that a probe outside the
// scope is answered 404 rather than with an empty list. An ancestor of the
// scope is allowed: the answer is then the actor's own part of it.
func subtreeParam(r *http.Request, act civic.Actor, name string) (string, error) {
	code := r.URL.Query().Get(name)
	if code == "" || act.InScope(code) || civic.InSubtree(act.Scope.RegionCode, code) {
		return code, nil
	}
	return "", civic.NotFound("区域 "+code, "region "+code)
}

// pageOf describes an unpaged list of n items.
func pageOf(n int) store.Page { return store.Page{Limit: n} }
