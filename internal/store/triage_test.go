package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// triageCodes are the case world's categories for the three test themes.
var triageCodes = map[string]string{testdb.ThemeVending: "0101", testdb.ThemeClutter: "0102", testdb.ThemeNoise: "0104"}

// mustTriageWorld is the case world with a noise category and n closed
// cases of each theme, closed by the hotline answering them: their
// category is the one staff settled on.
func mustTriageWorld(t *testing.T, s *store.Store, n int) *caseWorld {
	t.Helper()
	ctx := context.Background()
	w := mustCaseWorld(t, s)
	limits := map[civic.Stage]civic.TimeLimit{
		civic.StageClaim: {Amount: 2, Unit: civic.UnitWorkHours}, civic.StageFeedback: {Amount: 1, Unit: civic.UnitWorkDays},
		civic.StageComplete: {Amount: 3, Unit: civic.UnitWorkDays}, civic.StageVisit: {Amount: 2, Unit: civic.UnitWorkDays},
	}
	for _, c := range []civic.Category{
		{Code: "0104", ParentCode: "01", Leaf: true, Name: "噪音扰民", Type: civic.RequestComplaint, Handler: civic.HandlerRule{Target: civic.HandlerGrid}, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true},
		{Code: "0105", ParentCode: "01", Leaf: true, Name: "宠物扰民", Type: civic.RequestComplaint, Handler: civic.HandlerRule{Target: civic.HandlerGrid}, Limits: limits, Yellow: 0.5, Red: 0.8, Accepted: true, Active: true},
	} {
		if _, err := s.CreateCategory(ctx, civic.System, c); err != nil {
			t.Fatalf("category %s: %v", c.Code, err)
		}
	}
	testdb.MustClosedCases(t, s, grid1, triageCodes, n)
	file := func(code, title, desc string) {
		_, _, err := s.SubmitCase(ctx, w.operator, w.loc, store.NewCase{Source: civic.SourceHotline, CategoryCode: code, Title: title, Description: desc,
			RegionCode: grid1, ReporterPhone: "13900009999", AnsweredDirectly: true, Answer: "已告知处理渠道"})
		if err != nil {
			t.Fatalf("closed case %q: %v", title, err)
		}
	}
	// Two cases of a category too rare to learn.
	file("0105", "邻居家的狗整夜叫", "狗叫声吵得睡不着")
	file("0105", "楼下宠物狗乱叫", "每天早上狗叫")
	return w
}

