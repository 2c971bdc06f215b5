package web

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// TestTriageModelAttempts: the models table says which attempt a model
// in training is on, once a server vanished with it, and why a model
// given up failed, in the reader's language.
func TestTriageModelAttempts(t *testing.T) {
	views, err := parseViews(templateFS, time.UTC, "x")
	if err != nil {
		t.Fatal(err)
	}
	given := "训练已开始3次，均未完成（训练中服务器退出、被终止或超时），不再重试；请检查训练数据和服务器内存后重新训练 / training was started 3 times and never finished (the server stopped, was killed or timed out while training); it is not tried again: check the training data and the servers' memory, then train again"
	models := []civic.TriageModel{
		{ID: 3, Version: 3, Status: civic.TriageRunning, Source: civic.TriageFromCases, Attempts: 2, TriggeredBy: "system"},
		{ID: 2, Version: 2, Status: civic.TriageFailed, Source: civic.TriageFromCases, Attempts: 3, TriggeredBy: "system", Error: given},
		{ID: 1, Version: 1, Status: civic.TriageDone, Source: civic.TriageFromCases, Attempts: 1, TriggeredBy: "system"},
	}
	for _, tt := range []struct {
		lang string
		want []string
		not  []string
	}{
		{"zh", []string{"训练中 <span class=\"small muted\">（第2次）</span>", "失败 <span class=\"small muted\">（第3次）</span>", "训练已开始3次，均未完成"}, []string{"（第1次）", "never finished"}},
		{"en", []string{"Training <span class=\"small muted\">(attempt 2)</span>", "Failed <span class=\"small muted\">(attempt 3)</span>", "training was started 3 times and never finished"}, []string{"(attempt 1)", "均未完成"}},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			p := triagePage{}
			for _, m := range models {
				row := triageModelRow{TriageModel: m}
				row.Error = inLang(tt.lang, m.Error)
				p.Models = append(p.Models, row)
			}
			var buf bytes.Buffer
			if err := views[tt.lang]["triage"].t.ExecuteTemplate(&buf, "content", p); err != nil {
				t.Fatal(err)
			}
			body := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s page lacks %q", tt.lang, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(body, w) {
					t.Errorf("%s page shows %q", tt.lang, w)
				}
			}
		})
	}
}
