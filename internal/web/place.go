package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"rsc.io/qr"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// placesPage lists the place QR codes (场所二维码) of the user's territory
// and makes new ones: each, printed and posted at a compound gate or a
// park, opens the report form with the place filled in.
type placesPage struct {
	Page
	Places  []civic.PlaceCode
	In      struct{ Name, Address, Region, Lng, Lat, Compound string }
	Errs    FormErrors
	Regions []Option
	// Compounds in scope, for a code that stands for a compound; offered
	// to those who may read compounds.
	Compounds []Option
}

func (h *Web) placesPage(w http.ResponseWriter, r *http.Request, c *rq, p *placesPage, status int) error {
	var err error
	if p.Places, err = h.store.ListPlaceCodes(r.Context(), c.Actor); err != nil {
		return err
	}
	if p.Regions, err = h.areaOptions(r.Context(), c.Actor, p.In.Region); err != nil {
		return err
	}
	if c.Actor.Can(civic.PermPeopleRead) {
		cps, _, err := h.store.ListCompounds(r.Context(), c.Actor, store.PlaceFilter{Page: store.Page{Limit: 1000}})
		if err != nil {
			return err
		}
		for _, cp := range cps {
			v := strconv.FormatInt(cp.ID, 10)
			label := cp.Name
			if cp.PropertyName != "" {
				label = aside(c.Lang, label, cp.PropertyName)
			}
			p.Compounds = append(p.Compounds, Option{Value: v, Label: label, Selected: v == p.In.Compound})
		}
	}
	p.Page = h.base(w, c, "place.title", "/places")
	h.render(w, c, status, "places", p)
	return nil
}

func (h *Web) places(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.placesPage(w, r, c, &placesPage{}, http.StatusOK)
}

func (h *Web) createPlace(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p := &placesPage{}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	p.In.Name, p.In.Address, p.In.Region, p.In.Lng, p.In.Lat, p.In.Compound = v("name"), v("address"), v("region_code"), v("lng"), v("lat"), v("compound_id")
	pc := civic.PlaceCode{Name: p.In.Name, Address: p.In.Address, RegionCode: p.In.Region}
	if p.In.Compound != "" {
		id, err := strconv.ParseInt(p.In.Compound, 10, 64)
		if err != nil || id <= 0 {
			p.Errs.addField("compound_id", c.T("form.choose"))
			return h.placesPage(w, r, c, p, http.StatusUnprocessableEntity)
		}
		pc.CompoundID = id
	}
	if p.In.Lng != "" || p.In.Lat != "" {
		lng, err1 := civic.ParseNumber(p.In.Lng)
		lat, err2 := civic.ParseNumber(p.In.Lat)
		if err1 != nil || err2 != nil {
			p.Errs.addField("location", c.T("report.bad_location"))
			return h.placesPage(w, r, c, p, http.StatusUnprocessableEntity)
		}
		pc.HasLocation, pc.Lng, pc.Lat = true, lng, lat
	}
	if _, err := h.store.CreatePlaceCode(r.Context(), c.Actor, h.locator, pc); err != nil {
		fe, ferr := formErrors(err, c.Lang, "name", "address", "region_code", "location", "compound_id")
		if ferr != nil {
			return ferr
		}
		p.Errs = fe
		return h.placesPage(w, r, c, p, fe.status)
	}
	h.flash(w, "flash.saved")
	redirect(w, r, "/places")
	return nil
}

func (h *Web) retirePlace(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return civic.NotFound("场所二维码", "place code")
	}
	if err := h.store.SetPlaceCodeActive(r.Context(), c.Actor, id, false); err != nil {
		return err
	}
	h.flash(w, "flash.saved")
	redirect(w, r, "/places")
	return nil
}

// reportURL is what a place code encodes: the report form of this server
// for that place.
func reportURL(r *http.Request, token string) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/report?place=" + url.QueryEscape(token)
}

// placeQR draws a place's code as a PNG.
func (h *Web) placeQR(w http.ResponseWriter, r *http.Request, c *rq) error {
	pl, err := h.store.PlaceByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	code, err := qr.Encode(reportURL(r, pl.Token), qr.M)
	if err != nil {
		return err
	}
	code.Scale = 8
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, err = w.Write(code.PNG())
	return err
}

// placePrintPage is a sheet to print and post at the place.
type placePrintPage struct {
	Page
	Place civic.PlaceCode
	URL   string
}

func (h *Web) printPlace(w http.ResponseWriter, r *http.Request, c *rq) error {
	pl, err := h.store.PlaceByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	p := placePrintPage{Page: h.base(w, c, "place.print_title", "/places"), Place: pl, URL: reportURL(r, pl.Token)}
	h.render(w, c, http.StatusOK, "place_print", p)
	return nil
}
