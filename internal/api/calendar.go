package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/calendar"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// calendarYearOutput is a year as in effect. Every day of the year flagged
// would be large and repetitive; holidays, make-up days and the periods
// determine it, and working_days summarises it.
type calendarYearOutput struct {
	Year        int                  `json:"year"`
	Holidays    []calendar.Holiday   `json:"holidays"`
	Workdays    []calendar.Workday   `json:"workdays"`
	Periods     []calendar.Period    `json:"periods"`
	Source      store.CalendarSource `json:"source"`
	WorkingDays int                  `json:"working_days"`
	UpdatedAt   time.Time            `json:"updated_at,omitzero"`
	UpdatedBy   string               `json:"updated_by,omitempty"`
	Revision    int64                `json:"revision"`
}

func newCalendarYearOutput(y store.CalendarYear) calendarYearOutput {
	out := calendarYearOutput{Year: y.Year.Year, Holidays: y.Year.Holidays, Workdays: y.Year.Workdays, Periods: y.Periods,
		Source: y.Source, WorkingDays: y.WorkingDays, UpdatedAt: y.UpdatedAt, UpdatedBy: y.UpdatedBy, Revision: y.Revision}
	if out.Holidays == nil {
		out.Holidays = []calendar.Holiday{}
	}
	if out.Workdays == nil {
		out.Workdays = []calendar.Workday{}
	}
	return out
}

func pathYear(r *http.Request) (int, error) {
	y, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || y < calendar.MinYear || y > calendar.MaxYear {
		v := r.PathValue("year")
		return 0, civic.NotFound("“"+v+"”年的日历", "calendar of "+strconv.Quote(v))
	}
	return y, nil
}

func (a *API) getCalendarYear(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	year, err := pathYear(r)
	if err != nil {
		return err
	}
	y, err := a.store.GetCalendarYear(r.Context(), act, year)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newCalendarYearOutput(y))
	return nil
}

// putCalendarYear takes one year in the calendar file format; "year" may be
// left out and otherwise must match the path.
func (a *API) putCalendarYear(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	year, err := pathYear(r)
	if err != nil {
		return err
	}
	var y calendar.Year
	if err := decodeCalendar(r, &y); err != nil {
		return err
	}
	switch y.Year {
	case 0:
		y.Year = year
	case year:
	default:
		return civic.Invalid(civic.FieldErr("year", "正文中的年份 %d 与地址中的 %d 不符", "the body's year %d does not match %d in the path", y.Year, year))
	}
	if err := a.store.PutCalendarYear(r.Context(), act, y); err != nil {
		return err
	}
	out, err := a.store.GetCalendarYear(r.Context(), act, year)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newCalendarYearOutput(out))
	return nil
}

func (a *API) deleteCalendarYear(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	year, err := pathYear(r)
	if err != nil {
		return err
	}
	if err := a.store.DeleteCalendarYear(r.Context(), act, year); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type calendarPeriods struct {
	Periods  []calendar.Period `json:"periods"`
	Revision int64             `json:"revision,omitempty"`
}

func (a *API) putCalendarPeriods(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		Periods []calendar.Period `json:"periods"`
	}
	if err := decodeCalendar(r, &in); err != nil {
		return err
	}
	if err := a.store.PutWorkingPeriods(r.Context(), act, in.Periods); err != nil {
		return err
	}
	c, rev, err := a.store.ViewCalendar(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, calendarPeriods{Periods: c.EffectivePeriods(), Revision: rev})
	return nil
}

type deadlineOutput struct {
	Deadline time.Time `json:"deadline,omitzero"`
	// Elapsed is the budget used by ?now=, when given.
	Elapsed     *float64             `json:"elapsed,omitempty"`
	Revision    int64                `json:"revision"`
	Explanation calendar.Explanation `json:"explanation"`
}

// calendarDeadline computes a deadline on the effective calendar and shows
// how: ?start=RFC3339&amount=3&unit=work_days, optionally repeated
// ?pause=FROM/TO (TO empty while still paused) and ?now= for the budget used.
func (a *API) calendarDeadline(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var fields []civic.FieldError
	instant := func(name, v string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, v)
		switch {
		case err != nil:
			fields = append(fields, civic.FieldErr(name, "“%s”不是 RFC 3339 时间（如 2025-09-27T10:00:00+08:00）", "%q is not an RFC 3339 time (e.g. 2025-09-27T10:00:00+08:00)", v))
		case t.Year() < 1970 || t.Year() > 2200:
			// A clock runs on cases of this world: year 1 or 9999
			// would only overflow the working-day arithmetic.
			fields = append(fields, civic.FieldErr(name, "时间应在1970年到2200年之间", "the time must be between 1970 and 2200"))
		}
		return t
	}
	start := instant("start", q.Get("start"))
	b := calendar.Budget{Unit: calendar.Unit(q.Get("unit"))}
	if b.Amount, err = civic.ParseNumber(q.Get("amount")); err != nil || !(b.Amount >= 0 && b.Amount <= 10000) {
		fields = append(fields, civic.FieldErr("amount", "时限应为0到10000之间的数", "amount must be a number from 0 to 10000"))
	}
	if !b.Unit.Valid() {
		fields = append(fields, civic.FieldErr("unit", "单位应为 work_days、work_hours 或 hours", "unit must be work_days, work_hours or hours"))
	}
	var paused []calendar.Interval
	for _, p := range q["pause"] {
		from, to, _ := strings.Cut(p, "/")
		iv := calendar.Interval{From: instant("pause", from)}
		if to != "" {
			iv.To = instant("pause", to)
		}
		paused = append(paused, iv)
	}
	var now time.Time
	if v := q.Get("now"); v != "" {
		now = instant("now", v)
	}
	if len(fields) > 0 {
		return civic.Invalid(fields...)
	}
	c, rev, err := a.store.ViewCalendar(r.Context(), act)
	if err != nil {
		return err
	}
	ex := c.Explain(start, b, paused)
	out := deadlineOutput{Deadline: ex.Deadline, Revision: rev, Explanation: ex}
	if !now.IsZero() {
		e := c.Elapsed(start, now, b.Unit, paused)
		out.Elapsed = &e
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// decodeCalendar reads a JSON body in the calendar file format, keeping the
// calendar package's field-by-field problems instead of one generic message.
func decodeCalendar(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return civic.Errorf(civic.EInvalid, "请求内容无法读取", "the request body cannot be read")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	var ve *calendar.ValidationError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		return store.InvalidCalendar(err)
	case errors.As(err, &te), strings.HasPrefix(err.Error(), "json: unknown field"):
		return jsonError(err)
	}
	return civic.Errorf(civic.EInvalid, "请求内容不是有效的 JSON", "the request body is not valid JSON")
}
