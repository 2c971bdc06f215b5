package store_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

type caseWorld struct {
	s                                           *store.Store
	loc                                         *store.Locator
	resident, operator, community, street, grid civic.Actor
	handler, otherHandler, outsider             civic.Actor
	dept                                        civic.Organisation
}

const (
	grid1 = "110101001001001"
	grid2 = "110101001001002"
)

func mustCaseWorld(t *testing.T, s *store.Store) *caseWorld {
	t.Helper()
	ctx := context.Background()
	mustImport(t, s, collection(append(base,
		feature(grid1, "一号网格", rect(116.0, 39.0, 116.25, 39.5)),
		feature(grid2, "二号网格", rect(116.25, 39.0, 116.5, 39.5)))...))
	orgs, err := s.ImportOrganisations(ctx, civic.System, []civic.Organisation{
		{Name: "城市管理委员会", Kind: civic.OrgDepartment, RegionCode: "110101"},
		{Name: "甲物业公司", Kind: civic.OrgPropertyCompany, RegionCode: "110101001"},
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &caseWorld{s: s, loc: s.NewLocator(time.Minute), dept: orgs[0]}
	limits := map[civic.Stage]civic.TimeLimit{
		civic.StageClaim: {Amount: 2, Unit: civic.UnitWorkHours}, civic.StageFeedback: {Amount: 1, Unit: civic.UnitWorkDays},
		civic.StageComplete: {Amount: 3, Unit: civic.UnitWorkDays}, civic.StageVisit: {Amount: 2, Unit: civic.UnitWorkDays},
	}
	for _, c := range []civic.Category{
		{Code: "01", Name: "市容环境", Active: true, Accepted: true},
		{Code: "0101", ParentCode: "01", Leaf: true, Name: "占道经营", Type: civic.RequestComplaint, Handler: civic.HandlerRule{Target: civic.HandlerDepartment, Department: "城市管理委员会"}, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true},
		{Code: "0102", ParentCode: "01", Leaf: true, Name: "楼道堆物", Type: civic.RequestComplaint, Handler: civic.HandlerRule{Target: civic.HandlerGrid}, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true},
		{Code: "0103", ParentCode: "01", Leaf: true, Name: "已诉讼事项", Type: civic.RequestComplaint, Handler: civic.HandlerRule{Target: civic.HandlerCommunity}, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: false, NotAcceptedReason: "已进入诉讼程序的事项请通过司法途径解决", Active: true},
	} {
		if _, err := s.CreateCategory(ctx, civic.System, c); err != nil {
			t.Fatalf("category %s: %v", c.Code, err)
		}
	}
	mk := func(name string, role civic.Role, sc civic.Scope) civic.Actor {
		u, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: name, DisplayName: name, Password: "password-" + name, Role: role, Scope: sc})
		if err != nil {
			t.Fatal(err)
		}
		return store.ActorOf(u, "")
	}
	w.resident = mk("resident", civic.RoleResident, civic.Scope{RegionCode: "110101001001"})
	w.operator = mk("operator", civic.RoleOperator, civic.Scope{RegionCode: "1101"})
	w.community = mk("community", civic.RoleCommunityStaff, civic.Scope{RegionCode: "110101001001"})
	w.street = mk("street", civic.RoleStreetStaff, civic.Scope{RegionCode: "110101001"})
	w.grid = mk("gridworker", civic.RoleGridWorker, civic.Scope{RegionCode: grid1})
	w.handler = mk("handler", civic.RoleHandler, civic.Scope{RegionCode: "110101", OrgID: orgs[0].ID})
	w.otherHandler = mk("property", civic.RoleHandler, civic.Scope{RegionCode: "110101001", OrgID: orgs[1].ID})
	w.outsider = mk("outsider", civic.RoleGridWorker, civic.Scope{RegionCode: grid2})
	return w
}

func (w *caseWorld) act(t *testing.T, a civic.Actor, id int64, in store.CaseInput) civic.Case {
	t.Helper()
	c, err := w.s.ActOnCase(context.Background(), a, id, in)
	if err != nil {
		t.Fatalf("%s by %s: %v", in.Action, a.Username, err)
	}
	return c
}

// file submits n as a, filed under the clutter category (0102) in grid 1
// unless n says otherwise.
func (w *caseWorld) file(t *testing.T, a civic.Actor, n store.NewCase) civic.Case {
	t.Helper()
	if n.CategoryCode == "" {
		n.CategoryCode = "0102"
	}
	if !n.HasLocation && n.HouseID == 0 && n.PlaceToken == "" {
		n.HasLocation, n.Lng, n.Lat = true, 116.1, 39.2
	}
	c, _, err := w.s.SubmitCase(context.Background(), a, w.loc, n)
	if err != nil {
		t.Fatalf("file %q as %s: %v", n.Title, a.Username, err)
	}
	return c
}

func (w *caseWorld) refuse(t *testing.T, a civic.Actor, id int64, in store.CaseInput, code civic.ErrorCode) {
	t.Helper()
	_, err := w.s.ActOnCase(context.Background(), a, id, in)
	if civic.ErrorCodeOf(err) != code {
		t.Fatalf("%s by %s: %v, want %s", in.Action, a.Username, err, code)
	}
}