// mustTrain queues a model and trains it as the background job would.
func mustTrain(t *testing.T, s *store.Store, src civic.TriageSource, up store.TriageUpload) civic.TriageModel {
	t.Helper()
	ctx := context.Background()
	q, err := s.QueueTriageModel(ctx, civic.System, src, up)
	if err != nil {
		t.Fatalf("queue: %v", err)
	}
	if q.Status != civic.TriageQueued {
		t.Fatalf("queued model %+v", q)
	}
	id, err := s.TrainNextTriage(ctx)
	if err != nil || id != q.ID {
		t.Fatalf("train: %d %v (queued %d)", id, err, q.ID)
	}
	m, err := s.GetTriageModel(ctx, civic.System, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTriageTrainFromClosedCases trains from the deployment's own closed
// cases: the model is stored with its cross-validated figures, the rare
// category is left out, the model becomes active and suggests the right
// category for a new text; only administrators train.
func TestTriageTrainFromClosedCases(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		w := mustTriageWorld(t, s, 12)
		if _, err := s.QueueTriageModel(ctx, w.operator, civic.TriageFromCases, store.TriageUpload{}); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("operator trains: %v", err)
		}
		m := mustTrain(t, s, civic.TriageFromCases, store.TriageUpload{})
		if m.Status != civic.TriageDone || !m.Active || m.Version != 1 || m.Examples != 36 || m.Labels != 3 {
			t.Fatalf("model %+v", m)
		}
		if m.Evaluation != "5-fold cross-validation" || m.MacroF1 < 0.8 || m.Accuracy < 0.8 || len(m.Classes) != 3 || m.TrainSeconds <= 0 || m.FinishedAt == nil {
			t.Fatalf("figures %+v", m)
		}
		if !strings.Contains(m.Note, "0105") {
			t.Errorf("note does not name the category left out: %q", m.Note)
		}
		sug, err := s.SuggestCategory(ctx, w.resident, "楼道里堆了好多纸箱和旧自行车", "")
		if err != nil {
			t.Fatal(err)
		}
		if sug.ModelVersion != 1 || len(sug.Predictions) != 3 || sug.Top().Code != "0102" || sug.Top().Name != "楼道堆物" {
			t.Fatalf("suggestion %+v", sug)
		}
		if p := sug.Predictions; p[0].Probability < p[1].Probability || p[1].Probability < p[2].Probability {
			t.Fatalf("not sorted %+v", p)
		}
		if sug, err := s.SuggestCategory(ctx, w.resident, "吵", ""); err != nil || sug.ModelID != 0 {
			t.Fatalf("too short a text: %+v %v", sug, err)
		}
		// A call noted without a title is learnt as it came: the title
		// intake took from its first sentence is not counted twice.
		c, _, err := s.SubmitCase(ctx, w.operator, w.loc, store.NewCase{Source: civic.SourceHotline, CategoryCode: "0102", Description: "楼道里堆满了纸箱。消防通道堵了",
			RegionCode: grid1, ReporterPhone: "13900009999", AnsweredDirectly: true, Answer: "已告知物业清理"})
		if err != nil || c.Title != "楼道里堆满了纸箱" {
			t.Fatalf("untitled call: %v %q", err, c.Title)
		}
		ex, _, per, err := s.TriageExamples(ctx, 1, 1000)
		if err != nil || per != 0 {
			t.Fatalf("examples: %v, %d a category", err, per)
		}
		last := ex[len(ex)-1]
		if last.Text != c.Description || last.Title != "" {
			t.Fatalf("untitled call learnt as %+v", last)
		}
	})
}

// TestTriageExamplesLimit: above the limit every category keeps its newest
// cases, as many as fit, and the rare one all of its own.
func TestTriageExamplesLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		mustTriageWorld(t, s, 12)
		all, skipped, per, err := s.TriageExamples(ctx, 2, 1000)
		if err != nil || per != 0 || len(all) != 38 || len(skipped) != 0 {
			t.Fatalf("all: %d examples, %v skipped, %d a category, %v", len(all), skipped, per, err)
		}
		// 3 × 12 + 2 = 38 do not fit in 20: 3 × 6 + 2 do.
		some, _, per, err := s.TriageExamples(ctx, 2, 20)
		if err != nil || per != 6 || len(some) != 20 {
			t.Fatalf("limited: %d examples, %d a category, %v", len(some), per, err)
		}
		newest := map[string][]string{}
		for i := len(all) - 1; i >= 0; i-- {
			e := all[i]
			if len(newest[e.Label]) < 6 {
				newest[e.Label] = append([]string{e.Title + e.Text}, newest[e.Label]...)
			}
		}
		got := map[string][]string{}
		for _, e := range some {
			got[e.Label] = append(got[e.Label], e.Title+e.Text)
		}
		for label, want := range newest {
			if fmt.Sprint(got[label]) != fmt.Sprint(want) {
				t.Fatalf("%s keeps %q, want its newest %q", label, got[label], want)
			}
		}
		if len(got["0105"]) != 2 {
			t.Fatalf("the rare category keeps %d of its 2", len(got["0105"]))
		}
		// A category under minCount is left out and named.
		if _, skipped, _, _ := s.TriageExamples(ctx, 3, 20); fmt.Sprint(skipped) != "[0105]" {
			t.Fatalf("skipped %v", skipped)
		}
	})
}

