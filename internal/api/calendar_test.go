package api

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/calendar"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// calendarRoutes are the lines handed to the lead for routes.go. The test
// serves them on a mux of its own so that it passes before and after they
// are registered.
func calendarRoutes(a *API) []route {
	return []route{
		{"GET", "/api/v1/calendar/years/{year}", a.getCalendarYear},
		{"PUT", "/api/v1/calendar/years/{year}", a.putCalendarYear},
		{"DELETE", "/api/v1/calendar/years/{year}", a.deleteCalendarYear},
		{"PUT", "/api/v1/calendar/periods", a.putCalendarPeriods},
		{"GET", "/api/v1/calendar/deadline", a.calendarDeadline},
	}
}

func mustCalendarFixture(t *testing.T, s *store.Store, clock *testdb.Clock) *fixture {
	t.Helper()
	f := mustFixture(t, s, clock)
	authn := &auth.Auth{Store: s}
	a := New(Config{Store: s, Auth: authn})
	mux := http.NewServeMux()
	for _, rt := range calendarRoutes(a) {
		mux.Handle(rt.Method+" "+rt.Path, a.wrap(rt.Handler))
	}
	f.srv = httptest.NewServer(authn.Middleware(mux))
	t.Cleanup(f.srv.Close)
	return f
}