// TestCaseLoop walks one case around the whole loop of DESIGN.md §4 with
// the people who act at each step.
func TestCaseLoop(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		// Tuesday 2026-03-10 10:00 China time.
		clock.T = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
		n := store.NewCase{IdempotencyKey: "k-1", Source: civic.SourceResident, CategoryCode: "0101", Title: "小区门口占道经营",
			Description: "每天早上有摊贩占用人行道", HasLocation: true, Lng: 116.1, Lat: 39.2, ReporterPhone: "13800001111"}
		c, existing, err := s.SubmitCase(ctx, w.resident, w.loc, n)
		if err != nil || existing {
			t.Fatalf("submit: %v existing=%v", err, existing)
		}
		if c.State != civic.StateDispatched || c.HandlerOrgID != w.dept.ID || c.RegionCode != grid1 {
			t.Fatalf("routing: %+v", c)
		}
		// 2 working hours from 10:00 Tuesday is 12:00 the same day.
		if c.ClaimDue == nil || !c.ClaimDue.Equal(time.Date(2026, 3, 10, 4, 0, 0, 0, time.UTC)) {
			t.Fatalf("claim due %v", c.ClaimDue)
		}
		// A retry with the same key returns the same case.
		again, existing, err := s.SubmitCase(ctx, w.resident, w.loc, n)
		if err != nil || !existing || again.ID != c.ID {
			t.Fatalf("retry: %v existing=%v id %d vs %d", err, existing, again.ID, c.ID)
		}
		// The same key with other words is another report, not a retry:
		// it is refused, not answered with the first and dropped.
		other := n
		other.Description = "摊贩占道，还有噪音"
		if _, _, err := s.SubmitCase(ctx, w.resident, w.loc, other); civic.ErrorCodeOf(err) != civic.EConflict || !strings.Contains(err.Error(), c.Number) {
			t.Fatalf("the key again with another text: %v", err)
		}
		// Only the department's handler may claim; an outsider does not
		// even see the case.
		w.refuse(t, w.otherHandler, c.ID, store.CaseInput{Action: civic.ActClaim}, civic.ENotFound)
		w.refuse(t, w.outsider, c.ID, store.CaseInput{Action: civic.ActClaim}, civic.ENotFound)
		w.refuse(t, w.handler, c.ID, store.CaseInput{Action: civic.ActHandle, Note: "x"}, civic.EConflict)

		// Two claims at once: exactly one wins.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = s.ActOnCase(ctx, w.handler, c.ID, store.CaseInput{Action: civic.ActClaim})
			}(i)
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) || civic.ErrorCodeOf(errs[0])+civic.ErrorCodeOf(errs[1]) != civic.EConflict {
			t.Fatalf("concurrent claims: %v / %v", errs[0], errs[1])
		}

		clock.Advance(time.Hour)
		w.act(t, w.handler, c.ID, store.CaseInput{Action: civic.ActFeedback, Note: "已联系执法队"})
		w.act(t, w.handler, c.ID, store.CaseInput{Action: civic.ActHandle, Note: "已劝离摊贩"})
		// The grid worker checks on site: not fixed, back to the handler.
		c = w.act(t, w.grid, c.ID, store.CaseInput{Action: civic.ActVerifyFail, Note: "摊贩仍在"})
		if c.State != civic.StateInProgress || c.ReworkCount != 1 {
			t.Fatalf("after failed verification: %s rework %d", c.State, c.ReworkCount)
		}
		w.act(t, w.handler, c.ID, store.CaseInput{Action: civic.ActHandle, Note: "设置隔离栏并每日巡查"})
		c = w.act(t, w.grid, c.ID, store.CaseInput{Action: civic.ActVerifyPass})
		if c.State != civic.StateClosed || c.VisitDue == nil {
			t.Fatalf("closed: %+v", c)
		}
		no := false
		w.refuse(t, w.resident, c.ID, store.CaseInput{Action: civic.ActVisit}, civic.EInvalid)
		c = w.act(t, w.resident, c.ID, store.CaseInput{Action: civic.ActVisit, Satisfaction: civic.Dissatisfied, Solved: &no})
		c = w.act(t, w.resident, c.ID, store.CaseInput{Action: civic.ActReopen, Note: "又来了"})
		if c.State != civic.StateAccepted || c.ReopenCount != 1 || c.DispatchedAt != nil {
			t.Fatalf("reopened: %+v", c)
		}
		c = w.act(t, w.community, c.ID, store.CaseInput{Action: civic.ActDispatch})
		if c.State != civic.StateDispatched || c.HandlerOrgID != w.dept.ID {
			t.Fatalf("re-dispatch: %+v", c)
		}

		w.act(t, w.street, c.ID, store.CaseInput{Action: civic.ActComment, Note: "重点督办"})
		// The reporter sees only public events; staff see them all.
		mine, err := s.CaseEvents(ctx, w.resident, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		all, err := s.CaseEvents(ctx, w.street, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) < 12 || len(mine) >= len(all) {
			t.Fatalf("events: reporter %d, staff %d", len(mine), len(all))
		}
		for _, e := range mine {
			if !e.Public {
				t.Fatalf("reporter sees an internal event: %+v", e)
			}
		}
		// A grid worker sees the phone masked; the operator in full.
		g, _ := s.GetCase(ctx, w.grid, c.ID)
		o, _ := s.GetCase(ctx, w.operator, c.ID)
		if g.ReporterPhone != "138****1111" || o.ReporterPhone != "13800001111" {
			t.Fatalf("phones: grid %q operator %q", g.ReporterPhone, o.ReporterPhone)
		}
	})
}

