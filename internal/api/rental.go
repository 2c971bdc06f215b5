package api

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

func (a *API) reportRental(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		HouseID    int64        `json:"house_id"`
		TenantName string       `json:"tenant_name"`
		IDType     civic.IDType `json:"id_type"`
		IDNumber   string       `json:"id_number"`
		Phone      string       `json:"phone"`
		From       string       `json:"from"`
		To         string       `json:"to"`
		Note       string       `json:"note"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	rent, err := a.store.ReportRental(r.Context(), act, civic.Rental{HouseID: in.HouseID, TenantName: in.TenantName, IDType: in.IDType, IDNumber: in.IDNumber,
		Phone: in.Phone, From: in.From, To: in.To, Note: in.Note})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rent)
	return nil
}

func (a *API) listRentals(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	f := store.RentalFilter{Page: p, Current: r.URL.Query().Get("current") == "true"}
	if f.Under, err = subtreeParam(r, act, "under"); err != nil {
		return err
	}
	if f.HouseID, err = intParam(r, "house_id"); err != nil {
		return err
	}
	rs, total, err := a.store.ListRentals(r.Context(), act, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(rs, total, p))
	return nil
}

// dailyRentals is a community's arrivals and departures of one day (today
// by default), as JSON or a masked .xlsx or .csv.
func (a *API) dailyRentals(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	under, err := subtreeParam(r, act, "under")
	if err != nil {
		return err
	}
	day := r.URL.Query().Get("date")
	if day == "" {
		day = civic.Today(a.store.Now())
	}
	d, err := a.store.DailyRentals(r.Context(), act, under, day)
	if err != nil {
		return err
	}
	format := store.SheetFormat(r.URL.Query().Get("format"))
	if format == "" || format == "json" {
		if d.Arrivals == nil {
			d.Arrivals = []civic.Rental{}
		}
		if d.Departures == nil {
			d.Departures = []civic.Rental{}
		}
		writeJSON(w, http.StatusOK, d)
		return nil
	}
	var buf bytes.Buffer
	if err := store.WriteRentalDay(&buf, d, format, auth.Lang(r.Context())); err != nil {
		return err
	}
	ct := "text/csv; charset=utf-8"
	if format == store.SheetXLSX {
		ct = sheet.ContentType
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="rentals-%s.%s"`, d.Date, format))
	_, err = buf.WriteTo(w)
	return err
}

// ownedHouses lists the houses a landlord's account may report for.
func (a *API) ownedHouses(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	hs, err := a.store.OwnedHouses(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(hs, len(hs), pageOf(len(hs))))
	return nil
}

// linkLandlord ties a resident account to the person it stands for.
func (a *API) linkLandlord(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		PersonID int64 `json:"person_id"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := a.store.LinkAccount(r.Context(), act, id, in.PersonID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
