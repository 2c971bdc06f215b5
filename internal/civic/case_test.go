package civic

import (
	"strings"
	"testing"
	"time"
)

func TestNextState(t *testing.T) {
	tests := []struct {
		name   string
		from   CaseState
		action CaseAction
		want   CaseState // "" = refused with a conflict
	}{
		{"accept a report", StateReported, ActAccept, StateAccepted},
		{"reject a report", StateReported, ActReject, StateRejected},
		{"dispatch straight from intake", StateReported, ActDispatch, StateDispatched},
		{"dispatch an accepted case", StateAccepted, ActDispatch, StateDispatched},
		{"claim a dispatch", StateDispatched, ActClaim, StateInProgress},
		{"claim twice", StateInProgress, ActClaim, ""},
		{"claim before dispatch", StateAccepted, ActClaim, ""},
		{"return before claiming", StateDispatched, ActReturn, StateAccepted},
		{"return while working", StateInProgress, ActReturn, StateAccepted},
		{"transfer", StateInProgress, ActTransfer, StateDispatched},
		{"recall an unclaimed dispatch", StateDispatched, ActRecall, StateAccepted},
		{"recall a claimed case", StateInProgress, ActRecall, ""},
		{"progress note keeps state", StateInProgress, ActFeedback, StateInProgress},
		{"report back", StateInProgress, ActHandle, StateHandled},
		{"report back unclaimed", StateDispatched, ActHandle, ""},
		{"verification passes", StateHandled, ActVerifyPass, StateClosed},
		{"verification fails: rework", StateHandled, ActVerifyFail, StateInProgress},
		{"visit a closed case", StateClosed, ActVisit, StateVisited},
		{"visit before closing", StateHandled, ActVisit, ""},
		{"reopen after a visit", StateVisited, ActReopen, StateAccepted},
		{"reopen a closed case not yet visited", StateClosed, ActReopen, ""},
		{"answer a consultation", StateReported, ActAnswer, StateClosed},
		{"merge an open case", StateInProgress, ActMerge, StateMerged},
		{"merge a closed case", StateClosed, ActMerge, ""},
		{"anything on a rejected case", StateRejected, ActDispatch, ""},
		{"comment on a rejected case", StateRejected, ActComment, StateRejected},
		{"suspend request while working", StateInProgress, ActRequestPause, StateInProgress},
		{"whistle before dispatch", StateAccepted, ActWhistle, StateAccepted},
		{"whistle after closing", StateClosed, ActWhistle, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NextState(tt.from, tt.action)
			if tt.want == "" {
				if ErrorCodeOf(err) != EConflict {
					t.Fatalf("NextState(%s, %s) = %s, %v; want a conflict", tt.from, tt.action, got, err)
				}
				e := AsError(err)
				if !strings.Contains(e.Msg.ZH, tt.from.Label().ZH) || e.Msg.EN == "" {
					t.Fatalf("conflict message does not name the state: %+v", e.Msg)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NextState(%s, %s) = %s, %v; want %s", tt.from, tt.action, got, err, tt.want)
			}
		})
	}
}

// Every action has a label and every state reachable by an action is known.
func TestStateMachineIsClosed(t *testing.T) {
	for a, tr := range transitions {
		if !a.Valid() {
			t.Errorf("action %s has no label", a)
		}
		for _, f := range tr.from {
			if !f.Valid() {
				t.Errorf("action %s from unknown state %s", a, f)
			}
		}
		if tr.to != "" && !tr.to.Valid() {
			t.Errorf("action %s to unknown state %s", a, tr.to)
		}
	}
}

func TestCaseNumber(t *testing.T) {
	// 2026-03-09 20:00 UTC is already 2026-03-10 in China.
	at := time.Date(2026, 3, 9, 20, 0, 0, 0, time.UTC)
	n := CaseNumber(at, 1234)
	if n != "202603100001234" {
		t.Fatalf("CaseNumber = %s", n)
	}
	id, date, ok := ParseCaseNumber(n)
	if !ok || id != 1234 || date != "20260310" {
		t.Fatalf("ParseCaseNumber(%s) = %d %s %v", n, id, date, ok)
	}
	if big := CaseNumber(at, 123456789); big != "20260310123456789" {
		t.Fatalf("large id: %s", big)
	}
	for _, bad := range []string{"", "2026031", "20260310abc1234", "202603100000000"} {
		if _, _, ok := ParseCaseNumber(bad); ok {
			t.Errorf("ParseCaseNumber(%q) accepted", bad)
		}
	}
}
