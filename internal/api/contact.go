package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// intParam reads an optional non-negative integer query parameter.
func intParam(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, civic.Invalid(civic.FieldErr(name, "%s 应为非负整数", "%s must be a non-negative integer", name))
	}
	return n, nil
}

func (a *API) listPartyMembers(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	under, err := subtreeParam(r, act, "under")
	if err != nil {
		return err
	}
	days, err := intParam(r, "quiet_days")
	if err != nil {
		return err
	}
	ms, total, err := a.store.PartyMembers(r.Context(), act, under, r.URL.Query().Get("q"), int(days), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ms, total, p))
	return nil
}

func (a *API) listPartyHouseholds(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	f := store.HouseholdFilter{Page: p, Ended: r.URL.Query().Get("ended") == "true"}
	if f.Under, err = subtreeParam(r, act, "under"); err != nil {
		return err
	}
	if f.MemberID, err = intParam(r, "member_id"); err != nil {
		return err
	}
	if f.HouseID, err = intParam(r, "house_id"); err != nil {
		return err
	}
	days, err := intParam(r, "quiet_days")
	if err != nil {
		return err
	}
	f.QuietDays = int(days)
	hs, total, err := a.store.PartyHouseholds(r.Context(), act, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(hs, total, p))
	return nil
}

func (a *API) assignHousehold(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		MemberID int64 `json:"member_id"`
		HouseID  int64 `json:"house_id"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	h, err := a.store.AssignHousehold(r.Context(), act, in.MemberID, in.HouseID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, h)
	return nil
}

func (a *API) endHousehold(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.store.EndHousehold(r.Context(), act, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listPartyContacts(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	f := store.ContactFilter{Page: p}
	if f.Under, err = subtreeParam(r, act, "under"); err != nil {
		return err
	}
	if f.MemberID, err = intParam(r, "member_id"); err != nil {
		return err
	}
	if f.HouseID, err = intParam(r, "house_id"); err != nil {
		return err
	}
	cs, total, err := a.store.PartyContacts(r.Context(), act, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(cs, total, p))
	return nil
}

func (a *API) recordContact(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		MemberID    int64            `json:"member_id"`
		HouseID     int64            `json:"house_id"`
		ContactedAt *time.Time       `json:"contacted_at"`
		Way         civic.ContactWay `json:"way"`
		Notes       string           `json:"notes"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	c := civic.PartyContact{MemberID: in.MemberID, HouseID: in.HouseID, Way: in.Way, Notes: in.Notes}
	if in.ContactedAt != nil {
		c.ContactedAt = *in.ContactedAt
	}
	c, err = a.store.RecordContact(r.Context(), act, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}
