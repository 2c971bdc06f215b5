package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/calendar"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// calendarPage shows one year of the working calendar — its holidays and
// make-up working days (调休) — and lets city-wide administrators replace it
// from the file format or return to the built-in official schedule.
type calendarPage struct {
	Page
	Year     int
	Years    []int
	Cal      store.CalendarYear
	JSON     string
	Errs     FormErrors
	CanWrite bool
}

func (h *Web) calendarPage(w http.ResponseWriter, r *http.Request, c *rq, year int, text string, errs FormErrors, status int) error {
	y, err := h.store.GetCalendarYear(r.Context(), c.Actor, year)
	if err != nil {
		return err
	}
	p := calendarPage{Page: h.base(w, c, "calendar.title", "/calendar"), Year: year, Cal: y, Errs: errs,
		CanWrite: c.Actor.MustCityWide(civic.PermCalendarWrite) == nil}
	now := civic.Today(h.store.Now())
	this, _ := strconv.Atoi(now[:4])
	for v := this - 1; v <= this+1; v++ {
		p.Years = append(p.Years, v)
	}
	p.JSON = text
	if p.JSON == "" {
		b, _ := json.MarshalIndent(y.Year, "", "  ")
		p.JSON = string(b)
	}
	h.render(w, c, status, "calendar", p)
	return nil
}

func yearParam(s string, def int) int {
	if y, err := strconv.Atoi(s); err == nil && y >= calendar.MinYear && y <= calendar.MaxYear {
		return y
	}
	return def
}

func (h *Web) calendarView(w http.ResponseWriter, r *http.Request, c *rq) error {
	this, _ := strconv.Atoi(civic.Today(h.store.Now())[:4])
	return h.calendarPage(w, r, c, yearParam(r.URL.Query().Get("year"), this), "", FormErrors{}, http.StatusOK)
}

func (h *Web) calendarSave(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	year := yearParam(r.PathValue("year"), 0)
	if year == 0 {
		return civic.NotFound("年份", "year")
	}
	text := r.PostFormValue("json")
	y, err := calendar.ParseYear(strings.NewReader(text))
	if err != nil {
		// A parse error of the file is the user's input, not ours; errors
		// of the save below are the store's own and keep their code.
		err = civic.Invalid(civic.FieldError{Field: "json", Msg: calendarProblems(err)})
	} else if y.Year != year {
		err = civic.Invalid(civic.FieldErr("json", "文件中的年份与所选年份不同", "the file's year differs from the year chosen"))
	} else {
		err = h.store.PutCalendarYear(r.Context(), c.Actor, y)
	}
	if err != nil {
		fe, ferr := formErrors(err, c.Lang, "json")
		if ferr != nil {
			return ferr
		}
		return h.calendarPage(w, r, c, year, text, fe, fe.status)
	}
	h.flash(w, "flash.saved")
	redirect(w, r, "/calendar?year="+strconv.Itoa(year))
	return nil
}

func (h *Web) calendarReset(w http.ResponseWriter, r *http.Request, c *rq) error {
	year := yearParam(r.PathValue("year"), 0)
	if err := h.store.DeleteCalendarYear(r.Context(), c.Actor, year); err != nil && civic.ErrorCodeOf(err) != civic.ENotFound {
		return err
	}
	h.flash(w, "flash.saved")
	redirect(w, r, "/calendar?year="+strconv.Itoa(year))
	return nil
}

// calendarProblems says in both languages what is wrong with a calendar
// text: each problem the calendar package found, with the field it is in.
func calendarProblems(err error) civic.Text {
	zh, en := []string{}, []string{}
	var ve *calendar.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			at := ""
			if p.Field != "" {
				at = p.Field + ": "
			}
			zh, en = append(zh, at+p.ZH), append(en, at+p.EN)
		}
	}
	if len(zh) == 0 {
		return civic.T("日历格式有误", "the calendar is not valid")
	}
	return civic.T("日历格式有误："+strings.Join(zh, "；"), "the calendar is not valid: "+strings.Join(en, "; "))
}
