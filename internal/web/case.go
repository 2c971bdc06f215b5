package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// This file holds what every case page shares: the catalogue lookup, the
// clocks and their colours, the progress steps and the rule of which
// actions a viewer is offered. The pages themselves live in case_list.go,
// case_detail.go and case_report.go.

// catalogue is the category catalogue as the case pages use it: pickers
// and names in the viewer's language.
type catalogue struct {
	list   []civic.Category
	byCode map[string]civic.Category
}

// catalogue reads the whole catalogue, inactive categories included so that
// old cases keep their names. It reads as the system: the catalogue is
// public configuration, and residents, who lack PermCategoryRead, need it
// to pick a category and to see what is not accepted before they submit.
func (h *Web) catalogue(ctx context.Context) (catalogue, error) {
	list, err := h.store.ListCategories(ctx, civic.System, store.CategoryFilter{IncludeInactive: true})
	if err != nil {
		return catalogue{}, fmt.Errorf("case pages: %w", err)
	}
	cat := catalogue{list: list, byCode: make(map[string]civic.Category, len(list))}
	for _, c := range list {
		cat.byCode[c.Code] = c
	}
	return cat, nil
}

// name is a category's name in lang; a case without one is "uncategorised".
func (cat catalogue) name(lang, code, fallback string) string {
	if code == "" {
		return tr(lang, "case.no_category")
	}
	if c, ok := cat.byCode[code]; ok {
		return c.Label(lang)
	}
	if fallback != "" {
		return fallback
	}
	return code
}

// thresholds are the fractions of a budget at which a clock turns yellow
// and red; the category sets them, and the store's defaults apply to cases
// without one.
func (cat catalogue) thresholds(code string) (yellow, red float64) {
	yellow, red = 0.5, 0.8
	if c, ok := cat.byCode[code]; ok && c.Yellow > 0 && c.Red > c.Yellow {
		yellow, red = c.Yellow, c.Red
	}
	return yellow, red
}

// leafGroup is one 大类 of a category picker with its leaves.
type leafGroup struct {
	Label   string
	Options []leafOption
}

// leafOption is one leaf; Reason is set for leaves on the not-accepted
// list, so the form can tell the resident before they submit.
type leafOption struct {
	Value    string
	Label    string
	Reason   string
	Selected bool
}

// groups lists the active leaves under their top-level group. A leaf deeper
// than the second level carries its parent's name so that it reads on its
// own.
func (cat catalogue) groups(lang, selected string) []leafGroup {
	var out []leafGroup
	idx := map[string]int{}
	for _, c := range cat.list {
		if !c.Active {
			continue
		}
		top := c.Code[:min(2, len(c.Code))]
		if c.Depth() == 1 && !c.Leaf {
			idx[top] = len(out)
			out = append(out, leafGroup{Label: c.Label(lang)})
			continue
		}
		if !c.Leaf {
			continue
		}
		i, ok := idx[top]
		if !ok {
			// A top-level leaf is its own group.
			idx[top] = len(out)
			out = append(out, leafGroup{Label: c.Label(lang)})
			i = idx[top]
		}
		label := c.Label(lang)
		if p, ok := cat.byCode[c.ParentCode]; ok && p.Depth() > 1 {
			label = p.Label(lang) + " · " + label
		}
		o := leafOption{Value: c.Code, Label: label, Selected: c.Code == selected}
		if !c.Accepted {
			o.Reason = c.NotAcceptedReason
			if o.Reason == "" {
				o.Reason = tr(lang, "report.not_accepted_default")
			}
		}
		out[i].Options = append(out[i].Options, o)
	}
	// Groups without an active leaf would be empty optgroups.
	kept := out[:0]
	for _, g := range out {
		if len(g.Options) > 0 {
			kept = append(kept, g)
		}
	}
	return kept
}

// options lists every active category, groups included, indented by depth,
// for the list filter, where picking a group means "anything below it".
func (cat catalogue) options(lang, selected string) []Option {
	var out []Option
	for _, c := range cat.list {
		if !c.Active {
			continue
		}
		label := c.Label(lang)
		if d := c.Depth(); d > 1 {
			label = strings.Repeat("　", d-1) + label
		}
		out = append(out, Option{Value: c.Code, Label: label, Selected: c.Code == selected})
	}
	return out
}