func TestCaseIntakeRules(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		// Not accepted: rejected at once with the catalogue's reason.
		c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0103", Title: "诉讼中的纠纷", HasLocation: true, Lng: 116.1, Lat: 39.2})
		if err != nil || c.State != civic.StateRejected {
			t.Fatalf("not accepted: %v %+v", err, c)
		}
		// Grid rule routes to the grid of the place.
		c, _, err = s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: "楼道堆放杂物", HasLocation: true, Lng: 116.4, Lat: 39.2})
		if err != nil || c.HandlerRegionCode != grid2 {
			t.Fatalf("grid route: %v %+v", err, c)
		}
		// "Don't know": waits for a dispatcher.
		c, _, err = s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, Title: "不知道找谁", HasLocation: true, Lng: 116.1, Lat: 39.2})
		if err != nil || c.State != civic.StateReported {
			t.Fatalf("unknown category: %v %+v", err, c)
		}
		w.refuse(t, w.grid, c.ID, store.CaseInput{Action: civic.ActDispatch}, civic.EForbidden)
		c = w.act(t, w.community, c.ID, store.CaseInput{Action: civic.ActDispatch, CategoryCode: "0102"})
		if c.HandlerRegionCode != grid1 || c.CategoryCode != "0102" {
			t.Fatalf("dispatched with category: %+v", c)
		}
		// Hotline consultation answered directly.
		c, _, err = s.SubmitCase(ctx, w.operator, w.loc, store.NewCase{Source: civic.SourceHotline, Title: "咨询垃圾分类时间", RegionCode: "110101001001",
			ReporterPhone: "13900002222", AnsweredDirectly: true, Answer: "每天7-9点、18-20点"})
		if err != nil || c.State != civic.StateClosed {
			t.Fatalf("answered: %v %+v", err, c)
		}
		// Residents cannot pose as the hotline; bad input is refused per field.
		if _, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceHotline, Title: "x", RegionCode: "110101001001", ReporterPhone: "13900002222"}); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("resident as hotline: %v", err)
		}
		_, _, err = s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, Title: "", HasLocation: true, Lng: 200, Lat: 39})
		if e := civic.AsError(err); e.Code != civic.EInvalid || len(e.Fields) != 2 {
			t.Fatalf("bad submission: %v", err)
		}
		// A letter without a title takes its first sentence as one; with
		// neither title nor details the title field says what is missing.
		c, _, err = s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, Description: "尊敬的领导：您好！我们楼的电梯坏了一个月了。物业一直不修。", HasLocation: true, Lng: 116.1, Lat: 39.2})
		if err != nil || c.Title != "我们楼的电梯坏了一个月了" {
			t.Fatalf("no title: %v %q", err, c.Title)
		}
		_, _, err = s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, Description: "  ", HasLocation: true, Lng: 116.1, Lat: 39.2})
		if e := civic.AsError(err); e.Code != civic.EInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "title" {
			t.Fatalf("neither title nor details: %v", err)
		}
		// A long letter goes in whole; one character over the limit is
		// refused on its field.
		letter := strings.Repeat("小区电梯长期故障，", store.MaxDescription/9)
		c, _, err = s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, Title: "一封长信", Description: letter, HasLocation: true, Lng: 116.1, Lat: 39.2})
		if err != nil || c.Description != letter {
			t.Fatalf("a letter of %d characters: %v, kept %d", utf8.RuneCountInString(letter), err, utf8.RuneCountInString(c.Description))
		}
		_, _, err = s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, Title: "太长", Description: strings.Repeat("长", store.MaxDescription+1), HasLocation: true, Lng: 116.1, Lat: 39.2})
		if e := civic.AsError(err); e.Code != civic.EInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "description" {
			t.Fatalf("a description over the limit: %v", err)
		}
		_, _, err = s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, Title: "远方", HasLocation: true, Lng: 100, Lat: 30})
		if civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("outside the area: %v", err)
		}
	})
}

