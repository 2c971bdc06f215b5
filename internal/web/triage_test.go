package web

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestTriagePages drives triage through the pages: an administrator
// trains a model from closed cases (a CSV with an unknown label is
// refused by row), a resident's form suggests a category as they type,
// a report left to the suggestion waits for a dispatcher while
// auto-routing is off and is routed by the model once the threshold is
// set, with the model's note on the case in both languages; the page shows
// the acceptance figures.
func TestTriagePages(t *testing.T) {
	f := mustCaseFixture(t)
	ctx := context.Background()
	testdb.MustClosedCases(t, f.s, gridA1, map[string]string{testdb.ThemeVending: "0101", testdb.ThemeClutter: "0102", testdb.ThemeNoise: "0104"}, 12)
	admin, res, worker := f.mustLogin(t, "admin"), f.mustLogin(t, "resident"), f.mustLogin(t, "worker")
	body := mustStatus(t, admin.get("/triage"), http.StatusOK)
	mustContain(t, body, "还没有模型", `id="triage-train"`, `id="triage-settings"`, `href="/triage"`)
	mustStatus(t, worker.get("/triage"), http.StatusForbidden)
	if rec := worker.post("/triage/train", url.Values{"source": {"cases"}}); rec.Code != http.StatusForbidden {
		t.Fatalf("a grid worker trains: %d", rec.Code)
	}

	// A CSV whose label is not a code of the catalogue.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("source", "upload")
	fw, _ := mw.CreateFormFile("file", "train.csv")
	fmt.Fprint(fw, "title,text,label\n楼道堆物,楼道里全是纸箱,0102\n噪音扰民,楼上装修太吵,城乡建设\n")
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/triage/train", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	body = mustStatus(t, admin.do(req), http.StatusUnprocessableEntity)
	mustContain(t, body, "第3行", "城乡建设")

	if rec := admin.post("/triage/train", url.Values{"source": {"cases"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("train: %d %s", rec.Code, rec.Body)
	}
	mustContain(t, mustStatus(t, admin.get("/triage"), http.StatusOK), "排队中", `id="triage-pending"`)
	if id, err := f.s.TrainNextTriage(ctx); err != nil || id == 0 {
		t.Fatalf("background training: %d %v", id, err)
	}
	body = mustStatus(t, admin.get("/triage?lang=en"), http.StatusOK)
	mustContain(t, body, "v1", "Active", "5-fold cross-validation", "Clutter in stairwells")

	// The form and the suggestion as the resident types.
	mustContain(t, mustStatus(t, res.get("/report"), http.StatusOK), `id="triage-suggest"`, `hx-get="/triage/suggest"`, `name="category_from_model"`, "/static/triage.js")
	body = mustStatus(t, res.get("/triage/suggest?title="+url.QueryEscape("楼道里堆满了纸箱")+"&description=", "HX-Request", "true"), http.StatusOK)
	mustContain(t, body, `data-triage-top="0102"`, "楼道堆物", `data-triage-version="1"`, "根据您的描述推荐", "由工作人员确认分类后派单")
	mustNotContain(t, body, "<html")
	// Staff see every runner-up with its figure; a resident only those
	// of 10 % or more.
	staffBody := mustStatus(t, admin.get("/triage/suggest?title="+url.QueryEscape("楼道里堆满了纸箱")+"&description=", "HX-Request", "true"), http.StatusOK)
	mustContain(t, staffBody, `data-triage-top="0102"`, `data-triage-pick="0101"`, "%")
	sug, err := f.s.SuggestCategory(ctx, civic.System, "楼道里堆满了纸箱", "")
	if err != nil || len(sug.Predictions) < 2 {
		t.Fatalf("suggestion: %+v %v", sug, err)
	}
	if alt := sug.Predictions[1]; (alt.Probability >= civic.TriageOfferMin) != strings.Contains(body, `data-triage-pick="`+alt.Code+`"`) {
		t.Errorf("resident offered runner-up %s at %.3f: %v", alt.Code, alt.Probability, strings.Contains(body, alt.Code))
	}
	body = mustStatus(t, res.get("/triage/suggest?title="+url.QueryEscape("楼道里堆满了纸箱")+"&lang=en", "HX-Request", "true"), http.StatusOK)
	mustContain(t, body, "Clutter in stairwells")
	// Text the model is unsure of: the likely categories to click, nothing
	// pre-selected.
	body = mustStatus(t, res.get("/triage/suggest?title="+url.QueryEscape("请问明天天气怎么样")+"&description=", "HX-Request", "true"), http.StatusOK)
	mustContain(t, body, "data-triage-unsure", "可能的分类", `data-triage-pick="0102"`, `data-triage-pick="0101"`)
	mustNotContain(t, body, "data-triage-top")
	if body = mustStatus(t, res.get("/triage/suggest?title=a", "HX-Request", "true"), http.StatusOK); body != "" {
		t.Errorf("a suggestion for almost no text: %q", body)
	}

	// Left to the suggestion while auto-routing is off: waits.
	form := residentForm(mustFormKey(t, res, "/report"), "楼道堆物无人清理", "0102")
	form.Set("category_from_model", "1")
	id, _ := mustReport(t, res, "/report", form)
	if cs := f.mustCase(t, id); cs.CategoryCode != "" || cs.State != civic.StateReported {
		t.Fatalf("auto-routing off: %+v", cs)
	}
	body = mustStatus(t, admin.post("/triage/settings", url.Values{"threshold": {"2"}, "min_examples": {"10"}, "max_examples": {"50"}, "every_days": {"7"}, "auto_margin": {"0.02"}}), http.StatusUnprocessableEntity)
	mustContain(t, body, "阈值应在0到1之间", "训练样本上限应在1000到1000000之间", `value="50"`)
	if rec := admin.post("/triage/settings", url.Values{"threshold": {"0.3"}, "min_examples": {"10"}, "max_examples": {"20000"}, "every_days": {"7"}, "auto_margin": {"0.02"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("settings: %d %s", rec.Code, rec.Body)
	}
	form = residentForm(mustFormKey(t, res, "/report"), "楼道堆物无人清理", "0102")
	form.Set("category_from_model", "1")
	id, number := mustReport(t, res, "/report", form)
	cs := f.mustCase(t, id)
	if cs.CategoryCode != "0102" || cs.State != civic.StateDispatched || cs.HandlerRegionCode != gridA1 {
		t.Fatalf("auto-routed: %+v", cs)
	}
	mustContain(t, mustStatus(t, res.get("/cases/"+number), http.StatusOK), "由分类模型v1自动分类为“楼道堆物”")
	mustContain(t, mustStatus(t, res.get("/cases/"+number+"?lang=en"), http.StatusOK), "Filed by triage model v1 as “Clutter in stairwells”")

	// Chosen by the resident: accepted when it is the suggestion.
	id, _ = mustReport(t, res, "/report", residentForm(mustFormKey(t, res, "/report"), "楼道堆物无人清理", "0101"))
	if cs := f.mustCase(t, id); cs.CategoryCode != "0101" {
		t.Fatalf("the resident's own choice: %+v", cs)
	}
	body = mustStatus(t, admin.get("/triage"), http.StatusOK)
	// Three suggestions of 0102: one accepted at intake (the routed one),
	// the waiting one and the resident's other choice not.
	// The waiting case has no category yet, so the final agreement is one
	// of two.
	mustContain(t, body, `id="triage-acceptance"`, "<td>3</td><td>1</td><td>33.3%</td>", "50.0% <span class=\"small muted\">(1/2)</span>")

	// Switching back needs another model; activating an unknown one fails.
	if rec := admin.post("/triage/models/999/activate", nil); rec.Code != http.StatusNotFound {
		t.Fatalf("activate unknown: %d", rec.Code)
	}
	models, _ := f.s.TriageModels(ctx, civic.System)
	if rec := admin.post("/triage/models/"+strconv.FormatInt(models[0].ID, 10)+"/activate", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("activate the active: %d", rec.Code)
	}
}

func TestTriageEvaluationInTheReadersLanguage(t *testing.T) {
	for _, tc := range []struct{ lang, in, want string }{
		{"zh", "held-out split: 523 of 2789 examples (every 5th of each category)", "留出集评估：每类每5条留出1条，共 523 / 2789 条"},
		{"en", "held-out split: 523 of 2789 examples (every 5th of each category)", "held-out split: 523 of 2789 examples (every 5th of each category)"},
		{"zh", "5-fold cross-validation", "5 折交叉验证"},
		{"zh", "something else", "something else"},
	} {
		if got := triageEvaluation(tc.lang, tc.in); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.lang, tc.in, got, tc.want)
		}
	}
}

func TestInLang(t *testing.T) {
	note := "少于10件的分类未参与训练：0101、0102 / categories with fewer than 10 closed cases left out: 0101, 0102\n无启用中的模型，已自动启用 / no model was active; activated\nplain"
	if got, want := inLang("zh", note), "少于10件的分类未参与训练：0101、0102\n无启用中的模型，已自动启用\nplain"; got != want {
		t.Errorf("zh: %q, want %q", got, want)
	}
	if got, want := inLang("en", note), "categories with fewer than 10 closed cases left out: 0101, 0102\nno model was active; activated\nplain"; got != want {
		t.Errorf("en: %q, want %q", got, want)
	}
}

// TestTriageSuggestionsOffered: a form that is not sure offers only the
// categories of at least civic.TriageOfferMin; when none reaches it (a
// model of 90 categories reading text unlike any it learnt from), it says
// the model cannot tell and offers nothing to click.
func TestTriageSuggestionsOffered(t *testing.T) {
	f := mustFixture(t)
	h, err := New(Config{Store: f.s, Auth: &auth.Auth{Store: f.s}, Locator: f.s.NewLocator(0), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	staff := true
	render := func(lang string, probs ...float64) string {
		sug := civic.TriageSuggestion{ModelID: 1, ModelVersion: 4}
		for i, p := range probs {
			sug.Predictions = append(sug.Predictions, civic.TriagePrediction{Code: fmt.Sprintf("01%02d", i+1), Name: fmt.Sprintf("分类%d", i+1), Probability: p})
		}
		rec := httptest.NewRecorder()
		h.exec(rec, lang, http.StatusOK, "case_report", "_triage_suggestions", triageSuggestPage{Sug: sug, Top: sug.Top(), Alternatives: sug.Predictions[1:], Staff: staff})
		return rec.Body.String()
	}
	body := render("zh", 0.3, 0.12, 0.05)
	mustContain(t, body, "data-triage-unsure", "可能的分类", `data-triage-pick="0101"`, `data-triage-pick="0102"`)
	mustNotContain(t, body, `data-triage-pick="0103"`, "data-triage-top", "data-triage-unknown")
	body = render("zh", 0.04, 0.03, 0.02)
	mustContain(t, body, "data-triage-unknown", "分类模型v4看不出这段描述属于哪一类")
	mustNotContain(t, body, "data-triage-pick", "data-triage-top", "可能的分类")
	mustContain(t, render("en", 0.04, 0.03, 0.02), "Triage model v4 cannot tell")
	// Sure: pre-selected, with the runners-up beside it.
	body = render("zh", 0.8, 0.05, 0.02)
	mustContain(t, body, `data-triage-top="0101"`, `data-triage-pick="0102"`, `data-triage-pick="0103"`, "80.0%", "分类模型v4")
	// A resident is offered the same choices in plain words, without the
	// model's figures or version.
	staff = false
	body = render("zh", 0.8, 0.05, 0.02)
	mustContain(t, body, `data-triage-top="0101"`, `data-triage-pick="0102"`, "根据您的描述推荐")
	mustNotContain(t, body, "%", "分类模型")
	body = render("zh", 0.04, 0.03, 0.02)
	mustContain(t, body, "data-triage-unknown", "系统看不出这段描述属于哪一类")
	mustNotContain(t, body, "分类模型")
}
