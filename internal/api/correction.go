package api

import (
	"net/http"
	"strconv"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// Corrections (信息纠错) to people and houses: grid workers propose,
// community staff review.

func (a *API) proposeCorrection(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		Kind     civic.CorrectionKind `json:"kind"`
		TargetID int64                `json:"target_id"`
		Changes  map[string]string    `json:"changes"`
		Reason   string               `json:"reason"`
		Key      string               `json:"key"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := a.store.ProposeCorrection(r.Context(), act, store.CorrectionInput{Kind: in.Kind, TargetID: in.TargetID, Changes: in.Changes, Reason: in.Reason, Key: in.Key})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (a *API) listCorrections(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	under, err := subtreeParam(r, act, "under")
	if err != nil {
		return err
	}
	f := store.CorrectionFilter{State: civic.CorrectionState(q.Get("state")), Kind: civic.CorrectionKind(q.Get("kind")), Under: under,
		Mine: q.Get("mine") == "true", Page: p}
	if f.State != "" && !f.State.Valid() {
		return civic.Invalid(civic.FieldErr("state", "状态应为 pending、approved 或 rejected", "state is pending, approved or rejected"))
	}
	if f.Kind != "" && !f.Kind.Valid() {
		return civic.Invalid(civic.FieldErr("kind", "对象应为 person 或 house", "kind is person or house"))
	}
	if s := q.Get("target_id"); s != "" {
		if f.TargetID, err = strconv.ParseInt(s, 10, 64); err != nil {
			return civic.Invalid(civic.FieldErr("target_id", "应为整数", "must be an integer"))
		}
	}
	cs, total, err := a.store.ListCorrections(r.Context(), act, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(cs, total, p))
	return nil
}

func (a *API) getCorrection(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := a.store.GetCorrection(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) reviewCorrection(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Approve   bool   `json:"approve"`
		Note      string `json:"note"`
		Overwrite bool   `json:"overwrite"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := a.store.ReviewCorrection(r.Context(), act, id, store.Review{Approve: in.Approve, Note: in.Note, Overwrite: in.Overwrite})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