// TestIntakeGroupCommit submits many cases at once through the batching
// intake: each gets its own case, a retried key gets the first, and one
// bad submission fails alone.
func TestIntakeGroupCommit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		in := s.NewIntake(w.loc)
		defer in.Close()
		const n = 60
		ids := make([]int64, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				nc := store.NewCase{IdempotencyKey: fmt.Sprintf("key-%d", i%50), Source: civic.SourceResident, CategoryCode: "0102",
					Title: fmt.Sprintf("问题%d", i%50), HasLocation: true, Lng: 116.1, Lat: 39.2} // a retry sends the same words
				if i == 7 {
					nc.CategoryCode = "0199" // no such category
					nc.IdempotencyKey = "bad"
				}
				c, _, err := in.Submit(ctx, w.resident, nc)
				ids[i], errs[i] = c.ID, err
			}(i)
		}
		wg.Wait()
		distinct := map[int64]bool{}
		for i := 0; i < n; i++ {
			if i == 7 {
				if civic.ErrorCodeOf(errs[i]) != civic.EInvalid {
					t.Fatalf("bad submission: %v", errs[i])
				}
				continue
			}
			if errs[i] != nil {
				t.Fatalf("submission %d: %v", i, errs[i])
			}
			distinct[ids[i]] = true
		}
		// 60 submissions over 50 keys (key-7 still comes from submission
		// 57; submission 7 is the bad one): 50 cases.
		if len(distinct) != 50 {
			t.Fatalf("%d distinct cases, want 50", len(distinct))
		}
		_, total, err := s.ListCases(ctx, civic.System, store.CaseFilter{})
		if err != nil || total != 50 {
			t.Fatalf("cases in the database: %d %v", total, err)
		}
	})
}

// TestCaseSearch finds cases by Chinese words anywhere in their text, by
// number and by phone, within scope.
func TestCaseSearch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		file := func(title, desc string, lng float64) civic.Case {
			c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102", Title: title, Description: desc, HasLocation: true, Lng: lng, Lat: 39.2, ReporterPhone: "13812345678"})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		a := file("小区门口占道经营", "每天早上有摊贩占用人行道", 116.1)
		b := file("楼道灯坏了", "3号楼2单元楼道灯不亮", 116.4)
		// A word shaped like a region term does not file the case there:
		// grid 1's worker must not find grid 2's case by its code.
		c := file("单元门禁坏了", "门禁失灵 r110101001001001 r1101010010010", 116.4)
		tests := []struct {
			who  civic.Actor
			q    string
			want []int64
		}{
			{w.street, "人行道", []int64{a.ID}},
			{w.street, "摊贩 人行道", []int64{a.ID}},
			{w.street, "道灯", []int64{b.ID}},
			{w.street, "灯", []int64{b.ID}},
			{w.street, "行人道", nil}, // the characters, but not together
			{w.street, a.Number, []int64{a.ID}},
			{w.grid, "楼道灯", nil}, // grid 2 is outside this worker's grid
			{w.grid, "门禁", nil},
			{w.grid, "门禁 r110101001001001", nil},
			{w.street, "r110101001001001", []int64{c.ID}},
			{w.street, "门禁", []int64{c.ID}},
		}
		for _, tt := range tests {
			got, _, err := s.ListCases(ctx, tt.who, store.CaseFilter{Query: tt.q})
			if err != nil {
				t.Fatalf("search %q: %v", tt.q, err)
			}
			var ids []int64
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
				t.Errorf("search %q as %s: %v, want %v", tt.q, tt.who.Username, ids, tt.want)
			}
		}
		if got, _, _ := s.ListCases(ctx, w.operator, store.CaseFilter{Phone: "13812345678"}); len(got) != 3 {
			t.Errorf("by phone: %d cases", len(got))
		}
		// Reindexing leaves search as it was.
		if n, err := s.ReindexCases(ctx); err != nil || n != 3 {
			t.Fatalf("reindex: %d %v", n, err)
		}
		if got, _, _ := s.ListCases(ctx, w.street, store.CaseFilter{Query: "摊贩"}); len(got) != 1 {
			t.Errorf("after reindex: %d", len(got))
		}
		if got, _, _ := s.ListCases(ctx, w.grid, store.CaseFilter{Query: "门禁"}); len(got) != 0 {
			t.Errorf("after reindex, grid 1 finds grid 2's case: %d", len(got))
		}
	})
}

// TestCaseListScope checks that the task-list shortcuts (handler region,
// handler organisation) widen nothing for people who may read only their
// own cases, and that staff still see their tasks.
func TestCaseListScope(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		// Someone else's case in the resident's own community, handled by
		// the grid; and one handled by the department.
		other := mustNeighbour(t, s)
		for _, cat := range []string{"0102", "0101"} {
			if _, _, err := s.SubmitCase(ctx, other, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: cat,
				Title: "别人的问题", HasLocation: true, Lng: 116.1, Lat: 39.2, ReporterPhone: "13800002222"}); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range []store.CaseFilter{
			{HandlerRegion: grid1},
			{HandlerRegion: "110101001001"},
			{HandlerOrgID: w.dept.ID},
			{},
		} {
			cs, total, err := s.ListCases(ctx, w.resident, f)
			if err != nil || total != 0 || len(cs) != 0 {
				t.Fatalf("resident, filter %+v: %d cases (%v), want none", f, total, err)
			}
		}
		if _, total, err := s.ListCases(ctx, w.grid, store.CaseFilter{HandlerRegion: grid1}); err != nil || total != 1 {
			t.Fatalf("grid worker's tasks: %d %v, want 1", total, err)
		}
		if _, total, err := s.ListCases(ctx, w.handler, store.CaseFilter{HandlerOrgID: w.dept.ID}); err != nil || total != 1 {
			t.Fatalf("department's tasks: %d %v, want 1", total, err)
		}
	})
}

