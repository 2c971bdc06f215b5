package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

func mustArticle(t *testing.T, s *store.Store, a civic.Actor, art civic.Article) civic.Article {
	t.Helper()
	out, err := s.CreateArticle(context.Background(), a, art)
	if err != nil {
		t.Fatalf("create article %q: %v", art.Question, err)
	}
	return out
}

func questions(arts []civic.Article) []string {
	var out []string
	for _, a := range arts {
		out = append(out, a.Question)
	}
	return out
}

// kbWorld is the case world with a handful of articles owned by its
// department; the clock stands at 2026-03-10 (China).
func kbWorld(t *testing.T, s *store.Store) (*caseWorld, map[string]civic.Article) {
	t.Helper()
	w := mustCaseWorld(t, s)
	arts := map[string]civic.Article{}
	for _, a := range []civic.Article{
		{Question: "居住证怎么办理？", Answer: "持身份证、居住登记满半年的证明到社区服务站申领居住证，10个工作日内可领取。", Public: true},
		{Question: "高龄津贴如何申领？", Answer: "80周岁以上老人可在户籍所在社区申请高龄津贴，每月发放。", Public: true},
		{Question: "本市供暖时间是哪天到哪天？", Answer: "供暖季为每年11月15日至次年3月15日。", Public: true, ValidFrom: "2025-11-01", ValidTo: "2026-03-31"},
		{Question: "去年的供暖时间", Answer: "2024-2025供暖季为11月15日至3月15日。", Public: true, ValidTo: "2025-04-30"},
		{Question: "违建举报渠道（内部口径）", Answer: "告知来电人拨打城管热线或在小程序随手拍上报，由城管执法队核查。", Public: false},
	} {
		a.OrgID = w.dept.ID
		arts[a.Question] = mustArticle(t, s, w.handler, a)
	}
	return w, arts
}

// TestKnowledgeSearchChinese searches the base in Chinese: a two-character
// word finds the articles that hold it, in the question before the answer,
// and unrelated text finds nothing.
func TestKnowledgeSearchChinese(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		w, _ := kbWorld(t, s)
		for _, c := range []struct {
			q    string
			want []string
		}{
			{"居住", []string{"居住证怎么办理？"}},
			{"津贴", []string{"高龄津贴如何申领？"}},
			{"供暖", []string{"本市供暖时间是哪天到哪天？", "去年的供暖时间"}}, // in force first
			{"举报", []string{"违建举报渠道（内部口径）"}},
			{"社区", []string{"高龄津贴如何申领？", "居住证怎么办理？"}},
			{"停车", nil},
			{"住居", nil},
		} {
			got, total, err := s.ListArticles(ctx, w.operator, store.KnowledgeFilter{Query: c.q})
			if err != nil {
				t.Fatal(err)
			}
			if g := questions(got); len(g) != len(c.want) || total != len(c.want) || (len(g) > 0 && !equalStrings(g, c.want)) {
				t.Errorf("search %q: %q (total %d), want %q", c.q, g, total, c.want)
			}
		}
		// Within the question-first rule, in force before expired, then
		// newer before older; a question match beats a newer answer-only
		// match.
		art := mustArticle(t, s, w.handler, civic.Article{Question: "暖气不热找谁？", Answer: "供暖问题请联系供热公司。", OrgID: w.dept.ID})
		got, _, err := s.ListArticles(ctx, w.operator, store.KnowledgeFilter{Query: "供暖"})
		if err != nil {
			t.Fatal(err)
		}
		if g := questions(got); len(g) != 3 || g[2] != art.Question {
			t.Errorf("ranking: %q, want the answer-only match last", g)
		}
		got, _, err = s.ListArticles(ctx, w.operator, store.KnowledgeFilter{Query: "供暖", HideExpired: true})
		if err != nil {
			t.Fatal(err)
		}
		if g := questions(got); len(g) != 2 || g[0] != "本市供暖时间是哪天到哪天？" {
			t.Errorf("hide expired: %q", g)
		}
	})
}

