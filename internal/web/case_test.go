package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// caseFixture adds to the web fixture what the case pages need: a
// department, a small catalogue and a user for every role in the loop.
//
//	0101 占道经营 → the department 城市管理委员会
//	0102 楼道堆物 → the grid the place lies in
//	0103 已诉讼事项 → not accepted
//	0104 小区绿化 → the community
type caseFixture struct {
	*fixture
	dept civic.Organisation
}

// Points inside grid A1 (street A) and grid B1 (street B).
const (
	pointA1 = "116.32"
	latA1   = "39.92"
	pointB1 = "116.36"
	latB1   = "39.92"
)

func mustCaseFixture(tb testing.TB) *caseFixture {
	tb.Helper()
	ctx := context.Background()
	f := &caseFixture{fixture: mustFixture(tb)}
	s := f.s
	var err error
	f.dept, err = s.CreateOrganisation(ctx, civic.System, civic.Organisation{Name: "城市管理委员会", Kind: civic.OrgDepartment, RegionCode: distCode})
	if err != nil {
		tb.Fatalf("create department: %v", err)
	}
	limits := map[civic.Stage]civic.TimeLimit{
		civic.StageClaim: {Amount: 2, Unit: civic.UnitWorkHours}, civic.StageFeedback: {Amount: 1, Unit: civic.UnitWorkDays},
		civic.StageComplete: {Amount: 3, Unit: civic.UnitWorkDays}, civic.StageVisit: {Amount: 2, Unit: civic.UnitWorkDays},
	}
	leaf := func(code, name, nameEN string, h civic.HandlerRule) civic.Category {
		return civic.Category{Code: code, ParentCode: "01", Leaf: true, Name: name, NameEN: nameEN, Type: civic.RequestComplaint, Handler: h,
			Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true}
	}
	refused := leaf("0103", "已诉讼事项", "Matters in court", civic.HandlerRule{Target: civic.HandlerCommunity})
	refused.Accepted, refused.NotAcceptedReason = false, "已进入诉讼程序的事项请通过司法途径解决"
	for _, c := range []civic.Category{
		{Code: "01", Name: "市容环境", NameEN: "City appearance", Active: true, Accepted: true},
		leaf("0101", "占道经营", "Street vending", civic.HandlerRule{Target: civic.HandlerDepartment, Department: "城市管理委员会"}),
		leaf("0102", "楼道堆物", "Clutter in stairwells", civic.HandlerRule{Target: civic.HandlerGrid}),
		refused,
		leaf("0104", "小区绿化", "Green space", civic.HandlerRule{Target: civic.HandlerCommunity}),
	} {
		if _, err := s.CreateCategory(ctx, civic.System, c); err != nil {
			tb.Fatalf("category %s: %v", c.Code, err)
		}
	}
	for _, u := range []store.NewUser{
		{Username: "operator", DisplayName: "钱话务", Role: civic.RoleOperator, Scope: civic.Scope{RegionCode: cityCode}},
		{Username: "community", DisplayName: "吴社区", Role: civic.RoleCommunityStaff, Scope: civic.Scope{RegionCode: commA}},
		{Username: "handler", DisplayName: "郑城管", Role: civic.RoleHandler, Scope: civic.Scope{RegionCode: distCode, OrgID: f.dept.ID}},
		{Username: "worker_b", DisplayName: "冯网格", Role: civic.RoleGridWorker, Scope: civic.Scope{RegionCode: gridB1}},
		{Username: "resident2", DisplayName: "陈居民", Role: civic.RoleResident, Scope: civic.Scope{RegionCode: commA}},
	} {
		u.Password = password
		cu, err := s.CreateUser(ctx, civic.System, u)
		if err != nil {
			tb.Fatalf("create user %s: %v", u.Username, err)
		}
		f.users[u.Username] = cu
	}
	return f
}

var (
	keyRe    = regexp.MustCompile(`name="key" value="([0-9a-f]{32})"`)
	caseIDRe = regexp.MustCompile(`href="/cases/(\d+)"`)
	numberRe = regexp.MustCompile(`id="case-number">(\d{15,})<`)
)

// mustFormKey opens an intake form and returns its idempotency key.
func mustFormKey(tb testing.TB, c *client, path string) string {
	tb.Helper()
	body := mustStatus(tb, c.get(path), http.StatusOK)
	m := keyRe.FindStringSubmatch(body)
	if m == nil {
		tb.Fatalf("%s: no idempotency key in the form", path)
	}
	return m[1]
}

// reportForm is a resident's report of clutter in grid A1.
func residentForm(key, title, category string) url.Values {
	return url.Values{"key": {key}, "title": {title}, "description": {"三楼楼道堆满纸箱，影响通行"}, "category_code": {category},
		"lng": {pointA1}, "lat": {latA1}, "crs": {"wgs84"}, "address": {"幸福小区3号楼"}, "reporter_phone": {"13912345678"}}
}

// mustReport files a case through a form and returns its ID and number.
func mustReport(tb testing.TB, c *client, path string, form url.Values) (int64, string) {
	tb.Helper()
	body := mustStatus(tb, c.post(path, form), http.StatusOK)
	idm, num := caseIDRe.FindStringSubmatch(body), numberRe.FindStringSubmatch(body)
	if idm == nil || num == nil {
		tb.Fatalf("%s: no case on the confirmation page:\n%s", path, truncate(body))
	}
	id, _ := strconv.ParseInt(idm[1], 10, 64)
	return id, num[1]
}