// TestGetCasesAsGetCase: GetCases gives each actor what GetCase gives it
// case by case, masked alike, in the order asked and each case once:
// one's own report out of scope, a department's cases and those it is
// summoned to, a co-reporter's case, an anonymous report, a merged case,
// an ID of no case.
func TestGetCasesAsGetCase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		housing, hz := mustHousing(t, s)
		neighbour := mustNeighbour(t, s)

		inGrid1 := w.file(t, w.resident, store.NewCase{Source: civic.SourceResident, Title: "楼道堆物", ReporterPhone: "13800001111"})
		// Filed by community staff since moved to grid 1 alone.
		ownElsewhere := w.file(t, w.community, store.NewCase{Source: civic.SourcePatrol, Title: "二号网格的堆物", HasLocation: true, Lng: 116.3, Lat: 39.2})
		moved := w.community
		moved.Scope = civic.Scope{RegionCode: grid1}
		summoned := w.file(t, w.resident, store.NewCase{Source: civic.SourceResident, CategoryCode: "0101", Title: "违建占道"})
		w.act(t, w.street, summoned.ID, store.CaseInput{Action: civic.ActWhistle, WhistleOrgIDs: []int64{w.dept.ID, housing.ID}, LeadOrgID: w.dept.ID})
		anonymous := w.file(t, neighbour, store.NewCase{Source: civic.SourceResident, Title: "噪音", Anonymous: true, ReporterPhone: "13800002222", HasLocation: true, Lng: 116.3, Lat: 39.2})
		if _, err := s.JoinCase(ctx, neighbour, inGrid1.ID, store.JoinInput{Note: "我家门口也是", Near: &geo.Point{Lng: 116.1, Lat: 39.2}}); err != nil {
			t.Fatal(err)
		}
		merged := w.file(t, w.operator, store.NewCase{Source: civic.SourceHotline, Title: "又一件堆物", ReporterPhone: "13800003333"})
		w.act(t, w.operator, merged.ID, store.CaseInput{Action: civic.ActMerge, MergeInto: ownElsewhere.ID})

		ids := []int64{anonymous.ID, merged.ID, 999999, inGrid1.ID, summoned.ID, ownElsewhere.ID, inGrid1.ID, merged.ID}
		all := []int64{anonymous.ID, merged.ID, inGrid1.ID, summoned.ID, ownElsewhere.ID}
		for _, tc := range []struct {
			name string
			a    civic.Actor
			want []int64
		}{
			{"system", civic.System, all},
			{"reporter", w.resident, []int64{inGrid1.ID, summoned.ID}},
			{"co-reporter and anonymous reporter", neighbour, []int64{anonymous.ID, inGrid1.ID}},
			{"operator", w.operator, all},
			{"community", w.community, all},
			{"community staff moved to grid 1", moved, []int64{merged.ID, inGrid1.ID, summoned.ID, ownElsewhere.ID}},
			{"street", w.street, all},
			{"grid 1", w.grid, []int64{merged.ID, inGrid1.ID, summoned.ID}},
			{"department", w.handler, []int64{summoned.ID}},
			{"summoned department", hz, []int64{summoned.ID}},
			{"another handler", w.otherHandler, nil},
			{"grid 2", w.outsider, []int64{anonymous.ID, ownElsewhere.ID}},
		} {
			a := tc.a
			var want []civic.Case
			seen := map[int64]bool{}
			for _, id := range ids {
				c, err := s.GetCase(ctx, a, id)
				if civic.ErrorCodeOf(err) == civic.ENotFound || seen[id] {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				seen[id] = true
				want = append(want, c)
			}
			got, err := s.GetCases(ctx, a, ids)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: GetCases gives %v, GetCase one by one %v", tc.name, caseIDs(got), caseIDs(want))
			}
			if !slices.Equal(caseIDs(got), tc.want) {
				t.Errorf("%s sees %v, want %v", tc.name, caseIDs(got), tc.want)
			}
		}
		if got, err := s.GetCases(ctx, w.grid, nil); err != nil || len(got) != 0 {
			t.Errorf("no IDs: %v %v", got, err)
		}
	})
}

