// Package llm talks to an optional large language model through the
// OpenAI-compatible chat completions API (POST {base}/v1/chat/completions),
// which a local DeepSeek or Qwen served by vLLM, Ollama, llama.cpp or
// LM Studio all speak. civicgrid uses it for two drafts that staff edit
// before anything is saved: a summary of long call notes and a reply to a
// case. It is off unless a URL is configured, every call has a deadline,
// and ID and phone numbers are masked before any text leaves the process.
//
// The package imports nothing of civicgrid's: callers pass text in and
// get text back.
package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// DefaultTimeout is how long one call may take unless configured.
const DefaultTimeout = 10 * time.Second

// Config says where the model is. An empty URL turns the client off.
type Config struct {
	// URL is the server's base address, e.g. http://127.0.0.1:11434
	// (Ollama) or http://127.0.0.1:8000 (vLLM); a trailing /v1 is
	// accepted too.
	URL string
	// Model is the model name the server knows, e.g. deepseek-r1:7b.
	Model string
	// Key is sent as a bearer token when set.
	Key string
	// Timeout bounds each call (DefaultTimeout when zero).
	Timeout time.Duration
	// HTTP is the client to use (a plain one when nil).
	HTTP *http.Client
}

// Client calls the model. A nil *Client is a valid, disabled client.
type Client struct {
	endpoint string
	cfg      Config
}

// New returns a client, or nil when no URL is configured.
func New(cfg Config) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(cfg.URL), "/")
	if base == "" {
		return nil, nil
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("llm: URL %q must start with http:// or https://", cfg.URL)
	}
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errors.New("llm: a model name is required with the URL")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	base = strings.TrimSuffix(base, "/v1")
	return &Client{endpoint: base + "/v1/chat/completions", cfg: cfg}, nil
}

// Enabled reports whether a model is configured.
func (c *Client) Enabled() bool { return c != nil }

// Timeout is the deadline of one call.
func (c *Client) Timeout() time.Duration {
	if c == nil {
		return 0
	}
	return c.cfg.Timeout
}

// Errors a call returns; any of them means "fill the text in yourself".
var (
	ErrDisabled  = errors.New("llm: no model is configured")
	ErrTimeout   = errors.New("llm: the model did not answer in time")
	ErrMalformed = errors.New("llm: the model's answer could not be read")
)

// HTTPError is a non-2xx answer from the model server.
type HTTPError struct {
	Status int
	Body   string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("llm: server answered %d: %s", e.Status, e.Body)
}

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type request struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Temperature float64   `json:"temperature"`
	MaxTokens   int       `json:"max_tokens"`
	Stream      bool      `json:"stream"`
}

type response struct {
	Choices []struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
	} `json:"choices"`
}

// maxAnswer bounds what is read from the server.
const maxAnswer = 1 << 20

// thinkRe drops the reasoning block reasoning models (DeepSeek-R1) put
// before their answer.
var thinkRe = regexp.MustCompile(`(?s)<think>.*?</think>`)

// Chat sends the messages, with every message's personal numbers masked,
// and returns the model's answer, within the client's timeout.
func (c *Client) Chat(ctx context.Context, msgs []Message) (string, error) {
	if c == nil {
		return "", ErrDisabled
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	masked := make([]Message, len(msgs))
	for i, m := range msgs {
		masked[i] = Message{Role: m.Role, Content: MaskPersonal(m.Content)}
	}
	body, err := json.Marshal(request{Model: c.cfg.Model, Messages: masked, Temperature: 0.3, MaxTokens: 800})
	if err != nil {
		return "", fmt.Errorf("llm: encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("llm: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.cfg.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Key)
	}
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", ErrTimeout
		}
		return "", fmt.Errorf("llm: call %s: %w", c.endpoint, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", ErrTimeout
		}
		return "", fmt.Errorf("llm: read answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", &HTTPError{Status: resp.StatusCode, Body: civic.Clip(string(raw), 200)}
	}
	var out response
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Choices) == 0 {
		return "", ErrMalformed
	}
	text := strings.TrimSpace(thinkRe.ReplaceAllString(out.Choices[0].Message.Content, ""))
	if text == "" {
		return "", ErrMalformed
	}
	return text, nil
}

