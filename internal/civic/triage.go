package civic

import "time"

// Triage (智能分类): text classifiers that suggest a case's category from
// what the reporter wrote. Models are trained from the deployment's own
// closed cases (the category staff settled on is the label) and from
// uploaded examples, kept in numbered versions with their evaluation
// figures, and exactly one is active at a time.

// TriageStatus is where a model's training stands.
type TriageStatus string

const (
	TriageQueued  TriageStatus = "queued"
	TriageRunning TriageStatus = "running"
	TriageDone    TriageStatus = "done"
	TriageFailed  TriageStatus = "failed"
)

// TriageSource is what a model was trained from.
type TriageSource string

const (
	TriageFromCases  TriageSource = "cases"  // closed cases only
	TriageFromUpload TriageSource = "upload" // an uploaded CSV only
	TriageFromBoth   TriageSource = "both"   // closed cases and an uploaded CSV
)

// Valid reports whether s is a known source.
func (s TriageSource) Valid() bool {
	return s == TriageFromCases || s == TriageFromUpload || s == TriageFromBoth
}

// TriageClassScore is one category's figures in a model's evaluation.
type TriageClassScore struct {
	Code      string  `json:"code"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// TriageModel is one version of the classifier and how it did.
type TriageModel struct {
	ID      int64        `json:"id"`
	Version int          `json:"version"`
	Status  TriageStatus `json:"status"`
	Source  TriageSource `json:"source"`
	Active  bool         `json:"active"`
	// Examples and Labels are how many texts and categories it learnt.
	Examples int    `json:"examples"`
	Labels   int    `json:"labels"`
	Params   string `json:"params"`
	// Evaluation names how the figures were measured (e.g. "5-fold
	// cross-validation").
	Evaluation   string             `json:"evaluation"`
	MacroF1      float64            `json:"macro_f1"`
	Accuracy     float64            `json:"accuracy"`
	Classes      []TriageClassScore `json:"classes"`
	TrainSeconds float64            `json:"train_seconds"`
	TriggeredBy  string             `json:"triggered_by"`
	// Attempts counts the servers that began training it and did not
	// hand it back (a server that died, was killed or hung in the
	// middle); after a few the model is failed instead of taken again.
	Attempts int    `json:"attempts"`
	Error    string `json:"error,omitempty"`
	// Note says what happened on completion (activated, kept the active
	// one and why).
	Note       string     `json:"note,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// TriageSettings are the deployment's choices for triage.
type TriageSettings struct {
	// Threshold is the top-1 confidence at or above which a case whose
	// reporter left the category to the suggestion is filed with it and
	// routed without a dispatcher; 0 turns auto-routing off.
	Threshold float64 `json:"threshold"`
	// MinExamples is the fewest closed cases a category needs to be
	// learnt; rarer categories are left out of training.
	MinExamples int `json:"min_examples"`
	// MaxExamples is the most closed cases a model learns from: above it
	// the largest categories keep their newest cases, down to a number
	// that fits, and the rarer ones all of theirs.
	MaxExamples int `json:"max_examples"`
	// EveryDays is how many days pass between scheduled trainings; 0 =
	// only on demand.
	EveryDays int `json:"every_days"`
	// AutoMargin: a newly trained model becomes active by itself when its
	// macro-F1 is at least the active model's minus this margin; a
	// negative margin means never (an administrator activates it).
	AutoMargin float64    `json:"auto_margin"`
	UpdatedBy  string     `json:"updated_by,omitempty"`
	UpdatedAt  *time.Time `json:"updated_at,omitempty"`
}

// Validate checks the settings' ranges.
func (s TriageSettings) Validate() error {
	var fs []FieldError
	if s.Threshold < 0 || s.Threshold > 1 || s.Threshold != s.Threshold {
		fs = append(fs, FieldErr("threshold", "阈值应在0到1之间（0为关闭自动分派）", "the threshold is between 0 and 1 (0 turns auto-routing off)"))
	}
	if s.MinExamples < 2 || s.MinExamples > 10000 {
		fs = append(fs, FieldErr("min_examples", "每类最少样本数应在2到10000之间", "the minimum examples per category is between 2 and 10000"))
	}
	if s.MaxExamples < 1000 || s.MaxExamples > 1000000 {
		fs = append(fs, FieldErr("max_examples", "训练样本上限应在1000到1000000之间", "the most examples to learn from is between 1000 and 1000000"))
	}
	if s.EveryDays < 0 || s.EveryDays > 365 {
		fs = append(fs, FieldErr("every_days", "训练间隔应在0到365天之间（0为只按需训练）", "the schedule is 0 to 365 days (0: on demand only)"))
	}
	if s.AutoMargin > 1 || s.AutoMargin != s.AutoMargin {
		fs = append(fs, FieldErr("auto_margin", "自动启用的容差不超过1（负数为从不自动启用）", "the margin is at most 1 (negative: never activate by itself)"))
	}
	if len(fs) > 0 {
		return Invalid(fs...)
	}
	return nil
}

// TriagePrediction is one suggested category with its probability.
type TriagePrediction struct {
	Code        string  `json:"code"`
	Name        string  `json:"name"`
	Probability float64 `json:"probability"`
}

// TriageSuggestion is what the active model says of a text.
type TriageSuggestion struct {
	ModelID      int64              `json:"model_id"`
	ModelVersion int                `json:"model_version"`
	Predictions  []TriagePrediction `json:"predictions"`
	// Routes says that a case left to this suggestion would be filed with
	// the top category and routed without a dispatcher (the threshold is
	// set and reached, and the category is accepted); otherwise it waits
	// for a dispatcher to confirm a category.
	Routes bool `json:"routes"`
}

// TriagePrefillMin is the least confidence at which an intake form
// pre-selects the suggested category. The probabilities are calibrated, so
// below one half the suggestion is more likely wrong than right: the form
// then offers the likely categories to click and selects none.
const TriagePrefillMin = 0.5

// Sure reports whether the top prediction is confident enough to pre-select.
func (s TriageSuggestion) Sure() bool { return s.Top().Probability >= TriagePrefillMin }

// TriageOfferMin is the least probability at which a form that is not sure
// offers a category to click. The probabilities are calibrated, so below it
// a category is right less than one time in ten; a model reading text
// unlike what it learnt from spreads its probability over all its
// categories (a few per cent each among a hundred), and three such guesses
// would only mislead. When none reaches it, the form says the model cannot
// tell (docs/TRIAGE.md).
const TriageOfferMin = 0.1

// Likely are the predictions an unsure form offers: those of at least
// TriageOfferMin.
func (s TriageSuggestion) Likely() []TriagePrediction {
	var out []TriagePrediction
	for _, p := range s.Predictions {
		if p.Probability >= TriageOfferMin {
			out = append(out, p)
		}
	}
	return out
}

// Top is the first prediction, or a zero one.
func (s TriageSuggestion) Top() TriagePrediction {
	if len(s.Predictions) == 0 {
		return TriagePrediction{}
	}
	return s.Predictions[0]
}

// TriageAcceptance is how often the suggestion for one category (or all,
// Code "") was taken: at intake (the submitted category was the suggested
// one) and in the end (the case's category when read, after any change by
// staff, is the suggested one).
type TriageAcceptance struct {
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	Suggested  int     `json:"suggested"`
	Accepted   int     `json:"accepted"`
	Rate       float64 `json:"rate"`
	AutoRouted int     `json:"auto_routed"`
	// Final counts the cases whose category is now set (by the reporter
	// or by staff); FinalAgreed those where it is the suggested one.
	Final       int     `json:"final"`
	FinalAgreed int     `json:"final_agreed"`
	FinalRate   float64 `json:"final_rate"`
}