func caseIDs(cs []civic.Case) []int64 {
	var out []int64
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// TestCaseListNewest: with Newest, cases come newest first whatever their
// priority, the ID breaking ties, so that pages taken one after another
// hold every case once; CategoryCodes keeps those under any of the codes.
func TestCaseListNewest(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		if _, err := s.AddDeputy(ctx, w.operator, civic.Deputy{Phone: "13900009999", Name: "张代表", Title: "区人大代表"}); err != nil {
			t.Fatal(err)
		}
		// Oldest first: a deputy's (priority) case, then pairs filed in
		// the same instant, in 0101 and 0102 by turns.
		var want []int64
		deputy := w.file(t, w.operator, store.NewCase{Source: civic.SourceHotline, Title: "代表反映", ReporterPhone: "13900009999"})
		if deputy.Priority != 1 {
			t.Fatalf("deputy's case: priority %d", deputy.Priority)
		}
		want = append(want, deputy.ID)
		for i := range 6 {
			if i%2 == 0 {
				clock.Advance(time.Minute)
			}
			c := w.file(t, w.operator, store.NewCase{Source: civic.SourceHotline, CategoryCode: []string{"0101", "0102"}[i%2], Title: fmt.Sprintf("第%d件", i), ReporterPhone: "13800001111"})
			want = append([]int64{c.ID}, want...)
		}
		ids := func(cs []civic.Case) []int64 {
			var out []int64
			for _, c := range cs {
				out = append(out, c.ID)
			}
			return out
		}
		var got []int64
		for off := 0; off < 10; off += 3 {
			cs, total, err := s.ListCases(ctx, w.operator, store.CaseFilter{Newest: true, Page: store.Page{Limit: 3, Offset: off}})
			if err != nil || total != 7 {
				t.Fatalf("page at %d: %d %v", off, total, err)
			}
			got = append(got, ids(cs)...)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("newest first, by pages: %v, want %v", got, want)
		}
		// Without Newest the deputy's case still comes first.
		if cs, _, _ := s.ListCases(ctx, w.operator, store.CaseFilter{Page: store.Page{Limit: 1}}); len(cs) != 1 || cs[0].ID != deputy.ID {
			t.Fatalf("priority first: %v", ids(cs))
		}
		for _, tc := range []struct {
			codes []string
			want  int
		}{{[]string{"0101"}, 3}, {[]string{"0101", "0102"}, 7}, {[]string{"01", "0102"}, 7}, {[]string{"0103", "0101"}, 3}, {[]string{"0103"}, 0}} {
			cs, total, err := s.ListCases(ctx, w.operator, store.CaseFilter{CategoryCodes: tc.codes, Newest: true})
			if err != nil || total != tc.want || len(cs) != tc.want {
				t.Errorf("codes %v: %d cases (total %d, %v), want %d", tc.codes, len(cs), total, err, tc.want)
			}
		}
	})
}

func mustNeighbour(t *testing.T, s *store.Store) civic.Actor {
	t.Helper()
	u, err := s.CreateUser(context.Background(), civic.System, store.NewUser{Username: "neighbour", DisplayName: "邻居", Password: "password-neighbour",
		Role: civic.RoleResident, Scope: civic.Scope{RegionCode: "110101001001"}})
	if err != nil {
		t.Fatal(err)
	}
	return store.ActorOf(u, "")
}

// TestActOnCaseKept: the loader's ActOnCaseKept acts as ActOnCase does and
// returns the case's own fields exactly as they are stored, at every step
// of a loop with a failed verification, a reopening and a return, also
// when the action takes the case out of the actor's sight.
func TestActOnCaseKept(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		clock.T = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
		c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0101", Title: "小区门口占道经营",
			HasLocation: true, Lng: 116.1, Lat: 39.2})
		if err != nil {
			t.Fatal(err)
		}
		no := false
		steps := []struct {
			a  civic.Actor
			in store.CaseInput
		}{
			{w.handler, store.CaseInput{Action: civic.ActClaim}},
			{w.handler, store.CaseInput{Action: civic.ActFeedback, Note: "已联系执法队"}},
			{w.handler, store.CaseInput{Action: civic.ActHandle, Note: "已劝离"}},
			{w.grid, store.CaseInput{Action: civic.ActVerifyFail, Note: "仍在"}},
			{w.handler, store.CaseInput{Action: civic.ActHandle, Note: "设置隔离栏"}},
			{w.grid, store.CaseInput{Action: civic.ActVerifyPass}},
			{w.resident, store.CaseInput{Action: civic.ActVisit, Satisfaction: civic.Dissatisfied, Solved: &no}},
			{w.resident, store.CaseInput{Action: civic.ActReopen, Note: "又来了"}},
			{w.community, store.CaseInput{Action: civic.ActDispatch}},
			{w.handler, store.CaseInput{Action: civic.ActReturn, Note: "不属于本部门职责"}},
		}
		for _, st := range steps {
			clock.Advance(40 * time.Minute)
			got, err := s.ActOnCaseKept(ctx, st.a, c.ID, st.in)
			if err != nil {
				t.Fatalf("%s by %s: %v", st.in.Action, st.a.Username, err)
			}
			want, err := s.GetCase(ctx, civic.System, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			type row struct {
				State                                        civic.CaseState
				Category, HandlerRegion                      string
				Org                                          int64
				Rework, Reopen, Return                       int
				Paused                                       bool
				Dispatched, Claimed, Handled, Closed         *time.Time
				ClaimDue, FeedbackDue, CompleteDue, VisitDue *time.Time
			}
			of := func(c civic.Case) row {
				return row{c.State, c.CategoryCode, c.HandlerRegionCode, c.HandlerOrgID, c.ReworkCount, c.ReopenCount, c.ReturnCount, c.Paused,
					c.DispatchedAt, c.ClaimedAt, c.HandledAt, c.ClosedAt, c.ClaimDue, c.FeedbackDue, c.CompleteDue, c.VisitDue}
			}
			g, wnt := of(got), of(want)
			if fmt.Sprint(g) != fmt.Sprint(wnt) || got.RegionCode != want.RegionCode || got.Title != want.Title {
				t.Fatalf("after %s: kept %+v, stored %+v", st.in.Action, g, wnt)
			}
		}
		// The return took the case from the handler, which ActOnCaseKept
		// still told in full.
		if _, err := s.GetCase(ctx, w.handler, c.ID); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("the handler still sees the returned case: %v", err)
		}
		// Refusals are ActOnCase's.
		if _, err := s.ActOnCaseKept(ctx, w.outsider, c.ID, store.CaseInput{Action: civic.ActClaim}); civic.ErrorCodeOf(err) != civic.ENotFound {
			t.Fatalf("outsider: %v", err)
		}
	})
}

