package api

import (
	"net/http"
	"net/url"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// assessmentQuery reads level (org, street, community; org by default)
// and period (2026-11, 2026-Q3, 2026; this month by default).
func assessmentQuery(q url.Values, now time.Time) (store.AssessmentQuery, error) {
	p, err := civic.ParsePeriod(q.Get("period"), now)
	if err != nil {
		return store.AssessmentQuery{}, err
	}
	l := civic.AssessLevel(q.Get("level"))
	if l == "" {
		l = civic.AssessOrg
	}
	if !l.Valid() {
		return store.AssessmentQuery{}, civic.Invalid(civic.FieldErr("level", "考核对象应为 org、street 或 community", "level is org, street or community"))
	}
	return store.AssessmentQuery{Level: l, Period: p}, nil
}

// assessment serves GET /api/v1/insight/assessment: every unit's figures,
// score and rank, and the red and black lists.
func (a *API) assessment(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	q, err := assessmentQuery(r.URL.Query(), a.store.Now())
	if err != nil {
		return err
	}
	as, err := a.store.Assessment(r.Context(), act, q)
	if err != nil {
		return err
	}
	if as.Units == nil {
		as.Units = []store.AssessmentUnit{}
	}
	writeJSON(w, http.StatusOK, as)
	return nil
}

// assessmentWeights serves the weights and ranking rules in force; anyone
// who may read assessments may read them.
func (a *API) assessmentWeights(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	if !act.Can(civic.PermCaseMetrics) && !(act.Scope.OrgID != 0 && act.Can(civic.PermCaseRead)) {
		return civic.Forbidden()
	}
	st, err := a.store.AssessmentSettings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// putAssessmentWeights replaces them (administrators).
func (a *API) putAssessmentWeights(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in civic.AssessmentSettings
	if err := decode(r, &in); err != nil {
		return err
	}
	st, err := a.store.SetAssessmentSettings(r.Context(), act, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