// TestKnowledgeSearchWordsTogether: words typed together make bigrams
// across them ("楼道充电" holds "道充") that no article has; articles holding
// at least half of the terms are found instead, most first, and a query
// sharing too little finds nothing.
func TestKnowledgeSearchWordsTogether(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		w, _ := kbWorld(t, s)
		for _, q := range []string{"楼道内能给电动自行车充电吗？", "身份证挂失补办去哪里？"} {
			mustArticle(t, s, w.handler, civic.Article{Question: q, Answer: "请咨询社区服务站。", OrgID: w.dept.ID, Public: true})
		}
		for _, c := range []struct {
			q    string
			want string
		}{
			{"楼道充电", "楼道内能给电动自行车充电吗？"},
			{"电动车", "楼道内能给电动自行车充电吗？"},
			{"身份证补办", "身份证挂失补办去哪里？"},
			{"居住证办理", "居住证怎么办理？"},
		} {
			got, total, err := s.ListArticles(ctx, w.operator, store.KnowledgeFilter{Query: c.q})
			if err != nil {
				t.Fatal(err)
			}
			if total == 0 || got[0].Question != c.want {
				t.Errorf("search %q: %q, want %q first", c.q, questions(got), c.want)
			}
		}
		if got, _, _ := s.ListArticles(ctx, w.operator, store.KnowledgeFilter{Query: "停车收费标准"}); len(got) != 0 {
			t.Errorf("unrelated words found %q", questions(got))
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestKnowledgeSuggest suggests articles for a consultation's free text:
// best match first, expired and not-yet-valid articles never, unrelated
// text nothing.
func TestKnowledgeSuggest(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w, _ := kbWorld(t, s)
		mustArticle(t, s, w.handler, civic.Article{Question: "2027年供暖时间调整", Answer: "自2027年起供暖提前到11月1日。", OrgID: w.dept.ID, Public: true, ValidFrom: "2027-01-01"})
		text := "来电人反映：家里老人今年八十岁了，想问高龄津贴怎么申请，需要带什么材料，另外供暖时间到什么时候结束？"
		got, err := s.SuggestArticles(ctx, w.operator, text, 5)
		if err != nil {
			t.Fatal(err)
		}
		g := questions(got)
		if len(g) != 2 || g[0] != "高龄津贴如何申领？" && g[0] != "本市供暖时间是哪天到哪天？" {
			t.Fatalf("suggestions %q", g)
		}
		for _, q := range g {
			if q == "去年的供暖时间" || q == "2027年供暖时间调整" {
				t.Errorf("suggested %q, which is not in force", q)
			}
		}
		// A call note says who called from where before what they want:
		// the request at its end is read, and words standing in many
		// questions ("什么时候", "怎么") weigh less than the subject.
		mustArticle(t, s, w.handler, civic.Article{Question: "义务教育入学信息采集什么时候开始？", Answer: "每年4月开始，请关注教委通知。", OrgID: w.dept.ID, Public: true})
		mustArticle(t, s, w.handler, civic.Article{Question: "新生儿落户怎么办理？什么时候可以办？", Answer: "出生一个月内到派出所办理。", OrgID: w.dept.ID, Public: true})
		note := "来电人陈先生，住东城区北池子社区三号楼二单元，今天上午十点左右来电，情绪比较激动，说小区物业一直不处理他的问题，" +
			"他已经找过居委会好几次了，之前也打过几次电话，每次都说会有人联系但一直没有消息。想咨询一下居住证怎么办理。"
		if got, err := s.SuggestArticles(ctx, w.operator, note, 5); err != nil || len(got) == 0 || got[0].Question != "居住证怎么办理？" {
			t.Errorf("a long call note: %q (%v)", questions(got), err)
		}
		if got, err := s.SuggestArticles(ctx, w.operator, "市民来电想问一下今年供暖时间是什么时候开始，家里暖气一直不热", 5); err != nil || len(got) == 0 || got[0].Question != "本市供暖时间是哪天到哪天？" {
			t.Errorf("the subject outweighs the question words: %q (%v)", questions(got), err)
		}
		if got, err := s.SuggestArticles(ctx, w.operator, "小区门口的路灯坏了好几天", 5); err != nil || len(got) != 0 {
			t.Errorf("unrelated text suggested %q (%v)", questions(got), err)
		}
		// After the heating season's article expires it is no longer
		// suggested.
		clock.Advance(30 * 24 * time.Hour)
		got, err = s.SuggestArticles(ctx, w.operator, "供暖时间到什么时候", 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Errorf("after expiry: %q", questions(got))
		}
	})
}

