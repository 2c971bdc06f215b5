package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// Triage (智能分类): the category suggested on the intake form as the
// reporter types, and the page where administrators train and switch
// models, set the auto-routing threshold, and everyone who reads metrics
// sees how often suggestions were taken.

// maxTriageUpload bounds an uploaded training CSV.
const maxTriageUpload = 20 << 20

// triageSuggestPage is the fragment under the description on the intake
// form.
type triageSuggestPage struct {
	Sug civic.TriageSuggestion
	Top civic.TriagePrediction
	// Alternatives are the runners-up, offered to pick with one click.
	Alternatives []civic.TriagePrediction
	// Staff see the model's confidence and version; a resident is offered
	// categories in plain words, without figures.
	Staff bool
}

// triageSuggest answers the intake form as the reporter types: the
// suggested category with its confidence and the alternatives. Its data
// attributes let the page pre-fill the category when the user has not
// chosen one.
func (h *Web) triageSuggest(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	sug, err := h.store.SuggestCategory(r.Context(), c.Actor, q.Get("title"), q.Get("description"))
	if err != nil {
		return err
	}
	if c.Lang != "zh" {
		// The store names categories in Chinese; three rows read as the
		// system, like the catalogue the form shows.
		for i, pr := range sug.Predictions {
			if k, err := h.store.GetCategory(r.Context(), civic.System, pr.Code); err == nil {
				sug.Predictions[i].Name = k.Label(c.Lang)
			}
		}
	}
	p := triageSuggestPage{Sug: sug, Top: sug.Top(), Staff: c.Actor.Can(civic.PermCaseRead)}
	for _, alt := range sug.Predictions[min(1, len(sug.Predictions)):] {
		// Staff see every runner-up with its figure to judge by; a
		// resident is offered only those worth a thought, as when the
		// model is unsure (a 0.3 % "私搭乱建" beside unpaid wages would
		// only puzzle).
		if p.Staff || alt.Probability >= civic.TriageOfferMin {
			p.Alternatives = append(p.Alternatives, alt)
		}
	}
	h.fragment(w, c, http.StatusOK, "case_report", "_triage_suggestions", p)
	return nil
}

// categoryLabel is a category's name in the user's language.
func categoryLabel(cat catalogue, lang, code, fallback string) string {
	if k, ok := cat.byCode[code]; ok {
		return k.Label(lang)
	}
	return fallback
}

// triagePage shows the models, the acceptance figures and, to
// administrators, the training, switching and settings forms.
type triagePage struct {
	Page
	Models     []triageModelRow
	Acceptance []civic.TriageAcceptance
	Settings   civic.TriageSettings
	Form       triageSettingsForm
	Errs       FormErrors
	TrainErrs  FormErrors
	CanAdmin   bool
	// Pending is true while a model waits or trains: the page refreshes.
	Pending bool
}

type triageModelRow struct {
	civic.TriageModel
	Classes []triageClassRow
}

type triageClassRow struct {
	civic.TriageClassScore
	Name string
}

// triageEvaluation says in lang how a model's figures were measured: the
// store keeps it in English ("5-fold cross-validation", "held-out split:
// 523 of 2789 examples …"), as the API gives it.
func triageEvaluation(lang, s string) string {
	var a, b int
	if n, _ := fmt.Sscanf(s, "held-out split: %d of %d examples", &a, &b); n == 2 {
		return fmt.Sprintf(tr(lang, "triage.eval_held_out"), a, b)
	}
	if n, _ := fmt.Sscanf(s, "%d-fold cross-validation", &a); n == 1 {
		return fmt.Sprintf(tr(lang, "triage.eval_cv"), a)
	}
	return s
}

// inLang keeps the reader's half of each line of a text the store keeps in
// both languages, "中文 / English" (a model's notes and error); a line
// without the separator stays whole.
func inLang(lang, s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if zh, en, ok := strings.Cut(l, " / "); ok {
			lines[i] = zh
			if lang == "en" {
				lines[i] = en
			}
		}
	}
	return strings.Join(lines, "\n")
}

// triageSettingsForm is the settings as typed.
type triageSettingsForm struct {
	Threshold, MinExamples, MaxExamples, EveryDays, AutoMargin string
}

func formOfSettings(s civic.TriageSettings) triageSettingsForm {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return triageSettingsForm{Threshold: f(s.Threshold), MinExamples: strconv.Itoa(s.MinExamples), MaxExamples: strconv.Itoa(s.MaxExamples), EveryDays: strconv.Itoa(s.EveryDays), AutoMargin: f(s.AutoMargin)}
}

func (h *Web) triage(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.renderTriage(w, r, c, nil, FormErrors{}, FormErrors{})
}