func (f *caseFixture) mustCase(tb testing.TB, id int64) civic.Case {
	tb.Helper()
	cs, err := f.s.GetCase(context.Background(), civic.System, id)
	if err != nil {
		tb.Fatalf("get case %d: %v", id, err)
	}
	return cs
}

func (f *caseFixture) countCases(tb testing.TB) int {
	tb.Helper()
	_, n, err := f.s.ListCases(context.Background(), civic.System, store.CaseFilter{})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func act(c *client, id int64, action string, kv ...string) *httptest.ResponseRecorder {
	form := url.Values{"action": {action}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	return c.post(fmt.Sprintf("/cases/%d/act", id), form)
}

func TestResidentReportsAndFollowsACase(t *testing.T) {
	f := mustCaseFixture(t)
	c := f.mustLogin(t, "resident")
	body := mustStatus(t, c.get("/report"), http.StatusOK)
	mustContain(t, body, "不知道，由工作人员判断", `<optgroup label="市容环境">`, "楼道堆物",
		`data-reason="已进入诉讼程序的事项请通过司法途径解决"`, `name="anonymous"`, `data-case-map="pick"`, `/static/case.js`,
		`name="crs" value="wgs84"`, "使用我的位置",
		// The resident's own community outlined on the map, given with the page.
		`data-outline="{&#34;type&#34;:&#34;FeatureCollection&#34;`, "幸福社区")
	key := mustFormKey(t, c, "/report")

	id, number := mustReport(t, c, "/report", residentForm(key, "楼道堆物无人清理", "0102"))
	cs := f.mustCase(t, id)
	if cs.Source != civic.SourceResident || cs.ReporterID != f.users["resident"].ID || cs.RegionCode != gridA1 {
		t.Errorf("filed case: %+v", cs)
	}
	if cs.State != civic.StateDispatched || cs.HandlerRegionCode != gridA1 {
		t.Errorf("the grid rule should dispatch to grid A1: state %s handler %q", cs.State, cs.HandlerRegionCode)
	}
	// The follow link and the list both lead to it.
	body = mustStatus(t, c.get("/my/cases"), http.StatusOK)
	mustContain(t, body, "楼道堆物无人清理", number, "待签收", `class="case-steps"`)
	body = mustStatus(t, c.get("/cases/"+number), http.StatusOK)
	mustContain(t, body, "楼道堆物无人清理", "幸福第一网格", "办理记录", `data-case-map="view"`)
	// Nothing to do for the reporter while it is being handled but a
	// comment.
	mustNotContain(t, body, `value="claim"`, `value="dispatch"`, `value="visit"`)
	mustContain(t, body, "补充情况")

	// Another resident cannot see it.
	mustStatus(t, f.mustLogin(t, "resident2").get(fmt.Sprintf("/cases/%d", id)), http.StatusNotFound)
}

func TestResubmittingTheSameFormFilesOneCase(t *testing.T) {
	f := mustCaseFixture(t)
	c := f.mustLogin(t, "resident")
	key := mustFormKey(t, c, "/report")
	form := residentForm(key, "楼道堆物", "0102")
	id1, n1 := mustReport(t, c, "/report", form)
	// A double click or a refreshed POST carries the same key.
	id2, n2 := mustReport(t, c, "/report", form)
	if id1 != id2 || n1 != n2 {
		t.Errorf("second submit made case %d (%s), want %d (%s)", id2, n2, id1, n1)
	}
	mustContain(t, c.post("/report", form).Body.String(), "该问题已提交过")
	if n := f.countCases(t); n != 1 {
		t.Errorf("%d cases, want 1", n)
	}
	// The key is the user's: another resident posting it files their own.
	other := f.mustLogin(t, "resident2")
	id3, _ := mustReport(t, other, "/report", form)
	if id3 == id1 {
		t.Error("another user's resubmission returned the first user's case")
	}
	// A fresh form is a fresh key.
	if mustFormKey(t, c, "/report") == key {
		t.Error("two renders gave the same key")
	}
}

func TestBadReportShowsInlineErrorsAndWritesNothing(t *testing.T) {
	f := mustCaseFixture(t)
	c := f.mustLogin(t, "resident")
	key := mustFormKey(t, c, "/report")
	tests := []struct {
		name  string
		form  url.Values
		wants []string
	}{
		{"nothing said, no place", url.Values{"key": {key}, "address": {"3号楼门口"}, "reporter_phone": {"12"}},
			[]string{"请写明反映的问题", "请在地图上选择位置", "联系电话格式不正确", `value="3号楼门口"`, `aria-invalid="true"`}},
		{"a title too long", url.Values{"key": {key}, "title": {strings.Repeat("长", 101)}, "description": {"路灯坏了很久"}, "lng": {pointA1}, "lat": {latA1}},
			[]string{"请用一句话概括问题（不超过100字）", "路灯坏了很久"}},
		{"coordinates not numbers", url.Values{"key": {key}, "title": {"路灯不亮"}, "lng": {"east"}, "lat": {"39.9"}},
			[]string{"经纬度应为数字", `value="路灯不亮"`, `value="east"`}},
		{"outside the area served", url.Values{"key": {key}, "title": {"路灯不亮"}, "lng": {"100"}, "lat": {"20"}},
			[]string{"该位置不在本平台的服务范围内"}},
		{"not accepted, not acknowledged", url.Values{"key": {key}, "title": {"诉讼中的纠纷"}, "category_code": {"0103"}, "lng": {pointA1}, "lat": {latA1}},
			[]string{"已进入诉讼程序的事项请通过司法途径解决", "我已了解，仍要提交", `value="0103" data-reason=`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := mustStatus(t, c.post("/report", tc.form), http.StatusUnprocessableEntity)
			mustContain(t, body, tc.wants...)
			mustContain(t, body, `name="key" value="`+key+`"`)
		})
	}
	if n := f.countCases(t); n != 0 {
		t.Fatalf("refused forms wrote %d cases", n)
	}
	// Acknowledged, it is filed and rejected at once with the reason.
	form := residentForm(key, "诉讼中的纠纷", "0103")
	form.Set("ack_not_accepted", "1")
	id, _ := mustReport(t, c, "/report", form)
	if cs := f.mustCase(t, id); cs.State != civic.StateRejected {
		t.Errorf("state %s, want rejected", cs.State)
	}
	mustContain(t, mustStatus(t, c.get(fmt.Sprintf("/cases/%d", id)), http.StatusOK), "不予受理", "已进入诉讼程序的事项请通过司法途径解决")
}

// Signed-out visitors may report (anonymously, see TestAnonymousReport)
// but everything else sends them to the login page.
func TestSignedOutVisitorsAreSentToLogin(t *testing.T) {
	f := mustCaseFixture(t)
	rec := f.client(t).get("/my/cases")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login?next=%2Fmy%2Fcases" {
		t.Errorf("status %d location %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestHotlineIntake(t *testing.T) {
	f := mustCaseFixture(t)
	op := f.mustLogin(t, "operator")
	// The report link takes an operator to the call form.
	rec := op.get("/report")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/cases/new?channel=hotline" {
		t.Fatalf("operator /report: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if rec := op.get("/report?lang=en"); rec.Header().Get("Location") != "/cases/new?channel=hotline&lang=en" {
		t.Fatalf("operator /report?lang=en: %q", rec.Header().Get("Location"))
	}
	body := mustStatus(t, op.get("/cases/new?channel=hotline"), http.StatusOK)
	mustContain(t, body, "来电号码", "来电人姓名", "通话记录", "已直接答复", `name="region_code"`, "东风街道", "　└ 幸福社区")
	// Without map tiles the map still shows the streets of the city.
	mustContain(t, body, `data-under="1101" data-level="street"`)
	key := mustFormKey(t, op, "/cases/new?channel=hotline")

	// The caller's number is required.
	form := url.Values{"key": {key}, "title": {"咨询垃圾分类时间"}, "region_code": {commA}}
	mustContain(t, mustStatus(t, op.post("/cases/new?channel=hotline", form), http.StatusUnprocessableEntity), "请填写来电号码")
	form.Set("reporter_phone", "13700001111")
	form.Set("answered_directly", "1")
	mustContain(t, mustStatus(t, op.post("/cases/new?channel=hotline", form), http.StatusUnprocessableEntity), "请填写答复内容")
	if n := f.countCases(t); n != 0 {
		t.Fatalf("%d cases after refused calls", n)
	}

	// Answered directly, the call closes the case at once.
	form.Set("answer", "每天 18:00–20:00 定时投放")
	form.Set("reporter_name", "马先生")
	id, _ := mustReport(t, op, "/cases/new?channel=hotline", form)
	cs := f.mustCase(t, id)
	if cs.State != civic.StateClosed || cs.Source != civic.SourceHotline || cs.ReporterPhone != "13700001111" || cs.RegionCode != commA {
		t.Errorf("hotline case: %+v", cs)
	}
	body = mustStatus(t, op.get(fmt.Sprintf("/cases/%d", id)), http.StatusOK)
	mustContain(t, body, "待回访", "直接答复", "每天 18:00–20:00 定时投放", `href="tel:13700001111"`, `value="visit"`)

	// Only operators take calls.
	mustStatus(t, f.mustLogin(t, "worker").get("/cases/new?channel=hotline"), http.StatusForbidden)
	mustStatus(t, f.mustLogin(t, "resident").get("/cases/new?channel=patrol"), http.StatusForbidden)
}

func TestPatrolReportStaysInTheWorkersGrid(t *testing.T) {
	f := mustCaseFixture(t)
	w := f.mustLogin(t, "worker")
	body := mustStatus(t, w.get("/cases/new?channel=patrol"), http.StatusOK)
	mustContain(t, body, "巡查上报", `data-under="`+gridA1+`"`, `data-level="grid"`, `<option value="`+gridA1+`" selected>`)
	key := mustFormKey(t, w, "/cases/new?channel=patrol")
	form := url.Values{"key": {key}, "title": {"井盖缺失"}, "lng": {pointB1}, "lat": {latB1}, "region_code": {gridA1}}
	mustContain(t, mustStatus(t, w.post("/cases/new?channel=patrol", form), http.StatusForbidden), "事发地不在您的管辖范围内")
	form.Set("lng", pointA1)
	form.Set("lat", latA1)
	id, _ := mustReport(t, w, "/cases/new?channel=patrol", form)
	if cs := f.mustCase(t, id); cs.Source != civic.SourcePatrol || cs.RegionCode != gridA1 {
		t.Errorf("patrol case: source %s region %s", cs.Source, cs.RegionCode)
	}
}

func TestHandlerQueueAndClaim(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	id, number := mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "早市占道经营", "0101"))
	if cs := f.mustCase(t, id); cs.HandlerOrgID != f.dept.ID || cs.State != civic.StateDispatched {
		t.Fatalf("not dispatched to the department: %+v", cs)
	}

	h := f.mustLogin(t, "handler")
	body := mustStatus(t, h.get("/cases?tab=tasks"), http.StatusOK)
	mustContain(t, body, "我的待办", "早市占道经营", number, `class="due due-`)
	// The handler's nav has cases but no report link.
	mustContain(t, body, `href="/cases"`, `href="/my/cases"`)
	mustNotContain(t, body, `href="/report"`)

	body = mustStatus(t, h.get(fmt.Sprintf("/cases/%d", id)), http.StatusOK)
	mustContain(t, body, `name="action" value="claim"`, `name="action" value="return"`, "签收", "截止")
	mustNotContain(t, body, `value="dispatch"`, `value="verify_pass"`, `value="handle"`)

	rec := act(h, id, "claim")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("claim: %d %s", rec.Code, truncate(rec.Body.String()))
	}
	if cs := f.mustCase(t, id); cs.State != civic.StateInProgress {
		t.Fatalf("state %s after claim", cs.State)
	}
	body = mustStatus(t, h.get(rec.Header().Get("Location")), http.StatusOK)
	mustContain(t, body, "已提交，工单已更新", "处理中", `value="handle"`, `value="feedback"`)
	mustNotContain(t, body, `name="action" value="claim"`)

	// A second claim (a stale page, or a colleague) is a message, not a
	// crash.
	body = mustStatus(t, act(h, id, "claim"), http.StatusConflict)
	mustContain(t, body, `id="case-conflict"`, "不能签收", "处理中", `value="handle"`)

	// A required note refused by the store comes back inline with the
	// input kept.
	body = mustStatus(t, act(h, id, "handle", "note", ""), http.StatusUnprocessableEntity)
	mustContain(t, body, `<details class="case-act" id="act-handle" open>`, "请填写办理结果")
}

