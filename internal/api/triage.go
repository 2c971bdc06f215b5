package api

import (
	"net/http"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// suggestInput is a text to classify.
type suggestInput struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// suggestCategory answers {title, text} with the active model's three
// likeliest categories; with no active model (or too little text) the
// predictions are empty and model_version is 0.
func (a *API) suggestCategory(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in suggestInput
	if err := decode(r, &in); err != nil {
		return err
	}
	sug, err := a.store.SuggestCategory(r.Context(), act, in.Title, in.Text)
	if err != nil {
		return err
	}
	if sug.Predictions == nil {
		sug.Predictions = []civic.TriagePrediction{}
	}
	writeJSON(w, http.StatusOK, sug)
	return nil
}

func (a *API) listTriageModels(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	ms, err := a.store.TriageModels(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ms, len(ms), store.Page{Limit: max(len(ms), 1)}))
	return nil
}

func (a *API) getTriageModel(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := a.store.GetTriageModel(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// trainInput asks for a training: from closed cases, a CSV
// (title,text,label with category codes) or both.
type trainInput struct {
	Source civic.TriageSource `json:"source"`
	CSV    string             `json:"csv"`
}

// maxTrainBody bounds a training request with its CSV.
const maxTrainBody = 20 << 20

// trainTriageModel queues a training; it runs in the background and the
// answer (202) is the queued model to poll.
func (a *API) trainTriageModel(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	// Refused before reading a large body.
	if err := act.MustCityWide(civic.PermTriageAdmin); err != nil {
		return err
	}
	var in trainInput
	if err := decodeLimit(r, &in, maxTrainBody); err != nil {
		return err
	}
	if in.Source == "" {
		in.Source = civic.TriageFromCases
	}
	var up store.TriageUpload
	if in.CSV != "" && in.Source != civic.TriageFromCases {
		if up, err = a.store.ReadTriageUpload(r.Context(), []byte(in.CSV)); err != nil {
			return err
		}
	}
	m, err := a.store.QueueTriageModel(r.Context(), act, in.Source, up)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, m)
	return nil
}

func (a *API) activateTriageModel(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := a.store.ActivateTriageModel(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// triageAcceptance is how often suggestions were taken, overall (first
// item, code "") and per suggested category, over the cases in scope.
func (a *API) triageAcceptance(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	rows, err := a.store.TriageAcceptance(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(rows, len(rows), store.Page{Limit: max(len(rows), 1)}))
	return nil
}

func (a *API) getTriageSettings(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	if err := act.Must(civic.PermCaseMetrics); err != nil {
		return err
	}
	s, err := a.store.TriageSettings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

// settingsInput is the settings as clients send them.
type settingsInput struct {
	Threshold   float64 `json:"threshold"`
	MinExamples int     `json:"min_examples"`
	// MaxExamples left out (0) keeps the current limit, so that clients
	// written before it keep working.
	MaxExamples int     `json:"max_examples"`
	EveryDays   int     `json:"every_days"`
	AutoMargin  float64 `json:"auto_margin"`
}

func (a *API) putTriageSettings(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in settingsInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.MaxExamples == 0 {
		cur, err := a.store.TriageSettings(r.Context())
		if err != nil {
			return err
		}
		in.MaxExamples = cur.MaxExamples
	}
	s, err := a.store.SetTriageSettings(r.Context(), act, civic.TriageSettings{Threshold: in.Threshold, MinExamples: in.MinExamples, MaxExamples: in.MaxExamples,
		EveryDays: in.EveryDays, AutoMargin: in.AutoMargin})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}
