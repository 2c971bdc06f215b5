package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

func staffCount(tb testing.TB, s *store.Store) int {
	tb.Helper()
	_, n, err := s.ListStaff(context.Background(), civic.System, store.StaffFilter{})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func auditCount(tb testing.TB, s *store.Store) int {
	tb.Helper()
	_, n, err := s.ListAudit(context.Background(), civic.System, store.AuditFilter{})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestStaffCreateWithBadInputShowsInlineErrors(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "street")
	before, audits := staffCount(t, f.s), auditCount(t, f.s)
	form := url.Values{"name": {"吴新人"}, "position": {"full_time"}, "grid_code": {gridA3}, "phone": {"12ab-<x>"},
		"start_date": {"2026-03-01"}, "end_date": {"2026-02-01"}, "note": {"夜班"}}
	for _, lang := range []string{"zh", "en"} {
		body := mustStatus(t, c.post("/staff/new?lang="+lang, form), http.StatusUnprocessableEntity)
		phoneMsg, endMsg := "请填写正确的手机或座机号码", "离岗日期不能早于到岗日期"
		if lang == "en" {
			phoneMsg, endMsg = "enter a valid mobile or landline number", "end date cannot be before the start date"
		}
		// Each message sits right under its own input (and is listed in
		// the summary at the top as well), and what was typed is still
		// there (escaped).
		phoneAt := strings.Index(body, `id="phone"`)
		if first := strings.Index(body, phoneMsg); first < 0 || first > phoneAt {
			t.Errorf("%s: the summary does not list the phone error", lang)
		}
		msgAt := strings.LastIndex(body, phoneMsg)
		if phoneAt < 0 || msgAt < phoneAt || strings.Index(body[phoneAt:], `id="start_date"`) < msgAt-phoneAt {
			t.Errorf("%s: phone error is not under the phone input", lang)
		}
		mustContain(t, body, endMsg, `value="吴新人"`, `value="12ab-&lt;x&gt;"`, `aria-invalid="true" aria-describedby="phone-err"`, "夜班")
		mustNotContain(t, body, "<x>")
	}
	if n := staffCount(t, f.s); n != before {
		t.Errorf("staff count %d → %d: a refused form wrote something", before, n)
	}
	if n := auditCount(t, f.s); n != audits {
		t.Errorf("audit count %d → %d", audits, n)
	}
	// Dates no ledger holds: year 1, year 9999.
	for _, d := range [][2]string{{"0001-01-01", ""}, {"2026-03-01", "9999-12-31"}} {
		form.Set("phone", "13900000000")
		form.Set("start_date", d[0])
		form.Set("end_date", d[1])
		mustContain(t, mustStatus(t, c.post("/staff/new", form), http.StatusUnprocessableEntity), "应在1950年到2100年之间")
	}
	form.Set("start_date", "2026-03-01")
	// A grid outside the street's scope is refused under the grid field.
	form.Set("phone", "13900000000")
	form.Set("end_date", "")
	form.Set("grid_code", gridB1)
	body := mustStatus(t, c.post("/staff/new", form), http.StatusForbidden)
	mustContain(t, body, "网格不在您的管辖范围内")
	if n := staffCount(t, f.s); n != before {
		t.Errorf("out-of-scope staff written")
	}
}

func TestStaffCreateEditDelete(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "street")
	rec := c.post("/staff/new", url.Values{"name": {"吴新人"}, "position": {"full_time"}, "grid_code": {gridA3},
		"phone": {"13900000000"}, "start_date": {"2026-03-01"}})
	mustStatus(t, rec, http.StatusSeeOther)
	loc := rec.Header().Get("Location")
	body := mustStatus(t, c.get(loc), http.StatusOK)
	mustContain(t, body, "吴新人", "已保存", "幸福第三网格", "专职网格员")
	// The flash shows once.
	mustNotContain(t, c.get(loc).Body.String(), "已保存")
	mustNotContain(t, mustStatus(t, c.get("/grids?unstaffed=1"), http.StatusOK), gridA3)

	var id int64
	fmt.Sscanf(loc, "/staff/%d", &id)
	edit := mustStatus(t, c.get(fmt.Sprintf("/staff/%d/edit", id)), http.StatusOK)
	mustContain(t, edit, `value="13900000000"`, `value="2026-03-01"`, `data-confirm=`)
	mustStatus(t, c.post(fmt.Sprintf("/staff/%d/edit", id), url.Values{"name": {"吴新人"}, "position": {"full_time"}, "grid_code": {gridA3},
		"phone": {"13900000009"}, "start_date": {"2026-03-01"}, "end_date": {"2026-03-05"}}), http.StatusSeeOther)
	mustContain(t, c.get(fmt.Sprintf("/staff/%d", id)).Body.String(), "13900000009", "已离岗")

	rec = c.post(fmt.Sprintf("/staff/%d/delete", id), nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/staff" {
		t.Fatalf("delete: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	mustContain(t, c.get("/staff").Body.String(), "已删除")
	mustStatus(t, c.get(fmt.Sprintf("/staff/%d", id)), http.StatusNotFound)
}

func TestStaffWriteControlsFollowPermission(t *testing.T) {
	f := mustFixture(t)
	staffURL := fmt.Sprintf("/staff/%d", f.staffA.ID)
	// A grid worker reads the ledger but sees no add, edit or delete.
	w := f.mustLogin(t, "worker")
	for _, p := range []string{"/staff", staffURL} {
		body := mustStatus(t, w.get(p), http.StatusOK)
		mustNotContain(t, body, `href="/staff/new"`, "/edit", "/delete")
	}
	mustStatus(t, w.post(staffURL+"/delete", nil), http.StatusForbidden)
	mustStatus(t, w.post(staffURL+"/edit", url.Values{"name": {"x"}}), http.StatusForbidden)
	// Street staff may write.
	body := mustStatus(t, f.mustLogin(t, "street").get("/staff"), http.StatusOK)
	mustContain(t, body, `href="/staff/new"`, staffURL+"/edit")
}

func TestStaffFiltersAndExport(t *testing.T) {
	f := mustFixture(t)
	c := f.mustLogin(t, "admin")
	// Serving filter: someone who left is hidden.
	if _, err := f.s.CreateStaff(context.Background(), civic.System, civic.Staff{GridCode: gridA2, Name: "钱已走", Position: civic.PositionFullTime,
		Phone: "13800000009", StartDate: "2024-01-01", EndDate: "2025-01-01"}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.get("/staff").Body.String(), "钱已走")
	body := c.get("/staff?serving=1&under=" + streetA).Body.String()
	mustNotContain(t, body, "钱已走", "周网格长")
	mustContain(t, body, "张网格长", "共 3 条")
	body = c.get("/staff?position=grid_leader").Body.String()
	mustContain(t, body, "张网格长", "周网格长")
	mustNotContain(t, body, "刘专职")

	rec := c.get("/staff/export.xlsx?lang=en&position=grid_leader&q=%E5%BC%A0")
	mustStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != sheet.ContentType {
		t.Errorf("Content-Type %q", ct)
	}
	rows, err := sheet.Read(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0][0] != "Grid code" || rows[1][2] != "张网格长" || rows[1][3] != "Grid leader" || rows[1][7] != "Serving" {
		t.Errorf("rows %q", rows)
	}
}

func TestGridFiltersAndExport(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		user  string
		query string
		lang  string
	}{
		{"all, chinese", "admin", "", "zh"},
		{"street A, english", "admin", "under=" + streetA, "en"},
		{"community B", "admin", "under=" + commB, "zh"},
		{"text", "admin", "q=%E7%AC%AC%E4%BA%8C", "zh"},
		{"without full-time worker", "admin", "unstaffed=1", "en"},
		{"street user sees own street only", "street", "", "zh"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := f.mustLogin(t, tc.user)
			q, _ := url.ParseQuery(tc.query)
			gf := parseGridQuery(q)
			want, total, err := f.s.ListGrids(ctx, c.actor(t, f), gf.store(store.Page{}))
			if err != nil {
				t.Fatal(err)
			}
			// The table shows the same grids, and its export link carries the
			// filters.
			body := mustStatus(t, c.get("/grids?"+tc.query), http.StatusOK)
			mustContain(t, body, fmt.Sprintf("共 %d 条", total))
			for _, g := range want {
				mustContain(t, body, g.Code)
			}
			exportURL := "/grids/export.xlsx"
			if tc.query != "" {
				exportURL += "?" + q.Encode()
			}
			mustContain(t, body, `href="`+strings.ReplaceAll(exportURL, "&", "&amp;")+`"`)

			sep := "?"
			if strings.Contains(exportURL, "?") {
				sep = "&"
			}
			rec := c.get(exportURL + sep + "lang=" + tc.lang)
			mustStatus(t, rec, http.StatusOK)
			rows, err := sheet.Read(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			head := "网格编码"
			if tc.lang == "en" {
				head = "Grid code"
			}
			if rows[0][0] != head {
				t.Errorf("header %q", rows[0])
			}
			if len(rows)-1 != len(want) {
				t.Fatalf("%d rows exported, table has %d", len(rows)-1, len(want))
			}
			for i, g := range want {
				r := rows[i+1]
				if r[0] != g.Code || r[1] != g.Name || r[2] != g.CommunityName || r[3] != g.StreetName || r[5] != fmt.Sprint(g.StaffTotal) || r[7] != fmt.Sprint(g.FullTime) {
					t.Errorf("row %d = %q, want %+v", i+1, r, g)
				}
			}
		})
	}
}

// actor is the store actor for the client's signed-in user.
func (c *client) actor(tb testing.TB, f *fixture) civic.Actor {
	tb.Helper()
	u, err := f.s.SessionUser(context.Background(), c.cookies["cg_session"].Value)
	if err != nil {
		tb.Fatal(err)
	}
	return store.ActorOf(u, "")
}
