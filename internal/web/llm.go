package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/llm"
)

// llmSummary is the hotline form's summary box.
type llmSummary struct {
	Summary string
	Error   string
	// Done shows the text area after an answer, even an empty one.
	Done    bool
	Seconds int
}

// llmReply is the answer to 起草回复: the draft for the note of action
// Kind, or why there is none.
type llmReply struct {
	Kind, Text, Error string
}

// llmSummaryBox is the summary box the hotline form starts with: nil (no
// box) when no model is configured or the form is not the hotline's.
func (h *Web) llmSummaryBox(f reportForm) *llmSummary {
	if !h.cfg.LLM.Enabled() || f.Channel != "hotline" {
		return nil
	}
	return &llmSummary{Summary: f.Summary, Done: f.Summary != "", Seconds: int(h.cfg.LLM.Timeout().Seconds())}
}

// llmError words a failed model call for the form; the form keeps working
// whatever happened.
func (h *Web) llmError(c *rq, err error) string {
	var he *llm.HTTPError
	switch {
	case errors.Is(err, llm.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return c.T("llm.timeout")
	case errors.As(err, &he):
		return c.T("llm.unavailable")
	case errors.Is(err, llm.ErrMalformed):
		return c.T("llm.malformed")
	}
	return c.T("llm.unavailable")
}

// llmSummarise answers 生成摘要 on the hotline form (htmx): the call notes
// condensed by the model into an editable summary. Errors come back as a
// message in the box with status 200, so that htmx shows them; the form
// itself never waits on the model.
func (h *Web) llmSummarise(w http.ResponseWriter, r *http.Request, c *rq) error {
	if !h.cfg.LLM.Enabled() {
		return civic.NotFound("智能摘要", "summaries")
	}
	if _, err := channelOf(c.Actor, "hotline"); err != nil {
		return err
	}
	notes := strings.TrimSpace(r.PostFormValue("description"))
	box := llmSummary{Summary: strings.TrimSpace(r.PostFormValue("summary")), Done: true, Seconds: int(h.cfg.LLM.Timeout().Seconds())}
	if notes == "" {
		box.Error = c.T("llm.no_notes")
	} else if text, err := h.cfg.LLM.Summarise(r.Context(), notes); err != nil {
		h.log.Warn("llm summary", "err", err)
		box.Error = h.llmError(c, err)
	} else {
		box.Summary = text
	}
	h.fragment(w, c, http.StatusOK, "case_report", "_llm_summary", box)
	return nil
}

// llmReplyKinds are the actions whose note is a reply to the reporter.
var llmReplyKinds = map[string]bool{"handle": true, "feedback": true, "answer": true}

// llmDraftReply answers 起草回复 on a case page (htmx): a draft of the
// action's note from the case and what the staff member typed, for them
// to edit before they submit.
func (h *Web) llmDraftReply(w http.ResponseWriter, r *http.Request, c *rq) error {
	if !h.cfg.LLM.Enabled() {
		return civic.NotFound("智能起草", "reply drafts")
	}
	cs, err := h.caseByRef(r, c)
	if err != nil {
		return err
	}
	kind := r.PostFormValue("action")
	if !llmReplyKinds[kind] {
		return civic.Invalid(civic.FieldErr("action", "只能为反馈或答复起草", "drafts are for report-backs and answers only"))
	}
	out := llmReply{Kind: kind}
	text, err := h.cfg.LLM.DraftReply(r.Context(), llm.ReplyInput{Kind: kind, Title: cs.Title, Description: cs.Description,
		Category: cs.CategoryName, Address: cs.Address, Points: r.PostFormValue("note")})
	if err != nil {
		h.log.Warn("llm reply draft", "case", cs.ID, "err", err)
		out.Error = h.llmError(c, err)
	} else {
		out.Text = text
	}
	h.fragment(w, c, http.StatusOK, "case_detail", "_llm_reply", out)
	return nil
}
