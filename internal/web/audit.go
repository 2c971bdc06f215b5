package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// auditPage is the audit log: who changed what, when, before → after.
type auditPage struct {
	Page
	Filter   auditQuery
	Entities []Option
	Actions  []Option
	Rows     []auditRow
	Pager    Pager
	// FilterError explains a date that could not be read.
	FilterError string
}

type auditQuery struct {
	User   string
	Entity string
	Action string
	From   string
	To     string
}

// auditRow is one entry with its changes spelled out.
type auditRow struct {
	civic.AuditEntry
	ActionLabel string
	EntityLabel string
	Changes     []change
}

// change is one field of a record before and after a write.
type change struct {
	Field  string
	Before string
	After  string
}

// auditEntities and auditActions are what the store writes today; the
// translation table names each.
var (
	auditEntities = []string{"region", "staff", "organisation", "user", "api_token", "category", "calendar_year", "calendar_periods",
		"place", "webhook", "blacklist", "deputy",
		"compound", "building", "house", "person", "visit", "patrol", "correction",
		"party_household", "party_contact", "care_rule", "care_task", "rental", "import", "export", "case",
		"article", "assessment_settings", "report", "report_template", "triage_model", "triage_settings"}
	auditActions = []string{"region.create", "region.update", "staff.create", "staff.update", "staff.delete",
		"organisation.create", "organisation.update", "user.create", "user.update", "user.update_identity", "user.password", "token.create", "token.revoke",
		"category.create", "category.update", "category.activate", "category.deactivate",
		"calendar.year.put", "calendar.year.delete", "calendar.periods.put",
		"place.create", "place.active", "webhook.create", "webhook.delete",
		"blacklist.add", "blacklist.remove", "deputy.add", "deputy.remove",
		"compound.create", "compound.update", "building.create", "building.update", "house.create", "house.update",
		"person.create", "person.update", "person.unmask", "search.number", "person.link", "person.move_out", "person.account", "people.reseal",
		"visit.create", "patrol.start", "patrol.stop", "patrol.finding", "patrol.finding_case",
		"correction.propose", "correction.approve", "correction.reject",
		"party.assign", "party.unassign", "party.contact",
		"care_rule.create", "care_rule.update", "care_task.create", "care_task.done", "care_task.dismissed", "care_task.lapsed",
		"rental.create", "rental.end",
		"houses.import_queued", "houses.import", "people.import_queued", "people.import",
		"houses.export", "houses.export_plain", "people.export", "people.export_plain",
		"hotspot.merge",
		"knowledge.create", "knowledge.update", "knowledge.flag", "knowledge.resolve",
		"assessment.settings",
		"report.generate", "report.fill", "report.issue", "report_template.create", "report_template.update", "report_template.delete",
		"triage.train", "triage.activate", "triage.settings"}
)

func (h *Web) audit(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	f := auditQuery{User: strings.TrimSpace(q.Get("user")), Entity: q.Get("entity"), Action: q.Get("action"),
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
	p := auditPage{Page: h.base(w, c, "audit.title", "/audit"), Filter: f}
	af := store.AuditFilter{Username: f.User, Entity: f.Entity, Action: f.Action}
	var bad []string
	if f.From != "" {
		t, err := time.ParseInLocation(civic.DateLayout, f.From, h.china)
		if err != nil {
			bad = append(bad, f.From)
		}
		af.From = t
	}
	if f.To != "" {
		t, err := time.ParseInLocation(civic.DateLayout, f.To, h.china)
		if err != nil {
			bad = append(bad, f.To)
		} else {
			// The form's "to" day is inclusive; the store's bound is not.
			af.To = t.AddDate(0, 0, 1)
		}
	}
	if len(bad) > 0 {
		p.FilterError = fmt.Sprintf(c.T("audit.bad_date"), strings.Join(bad, ", "))
		af.From, af.To = time.Time{}, time.Time{}
	}
	for _, e := range auditEntities {
		p.Entities = append(p.Entities, Option{Value: e, Label: trOr(c.Lang, "audit.entity."+e, e), Selected: e == f.Entity})
	}
	for _, a := range auditActions {
		p.Actions = append(p.Actions, Option{Value: a, Label: trOr(c.Lang, "audit.action."+a, a), Selected: a == f.Action})
	}
	page := pageOf(q)
	af.Page = storePage(page)
	entries, total, err := h.store.ListAudit(r.Context(), c.Actor, af)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p.Rows = append(p.Rows, auditRow{AuditEntry: e, ActionLabel: trOr(c.Lang, "audit.action."+e.Action, e.Action),
			EntityLabel: trOr(c.Lang, "audit.entity."+e.Entity, e.Entity), Changes: diffJSON(e.Before, e.After)})
	}
	p.Pager = newPager("/audit", q, page, total)
	h.list(w, r, c, "audit", p)
	return nil
}

// noise are fields every write changes; showing them hides the real change.
var noise = map[string]bool{"created_at": true, "updated_at": true}

// diffJSON compares two JSON summaries field by field. Nested objects are
// flattened ("scope.region_code") so that a change deep inside still shows
// as one line. Creates list every field as added, deletes as removed.
func diffJSON(before, after string) []change {
	b, a := flatJSON(before), flatJSON(after)
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var out []change
	for k := range keys {
		if noise[k] || b[k] == a[k] {
			continue
		}
		out = append(out, change{Field: k, Before: b[k], After: a[k]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func flatJSON(s string) map[string]string {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		// Not JSON: show it whole rather than hide it.
		out["·"] = s
		return out
	}
	flatten("", v, out)
	return out
}

func flatten(prefix string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flatten(key, vv, out)
		}
	case nil:
		// Absent and null read the same to a person.
	case string:
		if x != "" {
			out[keyOr(prefix)] = x
		}
	case json.Number:
		out[keyOr(prefix)] = x.String()
	case bool:
		out[keyOr(prefix)] = strconv.FormatBool(x)
	default:
		b, _ := json.Marshal(x)
		out[keyOr(prefix)] = string(b)
	}
}

func keyOr(k string) string {
	if k == "" {
		return "·"
	}
	return k
}
