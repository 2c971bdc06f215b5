package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
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
	// Unknown API paths answer in JSON like every other API error.
	mux.Handle("/api/", a.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return civic.Errorf(civic.ENotFound, "没有这个接口：%s %s", "no such endpoint: %s %s", r.Method, r.URL.Path)
	}))
}

func (a *API) wrap(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	dec := json.NewDecoder(io.LimitReader(r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return civic.Invalid(civic.FieldErr(te.Field, "类型不正确，应为 %s", "wrong type, expected %s", te.Type.String()))
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return civic.Errorf(civic.EInvalid, "请求内容不是有效的 JSON", "the request body is not valid JSON")
		}
		return civic.Errorf(civic.EInvalid, "请求内容无法读取：%v", "the request body cannot be read: %v", err)
	}
	return nil
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
