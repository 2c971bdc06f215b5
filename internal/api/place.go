package api

import (
	"net/http"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
)

// Cases meet people and houses: the homes a report may be filed at, a
// case's household, and place QR codes (which may stand for a compound).

// callerHouses lists the addresses of the houses registered with a
// caller's phone number, for a hotline operator filing at the caller's home.
func (a *API) callerHouses(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	hs, err := a.store.CallerHouses(r.Context(), act, r.URL.Query().Get("phone"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(hs, len(hs), pageOf(len(hs))))
	return nil
}

// myHouses lists the signed-in user's own homes, to report from.
func (a *API) myHouses(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	hs, err := a.store.MyHouses(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(hs, len(hs), pageOf(len(hs))))
	return nil
}

// caseHousehold is the house a case was reported from and, for those who
// may read people there, its residents (masked).
func (a *API) caseHousehold(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	c, err := a.caseByRef(r, act)
	if err != nil {
		return err
	}
	hh, err := a.store.CaseHousehold(r.Context(), act, c.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hh)
	return nil
}

func (a *API) listPlaces(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	ps, err := a.store.ListPlaceCodes(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ps, len(ps), pageOf(len(ps))))
	return nil
}

func (a *API) createPlace(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		Name       string   `json:"name"`
		Address    string   `json:"address"`
		RegionCode string   `json:"region_code"`
		Lng        *float64 `json:"lng"`
		Lat        *float64 `json:"lat"`
		CompoundID int64    `json:"compound_id"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	p := civic.PlaceCode{Name: in.Name, Address: in.Address, RegionCode: in.RegionCode, CompoundID: in.CompoundID}
	if in.Lng != nil && in.Lat != nil {
		p.HasLocation, p.Lng, p.Lat = true, *in.Lng, *in.Lat
	}
	out, err := a.store.CreatePlaceCode(r.Context(), act, a.loc, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}