// caseClock is one time limit of a case: when it is due, and how close.
type caseClock struct {
	Stage string // claim, feedback, complete, visit
	Label string
	Due   *time.Time
	Done  *time.Time
	// Level is green, yellow, red or over while the stage is pending; done
	// once met; paused while an approved suspension stops the clock; idle
	// when the stage is not running (waiting for an earlier one).
	Level string
	// Left says how much time is left, or by how much it is overdue.
	Left string
}

// Pending reports whether the clock is running.
func (k caseClock) Pending() bool {
	switch k.Level {
	case "green", "yellow", "red", "over", "paused":
		return true
	}
	return false
}

// clocks works out a case's clocks at now. The store keeps only due
// times; the budget's start is the dispatch (or the close, for the return
// visit), so the fraction used is approximate where working hours and
// holidays make the clock run unevenly. It is good enough for a colour.
func clocks(lang string, c civic.Case, now time.Time, yellow, red float64) []caseClock {
	running := func(states ...civic.CaseState) bool {
		for _, s := range states {
			if c.State == s {
				return true
			}
		}
		return false
	}
	stages := []struct {
		stage       string
		start, due  *time.Time
		done        *time.Time
		pendingWhen bool
	}{
		{"claim", c.DispatchedAt, c.ClaimDue, c.ClaimedAt, running(civic.StateDispatched)},
		{"feedback", c.DispatchedAt, c.FeedbackDue, c.FeedbackAt, running(civic.StateDispatched, civic.StateInProgress) && c.FeedbackAt == nil},
		{"complete", c.DispatchedAt, c.CompleteDue, c.HandledAt, running(civic.StateDispatched, civic.StateInProgress)},
		{"visit", c.ClosedAt, c.VisitDue, c.VisitedAt, running(civic.StateClosed)},
	}
	var out []caseClock
	for _, s := range stages {
		if s.due == nil && s.done == nil {
			continue
		}
		k := caseClock{Stage: s.stage, Label: tr(lang, "case.clock."+s.stage), Due: s.due, Done: s.done, Level: "idle"}
		switch {
		case s.pendingWhen && s.due != nil && c.Paused:
			k.Level = "paused"
		case s.pendingWhen && s.due != nil:
			k.Level = dueLevel(now, s.start, *s.due, yellow, red)
			if k.Level == "over" {
				k.Left = fmt.Sprintf(tr(lang, "case.overdue_by"), durationText(lang, now.Sub(*s.due)))
			} else {
				k.Left = fmt.Sprintf(tr(lang, "case.left"), durationText(lang, s.due.Sub(now)))
			}
		case s.done != nil:
			k.Level = "done"
		}
		out = append(out, k)
	}
	return out
}

// dueLevel colours a running clock by the fraction of its budget used.
func dueLevel(now time.Time, start *time.Time, due time.Time, yellow, red float64) string {
	if now.After(due) {
		return "over"
	}
	if start == nil || !due.After(*start) {
		return "green"
	}
	used := float64(now.Sub(*start)) / float64(due.Sub(*start))
	switch {
	case used >= red:
		return "red"
	case used >= yellow:
		return "yellow"
	}
	return "green"
}

// pressing is the running clock due first, for a list's single column.
func pressing(ks []caseClock) *caseClock {
	var best *caseClock
	for i := range ks {
		k := &ks[i]
		if !k.Pending() || k.Due == nil {
			continue
		}
		if best == nil || k.Due.Before(*best.Due) {
			best = k
		}
	}
	return best
}

// durationText is a rough, readable length of time.
func durationText(lang string, d time.Duration) string {
	if d < 0 {
		d = -d
	}
	days := int(d / (24 * time.Hour))
	hours := int(d % (24 * time.Hour) / time.Hour)
	mins := int(d % time.Hour / time.Minute)
	zh := lang != "en"
	switch {
	case days > 0 && zh:
		return fmt.Sprintf("%d天%d小时", days, hours)
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0 && zh:
		return fmt.Sprintf("%d小时%d分", hours, mins)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	case zh:
		return fmt.Sprintf("%d分钟", mins)
	}
	return fmt.Sprintf("%dm", mins)
}

