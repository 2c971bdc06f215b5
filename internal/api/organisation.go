package api

import (
	"net/http"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

type orgInput struct {
	Name       string        `json:"name"`
	Kind       civic.OrgKind `json:"kind"`
	RegionCode string        `json:"region_code"`
	Phone      string        `json:"phone"`
	Address    string        `json:"address"`
}

func (in orgInput) org(id int64) civic.Organisation {
	return civic.Organisation{ID: id, Name: in.Name, Kind: in.Kind, RegionCode: in.RegionCode, Phone: in.Phone, Address: in.Address}
}

func (a *API) listOrganisations(w http.ResponseWriter, r *http.Request) error {
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
	os, total, err := a.store.ListOrganisations(r.Context(), act, store.OrgFilter{Kind: civic.OrgKind(q.Get("kind")), Under: under, Query: q.Get("q"), Page: p})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(os, total, p))
	return nil
}

func (a *API) getOrganisation(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := a.store.GetOrganisation(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (a *API) createOrganisation(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in orgInput
	if err := decode(r, &in); err != nil {
		return err
	}
	o, err := a.store.CreateOrganisation(r.Context(), act, in.org(0))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

func (a *API) updateOrganisation(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in orgInput
	if err := decode(r, &in); err != nil {
		return err
	}
	o, err := a.store.UpdateOrganisation(r.Context(), act, in.org(id))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}