func TestDetailOffersOnlyAllowedActions(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	// 小区绿化 goes to the community.
	id, _ := mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "绿地被毁", "0104"))
	if cs := f.mustCase(t, id); cs.HandlerRegionCode != commA {
		t.Fatalf("handler region %q, want the community", cs.HandlerRegionCode)
	}
	path := fmt.Sprintf("/cases/%d", id)
	tests := []struct {
		user        string
		status      int
		want, avoid []string
	}{
		// The grid worker sees the case in their grid but does not handle
		// it: the community does.
		{"worker", http.StatusOK, []string{"绿地被毁", `value="comment"`}, []string{`value="claim"`, `value="dispatch"`}},
		{"community", http.StatusOK, []string{`value="claim"`, `value="transfer"`, `value="recall"`, `value="comment"`}, []string{`value="verify_pass"`}},
		{"street", http.StatusOK, []string{`value="claim"`, `value="recall"`}, nil},
		{"operator", http.StatusOK, []string{`value="recall"`, `value="transfer"`, `value="merge"`}, []string{`value="claim"`}},
		{"handler", http.StatusNotFound, []string{"未找到"}, []string{"绿地被毁"}},
		{"worker_b", http.StatusNotFound, []string{"未找到"}, []string{"绿地被毁"}},
		{"resident", http.StatusOK, []string{"绿地被毁", "幸福社区"}, []string{`value="claim"`, `value="transfer"`, `value="recall"`}},
	}
	for _, tc := range tests {
		t.Run(tc.user, func(t *testing.T) {
			body := mustStatus(t, f.mustLogin(t, tc.user).get(path), tc.status)
			mustContain(t, body, tc.want...)
			mustNotContain(t, body, tc.avoid...)
		})
	}
	// Posting a hidden action anyway is refused by the store.
	mustStatus(t, act(f.mustLogin(t, "worker"), id, "claim"), http.StatusForbidden)
	mustStatus(t, act(f.mustLogin(t, "worker_b"), id, "comment", "note", "x"), http.StatusNotFound)
	if cs := f.mustCase(t, id); cs.State != civic.StateDispatched {
		t.Errorf("state %s after refused actions", cs.State)
	}
}

