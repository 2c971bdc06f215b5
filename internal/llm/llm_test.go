package llm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fake is a local OpenAI-compatible server that records what it was sent.
type fake struct {
	mu     sync.Mutex
	bodies []string
	auth   string
	path   string
	answer func(w http.ResponseWriter, r *http.Request)
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, string(b))
	f.auth, f.path = r.Header.Get("Authorization"), r.URL.Path
	f.mu.Unlock()
	f.answer(w, r)
}

func answerWith(text string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": text}}}})
	}
}

func mustClient(t *testing.T, url string, timeout time.Duration) *Client {
	t.Helper()
	c, err := New(Config{URL: url, Model: "deepseek-r1:7b", Key: "sk-test", Timeout: timeout})
	if err != nil || c == nil {
		t.Fatalf("new client: %v", err)
	}
	return c
}

func TestChat(t *testing.T) {
	notes := "来电人王先生，身份证110101199003071234，电话13800138000，另一个号码 139-1234-5678，座机010-87654321。反映东门井盖丢失三天。"
	for _, tc := range []struct {
		name    string
		answer  func(http.ResponseWriter, *http.Request)
		timeout time.Duration
		want    string
		err     error
		status  int
	}{
		{name: "success", answer: answerWith("<think>先想一想</think>\n东门井盖丢失三天，来电人要求尽快补装。"), want: "东门井盖丢失三天，来电人要求尽快补装。"},
		{name: "timeout", timeout: 150 * time.Millisecond, err: ErrTimeout, answer: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}},
		{name: "http error", status: 503, answer: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "model is loading", http.StatusServiceUnavailable)
		}},
		{name: "malformed json", err: ErrMalformed, answer: func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"choices": [ {"message": `)
		}},
		{name: "no choices", err: ErrMalformed, answer: func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"choices": []}`)
		}},
		{name: "empty answer", err: ErrMalformed, answer: answerWith("<think>……</think>")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{answer: tc.answer}
			srv := httptest.NewServer(f)
			defer srv.Close()
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			c := mustClient(t, srv.URL+"/v1/", timeout)
			start := time.Now()
			got, err := c.Summarise(context.Background(), notes)
			took := time.Since(start)
			var he *HTTPError
			switch {
			case tc.status != 0:
				if !errors.As(err, &he) || he.Status != tc.status || !strings.Contains(he.Body, "loading") {
					t.Fatalf("err %v, want HTTP %d", err, tc.status)
				}
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
			default:
				if err != nil || got != tc.want {
					t.Fatalf("got %q %v, want %q", got, err, tc.want)
				}
			}
			if tc.timeout != 0 && took > tc.timeout+2*time.Second {
				t.Fatalf("timeout took %v", took)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.path != "/v1/chat/completions" || f.auth != "Bearer sk-test" || len(f.bodies) != 1 {
				t.Fatalf("request: path %q auth %q bodies %d", f.path, f.auth, len(f.bodies))
			}
			var req request
			if err := json.Unmarshal([]byte(f.bodies[0]), &req); err != nil || req.Model != "deepseek-r1:7b" || len(req.Messages) != 2 || req.Messages[0].Role != "system" {
				t.Fatalf("request body: %v %s", err, f.bodies[0])
			}
			for _, n := range []string{"110101199003071234", "13800138000", "139-1234-5678", "87654321"} {
				if strings.Contains(f.bodies[0], n) {
					t.Fatalf("the model was sent %s: %s", n, f.bodies[0])
				}
			}
			if !strings.Contains(f.bodies[0], "东门井盖丢失") || !strings.Contains(f.bodies[0], "[身份证号]") || !strings.Contains(f.bodies[0], "[电话号码]") {
				t.Fatalf("the notes, masked, are in the prompt: %s", f.bodies[0])
			}
		})
	}
}

func TestDisabled(t *testing.T) {
	c, err := New(Config{})
	if err != nil || c != nil || c.Enabled() {
		t.Fatalf("no URL: %v %v", c, err)
	}
	if _, err := c.Summarise(context.Background(), "x"); !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled client: %v", err)
	}
	if _, err := c.DraftReply(context.Background(), ReplyInput{Title: "x"}); !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled client: %v", err)
	}
	if _, err := New(Config{URL: "127.0.0.1:11434", Model: "m"}); err == nil {
		t.Fatal("a URL without a scheme is refused")
	}
	if _, err := New(Config{URL: "http://127.0.0.1:11434"}); err == nil {
		t.Fatal("a URL without a model is refused")
	}
}

func TestDraftReply(t *testing.T) {
	f := &fake{answer: answerWith("您好，您反映的井盖问题已补装。")}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := mustClient(t, srv.URL, time.Second)
	got, err := c.DraftReply(context.Background(), ReplyInput{Kind: "handle", Title: "东门井盖丢失", Description: "联系人13800138000", Category: "井盖", Points: "已补装新井盖"})
	if err != nil || got != "您好，您反映的井盖问题已补装。" {
		t.Fatalf("draft: %q %v", got, err)
	}
	if b := f.bodies[0]; !strings.Contains(b, "办结反馈") || !strings.Contains(b, "已补装新井盖") || strings.Contains(b, "13800138000") {
		t.Fatalf("prompt: %s", b)
	}
}

func TestMaskPersonal(t *testing.T) {
	for in, want := range map[string]string{
		"身份证11010119900307123X号": "身份证[身份证号]号",
		"手机13800138000":          "手机[电话号码]",
		"+86 138 0013 8000 找我":   "[电话号码] 找我",
		"座机 010-87654321":        "座机 010-[号码]",
		"3号楼2单元201室，井盖丢了12天":     "3号楼2单元201室，井盖丢了12天",
	} {
		if got := MaskPersonal(in); got != want {
			t.Errorf("MaskPersonal(%q) = %q, want %q", in, got, want)
		}
	}
}
