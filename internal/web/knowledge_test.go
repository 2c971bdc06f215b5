package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// TestKnowledgePages drives the knowledge base through the pages: the
// department's handler writes articles, the operator searches in Chinese,
// sees suggestions on the hotline form and flags an article, the handler
// resolves the flag from the queue; a resident reads public articles only.
func TestKnowledgePages(t *testing.T) {
	f := mustCaseFixture(t)
	handler, op := f.mustLogin(t, "handler"), f.mustLogin(t, "operator")
	dept := strconv.FormatInt(f.dept.ID, 10)

	body := mustStatus(t, handler.get("/knowledge/new"), http.StatusOK)
	mustContain(t, body, `id="kb-form"`, "城市管理委员会")
	body = mustStatus(t, handler.post("/knowledge/new", url.Values{"question": {""}, "answer": {"答"}, "org_id": {dept}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "问题不能为空")
	for _, a := range []url.Values{
		{"question": {"占道经营怎么举报？"}, "answer": {"可拨打12345或在随手拍上报，城管执法队2个工作日内处理。"}, "org_id": {dept}, "public": {"1"}, "category_code": {"0101"}},
		{"question": {"夜市摊位审批口径"}, "answer": {"夜市由街道统一规划，个人摊位不予审批。"}, "org_id": {dept}},
		{"question": {"去年的占道整治通告"}, "answer": {"整治已结束。"}, "org_id": {dept}, "public": {"1"}, "valid_to": {"2025-12-31"}},
	} {
		if rec := handler.post("/knowledge/new", a); rec.Code != http.StatusSeeOther {
			t.Fatalf("create %s: %d %s", a.Get("question"), rec.Code, rec.Body)
		}
	}
	if rec := op.post("/knowledge/new", url.Values{"question": {"问"}, "answer": {"答"}, "org_id": {dept}}); rec.Code != http.StatusForbidden {
		t.Errorf("operator creates: %d", rec.Code)
	}

	body = mustStatus(t, op.get("/knowledge?q="+url.QueryEscape("占道")), http.StatusOK)
	mustContain(t, body, "占道经营怎么举报？", "去年的占道整治通告", "已过期")
	mustNotContain(t, body, "夜市摊位审批口径")
	body = mustStatus(t, op.get("/knowledge?q="+url.QueryEscape("垃圾"), "HX-Request", "true"), http.StatusOK)
	mustContain(t, body, "没有找到相关知识")
	mustNotContain(t, body, "<html")

	// Suggestions on the hotline form, as the operator types.
	body = mustStatus(t, op.get("/cases/new?channel=hotline"), http.StatusOK)
	mustContain(t, body, `id="kb-suggest"`, `hx-get="/knowledge/suggest"`)
	body = mustStatus(t, op.get("/knowledge/suggest?title="+url.QueryEscape("举报占道经营")+"&description="+url.QueryEscape("来电人反映小区门口有人占道经营卖水果"), "HX-Request", "true"), http.StatusOK)
	mustContain(t, body, `id="kb-suggestions"`, "占道经营怎么举报？")
	mustNotContain(t, body, "去年的占道整治通告", "<html")

	arts, _, err := f.s.ListArticles(context.Background(), civic.System, store.KnowledgeFilter{Query: "占道经营怎么举报"})
	if err != nil || len(arts) != 1 {
		t.Fatalf("article: %v %v", arts, err)
	}
	path := "/knowledge/" + strconv.FormatInt(arts[0].ID, 10)
	body = mustStatus(t, op.get(path), http.StatusOK)
	mustContain(t, body, "城管执法队2个工作日内处理", "占道经营", `id="kb-flag-form"`)
	mustNotContain(t, body, path+"/edit")
	if rec := op.post(path+"/flag", url.Values{"reason": {""}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("empty reason: %d", rec.Code)
	}
	if rec := op.post(path+"/flag", url.Values{"reason": {"处理时限已改为1个工作日"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("flag: %d %s", rec.Code, rec.Body)
	}
	body = mustStatus(t, handler.get("/knowledge"), http.StatusOK)
	mustContain(t, body, "1条过时标记")
	body = mustStatus(t, handler.get("/knowledge/flags"), http.StatusOK)
	mustContain(t, body, "处理时限已改为1个工作日", `id="kb-flag-queue"`)
	mustStatus(t, op.get("/knowledge/flags"), http.StatusForbidden)
	fs, err := f.s.OpenFlags(context.Background(), civic.System)
	if err != nil || len(fs) != 1 {
		t.Fatalf("flags %v %v", fs, err)
	}
	if rec := handler.post("/knowledge/flags/"+strconv.FormatInt(fs[0].ID, 10)+"/resolve", url.Values{"resolution": {"dismissed"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("resolve: %d %s", rec.Code, rec.Body)
	}
	body = mustStatus(t, handler.get("/knowledge/flags"), http.StatusOK)
	mustContain(t, body, "没有待处理的标记")
	body = mustStatus(t, handler.get(path+"/edit"), http.StatusOK)
	mustContain(t, body, "占道经营怎么举报？")

	// Residents: public articles in force only, no flag form.
	res := f.mustLogin(t, "resident")
	body = mustStatus(t, res.get("/knowledge?q="+url.QueryEscape("占道")), http.StatusOK)
	mustContain(t, body, "占道经营怎么举报？", "常见问题解答")
	mustNotContain(t, body, "去年的占道整治通告", `name="current"`, "话务员")
	body = mustStatus(t, res.get(path), http.StatusOK)
	mustNotContain(t, body, `id="kb-flag-form"`)
	if !strings.Contains(mustStatus(t, res.get("/knowledge?q="+url.QueryEscape("夜市")), http.StatusOK), "没有找到相关知识") {
		t.Error("resident finds the internal article")
	}
}