// TestTriageActivateSwitchBack: a second model as good as the first takes
// over by itself, an administrator switches back (audited), a model worse
// than the margin allows stays inactive, and with a negative margin none
// activates by itself.
func TestTriageActivateSwitchBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		w := mustTriageWorld(t, s, 12)
		v1 := mustTrain(t, s, civic.TriageFromCases, store.TriageUpload{})
		v2 := mustTrain(t, s, civic.TriageFromCases, store.TriageUpload{})
		if !v2.Active || v2.Version != 2 {
			t.Fatalf("v2 not active: %+v", v2)
		}
		if sug, _ := s.SuggestCategory(ctx, w.resident, "楼上装修噪音太吵", ""); sug.ModelVersion != 2 {
			t.Fatalf("suggestions from v%d, want v2", sug.ModelVersion)
		}
		if _, err := s.ActivateTriageModel(ctx, w.operator, v1.ID); civic.ErrorCodeOf(err) != civic.EForbidden {
			t.Fatalf("operator activates: %v", err)
		}
		back, err := s.ActivateTriageModel(ctx, civic.System, v1.ID)
		if err != nil || !back.Active {
			t.Fatalf("switch back: %+v %v", back, err)
		}
		if sug, _ := s.SuggestCategory(ctx, w.resident, "楼上装修噪音太吵", ""); sug.ModelVersion != 1 {
			t.Fatalf("after switching back, suggestions from v%d", sug.ModelVersion)
		}
		models, err := s.TriageModels(ctx, civic.System)
		if err != nil || len(models) != 2 || models[0].Active || !models[1].Active {
			t.Fatalf("models %+v %v", models, err)
		}
		entries, _, err := s.ListAudit(ctx, civic.System, store.AuditFilter{Action: "triage.activate"})
		if err != nil || len(entries) != 3 {
			t.Fatalf("activation audit: %d entries %v", len(entries), err)
		}
		// Never by itself: v3 waits for an administrator.
		set, err := s.TriageSettings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		set.AutoMargin = -1
		if _, err := s.SetTriageSettings(ctx, civic.System, set); err != nil {
			t.Fatal(err)
		}
		v3 := mustTrain(t, s, civic.TriageFromCases, store.TriageUpload{})
		if v3.Active || !strings.Contains(v3.Note, "administrator") {
			t.Fatalf("v3 activated by itself: %+v", v3)
		}
		// Training that cannot succeed fails and leaves v1 active.
		set.AutoMargin, set.MinExamples = 0.02, 500
		if _, err := s.SetTriageSettings(ctx, civic.System, set); err != nil {
			t.Fatal(err)
		}
		q, err := s.QueueTriageModel(ctx, civic.System, civic.TriageFromCases, store.TriageUpload{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.TrainNextTriage(ctx); err == nil {
			t.Fatal("training without enough data succeeded")
		}
		failed, _ := s.GetTriageModel(ctx, civic.System, q.ID)
		if failed.Status != civic.TriageFailed || !strings.Contains(failed.Error, "not enough training data") || failed.Active {
			t.Fatalf("failed model %+v", failed)
		}
		if sug, _ := s.SuggestCategory(ctx, w.resident, "楼上装修噪音太吵", ""); sug.ModelVersion != 1 {
			t.Fatalf("after a failed training, suggestions from v%d", sug.ModelVersion)
		}
		if _, err := s.ActivateTriageModel(ctx, civic.System, q.ID); civic.ErrorCodeOf(err) != civic.EConflict {
			t.Fatalf("activating a failed model: %v", err)
		}
	})
}

