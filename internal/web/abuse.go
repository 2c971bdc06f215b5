package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// abusePage keeps the two lists operators maintain against abuse and for
// priority: blocked callers (with reason and expiry) and deputies
// (两代表一委员), whose cases are flagged for priority at intake.
type abusePage struct {
	Page
	Blocked  []civic.BlockedCaller
	Deputies []civic.Deputy
	Now      time.Time
	BlockIn  struct{ Phone, Reason, Until string }
	DepIn    civic.Deputy
	BlockErr FormErrors
	DepErr   FormErrors
}

func (h *Web) abusePage(w http.ResponseWriter, r *http.Request, c *rq, p *abusePage, status int) error {
	var err error
	if p.Blocked, err = h.store.BlockedCallers(r.Context(), c.Actor); err != nil {
		return err
	}
	if p.Deputies, err = h.store.Deputies(r.Context(), c.Actor); err != nil {
		return err
	}
	p.Page = h.base(w, c, "abuse.title", "/abuse")
	p.Now = h.store.Now()
	h.render(w, c, status, "abuse", p)
	return nil
}

func (h *Web) abuse(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.abusePage(w, r, c, &abusePage{}, http.StatusOK)
}

func (h *Web) blockCaller(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p := &abusePage{}
	p.BlockIn.Phone, p.BlockIn.Reason, p.BlockIn.Until = strings.TrimSpace(r.FormValue("phone")), r.FormValue("reason"), r.FormValue("until")
	var until *time.Time
	if p.BlockIn.Until != "" {
		d, err := time.ParseInLocation(civic.DateLayout, p.BlockIn.Until, civic.ChinaTime)
		if err != nil {
			p.BlockErr.addField("until", c.T("abuse.bad_date"))
			return h.abusePage(w, r, c, p, http.StatusUnprocessableEntity)
		}
		end := d.AddDate(0, 0, 1).UTC() // through the end of that day
		until = &end
	}
	if _, err := h.store.BlockCaller(r.Context(), c.Actor, p.BlockIn.Phone, p.BlockIn.Reason, until); err != nil {
		fe, ferr := formErrors(err, c.Lang, "phone", "reason", "until")
		if ferr != nil {
			return ferr
		}
		p.BlockErr = fe
		return h.abusePage(w, r, c, p, fe.status)
	}
	h.flash(w, "flash.saved")
	redirect(w, r, "/abuse")
	return nil
}

func (h *Web) unblockCaller(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return civic.NotFound("限制记录", "block")
	}
	if err := h.store.UnblockCaller(r.Context(), c.Actor, id); err != nil {
		return err
	}
	h.flash(w, "flash.saved")
	redirect(w, r, "/abuse")
	return nil
}

func (h *Web) addDeputy(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p := &abusePage{DepIn: civic.Deputy{Phone: strings.TrimSpace(r.FormValue("phone")), Name: r.FormValue("name"), Title: r.FormValue("title")}}
	if _, err := h.store.AddDeputy(r.Context(), c.Actor, p.DepIn); err != nil {
		fe, ferr := formErrors(err, c.Lang, "phone", "name", "title")
		if ferr != nil {
			return ferr
		}
		p.DepErr = fe
		return h.abusePage(w, r, c, p, fe.status)
	}
	h.flash(w, "flash.saved")
	redirect(w, r, "/abuse")
	return nil
}

func (h *Web) removeDeputy(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return civic.NotFound("代表委员", "deputy")
	}
	if err := h.store.RemoveDeputy(r.Context(), c.Actor, id); err != nil {
		return err
	}
	h.flash(w, "flash.saved")
	redirect(w, r, "/abuse")
	return nil
}