// The whole loop through the pages: return, dispatch from the queue to a
// grid, claim, handle, verify, the reporter's rating and reopening.
func TestCaseLoopThroughThePages(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	id, _ := mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "占道摆摊", "0101"))
	h, comm, worker := f.mustLogin(t, "handler"), f.mustLogin(t, "community"), f.mustLogin(t, "worker")
	// Returning takes the case out of the handler's hands: they land on
	// their list, told it was done.
	rec := act(h, id, "return", "note", "属于小区内部事务，非城管职责")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/cases" {
		t.Fatalf("return: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	mustContain(t, mustStatus(t, h.get("/cases"), http.StatusOK), "该工单已移出您的办理范围")

	// Back in the dispatcher's queue; the handler no longer sees it.
	mustContain(t, mustStatus(t, comm.get("/cases?tab=dispatch"), http.StatusOK), "占道摆摊", "待派单",
		`class="table table-cards"`, `data-label="状态"`) // cards on a phone
	mustStatus(t, h.get(fmt.Sprintf("/cases/%d", id)), http.StatusNotFound)

	// The return is internal: staff see it marked, the reporter not at all.
	body := mustStatus(t, comm.get(fmt.Sprintf("/cases/%d", id)), http.StatusOK)
	mustContain(t, body, "属于小区内部事务，非城管职责", `class="timeline-internal"`, "内部", `value="dispatch"`, "幸福第一网格 · 网格", "城市管理委员会（职能部门）")
	body = mustStatus(t, res.get(fmt.Sprintf("/cases/%d", id)), http.StatusOK)
	mustNotContain(t, body, "属于小区内部事务", "timeline-internal", "handler（")
	mustContain(t, body, "占道摆摊", "已上报")

	// Dispatch to a grid without choosing one is refused inline.
	body = mustStatus(t, act(comm, id, "dispatch", "target", "region"), http.StatusUnprocessableEntity)
	mustContain(t, body, `id="act-dispatch" open`, "请选择承办的街道、社区或网格")
	mustStatus(t, act(comm, id, "dispatch", "target", "region", "target_region_code", gridA1), http.StatusSeeOther)
	mustContain(t, mustStatus(t, worker.get("/cases?tab=tasks"), http.StatusOK), "占道摆摊")
	mustStatus(t, act(worker, id, "claim"), http.StatusSeeOther)
	mustStatus(t, act(worker, id, "handle", "note", "已劝离摊贩并清理现场"), http.StatusSeeOther)
	mustContain(t, mustStatus(t, comm.get("/cases?tab=verify"), http.StatusOK), "占道摆摊")
	mustStatus(t, act(comm, id, "verify_pass"), http.StatusSeeOther)

	// Closed: the reporter rates it.
	body = mustStatus(t, res.get("/my/cases"), http.StatusOK)
	mustContain(t, body, "已办结，请评价")
	body = mustStatus(t, res.get(fmt.Sprintf("/cases/%d", id)), http.StatusOK)
	mustContain(t, body, `value="visit"`, "满意", "基本满意", "不满意", "已解决", "未解决")
	mustNotContain(t, body, `value="reopen"`)
	body = mustStatus(t, act(res, id, "visit", "satisfaction", "dissatisfied"), http.StatusUnprocessableEntity)
	mustContain(t, body, "请选择满意度和是否解决", `value="dissatisfied" checked`)
	mustStatus(t, act(res, id, "visit", "satisfaction", "dissatisfied", "solved", "0", "note", "第二天又来了"), http.StatusSeeOther)
	body = mustStatus(t, res.get(fmt.Sprintf("/cases/%d", id)), http.StatusOK)
	mustContain(t, body, "不满意", "未解决", `value="reopen"`)
	mustStatus(t, act(res, id, "reopen", "note", "摊贩仍在"), http.StatusSeeOther)
	if cs := f.mustCase(t, id); cs.State != civic.StateAccepted || cs.ReopenCount != 1 {
		t.Errorf("after reopen: state %s reopen count %d", cs.State, cs.ReopenCount)
	}
}