// caseSteps are the stages a resident follows, in the words of
// DESIGN.md §4: reported, accepted, handling, handled, rated.
var caseSteps = []string{"reported", "accepted", "handling", "handled", "rated"}

// step is one stage of the progress bar.
type step struct {
	Label   string
	Done    bool
	Current bool
}

// progress places a case's state on the steps; a rejected or merged case
// has left the loop and shows none.
func progress(lang string, s civic.CaseState) []step {
	at := map[civic.CaseState]int{
		civic.StateReported: 0, civic.StateAccepted: 1, civic.StateDispatched: 2, civic.StateInProgress: 2,
		civic.StateHandled: 3, civic.StateClosed: 3, civic.StateVisited: 4,
	}
	n, ok := at[s]
	if !ok {
		return nil
	}
	out := make([]step, len(caseSteps))
	for i, k := range caseSteps {
		out[i] = step{Label: tr(lang, "case.step."+k), Done: i < n || (i == n && s == civic.StateVisited), Current: i == n}
		if i == n && s == civic.StateHandled {
			// Reported back but not yet checked: "done" would read as closed.
			out[i].Label = tr(lang, "case.step.verifying")
		}
	}
	return out
}

// caseRow is a case as a list shows it.
type caseRow struct {
	civic.Case
	Category string
	Clock    *caseClock
	Steps    []step
}

func (h *Web) caseRows(lang string, cat catalogue, cs []civic.Case, withSteps bool) []caseRow {
	now := h.store.Now()
	out := make([]caseRow, 0, len(cs))
	for _, c := range cs {
		y, r := cat.thresholds(c.CategoryCode)
		row := caseRow{Case: c, Category: cat.name(lang, c.CategoryCode, c.CategoryName), Clock: pressing(clocks(lang, c, now, y, r))}
		if withSteps {
			row.Steps = progress(lang, c.State)
		}
		out = append(out, row)
	}
	return out
}

// caseByRef loads the case named in the path by ID or by case number,
// within what the viewer may see.
func (h *Web) caseByRef(r *http.Request, c *rq) (civic.Case, error) {
	ref := strings.TrimSpace(r.PathValue("id"))
	if _, _, ok := civic.ParseCaseNumber(ref); ok {
		return h.store.GetCaseByNumber(r.Context(), c.Actor, ref)
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return civic.Case{}, civic.NotFound("工单 "+ref, "case "+ref)
	}
	return h.store.GetCase(r.Context(), c.Actor, id)
}

// actionOrder is the order actions are offered in: the next step of the
// loop first, housekeeping last.
var actionOrder = []civic.CaseAction{
	civic.ActAccept, civic.ActDispatch, civic.ActAnswer, civic.ActReject,
	civic.ActClaim, civic.ActFeedback, civic.ActHandle, civic.ActReturn, civic.ActRequestExtend, civic.ActRequestPause,
	civic.ActVerifyPass, civic.ActVerifyFail, civic.ActVisit, civic.ActReopen,
	civic.ActCheckIn, civic.ActDecide, civic.ActResume, civic.ActWhistle, civic.ActRecall, civic.ActTransfer, civic.ActMerge, civic.ActComment,
}

// availableActions is what the viewer is offered on a case: the store's
// mayAct and the state machine, plus the preconditions the store checks
// later (a rating to reopen, a pause to resume, a request to decide). It is
// only a guide for the page; the store decides, and a refusal is shown.
func availableActions(a civic.Actor, c civic.Case, pendingRequests int, summoned bool) []civic.CaseAction {
	var out []civic.CaseAction
	for _, act := range actionOrder {
		if !store.MayAct(a, c, act) { // the store's own rule: never offer what it would refuse
			continue
		}
		if _, err := civic.NextState(c.State, act); err != nil {
			continue
		}
		switch act {
		case civic.ActReopen:
			if c.Satisfaction != civic.Dissatisfied && (c.Solved == nil || *c.Solved) {
				continue
			}
		case civic.ActResume:
			if !c.Paused {
				continue
			}
		case civic.ActRequestPause:
			if c.Paused {
				continue
			}
		case civic.ActDecide:
			if pendingRequests == 0 {
				continue
			}
		case civic.ActCheckIn:
			// Only a department summoned and not yet checked in.
			if !summoned {
				continue
			}
		}
		out = append(out, act)
	}
	return out
}
