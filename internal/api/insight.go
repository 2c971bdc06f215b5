package api

import (
	"net/http"

	"github.com/civicgrid/civicgrid/internal/auth"
)

// insightOverview serves the overview of a scope (the caller's own when
// scope is not given) from the roll-ups, for the insight page's charts.
func (a *API) insightOverview(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	o, err := a.store.Overview(r.Context(), act, r.URL.Query().Get("scope"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}