// Extension requests are decided from the timeline, and duplicates are
// merged by case number.
func TestExtensionAndMerge(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	id, _ := mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "占道摆摊", "0101"))
	h := f.mustLogin(t, "handler")
	mustStatus(t, act(h, id, "claim"), http.StatusSeeOther)
	body := mustStatus(t, act(h, id, "request_extend", "amount", "lots", "note", "需协调多部门"), http.StatusUnprocessableEntity)
	mustContain(t, body, `id="act-request_extend" open`, "请填写延期时长", `value="lots"`)
	mustContain(t, mustStatus(t, act(h, id, "request_extend", "amount", "0.0001", "note", "需协调多部门"), http.StatusUnprocessableEntity), "以半个工作日为单位")
	mustStatus(t, act(h, id, "request_extend", "amount", "2", "note", "需协调多部门"), http.StatusSeeOther)

	street := f.mustLogin(t, "street")
	body = mustStatus(t, street.get(fmt.Sprintf("/cases/%d", id)), http.StatusOK)
	mustContain(t, body, `value="decide"`, "延期申请（2）", `name="approve" value="1" checked`)
	m := regexp.MustCompile(`name="request_id"[^>]*>\s*<option value="(\d+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no request to decide:\n%s", truncate(body))
	}
	mustStatus(t, act(street, id, "decide", "request_id", m[1], "approve", "1", "note", "同意"), http.StatusSeeOther)
	if cs := f.mustCase(t, id); cs.CompleteExtra != 2 {
		t.Errorf("complete extra %g after approval", cs.CompleteExtra)
	}
	// Decided, the request no longer shows.
	mustNotContain(t, mustStatus(t, street.get(fmt.Sprintf("/cases/%d", id)), http.StatusOK), `value="decide"`)

	// The same problem reported again is merged into the first.
	dup, _ := mustReport(t, f.mustLogin(t, "resident2"), "/report", residentForm(mustFormKey(t, res, "/report"), "又见占道摆摊", "0104"))
	op := f.mustLogin(t, "operator")
	body = mustStatus(t, act(op, dup, "merge", "merge_into", "20990101999"), http.StatusUnprocessableEntity)
	mustContain(t, body, "找不到工单", `id="act-merge" open`)
	mustStatus(t, act(op, dup, "merge", "merge_into", f.mustCase(t, id).Number), http.StatusSeeOther)
	body = mustStatus(t, op.get(fmt.Sprintf("/cases/%d", dup)), http.StatusOK)
	mustContain(t, body, "已合并", fmt.Sprintf(`href="/cases/%d"`, id))
}

func TestStaffCaseListFilters(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	_, n1 := mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "楼道堆物甲", "0102"))
	mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "绿地乙", "0104"))
	op := f.mustLogin(t, "operator")
	mustReport(t, op, "/cases/new?channel=hotline", url.Values{"key": {mustFormKey(t, op, "/cases/new?channel=hotline")},
		"title": {"西湖热线丙"}, "reporter_phone": {"13700001111"}, "region_code": {commB}})

	c := f.mustLogin(t, "admin")
	today := civic.Today(f.s.Now())
	tests := []struct {
		query       string
		want, avoid []string
	}{
		{"", []string{"楼道堆物甲", "绿地乙", "西湖热线丙", "共 3 条"}, nil},
		{"?q=" + n1, []string{"楼道堆物甲", "共 1 条"}, []string{"绿地乙"}},
		{"?q=绿地", []string{"绿地乙"}, []string{"楼道堆物甲"}},
		{"?category=0102", []string{"楼道堆物甲"}, []string{"绿地乙"}},
		{"?category=01", []string{"楼道堆物甲", "绿地乙"}, []string{"西湖热线丙"}},
		{"?source=hotline", []string{"西湖热线丙"}, []string{"楼道堆物甲"}},
		{"?under=" + streetB, []string{"西湖热线丙"}, []string{"楼道堆物甲"}},
		{"?state=dispatched&from=" + today + "&to=" + today, []string{"楼道堆物甲", "绿地乙"}, nil},
		{"?from=2000-01-01&to=2000-01-02", []string{"没有符合条件的工单"}, []string{"楼道堆物甲"}},
		{"?from=yesterday", []string{"已忽略：yesterday", "楼道堆物甲"}, nil},
		{"?overdue=1", []string{"没有符合条件的工单"}, nil},
		{"?tab=overdue", []string{"没有符合条件的工单"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			body := mustStatus(t, c.get("/cases"+tc.query), http.StatusOK)
			mustContain(t, body, tc.want...)
			mustNotContain(t, body, tc.avoid...)
		})
	}
	// htmx gets only the results.
	body := mustStatus(t, c.get("/cases?q=绿地", "HX-Request", "true"), http.StatusOK)
	mustNotContain(t, body, "<html", `class="filters`)
	mustContain(t, body, "绿地乙")
	// A street sees its own street only; residents may not list cases.
	body = mustStatus(t, f.mustLogin(t, "street").get("/cases"), http.StatusOK)
	mustContain(t, body, "楼道堆物甲")
	mustNotContain(t, body, "西湖热线丙")
	mustStatus(t, res.get("/cases"), http.StatusForbidden)
}

