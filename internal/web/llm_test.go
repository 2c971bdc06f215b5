package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/llm"
)

// fakeModel is a local OpenAI-compatible server whose answer a test sets.
type fakeModel struct {
	mu     sync.Mutex
	sent   []string
	answer func(w http.ResponseWriter, r *http.Request)
}

func (m *fakeModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.sent = append(m.sent, string(b))
	answer := m.answer
	m.mu.Unlock()
	answer(w, r)
}

func (m *fakeModel) set(fn func(w http.ResponseWriter, r *http.Request)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.answer = fn
}

func (m *fakeModel) last() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.sent) == 0 {
		return ""
	}
	return m.sent[len(m.sent)-1]
}

func modelSays(text string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]any{"content": text}}}})
	}
}

// withModel serves the fixture's pages again with a model configured;
// sessions live in the store, so signed-in clients keep working.
func (f *caseFixture) withModel(tb testing.TB, url string, timeout time.Duration) http.Handler {
	tb.Helper()
	m, err := llm.New(llm.Config{URL: url, Model: "deepseek-r1:7b", Timeout: timeout})
	if err != nil {
		tb.Fatal(err)
	}
	authn := &auth.Auth{Store: f.s}
	w, err := New(Config{Store: f.s, Auth: authn, Locator: f.s.NewLocator(0), Version: "test", LLM: m, Intake: f.s.NewIntake(f.s.NewLocator(0))})
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	w.Register(mux)
	return authn.Middleware(mux)
}

// TestLLMPages: with a model configured, the hotline form offers 生成摘要
// and the summary (masked notes sent, edited text filed) flows into the
// form and the case; a report-back offers 起草回复 whose draft replaces the
// note; timeouts, server errors and unreadable answers give a clear
// message fast; without a model there are no buttons and the endpoints
// answer 404.
func TestLLMPages(t *testing.T) {
	f := mustCaseFixture(t)
	model := &fakeModel{answer: modelSays("来电人反映幸福小区东门井盖丢失三天，要求尽快补装。")}
	srv := httptest.NewServer(model)
	defer srv.Close()
	h := f.withModel(t, srv.URL, 300*time.Millisecond)
	op := f.mustLogin(t, "operator")
	plain := *op
	op.h = h

	body := mustStatus(t, op.get("/cases/new?channel=hotline"), http.StatusOK)
	mustContain(t, body, "生成摘要", `hx-post="/llm/summary"`, `id="llm-summary"`)
	notes := "来电人张先生，电话13800138000，身份证110101199003071234。他说幸福小区东门外人行道的井盖丢了三天了，晚上很黑，已经有老人差点掉下去，希望尽快补上。"
	body = mustStatus(t, op.post("/llm/summary", url.Values{"description": {notes}}), http.StatusOK)
	mustContain(t, body, `name="summary"`, "要求尽快补装")
	mustNotContain(t, body, "<html")
	if sent := model.last(); strings.Contains(sent, "13800138000") || strings.Contains(sent, "110101199003071234") || !strings.Contains(sent, "井盖丢了三天") {
		t.Fatalf("the model was sent: %s", sent)
	}
	// The operator edits the summary and files the call: it heads the
	// description.
	key := mustFormKey(t, op, "/cases/new?channel=hotline")
	id, _ := mustReport(t, op, "/cases/new?channel=hotline", url.Values{"key": {key}, "title": {"东门井盖丢失"}, "description": {notes},
		"summary": {"东门井盖丢失三天，请尽快补装。"}, "region_code": {commA}, "reporter_phone": {"13700001111"}, "category_code": {"0102"}})
	if cs := f.mustCase(t, id); !strings.HasPrefix(cs.Description, "【摘要】东门井盖丢失三天，请尽快补装。\n\n来电人张先生") {
		t.Fatalf("description: %q", cs.Description)
	}

	for _, tc := range []struct {
		name, want string
		answer     func(http.ResponseWriter, *http.Request)
	}{
		{"timeout", "未能按时答复", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}},
		{"http error", "暂时不可用", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "overloaded", http.StatusInternalServerError)
		}},
		{"malformed", "无法识别", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "<html>not json") }},
	} {
		model.set(tc.answer)
		start := time.Now()
		body := mustStatus(t, op.post("/llm/summary", url.Values{"description": {notes}, "summary": {"我已写的摘要"}}), http.StatusOK)
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("%s took %v", tc.name, took)
		}
		// The message, and the operator's own text kept.
		mustContain(t, body, tc.want, "我已写的摘要", `role="alert"`)
	}
	mustContain(t, mustStatus(t, op.post("/llm/summary", url.Values{"description": {""}}), http.StatusOK), "请先填写来电记录")

	// A reply draft for the handler's report-back.
	model.set(modelSays("您好，您反映的井盖问题已补装新井盖，感谢监督。"))
	handler := f.mustLogin(t, "handler")
	resident := f.mustLogin(t, "resident")
	cid, _ := mustReport(t, resident, "/report", residentForm(mustFormKey(t, resident, "/report"), "门口占道经营", "0101"))
	if rec := act(handler, cid, "claim"); rec.Code != http.StatusSeeOther {
		t.Fatalf("claim: %d", rec.Code)
	}
	plainHandler := *handler
	handler.h = h
	body = mustStatus(t, handler.get(fmt.Sprintf("/cases/%d", cid)), http.StatusOK)
	mustContain(t, body, fmt.Sprintf(`hx-post="/cases/%d/draft-reply"`, cid), "起草回复")
	body = mustStatus(t, handler.post(fmt.Sprintf("/cases/%d/draft-reply", cid), url.Values{"action": {"handle"}, "note": {"已劝离摊贩，设置隔离栏"}}), http.StatusOK)
	mustContain(t, body, `id="note-handle"`, `hx-swap-oob="true"`, "已补装新井盖")
	if sent := model.last(); !strings.Contains(sent, "已劝离摊贩") || !strings.Contains(sent, "门口占道经营") || strings.Contains(sent, "13912345678") {
		t.Fatalf("reply prompt: %s", sent)
	}
	mustStatus(t, handler.post(fmt.Sprintf("/cases/%d/draft-reply", cid), url.Values{"action": {"merge"}}), http.StatusUnprocessableEntity)
	mustStatus(t, f.mustLogin(t, "worker_b").post(fmt.Sprintf("/cases/%d/draft-reply", cid), url.Values{"action": {"handle"}}), http.StatusNotFound)

	// Without a model: no buttons, and the endpoints are not there.
	body = mustStatus(t, plain.get("/cases/new?channel=hotline"), http.StatusOK)
	mustNotContain(t, body, "生成摘要", "/llm/summary")
	mustStatus(t, plain.post("/llm/summary", url.Values{"description": {notes}}), http.StatusNotFound)
	body = mustStatus(t, plainHandler.get(fmt.Sprintf("/cases/%d", cid)), http.StatusOK)
	mustNotContain(t, body, "draft-reply", "起草回复")
	mustStatus(t, plainHandler.post(fmt.Sprintf("/cases/%d/draft-reply", cid), url.Values{"action": {"handle"}}), http.StatusNotFound)
}