// TestKnowledgeAccess: residents read public articles in force only;
// writing is for the owner department, street staff over it and admins.
func TestKnowledgeAccess(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		w, arts := kbWorld(t, s)
		got, total, err := s.ListArticles(ctx, w.resident, store.KnowledgeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 {
			t.Errorf("resident sees %q", questions(got))
		}
		for _, a := range got {
			if !a.Public || !a.ValidOn("2026-03-10") {
				t.Errorf("resident sees %q", a.Question)
			}
		}
		for _, q := range []string{"违建举报渠道（内部口径）", "去年的供暖时间"} {
			if _, err := s.GetArticle(ctx, w.resident, arts[q].ID); civic.ErrorCodeOf(err) != civic.ENotFound {
				t.Errorf("resident reads %q: %v", q, err)
			}
			if _, err := s.GetArticle(ctx, w.grid, arts[q].ID); err != nil {
				t.Errorf("grid worker reads %q: %v", q, err)
			}
		}
		if _, total, _ := s.ListArticles(ctx, w.operator, store.KnowledgeFilter{}); total != 5 {
			t.Errorf("operator sees %d articles, want 5", total)
		}
		admin := mustActor(t, s, "kbadmin", civic.RoleAdmin, "1101")
		art := civic.Article{Question: "新问题", Answer: "新答案", OrgID: w.dept.ID}
		for _, c := range []struct {
			name string
			a    civic.Actor
			want civic.ErrorCode
		}{
			{"operator", w.operator, civic.EForbidden},
			{"resident", w.resident, civic.EForbidden},
			{"community staff", w.community, civic.EForbidden},
			{"street staff below the department", w.street, civic.EForbidden},
			{"another organisation's handler", w.otherHandler, civic.EForbidden},
			{"the department's handler", w.handler, ""},
			{"admin", admin, ""},
		} {
			art := art
			art.Question += "（" + c.name + "）" // one department answers a question once
			_, err := s.CreateArticle(ctx, c.a, art)
			if civic.ErrorCodeOf(err) != c.want {
				t.Errorf("%s creates: %v, want %q", c.name, err, c.want)
			}
		}
		bad := art
		bad.CategoryCode = "9999"
		if _, err := s.CreateArticle(ctx, admin, bad); fieldsOf(err)["category_code"] == "" {
			t.Errorf("unknown category: %v", err)
		}
		bad = art
		bad.ValidFrom, bad.ValidTo = "2026-05-01", "2026-04-01"
		if _, err := s.CreateArticle(ctx, admin, bad); fieldsOf(err)["valid_to"] == "" {
			t.Errorf("reversed dates: %v", err)
		}
		bad = art
		bad.ValidTo = "9999-12-31"
		if _, err := s.CreateArticle(ctx, admin, bad); fieldsOf(err)["valid_to"] == "" {
			t.Errorf("valid until 9999: %v", err)
		}
		up := arts["居住证怎么办理？"]
		up.Answer = "居住证改为网上申领。"
		if _, err := s.UpdateArticle(ctx, w.otherHandler, up); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Errorf("other handler updates: %v", err)
		}
		if _, err := s.UpdateArticle(ctx, w.handler, up); err != nil {
			t.Fatal(err)
		}
		// The index follows the edit.
		if got, _, _ := s.ListArticles(ctx, w.operator, store.KnowledgeFilter{Query: "网上申领"}); len(got) != 1 {
			t.Errorf("search after edit: %q", questions(got))
		}
		if got, _, _ := s.ListArticles(ctx, w.operator, store.KnowledgeFilter{Query: "服务站"}); len(got) != 0 {
			t.Errorf("old answer still found: %q", questions(got))
		}
	})
}

// TestKnowledgeFlags: an operator flags an article as outdated, the owner
// sees it in the queue and resolves it once; others may not.
func TestKnowledgeFlags(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		w, arts := kbWorld(t, s)
		art := arts["高龄津贴如何申领？"]
		if _, err := s.FlagArticle(ctx, w.resident, art.ID, "过时"); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Errorf("resident flags: %v", err)
		}
		if _, err := s.FlagArticle(ctx, w.operator, art.ID, "  "); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Errorf("flag without reason: %v", err)
		}
		f, err := s.FlagArticle(ctx, w.operator, art.ID, "津贴标准已调整，年龄改为80周岁以上按月发放到社保卡")
		if err != nil {
			t.Fatal(err)
		}
		if !f.Open() || f.FlaggedBy != "operator" {
			t.Errorf("flag %+v", f)
		}
		got, err := s.GetArticle(ctx, w.operator, art.ID)
		if err != nil || got.OpenFlags != 1 {
			t.Errorf("open flags %d (%v)", got.OpenFlags, err)
		}
		if q, err := s.OpenFlags(ctx, w.handler); err != nil || len(q) != 1 || q[0].ID != f.ID {
			t.Errorf("owner's queue %+v (%v)", q, err)
		}
		if q, err := s.OpenFlags(ctx, w.otherHandler); err != nil || len(q) != 0 {
			t.Errorf("other handler's queue %+v (%v)", q, err)
		}
		if _, err := s.OpenFlags(ctx, w.operator); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Errorf("operator's queue: %v", err)
		}
		if _, err := s.ResolveFlag(ctx, w.otherHandler, f.ID, civic.FlagEdited, ""); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Errorf("other handler resolves: %v", err)
		}
		if _, err := s.ResolveFlag(ctx, w.handler, f.ID, "maybe", ""); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Errorf("bad resolution: %v", err)
		}
		r, err := s.ResolveFlag(ctx, w.handler, f.ID, civic.FlagEdited, "已按新标准修订")
		if err != nil {
			t.Fatal(err)
		}
		if r.Open() || r.Resolution != civic.FlagEdited || r.ResolvedBy != "handler" {
			t.Errorf("resolved %+v", r)
		}
		if _, err := s.ResolveFlag(ctx, w.handler, f.ID, civic.FlagDismissed, ""); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Errorf("resolve twice: %v", err)
		}
		fs, err := s.ListArticleFlags(ctx, w.operator, art.ID)
		if err != nil || len(fs) != 1 || fs[0].Open() {
			t.Errorf("flags %+v (%v)", fs, err)
		}
		if got, _ := s.GetArticle(ctx, w.operator, art.ID); got.OpenFlags != 0 {
			t.Errorf("open flags after resolve %d", got.OpenFlags)
		}
		entries, _, err := s.ListAudit(ctx, civic.System, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range entries {
			seen[e.Action] = true
		}
		for _, a := range []string{"knowledge.create", "knowledge.flag", "knowledge.resolve"} {
			if !seen[a] {
				t.Errorf("no audit entry %s", a)
			}
		}
	})
}