// TestTriageSuggestionsAcceptance records the suggestion with every case
// filed and counts acceptance against a hand count, at intake and after
// staff change a category.
func TestTriageSuggestionsAcceptance(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		w := mustTriageWorld(t, s, 12)
		mustTrain(t, s, civic.TriageFromCases, store.TriageUpload{})
		report := func(title, code string, left bool) civic.Case {
			t.Helper()
			c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, Title: title, CategoryCode: code,
				CategoryFromModel: left, HasLocation: true, Lng: 116.1, Lat: 39.2})
			if err != nil {
				t.Fatalf("report %q: %v", title, err)
			}
			return c
		}
		for title, code := range map[string]string{"楼道里堆满了纸箱杂物": "0102", "消防通道被旧家具堵住了": "0102", "楼上装修噪音太大了": "0104", "深夜广场舞音响扰民": "0104"} {
			if sug, err := s.SuggestCategory(ctx, w.resident, title, ""); err != nil || sug.Top().Code != code {
				t.Fatalf("the hand count expects %s for %q: %+v %v", code, title, sug, err)
			}
		}
		// Hand count. Suggested 0102 (clutter) twice: once accepted,
		// once the resident chose 0101. Suggested 0104 (noise) twice:
		// accepted once; left to the model once, with auto-routing off,
		// so filed without a category, which staff later set to 0104.
		report("楼道里堆满了纸箱杂物", "0102", false)
		report("消防通道被旧家具堵住了", "0101", false)
		report("楼上装修噪音太大了", "0104", false)
		left := report("深夜广场舞音响扰民", "", true)
		if left.CategoryCode != "" || left.State != civic.StateReported {
			t.Fatalf("below the threshold (off) the case should wait: %+v", left)
		}
		w.act(t, w.community, left.ID, store.CaseInput{Action: civic.ActAccept, CategoryCode: "0104"})
		rows, err := s.TriageAcceptance(ctx, w.street)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]civic.TriageAcceptance{}
		for _, r := range rows {
			got[r.Code] = r
		}
		want := map[string][4]int{"": {4, 2, 4, 3}, "0102": {2, 1, 2, 1}, "0104": {2, 1, 2, 2}}
		if len(got) != len(want) {
			t.Fatalf("rows %+v", rows)
		}
		for code, wn := range want {
			r := got[code]
			if r.Suggested != wn[0] || r.Accepted != wn[1] || r.Final != wn[2] || r.FinalAgreed != wn[3] {
				t.Errorf("%q: %+v, want suggested/accepted/final/agreed %v", code, r, wn)
			}
		}
		if r := got[""]; r.Rate != 0.5 || r.FinalRate != 0.75 {
			t.Errorf("overall rates %+v", r)
		}
		// Scope: another grid's worker sees none of these cases.
		if rows, err := s.TriageAcceptance(ctx, w.outsider); err == nil {
			t.Fatalf("a grid worker reads metrics: %+v", rows)
		}
		other := store.ActorOf(civic.User{ID: 999, Username: "other-street", Role: civic.RoleStreetStaff, Scope: civic.Scope{RegionCode: "110101002"}}, "")
		if rows, err := s.TriageAcceptance(ctx, other); err != nil || rows[0].Suggested != 0 {
			t.Fatalf("out of scope acceptance %+v %v", rows, err)
		}
	})
}

// TestTriageAutoRouting files a case left to the model: above the
// threshold it takes the suggested category and is routed, with the
// model's note on the timeline; below it waits for a dispatcher.
func TestTriageAutoRouting(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		w := mustTriageWorld(t, s, 12)
		mustTrain(t, s, civic.TriageFromCases, store.TriageUpload{})
		// A text the model is not quite sure of, so that a threshold
		// above its confidence exists.
		var title, code string
		var conf float64
		for _, c := range []string{"单元楼道里堆满了纸箱和杂物", "楼道门口有人摆摊卖水果", "楼下有人摆摊还放音乐", "门口堆着摊贩的货物", "有人在楼道里唱歌"} {
			sug, err := s.SuggestCategory(ctx, w.resident, c, "")
			if err != nil {
				t.Fatal(err)
			}
			if top := sug.Top(); top.Code != "" && top.Probability < 0.99 && top.Probability > 0.3 {
				title, code, conf = c, top.Code, top.Probability
				break
			}
		}
		if title == "" {
			t.Fatal("no test text with a confidence below 0.99")
		}
		set, _ := s.TriageSettings(ctx)
		file := func(threshold float64) civic.Case {
			t.Helper()
			set.Threshold = threshold
			if _, err := s.SetTriageSettings(ctx, civic.System, set); err != nil {
				t.Fatal(err)
			}
			c, _, err := s.SubmitCase(ctx, w.resident, w.loc, store.NewCase{Source: civic.SourceResident, Title: title, CategoryFromModel: true,
				CategoryCode: "0105", HasLocation: true, Lng: 116.1, Lat: 39.2})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		above := file(conf - 0.01)
		if above.CategoryCode != code || above.State != civic.StateDispatched || (above.HandlerOrgID == 0 && above.HandlerRegionCode == "") {
			t.Fatalf("above the threshold: %+v", above)
		}
		events, err := s.CaseEvents(ctx, w.community, above.ID)
		if err != nil {
			t.Fatal(err)
		}
		var noted bool
		for _, e := range events {
			if e.Action == civic.ActComment && strings.Contains(e.Data, `"triage"`) && strings.Contains(e.Note, "分类模型v1") {
				noted = true
			}
		}
		if !noted {
			t.Fatalf("no model note on the timeline: %+v", events)
		}
		below := file((1 + conf) / 2)
		if below.CategoryCode != "" || below.State != civic.StateReported {
			t.Fatalf("below the threshold: %+v", below)
		}
		rows, err := s.TriageAcceptance(ctx, civic.System)
		if err != nil || rows[0].Suggested != 2 || rows[0].AutoRouted != 1 {
			t.Fatalf("acceptance %+v %v", rows, err)
		}
	})
}