func (h *Web) renderTriage(w http.ResponseWriter, r *http.Request, c *rq, form *triageSettingsForm, errs, trainErrs FormErrors) error {
	ctx := r.Context()
	p := triagePage{Page: h.base(w, c, "triage.title", "/triage"), Errs: errs, TrainErrs: trainErrs, CanAdmin: c.Actor.Can(civic.PermTriageAdmin)}
	models, err := h.store.TriageModels(ctx, c.Actor)
	if err != nil {
		return err
	}
	cat, err := h.catalogue(ctx)
	if err != nil {
		return err
	}
	for _, m := range models {
		row := triageModelRow{TriageModel: m}
		row.Evaluation = triageEvaluation(c.Lang, m.Evaluation)
		row.Note, row.Error = inLang(c.Lang, m.Note), inLang(c.Lang, m.Error)
		for _, k := range m.Classes {
			row.Classes = append(row.Classes, triageClassRow{TriageClassScore: k, Name: categoryLabel(cat, c.Lang, k.Code, k.Code)})
		}
		p.Models = append(p.Models, row)
		p.Pending = p.Pending || m.Status == civic.TriageQueued || m.Status == civic.TriageRunning
	}
	if p.Acceptance, err = h.store.TriageAcceptance(ctx, c.Actor); err != nil {
		return err
	}
	for i := range p.Acceptance {
		if p.Acceptance[i].Code != "" {
			p.Acceptance[i].Name = categoryLabel(cat, c.Lang, p.Acceptance[i].Code, p.Acceptance[i].Name)
		}
	}
	if p.Settings, err = h.store.TriageSettings(ctx); err != nil {
		return err
	}
	p.Form = formOfSettings(p.Settings)
	if form != nil {
		p.Form = *form
	}
	h.render(w, c, pageStatus(FormErrors{Fields: errs.Fields, Summary: append(errs.Summary, trainErrs.Summary...), status: max(errs.status, trainErrs.status)}), "triage", p)
	return nil
}

// trainTriage queues a training from closed cases, an uploaded CSV
// (title,text,label with category codes) or both.
func (h *Web) trainTriage(w http.ResponseWriter, r *http.Request, c *rq) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxTriageUpload)
	if err := r.ParseMultipartForm(1 << 20); err != nil && err != http.ErrNotMultipart {
		return civic.Invalid(civic.FieldErr("file", "上传的文件过大或无法读取", "the upload is too large or unreadable"))
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	src := civic.TriageSource(r.FormValue("source"))
	var up store.TriageUpload
	var err error
	if src != civic.TriageFromCases {
		file, _, ferr := r.FormFile("file")
		if ferr == nil {
			data, rerr := io.ReadAll(file)
			file.Close()
			if rerr != nil {
				return fmt.Errorf("read training upload: %w", rerr)
			}
			up, err = h.store.ReadTriageUpload(r.Context(), data)
		}
	}
	if err == nil {
		_, err = h.store.QueueTriageModel(r.Context(), c.Actor, src, up)
	}
	if err != nil {
		fe, err := formErrors(err, c.Lang)
		if err != nil {
			return err
		}
		return h.renderTriage(w, r, c, nil, FormErrors{}, fe)
	}
	h.flash(w, "triage.queued")
	redirect(w, r, "/triage")
	return nil
}

// activateTriage switches the active model (back) to another version.
func (h *Web) activateTriage(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := h.store.ActivateTriageModel(r.Context(), c.Actor, id); err != nil {
		return err
	}
	h.flash(w, "triage.activated")
	redirect(w, r, "/triage")
	return nil
}

// saveTriageSettings changes the threshold, the schedule and the rest.
func (h *Web) saveTriageSettings(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := triageSettingsForm{Threshold: v("threshold"), MinExamples: v("min_examples"), MaxExamples: v("max_examples"), EveryDays: v("every_days"), AutoMargin: v("auto_margin")}
	var errs FormErrors
	var s civic.TriageSettings
	var perr error
	if s.Threshold, perr = civic.ParseNumber(f.Threshold); perr != nil {
		errs.addField("threshold", c.T("triage.bad_number"))
	}
	if s.MinExamples, perr = strconv.Atoi(f.MinExamples); perr != nil {
		errs.addField("min_examples", c.T("triage.bad_number"))
	}
	if s.MaxExamples, perr = strconv.Atoi(f.MaxExamples); perr != nil {
		errs.addField("max_examples", c.T("triage.bad_number"))
	}
	if s.EveryDays, perr = strconv.Atoi(f.EveryDays); perr != nil {
		errs.addField("every_days", c.T("triage.bad_number"))
	}
	if s.AutoMargin, perr = civic.ParseNumber(f.AutoMargin); perr != nil {
		errs.addField("auto_margin", c.T("triage.bad_number"))
	}
	if errs.Any() {
		errs.status = http.StatusUnprocessableEntity
		return h.renderTriage(w, r, c, &f, errs, FormErrors{})
	}
	if _, err := h.store.SetTriageSettings(r.Context(), c.Actor, s); err != nil {
		fe, err := formErrors(err, c.Lang, "threshold", "min_examples", "max_examples", "every_days", "auto_margin")
		if err != nil {
			return err
		}
		return h.renderTriage(w, r, c, &f, fe, FormErrors{})
	}
	h.flash(w, "flash.saved")
	redirect(w, r, "/triage")
	return nil
}

// triageEventNote words a timeline event the model wrote (auto-routing)
// in the reader's language; other events keep their note.
func triageEventNote(lang string, e civic.CaseEvent) (string, bool) {
	if !strings.Contains(e.Data, `"triage"`) {
		return "", false
	}
	var d struct {
		Triage struct {
			Version    int     `json:"version"`
			Confidence float64 `json:"confidence"`
			Name       string  `json:"name"`
			NameEN     string  `json:"name_en"`
		} `json:"triage"`
	}
	if json.Unmarshal([]byte(e.Data), &d) != nil || d.Triage.Version == 0 {
		return "", false
	}
	name := d.Triage.Name
	if lang == "en" && d.Triage.NameEN != "" {
		name = d.Triage.NameEN
	}
	return fmt.Sprintf(tr(lang, "triage.routed_note"), d.Triage.Version, name, d.Triage.Confidence*100), true
}
