package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/store"
)

// rentalsPage is the floating-population daily list (流动人口日报): a
// day's arrivals and departures of short-term tenants, masked.
type rentalsPage struct {
	Page
	Date      string
	Under     string
	Areas     []Option
	Day       store.RentalDay
	XLSXURL   string
	CSVURL    string
	CanReport bool
}

func (h *Web) rentals(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	date := strings.TrimSpace(q.Get("date"))
	if _, err := time.Parse(civic.DateLayout, date); err != nil {
		date = h.today()
	}
	under := underParam(q)
	d, err := h.store.DailyRentals(r.Context(), c.Actor, under, date)
	if err != nil {
		return err
	}
	p := rentalsPage{Page: h.base(w, c, "rental.title", "/rentals"), Date: date, Under: under, Day: d, CanReport: c.Actor.Can(civic.PermRentalReport)}
	p.XLSXURL = withQuery("/rentals/export.xlsx", q)
	p.CSVURL = withQuery("/rentals/export.csv", q)
	if p.Areas, err = h.areaOptions(r.Context(), c.Actor, under); err != nil {
		return err
	}
	h.render(w, c, http.StatusOK, "rentals", p)
	return nil
}

func (h *Web) exportRentals(w http.ResponseWriter, r *http.Request, c *rq) error {
	format, ok := store.SheetFormatOf(r.URL.Path)
	if !ok {
		return civic.NotFound("该页面", "page")
	}
	q := r.URL.Query()
	date := strings.TrimSpace(q.Get("date"))
	if date == "" {
		date = h.today()
	}
	d, err := h.store.DailyRentals(r.Context(), c.Actor, underParam(q), date)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := store.WriteRentalDay(&buf, d, format, c.Lang); err != nil {
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

// rentalForm is the report form as typed.
type rentalForm struct {
	HouseID, TenantName, IDType, IDNumber, Phone, From, To, Note string
}

// rentalFormPage is the phone-first report form for landlords and staff.
type rentalFormPage struct {
	Page
	Form     rentalForm
	Errs     FormErrors
	Houses   []Option // a landlord's own houses
	IDTypes  []Option
	Landlord bool
}

var rentalFields = []string{"house_id", "tenant_name", "id_type", "id_number", "phone", "from", "to", "note"}

func (h *Web) renderRentalForm(w http.ResponseWriter, r *http.Request, c *rq, f rentalForm, errs FormErrors) error {
	p := rentalFormPage{Page: h.base(w, c, "rental.new", "/rentals"), Form: f, Errs: errs, Landlord: c.Actor.Role == civic.RoleResident}
	if p.Landlord {
		hs, err := h.store.OwnedHouses(r.Context(), c.Actor)
		if err != nil {
			return err
		}
		for _, hh := range hs {
			id := strconv.FormatInt(hh.ID, 10)
			p.Houses = append(p.Houses, Option{Value: id, Label: hh.Address, Selected: id == f.HouseID})
		}
	}
	for _, t := range civic.IDTypes {
		p.IDTypes = append(p.IDTypes, Option{Value: string(t), Label: t.Label().In(c.Lang), Selected: string(t) == f.IDType})
	}
	h.render(w, c, pageStatus(errs), "rental_form", p)
	return nil
}

func (h *Web) newRental(w http.ResponseWriter, r *http.Request, c *rq) error {
	today := h.today()
	return h.renderRentalForm(w, r, c, rentalForm{HouseID: r.URL.Query().Get("house"), From: today, To: today}, FormErrors{})
}

func (h *Web) reportRental(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := rentalForm{HouseID: v("house_id"), TenantName: v("tenant_name"), IDType: v("id_type"), IDNumber: v("id_number"), Phone: v("phone"), From: v("from"), To: v("to"), Note: v("note")}
	house, _ := strconv.ParseInt(f.HouseID, 10, 64)
	_, err := h.store.ReportRental(r.Context(), c.Actor, civic.Rental{HouseID: house, TenantName: f.TenantName, IDType: civic.IDType(f.IDType), IDNumber: f.IDNumber,
		Phone: f.Phone, From: f.From, To: f.To, Note: f.Note})
	if err == nil {
		h.flash(w, "flash.rental_reported")
		redirect(w, r, "/rentals/new")
		return nil
	}
	errs, err := formErrors(err, c.Lang, rentalFields...)
	if err != nil {
		return err
	}
	if errs.Fields["house_id"] != "" || errs.Status() == http.StatusForbidden {
		// Not the landlord's house: nothing here is theirs to report, and
		// the tenant's number is not sent back into the page.
		f.IDNumber = ""
	}
	// Otherwise the form comes back as typed, the number too (as the
	// person form does), so that a wrong date does not cost the landlord
	// typing 18 digits again.
	return h.renderRentalForm(w, r, c, f, errs)
}
