package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

func (f *fixture) mustCategories() {
	f.t.Helper()
	limits := map[civic.Stage]civic.TimeLimit{
		civic.StageClaim: {Amount: 2, Unit: civic.UnitWorkHours}, civic.StageFeedback: {Amount: 1, Unit: civic.UnitWorkDays},
		civic.StageComplete: {Amount: 3, Unit: civic.UnitWorkDays}, civic.StageVisit: {Amount: 2, Unit: civic.UnitWorkDays},
	}
	for _, c := range []civic.Category{
		{Code: "01", Name: "物业管理", Active: true, Accepted: true},
		{Code: "0101", ParentCode: "01", Leaf: true, Name: "公共设施维修", Type: civic.RequestHelp, Handler: civic.HandlerRule{Target: civic.HandlerGrid}, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true},
	} {
		if _, err := f.s.CreateCategory(context.Background(), civic.System, c); err != nil {
			f.t.Fatalf("category %s: %v", c.Code, err)
		}
	}
}

// TestCaseAPIUntitled: a letter without a title is filed under its first
// sentence; a submission that says nothing is refused on the title field.
func TestCaseAPIUntitled(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		f.mustCategories()
		var untitled civic.Case
		f.do("POST", "/api/v1/cases", f.tokens[civic.RoleResident], map[string]any{"source": "resident", "category_code": "0101",
			"description": "尊敬的领导：三号楼的楼道灯坏了一周。晚上看不见台阶。", "lng": 116.42, "lat": 39.95}).decode(t, &untitled)
		if untitled.Title != "三号楼的楼道灯坏了一周" {
			t.Fatalf("untitled letter filed as %q", untitled.Title)
		}
		if r := f.do("POST", "/api/v1/cases", f.tokens[civic.RoleResident], map[string]any{"source": "resident", "lng": 116.42, "lat": 39.95}); r.Status != 422 ||
			!strings.Contains(string(r.Body), `"title"`) {
			t.Fatalf("nothing said: %d %s", r.Status, r.Body)
		}
	})
}

// TestCaseAPI files a case over HTTP, retries it with the same key, takes
// it through claim and report-back, and checks that an illegal action and
// a lost race answer 409 while another street's staff cannot see it.
func TestCaseAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		f.mustCategories()
		body := map[string]any{"source": "resident", "category_code": "0101", "title": "楼道灯坏了", "lng": 116.42, "lat": 39.95, "reporter_phone": "13700001234"}
		post := func(key string) response {
			req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/cases", strings.NewReader(mustJSON(body)))
			req.Header.Set("Authorization", "Bearer "+f.tokens[civic.RoleResident])
			req.Header.Set("Idempotency-Key", key)
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b strings.Builder
			buf := make([]byte, 4096)
			for {
				n, err := resp.Body.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					break
				}
			}
			return response{Status: resp.StatusCode, Body: []byte(b.String())}
		}
		r := post("retry-me")
		if r.Status != 201 {
			t.Fatalf("file: %d %s", r.Status, r.Body)
		}
		var c civic.Case
		r.decode(t, &c)
		if c.State != civic.StateDispatched || c.HandlerRegionCode != gridA1x || len(c.Number) != 15 {
			t.Fatalf("filed case: %+v", c)
		}
		if r2 := post("retry-me"); r2.Status != 200 || !strings.Contains(string(r2.Body), c.Number) {
			t.Fatalf("retry: %d %s", r2.Status, r2.Body)
		}
		// The grid's worker (scope A1 street in this fixture) handles it.
		grid := f.tokens[civic.RoleGridWorker]
		if r := f.do("POST", "/api/v1/cases/"+c.Number+"/actions", grid, map[string]any{"action": "handle", "note": "x"}); r.Status != 409 || !strings.Contains(string(r.Body), "待签收") {
			t.Fatalf("illegal action: %d %s", r.Status, r.Body)
		}
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i := range codes {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				codes[i] = f.do("POST", fmt.Sprintf("/api/v1/cases/%d/actions", c.ID), grid, map[string]any{"action": "claim"}).Status
			}(i)
		}
		wg.Wait()
		if codes[0]+codes[1] != 200+409 {
			t.Fatalf("two claims: %v", codes)
		}
		if r := f.do("POST", fmt.Sprintf("/api/v1/cases/%d/actions", c.ID), grid, map[string]any{"action": "handle", "note": "已更换灯泡"}); r.Status != 200 {
			t.Fatalf("handle: %d %s", r.Status, r.Body)
		}
		// Someone outside the street: 404, never the case.
		outsider := f.mustUserToken("b1_staff", civic.RoleStreetStaff, civic.Scope{RegionCode: codeB1})
		if r := f.do("GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), outsider, nil); r.Status != 404 || strings.Contains(string(r.Body), "楼道灯") {
			t.Fatalf("outsider: %d %s", r.Status, r.Body)
		}
		if r := f.do("GET", "/api/v1/cases?q=楼道", outsider, nil); strings.Contains(string(r.Body), "楼道灯") {
			t.Fatalf("outsider's search leaks: %s", r.Body)
		}
		// The reporter sees her case and its public timeline; the phone is
		// masked for the grid worker.
		var mine struct{ Items []civic.Case }
		f.do("GET", "/api/v1/cases?mine=true", f.tokens[civic.RoleResident], nil).decode(t, &mine)
		if len(mine.Items) != 1 || mine.Items[0].ReporterPhone != "13700001234" {
			t.Fatalf("reporter's list: %+v", mine.Items)
		}
		var got civic.Case
		f.do("GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), grid, nil).decode(t, &got)
		if got.ReporterPhone != "137****1234" || got.State != civic.StateHandled {
			t.Fatalf("grid worker's view: %+v", got)
		}
		var ev struct{ Items []civic.CaseEvent }
		f.do("GET", fmt.Sprintf("/api/v1/cases/%d/events", c.ID), f.tokens[civic.RoleResident], nil).decode(t, &ev)
		if len(ev.Items) < 4 || ev.Items[1].Action != civic.ActDispatch || !strings.Contains(ev.Items[1].Note, "网格") {
			t.Fatalf("timeline: %+v", ev.Items)
		}
	})
}

