package api

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestKnowledgeAPI walks the knowledge base through the API on both
// engines: who may write, Chinese search, suggestions, what residents see,
// and a flag from an operator resolved by the owner.
func TestKnowledgeAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		f := mustFixture(t, s, clock)
		article := func(q, a string, public bool, to string) map[string]any {
			return map[string]any{"question": q, "answer": a, "org_id": f.orgA1.ID, "public": public, "valid_to": to}
		}
		for role, want := range map[civic.Role]int{
			civic.RoleOperator: http.StatusForbidden, civic.RoleResident: http.StatusForbidden,
			civic.RoleCommunityStaff: http.StatusForbidden, civic.RoleGridWorker: http.StatusForbidden,
		} {
			if r := f.do("POST", "/api/v1/knowledge", f.tokens[role], article("问", "答", true, "")); r.Status != want {
				t.Errorf("%s creates: %d %s", role, r.Status, r.Body)
			}
		}
		var heating, parking, internal civic.Article
		for _, c := range []struct {
			tok  string
			in   map[string]any
			into *civic.Article
		}{
			{f.tokens[civic.RoleHandler], article("小区供暖不热怎么办？", "请先排气，仍不热请联系物业客服中心报修。", true, ""), &heating},
			{f.tokens[civic.RoleStreetStaff], article("小区停车收费标准", "地面停车每月150元。", true, "2026-01-31"), &parking},
			{f.admin, article("物业投诉处理口径", "先联系物业经理协调，三日内回复来电人。", false, ""), &internal},
		} {
			r := f.do("POST", "/api/v1/knowledge", c.tok, c.in)
			if r.Status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			r.decode(t, c.into)
		}
		if r := f.do("POST", "/api/v1/knowledge", f.admin, map[string]any{"question": "", "answer": "答", "org_id": f.orgA1.ID}); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("empty question: %d %s", r.Status, r.Body)
		}
		search := func(tok, q string) []string {
			t.Helper()
			r := f.do("GET", "/api/v1/knowledge?q="+url.QueryEscape(q), tok, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("search %q: %d %s", q, r.Status, r.Body)
			}
			var l list[civic.Article]
			r.decode(t, &l)
			var out []string
			for _, a := range l.Items {
				out = append(out, a.Question)
			}
			return out
		}
		op := f.tokens[civic.RoleOperator]
		if got := search(op, "供暖"); len(got) != 1 || got[0] != heating.Question {
			t.Errorf("operator searches 供暖: %q", got)
		}
		if got := search(op, "垃圾分类"); len(got) != 0 {
			t.Errorf("operator searches 垃圾分类: %q", got)
		}
		if got := search(op, "物业"); len(got) != 2 {
			t.Errorf("operator searches 物业: %q", got)
		}
		res := f.tokens[civic.RoleResident]
		if got := search(res, "物业"); len(got) != 1 || got[0] != heating.Question {
			t.Errorf("resident searches 物业: %q", got)
		}
		if got := search(res, "停车"); len(got) != 0 {
			t.Errorf("resident sees the expired article: %q", got)
		}
		if r := f.do("GET", "/api/v1/knowledge/"+itoa(internal.ID), res, nil); r.Status != http.StatusNotFound {
			t.Errorf("resident reads an internal article: %d", r.Status)
		}
		var sug list[civic.Article]
		r := f.do("GET", "/api/v1/knowledge/suggest?text="+url.QueryEscape("来电人咨询：家里暖气不热，小区供暖有问题找谁？停车也想问问"), op, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("suggest: %d %s", r.Status, r.Body)
		}
		r.decode(t, &sug)
		if len(sug.Items) != 1 || sug.Items[0].ID != heating.ID {
			t.Errorf("suggestions: %+v", sug.Items)
		}
		// Flag and resolve.
		if r := f.do("POST", "/api/v1/knowledge/"+itoa(heating.ID)+"/flags", res, map[string]any{"reason": "过时"}); r.Status != http.StatusForbidden {
			t.Errorf("resident flags: %d", r.Status)
		}
		// Leaders oversee: they read articles but do not flag them.
		if r := f.do("POST", "/api/v1/knowledge/"+itoa(heating.ID)+"/flags", f.tokens[civic.RoleLeader], map[string]any{"reason": "过时"}); r.Status != http.StatusForbidden {
			t.Errorf("leader flags: %d", r.Status)
		}
		if r := f.do("GET", "/api/v1/knowledge/"+itoa(heating.ID), f.tokens[civic.RoleLeader], nil); r.Status != http.StatusOK {
			t.Errorf("leader reads an article: %d", r.Status)
		}
		r = f.do("POST", "/api/v1/knowledge/"+itoa(heating.ID)+"/flags", op, map[string]any{"reason": "物业客服电话已更换"})
		if r.Status != http.StatusCreated {
			t.Fatalf("flag: %d %s", r.Status, r.Body)
		}
		var fl civic.ArticleFlag
		r.decode(t, &fl)
		var queue list[civic.ArticleFlag]
		f.do("GET", "/api/v1/knowledge/flags", f.tokens[civic.RoleHandler], nil).decode(t, &queue)
		if len(queue.Items) != 1 || queue.Items[0].ID != fl.ID {
			t.Errorf("owner's queue: %+v", queue.Items)
		}
		if r := f.do("GET", "/api/v1/knowledge/flags", op, nil); r.Status != http.StatusForbidden {
			t.Errorf("operator's queue: %d", r.Status)
		}
		if r := f.do("POST", "/api/v1/knowledge/flags/"+itoa(fl.ID)+"/resolve", op, map[string]any{"resolution": "dismissed"}); r.Status != http.StatusForbidden {
			t.Errorf("operator resolves: %d", r.Status)
		}
		heatingIn := article(heating.Question, "请先排气，仍不热请拨打物业新客服电话报修。", true, "")
		if r := f.do("PUT", "/api/v1/knowledge/"+itoa(heating.ID), f.tokens[civic.RoleHandler], heatingIn); r.Status != http.StatusOK {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}
		r = f.do("POST", "/api/v1/knowledge/flags/"+itoa(fl.ID)+"/resolve", f.tokens[civic.RoleHandler], map[string]any{"resolution": "edited", "note": "已更新电话"})
		if r.Status != http.StatusOK {
			t.Fatalf("resolve: %d %s", r.Status, r.Body)
		}
		if r := f.do("POST", "/api/v1/knowledge/flags/"+itoa(fl.ID)+"/resolve", f.tokens[civic.RoleHandler], map[string]any{"resolution": "edited"}); r.Status != http.StatusConflict {
			t.Errorf("resolve twice: %d", r.Status)
		}
		var flags list[civic.ArticleFlag]
		f.do("GET", "/api/v1/knowledge/"+itoa(heating.ID)+"/flags", op, nil).decode(t, &flags)
		if len(flags.Items) != 1 || flags.Items[0].Resolution != civic.FlagEdited {
			t.Errorf("flags: %+v", flags.Items)
		}
	})
}