// TestTriageCSV trains from an uploaded CSV whose labels are category
// codes, and refuses one with a label the catalogue does not know, naming
// the row.
func TestTriageCSV(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, _ *testdb.Clock) {
		ctx := context.Background()
		mustTriageWorld(t, s, 0)
		bad := "title,text,label\n楼道堆物,楼道里全是纸箱,0102\n路边摆摊,早市占道,城乡建设\n"
		_, err := s.ReadTriageUpload(ctx, []byte(bad))
		e := civic.AsError(err)
		if e.Code != civic.EInvalid || len(e.Fields) != 1 || !strings.Contains(e.Fields[0].Msg.ZH, "第3行") || !strings.Contains(e.Fields[0].Msg.EN, `"城乡建设"`) {
			t.Fatalf("bad label: %v", err)
		}
		// A row with a label but neither title nor text teaches nothing:
		// refused by its row, like a bad label.
		_, err = s.ReadTriageUpload(ctx, []byte("title,text,label\n楼道堆物,楼道里全是纸箱,0102\n,,0102\n"))
		if e := civic.AsError(err); e.Code != civic.EInvalid || len(e.Fields) != 1 || !strings.Contains(e.Fields[0].Msg.ZH, "第3行：标题和正文都为空") {
			t.Fatalf("a row without text: %v", err)
		}
		var b strings.Builder
		b.WriteString("title,text,label\n")
		for theme, code := range triageCodes {
			for i := 0; i < 12; i++ {
				title, desc := testdb.TriageText(theme, i)
				fmt.Fprintf(&b, "%s,%s,%s\n", title, desc, code)
			}
		}
		up, err := s.ReadTriageUpload(ctx, []byte(b.String()))
		if err != nil || len(up.Examples) != 36 {
			t.Fatalf("upload: %d %v", len(up.Examples), err)
		}
		if _, err := s.QueueTriageModel(ctx, civic.System, civic.TriageFromUpload, store.TriageUpload{}); civic.ErrorCodeOf(err) != civic.EInvalid {
			t.Fatalf("upload source without a file: %v", err)
		}
		m := mustTrain(t, s, civic.TriageFromUpload, up)
		if m.Source != civic.TriageFromUpload || m.Examples != 36 || m.Labels != 3 || !m.Active {
			t.Fatalf("model from upload %+v", m)
		}
	})
}

// TestTriageReloadAcrossServers: a model switched on one server is used by
// another once that server looks again (within triageRecheck), without a
// restart.
func TestTriageReloadAcrossServers(t *testing.T) {
	testdb.EachPair(t, func(t *testing.T, a, b *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		w := mustTriageWorld(t, a, 12)
		v1 := mustTrain(t, a, civic.TriageFromCases, store.TriageUpload{})
		mustTrain(t, a, civic.TriageFromCases, store.TriageUpload{})
		const text = "楼道里堆满了纸箱"
		if sug, err := b.SuggestCategory(ctx, w.resident, text, ""); err != nil || sug.ModelVersion != 2 {
			t.Fatalf("server b suggests with v%d (%v), want v2", sug.ModelVersion, err)
		}
		if _, err := a.ActivateTriageModel(ctx, civic.System, v1.ID); err != nil {
			t.Fatal(err)
		}
		if sug, _ := b.SuggestCategory(ctx, w.resident, text, ""); sug.ModelVersion != 2 {
			t.Fatalf("server b looked again before its recheck: v%d", sug.ModelVersion)
		}
		clock.Advance(11 * time.Second)
		if sug, _ := b.SuggestCategory(ctx, w.resident, text, ""); sug.ModelVersion != 1 {
			t.Fatalf("server b still suggests with v%d after the switch back", sug.ModelVersion)
		}
	})
}
