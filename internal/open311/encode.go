package open311

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
)

// format is a response format, named as the path's extension names it.
type format string

const (
	formatJSON format = "json"
	formatXML  format = "xml"
)

var formats = []format{formatJSON, formatXML}

// formatOf reads the format a path ends with, in any case (.JSON, .Xml):
// some clients write the extension in capitals. A path without a known
// one is answered in JSON.
func formatOf(path string) (format, bool) {
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return formatJSON, false
	}
	for _, f := range formats {
		if strings.EqualFold(path[i+1:], string(f)) {
			return f, true
		}
	}
	return formatJSON, false
}

// lowerFormat is path with its format extension in lower case, the case
// the routes are registered in; false when the extension is no format or
// already lower case.
func lowerFormat(path string) (string, bool) {
	f, ok := formatOf(path)
	if !ok || strings.HasSuffix(path, "."+string(f)) {
		return "", false
	}
	return path[:strings.LastIndexByte(path, '.')+1] + string(f), true
}

// write renders v: JSON as it is (the specification's arrays and objects),
// XML through its xml tags under the XML declaration.
func write(w http.ResponseWriter, f format, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	if f == formatXML {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(xml.Header))
		enc := xml.NewEncoder(w)
		_ = enc.Encode(v)
		_ = enc.Close()
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// Each response type below marshals to the specification's JSON through its
// MarshalJSON (a bare array where the XML has a wrapping element) and to
// its XML through the xml tags.

// apiError is one entry of an error response: the HTTP status as code and
// a description in the caller's language.
type apiError struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

type errorList struct {
	XMLName xml.Name   `json:"-" xml:"errors"`
	Errors  []apiError `xml:"error"`
}

func (l errorList) MarshalJSON() ([]byte, error) { return marshalJSON(nonNil(l.Errors)) }

// statusOf is the server's one status table (auth.StatusOf) as Open311
// clients expect it: 400 for bad input, not 422, and 403 for a missing or
// bad api_key, not 401.
func statusOf(code civic.ErrorCode) int {
	switch s := auth.StatusOf(code); s {
	case http.StatusUnprocessableEntity:
		return http.StatusBadRequest
	case http.StatusUnauthorized:
		return http.StatusForbidden
	default:
		return s
	}
}

// fail renders err; the cause of a server error goes to the log only.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, c *call, err error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		h.writeError(w, c, http.StatusRequestEntityTooLarge, civic.Errorf(civic.EInvalid,
			"请求内容过大（上限 %d KB）", "the request body is too large (at most %d KB)", maxBody>>10))
		return
	}
	e := civic.AsError(err)
	status := statusOf(e.Code)
	auth.SetRetryAfter(w.Header(), e)
	if status >= 500 {
		h.log.ErrorContext(r.Context(), "open311 error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	h.writeError(w, c, status, e)
}

// writeError renders one error per refused field (named as Open311 names
// the parameter), or the error's message when no field is named.
func (h *Handler) writeError(w http.ResponseWriter, c *call, status int, e *civic.Error) {
	var l errorList
	for _, fe := range e.Fields {
		l.Errors = append(l.Errors, apiError{Code: status, Description: paramName(fe.Field) + fieldSep(c.lang) + fe.Msg.In(c.lang)})
	}
	if len(l.Errors) == 0 {
		l.Errors = []apiError{{Code: status, Description: e.Msg.In(c.lang)}}
	}
	write(w, c.format, status, l)
}

// Refuse answers, in the specification's error format, a request the
// server turns away before any handler (text that is not UTF-8, a
// cross-origin write): the format from the path, JSON if it names none.
func Refuse(w http.ResponseWriter, r *http.Request, status int, msg civic.Text) {
	f, _ := formatOf(r.URL.Path)
	text := msg.In(auth.RequestLang(r))
	write(w, f, status, errorList{Errors: []apiError{{Code: status, Description: text}}})
}

func fieldSep(lang string) string {
	if lang == "en" {
		return ": "
	}
	return "："
}

// paramName names a store field as the Open311 parameter that fed it.
func paramName(field string) string {
	switch field {
	case "category_code":
		return "service_code"
	case "title":
		return "description"
	case "location":
		return "lat/long"
	case "region_code":
		return "address_id"
	case "reporter_phone":
		return "phone"
	case "reporter_name":
		return "first_name/last_name"
	case "idempotency_key":
		return "Idempotency-Key"
	}
	return field
}

// invalidParam refuses one parameter.
func invalidParam(name, zh, en string, args ...any) error {
	return civic.Invalid(civic.FieldErr(name, zh, en, args...))
}

// marshalJSON is json.Marshal without HTML escaping (& stays &), as write
// encodes the rest.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// datetime writes a time as the specification asks (W3C, with the zone),
// in China time as the rest of civicgrid shows it.
func datetime(t time.Time) string { return t.In(civic.ChinaTime).Format(time.RFC3339) }

func optDatetime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := datetime(*t)
	return &s
}

// number writes a coordinate without exponent or trailing zeros.
func number(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
