package api

import (
	"net/http"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
)

func (a *API) listBlocked(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	bs, err := a.store.BlockedCallers(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(bs, len(bs), pageOf(len(bs))))
	return nil
}

func (a *API) blockCaller(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		Phone  string     `json:"phone"`
		Reason string     `json:"reason"`
		Until  *time.Time `json:"until"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	b, err := a.store.BlockCaller(r.Context(), act, in.Phone, in.Reason, in.Until)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, b)
	return nil
}

func (a *API) unblockCaller(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.store.UnblockCaller(r.Context(), act, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listDeputies(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	ds, err := a.store.Deputies(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ds, len(ds), pageOf(len(ds))))
	return nil
}

func (a *API) addDeputy(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in civic.Deputy
	if err := decode(r, &in); err != nil {
		return err
	}
	d, err := a.store.AddDeputy(r.Context(), act, civic.Deputy{Phone: in.Phone, Name: in.Name, Title: in.Title})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (a *API) removeDeputy(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.store.RemoveDeputy(r.Context(), act, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