func TestCasePagesRenderInBothLanguages(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	id, _ := mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "占道摆摊", "0101"))
	detail := fmt.Sprintf("/cases/%d", id)
	pages := []struct {
		user, path string
		zh, en     []string
	}{
		{"resident", "/report", []string{"上报问题", "不知道", "匿名反映"}, []string{"Report a problem", "know – staff will decide", "Report anonymously", "Street vending"}},
		{"resident", "/my/cases", []string{"我的诉求", "已上报"}, []string{"My cases", "Reported"}},
		{"resident", detail, []string{"办理记录", "待签收"}, []string{"Timeline", "Dispatched"}},
		{"operator", "/cases/new?channel=hotline", []string{"热线来电登记"}, []string{"Log a hotline call"}},
		{"worker", "/cases/new?channel=patrol", []string{"巡查上报"}, []string{"Patrol report"}},
		{"admin", "/cases", []string{"待派单", "我的待办", "待核查", "待回访", "超期"}, []string{"To dispatch", "My tasks", "To verify", "To visit", "Overdue"}},
		{"handler", detail, []string{"办理时限", "签收", "剩余"}, []string{"Time limits", "Claim", "left"}},
	}
	for _, p := range pages {
		for _, lang := range []string{"zh", "en"} {
			t.Run(p.user+p.path+"/"+lang, func(t *testing.T) {
				sep := "?"
				if strings.Contains(p.path, "?") {
					sep = "&"
				}
				body := mustStatus(t, f.mustLogin(t, p.user).get(p.path+sep+"lang="+lang), http.StatusOK)
				want := p.zh
				if lang == "en" {
					want = p.en
				}
				mustContain(t, body, want...)
			})
		}
	}
}