type errorOutput struct {
	Error struct {
		Code   string `json:"code"`
		Fields []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"fields"`
	} `json:"error"`
}

func TestCalendarAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustCalendarFixture(t, s, clock)
		admin, worker, staff, resident := f.admin, f.tokens[civic.RoleGridWorker], f.tokens[civic.RoleCommunityStaff], f.tokens[civic.RoleResident]
		year2027 := []byte(`{"holidays":[{"name":"国庆节","from":"2027-10-01","to":"2027-10-07"}],"workdays":["2027-10-09"]}`)
		tests := []struct {
			name   string
			method string
			path   string
			token  string
			body   any
			status int
			check  func(t *testing.T, r response)
		}{
			{"built-in year for a grid worker", "GET", "/api/v1/calendar/years/2025", worker, nil, 200, func(t *testing.T, r response) {
				var y calendarYearOutput
				r.decode(t, &y)
				if y.Year != 2025 || y.Source != store.CalendarBuiltin || len(y.Holidays) != 6 || len(y.Workdays) != 5 || len(y.Periods) != 2 || y.WorkingDays != 248 {
					t.Errorf("2025: %+v", y)
				}
				if !strings.Contains(string(r.Body), `{"start":"13:30","end":"18:00"}`) || !strings.Contains(string(r.Body), `{"date":"2025-09-28","for":"国庆节、中秋节"}`) {
					t.Errorf("body %s", r.Body)
				}
			}},
			{"no token", "GET", "/api/v1/calendar/years/2025", "", nil, 401, nil},
			{"resident may not read", "GET", "/api/v1/calendar/years/2025", resident, nil, 403, nil},
			{"not a year", "GET", "/api/v1/calendar/years/next", worker, nil, 404, nil},
			{"community staff may not edit", "PUT", "/api/v1/calendar/years/2027", staff, year2027, 403, nil},
			{"admin stores 2027", "PUT", "/api/v1/calendar/years/2027", admin, year2027, 200, func(t *testing.T, r response) {
				var y calendarYearOutput
				r.decode(t, &y)
				if y.Source != store.CalendarStored || y.UpdatedBy != "cityadmin" || y.Revision != 1 || len(y.Holidays) != 1 ||
					y.Workdays[0].For != "" || y.WorkingDays != 261-5+1 {
					t.Errorf("stored 2027: %+v", y)
				}
			}},
			{"year in the body must match the path", "PUT", "/api/v1/calendar/years/2027", admin, []byte(`{"year":2028,"holidays":[],"workdays":[]}`), 422, fieldIs("year")},
			{"make-up day inside the holiday", "PUT", "/api/v1/calendar/years/2027", admin,
				[]byte(`{"holidays":[{"name":"国庆节","from":"2027-10-01","to":"2027-10-07"}],"workdays":["2027-10-02"]}`), 422, fieldIs("workdays[0].date")},
			{"bad date", "PUT", "/api/v1/calendar/years/2027", admin, []byte(`{"holidays":[{"name":"x","from":"2027-13-01","to":"2027-10-07"}]}`), 422, fieldIs("holidays[0].from")},
			{"unknown field", "PUT", "/api/v1/calendar/years/2027", admin, []byte(`{"holiday":[]}`), 422, nil},
			{"not JSON", "PUT", "/api/v1/calendar/years/2027", admin, []byte(`{"holidays":`), 422, nil},
			{"delete the stored year", "DELETE", "/api/v1/calendar/years/2027", admin, nil, 204, nil},
			{"nothing left to delete", "DELETE", "/api/v1/calendar/years/2027", admin, nil, 404, nil},
			{"set periods", "PUT", "/api/v1/calendar/periods", admin, []byte(`{"periods":[{"start":"08:30","end":"12:00"},{"start":"14:00","end":"17:30"}]}`), 200,
				func(t *testing.T, r response) {
					var out calendarPeriods
					r.decode(t, &out)
					if len(out.Periods) != 2 || out.Periods[0].Start != 510 || out.Revision != 3 {
						t.Errorf("periods %+v", out)
					}
				}},
			{"overlapping periods", "PUT", "/api/v1/calendar/periods", admin, []byte(`{"periods":[{"start":"08:30","end":"12:00"},{"start":"11:00","end":"17:30"}]}`), 422, fieldIs("periods[1]")},
			{"bad time of day", "PUT", "/api/v1/calendar/periods", admin, []byte(`{"periods":[{"start":"8:30","end":"12:00"}]}`), 422, fieldIs("start")},
			{"grid worker may not set periods", "PUT", "/api/v1/calendar/periods", worker, []byte(`{"periods":[{"start":"08:30","end":"12:00"}]}`), 403, nil},
			{"restore default periods", "PUT", "/api/v1/calendar/periods", admin, []byte(`{"periods":[{"start":"09:00","end":"12:00"},{"start":"13:30","end":"18:00"}]}`), 200, nil},
			// 9/30 10:00–18:00 is 390 minutes, 10/1–10/8 are off, 10/9 until
			// 10:00 is 60: one working day of two is used by ?now=.
			{"deadline over National Day 2025", "GET", deadlinePath("2025-09-30T10:00:00+08:00", "2", "work_days", "now=2025-10-09T10:00:00%2B08:00"), worker, nil, 200,
				func(t *testing.T, r response) {
					var out deadlineOutput
					r.decode(t, &out)
					want := time.Date(2025, 10, 10, 10, 0, 0, 0, calendar.China)
					if !out.Deadline.Equal(want) || len(out.Explanation.Days) != 11 || out.Explanation.Days[1].Skipped != "holiday:国庆节、中秋节" ||
						out.Elapsed == nil || *out.Elapsed != 1 || out.Revision != 4 {
						t.Errorf("deadline %+v", out)
					}
				}},
			{"deadline with a pause", "GET", deadlinePath("2025-03-03T10:00:00+08:00", "4", "work_hours", "pause=2025-03-03T11:00:00%2B08:00/2025-03-03T15:00:00%2B08:00"), worker, nil, 200,
				func(t *testing.T, r response) {
					var out deadlineOutput
					r.decode(t, &out)
					if want := time.Date(2025, 3, 3, 18, 0, 0, 0, calendar.China); !out.Deadline.Equal(want) || out.Explanation.Days[0].PausedMinutes != 150 {
						t.Errorf("deadline %+v", out)
					}
				}},
			{"open pause: no deadline yet", "GET", deadlinePath("2025-03-03T10:00:00+08:00", "4", "work_hours", "pause=2025-03-03T11:00:00%2B08:00/"), worker, nil, 200,
				func(t *testing.T, r response) {
					if strings.Contains(string(r.Body), `"deadline"`) || !strings.Contains(string(r.Body), `"open":true`) {
						t.Errorf("body %s", r.Body)
					}
				}},
			{"deadline needs a start", "GET", deadlinePath("", "2", "work_days"), worker, nil, 422, fieldIs("start")},
			{"deadline needs a known unit", "GET", deadlinePath("2025-03-03T10:00:00+08:00", "2", "weeks"), worker, nil, 422, fieldIs("unit")},
			{"deadline needs an amount", "GET", deadlinePath("2025-03-03T10:00:00+08:00", "-1", "hours"), worker, nil, 422, fieldIs("amount")},
			{"resident may not compute deadlines", "GET", deadlinePath("2025-03-03T10:00:00+08:00", "2", "work_days"), resident, nil, 403, nil},
			{"start in year 1", "GET", deadlinePath("0001-01-01T00:00:00Z", "10000", "work_days"), f.admin, nil, 422, fieldIs("start")},
			{"start in year 9999", "GET", deadlinePath("9999-12-31T00:00:00Z", "5", "work_days"), f.admin, nil, 422, fieldIs("start")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := f.do(tt.method, tt.path, tt.token, tt.body)
				if r.Status != tt.status {
					t.Fatalf("%s %s: status %d, want %d: %s", tt.method, tt.path, r.Status, tt.status, r.Body)
				}
				if tt.check != nil {
					tt.check(t, r)
				}
			})
		}
	})
}

func deadlinePath(start, amount, unit string, extra ...string) string {
	q := url.Values{"start": {start}, "amount": {amount}, "unit": {unit}}
	p := "/api/v1/calendar/deadline?" + q.Encode()
	for _, e := range extra {
		p += "&" + e
	}
	return p
}

// fieldIs checks that an error names a field ending in suffix.
func fieldIs(suffix string) func(t *testing.T, r response) {
	return func(t *testing.T, r response) {
		t.Helper()
		var e errorOutput
		r.decode(t, &e)
		for _, f := range e.Error.Fields {
			if strings.HasSuffix(f.Field, suffix) && f.Message != "" {
				return
			}
		}
		t.Errorf("no error for field …%s: %s", suffix, r.Body)
	}
}
