package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// Corrections (信息纠错): a grid worker proposes changes to a person or a
// house from the field; community staff compare and approve or reject.

// correctionsPage is the review queue for reviewers and the list of their
// own proposals for workers.
type correctionsPage struct {
	Page
	Reviewer bool
	State    string
	States   []Option
	Rows     []civic.Correction
	Pager    Pager
}

func (h *Web) corrections(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	p := correctionsPage{Page: h.base(w, c, "correction.title", "/corrections"), Reviewer: c.Actor.Can(civic.PermPeopleWrite)}
	p.State = q.Get("state")
	if p.State == "" && p.Reviewer {
		p.State = string(civic.CorrectionPending)
	}
	if p.State == "all" || !civic.CorrectionState(p.State).Valid() {
		p.State = "all"
	}
	f := store.CorrectionFilter{Page: storePage(pageOf(q))}
	if p.State != "all" {
		f.State = civic.CorrectionState(p.State)
	}
	p.States = append(p.States, Option{Value: "all", Label: c.T("correction.all"), Selected: p.State == "all"})
	for _, s := range []civic.CorrectionState{civic.CorrectionPending, civic.CorrectionApproved, civic.CorrectionRejected} {
		p.States = append(p.States, Option{Value: string(s), Label: s.Label().In(c.Lang), Selected: p.State == string(s)})
	}
	rows, total, err := h.store.ListCorrections(r.Context(), c.Actor, f)
	if err != nil {
		return err
	}
	p.Rows, p.Pager = rows, newPager("/corrections", q, pageOf(q), total)
	h.list(w, r, c, "corrections", p)
	return nil
}

// correctionField is one input of the proposal form.
type correctionField struct {
	Name    string
	Label   string
	Value   string
	Kind    string // text, number, date, select, tags
	Options []Option
	// Masked shows a sealed value's mask as the placeholder; an empty
	// input leaves the number as it is.
	Masked string
	Err    string
}

// correctionFormPage picks the record, then proposes changes to it.
type correctionFormPage struct {
	Page
	Pick   pick
	Target target
	Fields []correctionField
	Reason string
	Key    string
	Errs   FormErrors
}

func (h *Web) newCorrection(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	return h.showCorrectionForm(w, r, c, q.Get("person"), q.Get("house"), nil, "", FormErrors{}, http.StatusOK)
}

func keyedOptions[T ~string](lang string, all []T, label func(T) civic.Text, selected string) []Option {
	out := make([]Option, 0, len(all))
	for _, v := range all {
		out = append(out, Option{Value: string(v), Label: label(v).In(lang), Selected: string(v) == selected})
	}
	return out
}

// correctionFields lays out the form for the target with posted values
// (nil: the record's own).
func correctionFields(lang string, t target, posted map[string]string, errs FormErrors) []correctionField {
	val := func(f, current string) string {
		if posted != nil {
			return posted[f]
		}
		return current
	}
	var out []correctionField
	add := func(cf correctionField) {
		cf.Label, cf.Err = civic.CorrectionFieldLabel(cf.Name).In(lang), errs.Fields[cf.Name]
		out = append(out, cf)
	}
	if t.House != nil {
		hs := *t.House
		for _, f := range civic.HouseFields {
			cf := correctionField{Name: f, Value: val(f, civic.HouseValue(hs, f)), Kind: "text"}
			switch f {
			case "unit", "floor", "area_m2":
				cf.Kind = "number"
			case "use":
				cf.Kind, cf.Options = "select", keyedOptions(lang, civic.HouseUses, civic.HouseUse.Label, cf.Value)
			}
			add(cf)
		}
		return out
	}
	p := *t.Person
	for _, f := range civic.PersonFields {
		cf := correctionField{Name: f, Value: val(f, civic.PersonValue(p, f)), Kind: "text"}
		switch f {
		case "gender":
			cf.Kind, cf.Options = "select", keyedOptions(lang, []civic.Gender{civic.GenderMale, civic.GenderFemale}, civic.Gender.Label, cf.Value)
		case "id_type":
			cf.Kind, cf.Options = "select", keyedOptions(lang, civic.IDTypes, civic.IDType.Label, cf.Value)
		case "residence_type":
			cf.Kind, cf.Options = "select", keyedOptions(lang, civic.ResidenceTypes, civic.ResidenceType.Label, cf.Value)
		case "birth_date":
			cf.Kind = "date"
		case "id_number", "phone":
			// The form never holds a number in clear: the mask shows what
			// is recorded and a typed value replaces it.
			cf.Masked = civic.PersonValue(p, f)
			if posted == nil {
				cf.Value = ""
			}
		case "tags":
			cf.Kind = "tags"
			have := strings.Split(cf.Value, ",")
			for _, t := range civic.Tags {
				if !t.Derived() {
					cf.Options = append(cf.Options, Option{Value: string(t), Label: t.Label().In(lang), Selected: slices.Contains(have, string(t))})
				}
			}
		}
		add(cf)
	}
	return out
}