func TestCaseNavigationByRole(t *testing.T) {
	f := mustCaseFixture(t)
	tests := []struct {
		user        string
		want, avoid []string
	}{
		{"resident", []string{`href="/report"`, `href="/my/cases"`}, []string{`href="/cases"`}},
		{"worker", []string{`href="/report"`, `href="/cases"`, `href="/my/cases"`}, nil},
		{"handler", []string{`href="/cases"`, `href="/my/cases"`}, []string{`href="/report"`}},
	}
	for _, tc := range tests {
		t.Run(tc.user, func(t *testing.T) {
			body := mustStatus(t, f.mustLogin(t, tc.user).get("/account"), http.StatusOK)
			mustContain(t, body, tc.want...)
			mustNotContain(t, body, tc.avoid...)
		})
	}
}

func TestCaseClocks(t *testing.T) {
	start := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	due := start.Add(10 * time.Hour)
	tests := []struct {
		at   time.Duration
		want string
	}{
		{time.Hour, "green"}, {5 * time.Hour, "yellow"}, {8 * time.Hour, "red"}, {11 * time.Hour, "over"},
	}
	for _, tc := range tests {
		if got := dueLevel(start.Add(tc.at), &start, due, 0.5, 0.8); got != tc.want {
			t.Errorf("after %s: %s, want %s", tc.at, got, tc.want)
		}
	}
	cs := civic.Case{State: civic.StateDispatched, DispatchedAt: &start, ClaimDue: &due, CompleteDue: ptr(due.Add(48 * time.Hour))}
	ks := clocks("zh", cs, start.Add(11*time.Hour), 0.5, 0.8)
	if p := pressing(ks); p == nil || p.Stage != "claim" || p.Level != "over" || !strings.Contains(p.Left, "1小时") {
		t.Errorf("pressing clock %+v", p)
	}
	cs.Paused = true
	if p := pressing(clocks("en", cs, start.Add(11*time.Hour), 0.5, 0.8)); p == nil || p.Level != "paused" {
		t.Errorf("paused clock %+v", p)
	}
}

func TestPendingRequestsFromTheTimeline(t *testing.T) {
	events := []civic.CaseEvent{
		{Action: civic.ActRequestExtend, Data: `{"request_id":4,"kind":"extend","amount":2}`},
		{Action: civic.ActDecide, Data: `{"request_id":4,"kind":"extend","approved":true}`},
		{Action: civic.ActRequestPause, Data: `{"request_id":7,"kind":"pause","amount":0}`},
		{Action: civic.ActComment},
	}
	got := pendingRequests("zh", events)
	if len(got) != 1 || got[0].Value != "7" || !strings.Contains(got[0].Label, "挂账") {
		t.Errorf("pending %+v", got)
	}
}

func TestCaseKeysExist(t *testing.T) {
	var keys []string
	for _, k := range caseQueues {
		keys = append(keys, "cases.tab."+tabName(k))
	}
	for _, s := range []string{"claim", "feedback", "complete", "visit"} {
		keys = append(keys, "case.clock."+s)
	}
	for _, s := range caseSteps {
		keys = append(keys, "case.step."+s)
	}
	for _, n := range actionNotes {
		keys = append(keys, n.key)
	}
	keys = append(keys, "case.note.remark", "flash.case_acted", "flash.case_handed_on", "case.supplement", "case.note.supplement", "case.request_extend", "case.request_pause", "case.system", "case.reporter")
	for _, k := range keys {
		if _, ok := messages[k]; !ok {
			t.Errorf("key %s missing", k)
		}
	}
}

// TestHomeShowsWorkQueues: staff land on their queues with counts — a
// department's handler on the case just dispatched to them, without the
// territory's grid counts; community staff on theirs and the territory.
func TestHomeShowsWorkQueues(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "占道摆摊", "0101"))
	home := mustStatus(t, f.mustLogin(t, "handler").get("/"), http.StatusOK)
	mustContain(t, home, `href="/cases?tab=tasks" data-queue="tasks"><span class="stat-num">1</span><span class="stat-label">我的待办`, "待办工作")
	mustNotContain(t, home, "缺专职网格员的网格", `data-queue="dispatch"`)
	home = mustStatus(t, f.mustLogin(t, "community").get("/"), http.StatusOK)
	mustContain(t, home, `data-queue="dispatch"`, `data-queue="verify"`, `data-queue="overdue"`, "缺专职网格员的网格", `<span class="stat-label">网格</span>`)
	// A community counts its grids, not streets or communities.
	mustNotContain(t, home, `<span class="stat-label">街道</span>`, `<span class="stat-label">社区</span>`)
	mustNotContain(t, mustStatus(t, res.get("/"), http.StatusOK), "data-queue")
}

func TestOutlinesUnder(t *testing.T) {
	for scope, want := range map[string]string{"": "street", "1101": "street", "110101": "street", "110101001": "community",
		"110101001001": "grid", "110101001001001": "grid"} {
		if under, level := outlinesUnder(scope); under != scope || level != want {
			t.Errorf("%q: %q %q, want level %q", scope, under, level, want)
		}
	}
}