// TestCaseTextWithNUL: a NUL that reached the store (the API refuses it
// at its edge, an import or a form might not) is stored as U+FFFD on both
// engines rather than failing on PostgreSQL with a server error.
func TestCaseTextWithNUL(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		w := mustCaseWorld(t, s)
		c, _, err := s.SubmitCase(context.Background(), w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0102",
			Title: "楼道\x00堆物", Description: "三楼\x00楼道", HasLocation: true, Lng: 116.1, Lat: 39.2})
		if err != nil {
			t.Fatal(err)
		}
		if c.Title != "楼道\uFFFD堆物" || c.Description != "三楼\uFFFD楼道" {
			t.Fatalf("stored %q / %q", c.Title, c.Description)
		}
		if _, _, err := s.ListCases(context.Background(), w.community, store.CaseFilter{Query: "楼道\x00"}); err != nil {
			t.Fatalf("search with a NUL: %v", err)
		}
	})
}

// mustRefuseLength checks that err refuses field alone for running past
// limit characters, naming the limit in both languages.
func mustRefuseLength(t *testing.T, err error, field string, limit int) {
	t.Helper()
	e, n := civic.AsError(err), fmt.Sprint(limit)
	if e.Code != civic.EInvalid || len(e.Fields) != 1 || e.Fields[0].Field != field ||
		!strings.Contains(e.Fields[0].Msg.ZH, n) || !strings.Contains(e.Fields[0].Msg.EN, n) {
		t.Fatalf("%s over %d characters: %v", field, limit, err)
	}
}

// TestCaseTextLimits: a case's free text is bounded on the server, not only
// by the forms' maxlength, and counted in characters (a Chinese character
// is one, not three bytes): one character over is refused on its field,
// naming the limit, and nothing is filed; at the limit the text is kept
// whole. The address bound is Open311's, so that it and the store agree.
func TestCaseTextLimits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		count := func() int {
			t.Helper()
			_, n, err := s.ListCases(ctx, civic.System, store.CaseFilter{})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, tc := range []struct {
			name, field string
			limit       int
			set         func(n *store.NewCase, text string)
			kept        func(c civic.Case, events []civic.CaseEvent) string
		}{
			{"address", "address", store.MaxAddress,
				func(n *store.NewCase, s string) { n.Address = s },
				func(c civic.Case, _ []civic.CaseEvent) string { return c.Address }},
			{"reporter's name", "reporter_name", store.MaxReporterName,
				func(n *store.NewCase, s string) { n.ReporterName = s },
				func(c civic.Case, _ []civic.CaseEvent) string { return c.ReporterName }},
			{"hotline answer", "answer", store.MaxNote,
				func(n *store.NewCase, s string) { n.AnsweredDirectly, n.Answer = true, s },
				func(_ civic.Case, ev []civic.CaseEvent) string { return ev[len(ev)-1].Note }},
		} {
			n := store.NewCase{Source: civic.SourceHotline, CategoryCode: "0102", Title: "来电反映楼道堆物", RegionCode: "110101001001", ReporterPhone: "13900002222"}
			before := count()
			tc.set(&n, strings.Repeat("路", tc.limit+1))
			_, _, err := s.SubmitCase(ctx, w.operator, w.loc, n)
			mustRefuseLength(t, err, tc.field, tc.limit)
			if after := count(); after != before {
				t.Fatalf("%s: a refused case was filed (%d cases, were %d)", tc.name, after, before)
			}
			text := strings.Repeat("路", tc.limit)
			tc.set(&n, text)
			c, _, err := s.SubmitCase(ctx, w.operator, w.loc, n)
			if err != nil {
				t.Fatalf("%s of %d characters: %v", tc.name, tc.limit, err)
			}
			c, err = s.GetCase(ctx, w.operator, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			events, err := s.CaseEvents(ctx, w.operator, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.kept(c, events); got != text {
				t.Fatalf("%s: kept %d characters of %d", tc.name, utf8.RuneCountInString(got), tc.limit)
			}
		}
	})
}