func (h *Web) showCorrectionForm(w http.ResponseWriter, r *http.Request, c *rq, person, house string, posted map[string]string, reason string, errs FormErrors, status int) error {
	ctx := r.Context()
	p := correctionFormPage{Page: h.base(w, c, "correction.new", "/field"), Reason: reason, Key: newKey(), Errs: errs}
	p.Crumbs = []Crumb{{Label: c.T("field.title"), URL: "/field"}, {Label: p.Title}}
	var err error
	if p.Target, err = h.target(ctx, c.Actor, person, house); err != nil {
		return err
	}
	if !p.Target.Chosen() {
		if p.Pick, err = h.pick(ctx, c.Actor, "/corrections/new", r.URL.Query().Get("q")); err != nil {
			return err
		}
	} else {
		p.Fields = correctionFields(c.Lang, p.Target, posted, errs)
	}
	h.render(w, c, status, "correction_form", p)
	return nil
}

func (h *Web) proposeCorrection(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	in := store.CorrectionInput{Reason: v("reason"), Changes: map[string]string{}}
	fields := civic.PersonFields
	if id, err := strconv.ParseInt(v("house"), 10, 64); err == nil && id > 0 {
		in.Kind, in.TargetID, fields = civic.CorrectHouse, id, civic.HouseFields
	} else {
		in.Kind = civic.CorrectPerson
		in.TargetID, _ = strconv.ParseInt(v("person"), 10, 64)
	}
	if k := v("key"); validKey(k) {
		in.Key = k
	}
	// Every field goes to the store, which keeps those that differ from
	// the record; empty number inputs mean "as recorded".
	for _, f := range fields {
		switch {
		case f == "tags":
			in.Changes[f] = strings.Join(r.PostForm["tags"], ",")
		case civic.PersonalField(f) && v(f) == "":
		default:
			in.Changes[f] = v(f)
		}
	}
	cr, err := h.store.ProposeCorrection(r.Context(), c.Actor, in)
	if err == nil {
		h.flash(w, "flash.correction_proposed")
		redirect(w, r, fmt.Sprintf("/corrections/%d", cr.ID))
		return nil
	}
	errs, ferr := formErrors(err, c.Lang, append([]string{"reason"}, fields...)...)
	if ferr != nil {
		return ferr
	}
	return h.showCorrectionForm(w, r, c, v("person"), v("house"), in.Changes, in.Reason, errs, errs.Status())
}

// correctionPage shows one correction: old, proposed and current values,
// and the review forms to reviewers while it is pending.
type correctionPage struct {
	Page
	C         civic.Correction
	CanReview bool
	Errs      FormErrors
	Note      string
}

func (h *Web) correction(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.showCorrection(w, r, c, "", FormErrors{}, http.StatusOK)
}

func (h *Web) showCorrection(w http.ResponseWriter, r *http.Request, c *rq, note string, errs FormErrors, status int) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	cr, err := h.store.GetCorrection(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	p := correctionPage{Page: h.base(w, c, "correction.title", "/corrections"), C: cr, Errs: errs, Note: note,
		CanReview: cr.State == civic.CorrectionPending && c.Actor.Can(civic.PermPeopleWrite)}
	p.Title = fmt.Sprintf("%s · %s", cr.Kind.Label().In(c.Lang), cr.TargetName)
	p.Crumbs = []Crumb{{Label: c.T("correction.title"), URL: "/corrections"}, {Label: p.Title}}
	h.render(w, c, status, "correction_detail", p)
	return nil
}

func (h *Web) reviewCorrection(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	rv := store.Review{Approve: r.PostFormValue("decision") == "approve", Note: r.PostFormValue("note"), Overwrite: r.PostFormValue("overwrite") == "1"}
	if _, err := h.store.ReviewCorrection(r.Context(), c.Actor, id, rv); err != nil {
		errs, ferr := formErrors(err, c.Lang, "note")
		if ferr != nil {
			return ferr
		}
		return h.showCorrection(w, r, c, rv.Note, errs, errs.Status())
	}
	if rv.Approve {
		h.flash(w, "flash.correction_approved")
	} else {
		h.flash(w, "flash.correction_rejected")
	}
	redirect(w, r, "/corrections")
	return nil
}