// TestNotifications: a dispatch reaches the handling grid's staff in their
// inbox and live over server-sent events; the reporter hears of progress.
func TestNotifications(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		f.mustCategories()
		// A grid worker of exactly the handling grid.
		worker := f.mustUserToken("grid_a1x", civic.RoleGridWorker, civic.Scope{RegionCode: gridA1x})
		req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/notifications/stream", nil)
		req.Header.Set("Authorization", "Bearer "+worker)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stream, err := f.srv.Client().Do(req.WithContext(ctx))
		if err != nil || stream.StatusCode != 200 || stream.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("stream: %v %+v", err, stream)
		}
		defer stream.Body.Close()

		r := f.do("POST", "/api/v1/cases", f.tokens[civic.RoleResident], map[string]any{"source": "resident", "category_code": "0101", "title": "单元门坏了", "lng": 116.42, "lat": 39.95})
		var c civic.Case
		r.decode(t, &c)
		got := make(chan string, 1)
		go func() {
			buf := make([]byte, 8192)
			var all string
			for {
				n, err := stream.Body.Read(buf)
				all += string(buf[:n])
				if strings.Contains(all, "event: notification") || err != nil {
					got <- all
					return
				}
			}
		}()
		select {
		case all := <-got:
			if !strings.Contains(all, "新派工单：单元门坏了") {
				t.Fatalf("stream: %q", all)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no live notification within 10 s")
		}
		var in struct {
			Items  []civic.Notification
			Unread int
		}
		f.do("GET", "/api/v1/notifications", worker, nil).decode(t, &in)
		if in.Unread != 1 || in.Items[0].Kind != "dispatch" || in.Items[0].CaseID != c.ID {
			t.Fatalf("worker's inbox: %+v", in)
		}
		if r := f.do("POST", "/api/v1/notifications/read", worker, map[string]any{}); r.Status != 204 {
			t.Fatalf("read: %d", r.Status)
		}
		f.do("GET", "/api/v1/notifications", worker, nil).decode(t, &in)
		if in.Unread != 0 {
			t.Fatalf("unread after reading: %d", in.Unread)
		}
		f.do("POST", fmt.Sprintf("/api/v1/cases/%d/actions", c.ID), worker, map[string]any{"action": "claim"})
		f.do("GET", "/api/v1/notifications", f.tokens[civic.RoleResident], nil).decode(t, &in)
		if in.Unread < 2 || in.Items[0].Kind != "progress" {
			t.Fatalf("reporter's inbox: %+v", in)
		}
	})
}