// TestCaseActionRefusals: an action's refusal says what is wrong: an
// extension of nothing is outside bounds that exclude zero, and a case
// cannot be merged into itself. Neither leaves a trace.
func TestCaseActionRefusals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, CategoryCode: "0101", Title: "小区门口占道经营", HasLocation: true, Lng: 116.1, Lat: 39.2})
		if err != nil {
			t.Fatal(err)
		}
		w.act(t, w.handler, c.ID, store.CaseInput{Action: civic.ActClaim})
		refused := func(a civic.Actor, in store.CaseInput, field, zh, en string) {
			t.Helper()
			before, err := s.CaseEvents(ctx, w.street, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.ActOnCase(ctx, a, c.ID, in)
			if e := civic.AsError(err); e.Code != civic.EInvalid || len(e.Fields) != 1 || e.Fields[0].Field != field || e.Fields[0].Msg.ZH != zh || e.Fields[0].Msg.EN != en {
				t.Fatalf("%s: %v", in.Action, err)
			}
			if after, _ := s.CaseEvents(ctx, w.street, c.ID); len(after) != len(before) {
				t.Fatalf("%s: a refused action left %d events, were %d", in.Action, len(after), len(before))
			}
		}
		for _, amount := range []float64{0, -1, 16} {
			refused(w.handler, store.CaseInput{Action: civic.ActRequestExtend, Amount: amount, Note: "需协调多部门"},
				"amount", "延期时长应大于0且不超过15", "the extension must be more than 0 and at most 15")
		}
		if reqs, err := s.CaseRequests(ctx, w.street, c.ID); err != nil || len(reqs) != 0 {
			t.Fatalf("refused extensions were filed: %+v %v", reqs, err)
		}
		refused(w.community, store.CaseInput{Action: civic.ActMerge, MergeInto: c.ID},
			"merge_into", "不能并入工单本身", "a case cannot be merged into itself")
		refused(w.community, store.CaseInput{Action: civic.ActMerge},
			"merge_into", "请选择要并入的工单", "choose the case to merge into")
		if got, err := s.GetCase(ctx, w.street, c.ID); err != nil || got.State != civic.StateInProgress {
			t.Fatalf("after the refusals: %+v %v", got, err)
		}
	})
}

// TestWebhookURLLimit: a webhook URL over the limit is refused for its
// length, not as a malformed address; one at the limit is registered.
func TestWebhookURLLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustCaseWorld(t, s)
		base := "https://dept.example/hooks?token="
		_, err := s.CreateWebhook(ctx, civic.System, w.dept.ID, base+strings.Repeat("a", 5000))
		mustRefuseLength(t, err, "url", 2000)
		if hooks, err := s.Webhooks(ctx, civic.System, w.dept.ID); err != nil || len(hooks) != 0 {
			t.Fatalf("a refused webhook was registered: %+v %v", hooks, err)
		}
		long := base + strings.Repeat("a", 2000-len(base))
		if h, err := s.CreateWebhook(ctx, civic.System, w.dept.ID, long); err != nil || h.URL != long {
			t.Fatalf("a URL of 2000 characters: %v", err)
		}
		_, err = s.CreateWebhook(ctx, civic.System, w.dept.ID, "dept.example/hooks")
		if e := civic.AsError(err); e.Code != civic.EInvalid || !strings.Contains(e.Fields[0].Msg.ZH, "请填写完整的 http(s) 地址") {
			t.Fatalf("a URL without a scheme: %v", err)
		}
	})
}

// TestSentTwice: a form sent twice (a double tap, a refresh of the page
// it answered with) does not make two of anything: the same comment from
// the same person within two minutes is one event, the same webhook
// address of one organisation is refused, and so is a department's second
// article with the same question.
func TestSentTwice(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w, _ := kbWorld(t, s)
		c := w.file(t, w.resident, store.NewCase{Source: civic.SourceResident, Title: "楼道堆物"})
		comments := func() int {
			t.Helper()
			evs, err := s.CaseEvents(ctx, w.street, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range evs {
				if e.Action == civic.ActComment {
					n++
				}
			}
			return n
		}
		for range 2 {
			w.act(t, w.street, c.ID, store.CaseInput{Action: civic.ActComment, Note: "重点督办"})
		}
		if n := comments(); n != 1 {
			t.Fatalf("the same comment sent twice makes %d events", n)
		}
		// Someone else's same words, other words, or the same words later
		// are comments of their own.
		w.act(t, w.community, c.ID, store.CaseInput{Action: civic.ActComment, Note: "重点督办"})
		w.act(t, w.street, c.ID, store.CaseInput{Action: civic.ActComment, Note: "请尽快处理"})
		clock.Advance(3 * time.Minute)
		w.act(t, w.street, c.ID, store.CaseInput{Action: civic.ActComment, Note: "请尽快处理"})
		if n := comments(); n != 4 {
			t.Fatalf("distinct comments: %d events, want 4", n)
		}

		if _, err := s.CreateWebhook(ctx, civic.System, w.dept.ID, "https://dept.example/hooks"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateWebhook(ctx, civic.System, w.dept.ID, " https://dept.example/hooks "); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("the same webhook address twice: %v", err)
		}
		if hooks, _ := s.Webhooks(ctx, civic.System, w.dept.ID); len(hooks) != 1 {
			t.Fatalf("%d webhooks", len(hooks))
		}

		art := civic.Article{Question: "居住证怎么办理？", Answer: "再写一遍", OrgID: w.dept.ID}
		if _, err := s.CreateArticle(ctx, w.handler, art); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("the same question twice: %v", err)
		}
		if got, _, _ := s.ListArticles(ctx, w.operator, store.KnowledgeFilter{Query: "居住证"}); len(got) != 1 {
			t.Fatalf("%d articles on 居住证", len(got))
		}
	})
}
