package civic

import (
	"errors"
	"fmt"
	"reflect"
	"time"
)

// ErrorCode classifies an Error; the HTTP layers map each code to one status.
type ErrorCode string

const (
	EInvalid      ErrorCode = "invalid"
	ENotFound     ErrorCode = "not_found"
	EConflict     ErrorCode = "conflict"
	EForbidden    ErrorCode = "forbidden"
	EUnauthorized ErrorCode = "unauthorized"
	ETooMany      ErrorCode = "too_many_requests"
	EMethod       ErrorCode = "method_not_allowed"
	// EBusy: the database turned the write away every time it was tried
	// (PostgreSQL deadlocks or serialization failures, store.write): the
	// same request is likely to go through in a moment, and nothing of it
	// was kept.
	EBusy     ErrorCode = "busy"
	EInternal ErrorCode = "internal"
)

// Text is a message in both of the product's languages. Messages are written
// where the error is raised so that the two versions never drift apart.
type Text struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// T builds a Text.
func T(zh, en string) Text { return Text{ZH: zh, EN: en} }

// In returns the text for a language tag ("zh", "en"); Chinese is the default.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.ZH
}

// FieldError is one reason a submitted value was refused.
type FieldError struct {
	Field string `json:"field"`
	Msg   Text   `json:"message"`
}

// Error is the one application error type. Users see Msg (and Fields) in
// their language; logs get Err as well.
type Error struct {
	Code   ErrorCode
	Msg    Text
	Fields []FieldError
	Err    error
	// RetryAfter, for ETooMany, is when the limit lets the caller in
	// again, for EBusy when to try again (0: unknown); the API sends it
	// as Retry-After.
	RetryAfter time.Duration
}

// After sets RetryAfter and returns e.
func (e *Error) After(d time.Duration) *Error {
	e.RetryAfter = max(d, time.Second)
	return e
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Msg.EN
	for _, f := range e.Fields {
		s += "; " + f.Field + ": " + f.Msg.EN
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with a bilingual message; the format arguments are
// applied to both languages.
func Errorf(code ErrorCode, zh, en string, args ...any) *Error {
	return &Error{Code: code, Msg: T(fmt.Sprintf(zh, args...), fmt.Sprintf(en, args...))}
}

// Invalid returns an EInvalid error carrying field errors.
func Invalid(fields ...FieldError) *Error {
	return &Error{Code: EInvalid, Msg: T("提交的内容有误，请检查标出的字段", "Some fields are not valid"), Fields: fields}
}

// FieldErr builds a FieldError.
func FieldErr(field, zh, en string, args ...any) FieldError {
	return FieldError{Field: field, Msg: T(fmt.Sprintf(zh, args...), fmt.Sprintf(en, args...))}
}

// NotFound is what callers see both for missing records and for records
// outside their scope, so that scope cannot be probed.
func NotFound(zh, en string) *Error {
	return &Error{Code: ENotFound, Msg: T("未找到"+zh, en+" not found")}
}

// Forbidden refuses an action the actor's role does not allow.
func Forbidden() *Error {
	return Errorf(EForbidden, "您没有执行此操作的权限", "You are not allowed to do this")
}

// Busy is the EBusy error for a write the database kept aborting, with
// err, the last attempt's, for the log; the caller is told to try again
// in a second.
func Busy(err error) *Error {
	e := &Error{Code: EBusy, Msg: T("系统繁忙，本次提交未保存，请稍后重试", "The system is busy and nothing was saved; please try again in a moment"), Err: err}
	return e.After(time.Second)
}

// OutOfScope refuses a write that names a record outside the actor's scope.
// It is a Forbidden error that still says which field was refused.
func OutOfScope(field, zh, en string) *Error {
	e := Forbidden()
	e.Msg = T(zh, en)
	e.Fields = []FieldError{{Field: field, Msg: T(zh, en)}}
	return e
}

// ErrorCodeOf returns the code of the first *Error in err's chain, or
// EInternal for any other error, or "" for nil.
func ErrorCodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// AsError returns the *Error in err's chain, or a generic internal error.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: EInternal, Msg: T("系统内部错误，请稍后再试", "Internal error, please try again later"), Err: err}
}

// JSONKind names, in both languages, what JSON a Go type takes: the words
// a decoding error gives instead of Go's type names.
func JSONKind(t reflect.Type) Text {
	if t == reflect.TypeOf(time.Time{}) {
		return T("时间文字（如 2025-03-01T10:00:00+08:00）", "a time string (such as 2025-03-01T10:00:00+08:00)")
	}
	switch t.Kind() {
	case reflect.String:
		return T("文字", "a string")
	case reflect.Bool:
		return T("true 或 false", "true or false")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return T("整数", "an integer")
	case reflect.Float32, reflect.Float64:
		return T("数字", "a number")
	case reflect.Slice, reflect.Array:
		return T("数组", "an array")
	case reflect.Pointer:
		return JSONKind(t.Elem())
	}
	return T("对象", "an object")
}