// TestResidentHome: a resident's home leads to reporting and says how
// their reports stand.
func TestResidentHome(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	home := mustStatus(t, res.get("/"), http.StatusOK)
	mustContain(t, home, `href="/report"`, `data-mine="open"><span class="stat-num">0</span>`)
	mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "占道摆摊", "0101"))
	mustContain(t, mustStatus(t, res.get("/"), http.StatusOK), `data-mine="open"><span class="stat-num">1</span>`, "办理中的诉求", "待您评价")
	mustContain(t, mustStatus(t, res.get("/?lang=en"), http.StatusOK), "Reports being handled")
}

// TestTimelineInEnglish: what intake writes on the timeline — the channel
// and the automatic dispatch with its reason — reads in English on an
// English page.
func TestTimelineInEnglish(t *testing.T) {
	f := mustCaseFixture(t)
	res := f.mustLogin(t, "resident")
	id, _ := mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "占道摆摊", "0101"))
	comm := f.mustLogin(t, "community")
	page := "/cases/" + strconv.FormatInt(id, 10)
	en := mustStatus(t, comm.get(page+"?lang=en"), http.StatusOK)
	mustContain(t, en, "Resident", "Dispatched to ")
	mustNotContain(t, en, "居民上报", "已派发至")
	mustContain(t, mustStatus(t, comm.get(page+"?lang=zh"), http.StatusOK), "居民上报", "已派发至")
}

func TestSystemEventNote(t *testing.T) {
	deputy := civic.CaseEvent{Action: civic.ActComment, Note: "两代表一委员反映（区人大代表 李代表），优先办理", Data: `{"priority":"deputy"}`}
	if got, ok := systemEventNote("en", deputy); !ok || got != "Raised by a deputy (区人大代表 李代表): handled first" {
		t.Fatalf("deputy note: %q %v", got, ok)
	}
	if _, ok := systemEventNote("zh", deputy); ok {
		t.Fatal("a Chinese page keeps the note as written")
	}
	manual := civic.CaseEvent{Action: civic.ActDispatch, ActorID: 7, Note: "派发至东华门街道。派单员指定 请尽快处理",
		Data: `{"name":"东华门街道","why":{"zh":"派单员指定","en":"chosen by the dispatcher"}}`}
	if got, ok := systemEventNote("en", manual); !ok || got != "Dispatched to 东华门街道. chosen by the dispatcher 请尽快处理" {
		t.Fatalf("a dispatcher's note: %q %v", got, ok)
	}
	other := civic.CaseEvent{Action: civic.ActComment, Note: "已联系物业"}
	if _, ok := systemEventNote("en", other); ok {
		t.Fatal("a person's note is not translated")
	}
}

// TestReportSessionExpired: a resident's session ends while the form is
// open on the phone. The form, sent without it, is not filed as an
// anonymous case without its photos: it comes back with what was typed
// and says why; once signed in again, the same form files the case.
func TestReportSessionExpired(t *testing.T) {
	f := mustCaseFixture(t)
	c := f.mustLogin(t, "resident")
	key := mustFormKey(t, c, "/report")
	body := mustStatus(t, c.get("/report"), http.StatusOK)
	mustContain(t, body, `name="signed_in" value="1"`)
	form := residentForm(key, "楼道堆满纸箱", "0102")
	form.Set("signed_in", "1")
	saved := c.cookies
	c.cookies = map[string]*http.Cookie{}
	body = mustStatus(t, c.post("/report", form), http.StatusUnauthorized)
	mustContain(t, body, "登录已过期，本次没有提交")
	mustContain(t, body, "楼道堆满纸箱")
	mustContain(t, body, "三楼楼道堆满纸箱，影响通行")
	mustContain(t, body, `name="signed_in" value="1"`)
	if n := f.countCases(t); n != 0 {
		t.Fatalf("an expired session filed %d cases", n)
	}
	c.cookies = saved
	id, _ := mustReport(t, c, "/report", form)
	if cs := f.mustCase(t, id); cs.Anonymous || cs.ReporterID != f.users["resident"].ID {
		t.Fatalf("filed after signing in again: %+v", cs)
	}
}

// TestReportKeyReused: a form sent, then edited after going back and sent
// again under the same key, is another report. It is refused once, with
// what was typed and a fresh key, and the second sending files it.
func TestReportKeyReused(t *testing.T) {
	f := mustCaseFixture(t)
	c := f.mustLogin(t, "resident")
	key := mustFormKey(t, c, "/report")
	first, _ := mustReport(t, c, "/report", residentForm(key, "楼道堆满纸箱", "0102"))
	form := residentForm(key, "小区绿地被占", "0104")
	body := mustStatus(t, c.post("/report", form), http.StatusConflict)
	mustContain(t, body, "这张表单先前已提交过另一份内容")
	mustContain(t, body, "小区绿地被占")
	m := keyRe.FindStringSubmatch(body)
	if m == nil || m[1] == key {
		t.Fatalf("the refused form keeps the used key: %v", m)
	}
	form.Set("key", m[1])
	second, _ := mustReport(t, c, "/report", form)
	if second == first || f.mustCase(t, second).Title != "小区绿地被占" {
		t.Fatalf("the second report: %d (first %d)", second, first)
	}
}