// Personal numbers in free text: ID numbers (18 characters, the last may
// be X), mobile numbers written with dashes or spaces, and any other run
// of seven or more digits (landlines, bank cards, old 15-digit IDs). Over-
// masking (a date written 20260310) costs nothing; a leaked number does.
var (
	idRe     = regexp.MustCompile(`\d{17}[\dXx]`)
	mobileRe = regexp.MustCompile(`(?:\+?86[- ]?)?1[3-9]\d[- ]\d{4}[- ]\d{4}`)
	digitsRe = regexp.MustCompile(`\d{7,}`)
)

// MaskPersonal replaces ID and phone numbers in free text with labels, so
// that they never reach the model.
func MaskPersonal(s string) string {
	s = idRe.ReplaceAllString(s, "[身份证号]")
	s = mobileRe.ReplaceAllString(s, "[电话号码]")
	return digitsRe.ReplaceAllStringFunc(s, func(d string) string {
		if len(d) == 11 && d[0] == '1' {
			return "[电话号码]"
		}
		return "[号码]"
	})
}

// maxInput bounds the text sent in one prompt (characters).
const maxInput = 6000

// summaryPrompt is the instruction for call notes (see docs/TRIAGE.md).
const summaryPrompt = `你是12345市民热线的工单助手。请把话务员的来电记录整理成一段简洁的工单摘要，供派单和办理人员阅读：
1. 用一到三句话写清：什么问题、在什么地点、持续多久或影响到谁、来电人的诉求是什么；
2. 只根据记录内容，不要补充记录里没有的事实，不要编造地点、时间或人名；
3. 不要写入任何身份证号、电话号码等个人信息；
4. 不超过150字，直接输出摘要正文，不要标题、不要客套话。`

// Summarise condenses long call notes into a short summary for staff to
// edit.
func (c *Client) Summarise(ctx context.Context, notes string) (string, error) {
	return c.Chat(ctx, []Message{
		{Role: "system", Content: summaryPrompt},
		{Role: "user", Content: "来电记录：\n" + civic.Clip(notes, maxInput)},
	})
}

// ReplyInput is what a reply draft is written from.
type ReplyInput struct {
	// Kind says what the reply is: "handle" (办结反馈), "feedback"
	// (进展反馈) or "answer" (直接答复).
	Kind        string
	Title       string
	Description string
	Category    string
	Address     string
	// Points are what the staff member already typed: the facts the
	// draft must build on.
	Points string
}

var replyKinds = map[string]string{
	"handle":   "办结反馈（说明已经采取的措施和处理结果）",
	"feedback": "办理进展反馈（说明目前已做的工作和下一步安排）",
	"answer":   "直接答复（针对来电人的咨询给出明确答复）",
}

const replyPrompt = `你是基层社区治理（接诉即办）工作人员的写作助手。请根据工单信息，起草一段给诉求人的%s，由工作人员修改后再提交：
1. 语气诚恳、礼貌、简洁，使用“您好”开头，第二人称称呼诉求人；
2. 只写工单信息和“办理要点”里有的事实；没有给出的处理结果用“【待补充：……】”标出，不要编造；
3. 不要写入任何身份证号、电话号码等个人信息；
4. 不超过200字，直接输出正文。`

// DraftReply drafts the text of a report-back or answer for staff to edit.
func (c *Client) DraftReply(ctx context.Context, in ReplyInput) (string, error) {
	kind, ok := replyKinds[in.Kind]
	if !ok {
		kind = replyKinds["handle"]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "工单标题：%s\n", in.Title)
	if in.Category != "" {
		fmt.Fprintf(&b, "问题类别：%s\n", in.Category)
	}
	if in.Address != "" {
		fmt.Fprintf(&b, "地点：%s\n", in.Address)
	}
	fmt.Fprintf(&b, "诉求内容：%s\n", civic.Clip(in.Description, maxInput))
	if strings.TrimSpace(in.Points) != "" {
		fmt.Fprintf(&b, "办理要点（工作人员已填写）：%s\n", civic.Clip(in.Points, 2000))
	}
	return c.Chat(ctx, []Message{
		{Role: "system", Content: fmt.Sprintf(replyPrompt, kind)},
		{Role: "user", Content: b.String()},
	})
}