// TestSearchJoinedWords: "wifi" finds "Wi-Fi", "PM" finds "PM2.5" and
// full-width "３号楼" is "3号楼", in the knowledge base and in cases; and
// migration 0037 re-indexes what an older index holds by the older cut,
// rewriting only the cases holding such a word.
func TestSearchJoinedWords(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		w, _ := kbWorld(t, s)
		wifi := mustArticle(t, s, w.handler, civic.Article{Question: "小区公共Wi-Fi连不上找谁？", Answer: "请联系物业服务中心。", OrgID: w.dept.ID, Public: true})
		pm := mustArticle(t, s, w.handler, civic.Article{Question: "PM2.5超标时学校停课吗？", Answer: "以教育部门通知为准。", OrgID: w.dept.ID, Public: true})
		router := w.file(t, w.resident, store.NewCase{Source: civic.SourceResident, Title: "３号楼楼顶WIFI设备噪音大"})
		plain := w.file(t, w.resident, store.NewCase{Source: civic.SourceResident, Title: "小区门口占道经营"})
		articles := func(q string) []int64 {
			got, _, err := s.ListArticles(ctx, w.operator, store.KnowledgeFilter{Query: q})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, a := range got {
				ids = append(ids, a.ID)
			}
			return ids
		}
		cases := func(q string) []int64 {
			got, _, err := s.ListCases(ctx, w.street, store.CaseFilter{Query: q})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			return ids
		}
		check := func(stage string) {
			t.Helper()
			for _, q := range []string{"wifi", "WiFi", "Wi-Fi"} {
				if got := articles(q); fmt.Sprint(got) != fmt.Sprint([]int64{wifi.ID}) {
					t.Errorf("%s: articles for %q: %v, want %d", stage, q, got, wifi.ID)
				}
				if got := cases(q); fmt.Sprint(got) != fmt.Sprint([]int64{router.ID}) {
					t.Errorf("%s: cases for %q: %v, want %d", stage, q, got, router.ID)
				}
			}
			for _, q := range []string{"PM", "pm2.5", "ＰＭ２．５"} {
				if got := articles(q); fmt.Sprint(got) != fmt.Sprint([]int64{pm.ID}) {
					t.Errorf("%s: articles for %q: %v, want %d", stage, q, got, pm.ID)
				}
			}
			if got := cases("3号楼"); fmt.Sprint(got) != fmt.Sprint([]int64{router.ID}) {
				t.Errorf("%s: cases for 3号楼: %v, want %d", stage, got, router.ID)
			}
		}
		check("indexed when written")

		// An index written before 0037: emptied here, so that only what
		// the migration rewrites is found again.
		var empty []string
		if s.Engine() == store.Postgres {
			empty = []string{`UPDATE cases SET search_terms = to_tsvector('simple', '')`, `UPDATE kb_articles SET search_terms = to_tsvector('simple', '')`}
		} else {
			empty = []string{`DELETE FROM case_fts`, `DELETE FROM kb_fts`}
		}
		for _, q := range append(empty, `DELETE FROM schema_migrations WHERE version = 37`) {
			if _, err := s.ExecForTest(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if got := articles("wifi"); len(got) != 0 {
			t.Fatalf("the emptied index finds %v", got)
		}
		applied, err := s.Migrate(ctx)
		if err != nil || len(applied) != 1 || applied[0] != "0037_search_joined_words.sql" {
			t.Fatalf("migrate: %v %v", applied, err)
		}
		check("after 0037")
		if got := cases("占道"); len(got) != 0 {
			t.Errorf("0037 rewrote case %d, which holds no joined word: %v", plain.ID, got)
		}
		if got := articles("居住"); len(got) != 1 {
			t.Errorf("0037 left the other articles unindexed: %v", got)
		}
	})
}
