package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// partyPage is party-member household contact (党员包联): the members with
// their lists, the households (of one member, or not contacted for N
// days) with a form to record a contact, and the assignment form.
type partyPage struct {
	Page
	Members    []civic.PartyMember
	MemberOpts []Option
	Member     int64
	Quiet      int
	Under      string
	Areas      []Option
	Households []civic.PartyHousehold
	Pager      Pager
	Ways       []Option
	CanAssign  bool
	CanContact bool
	Max        int
	Errs       FormErrors
	HouseID    string
	// Refused is the contact that was refused, shown open on its
	// household with what was entered and why.
	Refused civic.PartyContact
}

func (h *Web) party(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.renderParty(w, r, c, FormErrors{}, "")
}

func (h *Web) renderParty(w http.ResponseWriter, r *http.Request, c *rq, errs FormErrors, houseID string) error {
	return h.renderPartyWith(w, r, c, partyPage{Errs: errs, HouseID: houseID})
}

// renderPartyRefused shows the page again after a refused contact.
func (h *Web) renderPartyRefused(w http.ResponseWriter, r *http.Request, c *rq, errs FormErrors, pc civic.PartyContact) error {
	return h.renderPartyWith(w, r, c, partyPage{Errs: errs, Refused: pc})
}

func (h *Web) renderPartyWith(w http.ResponseWriter, r *http.Request, c *rq, p partyPage) error {
	q := r.URL.Query()
	p.Page, p.Under, p.CanAssign = h.base(w, c, "party.title", "/party"), underParam(q), c.Actor.Can(civic.PermPeopleWrite)
	p.CanContact, p.Max = c.Actor.Can(civic.PermCareWork), h.store.CareSettings().MaxHouseholds
	errs := p.Errs
	p.Member, _ = strconv.ParseInt(q.Get("member"), 10, 64)
	p.Quiet, _ = strconv.Atoi(q.Get("quiet"))
	if p.Quiet < 0 {
		p.Quiet = 0
	}
	var err error
	if p.Members, _, err = h.store.PartyMembers(r.Context(), c.Actor, p.Under, "", 30, store.Page{Limit: 500}); err != nil {
		return err
	}
	for _, m := range p.Members {
		id := strconv.FormatInt(m.ID, 10)
		p.MemberOpts = append(p.MemberOpts, Option{Value: id, Label: m.Name + " · " + m.GridName, Selected: m.ID == p.Member})
	}
	page := pageOf(q)
	var total int
	if p.Households, total, err = h.store.PartyHouseholds(r.Context(), c.Actor, store.HouseholdFilter{Under: p.Under, MemberID: p.Member, QuietDays: p.Quiet, Page: storePage(page)}); err != nil {
		return err
	}
	p.Pager = newPager("/party", q, page, total)
	for _, wy := range civic.ContactWays {
		p.Ways = append(p.Ways, Option{Value: string(wy), Label: wy.Label().In(c.Lang)})
	}
	if p.Areas, err = h.areaOptions(r.Context(), c.Actor, p.Under); err != nil {
		return err
	}
	h.render(w, c, pageStatus(errs), "party", p)
	return nil
}

// back is the party page the user came from, kept across a post.
func partyBack(r *http.Request) string {
	v := url.Values{}
	for _, k := range []string{"member", "quiet", "under"} {
		if s := strings.TrimSpace(r.PostFormValue("back_" + k)); s != "" {
			v.Set(k, s)
		}
	}
	if len(v) == 0 {
		return "/party"
	}
	return "/party?" + v.Encode()
}

func (h *Web) partyAssign(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	member, _ := strconv.ParseInt(r.PostFormValue("member_id"), 10, 64)
	house, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("house_id")), 10, 64)
	if _, err := h.store.AssignHousehold(r.Context(), c.Actor, member, house); err != nil {
		errs, err := formErrors(err, c.Lang, "member_id", "house_id")
		if err != nil {
			return err
		}
		return h.renderParty(w, r, c, errs, r.PostFormValue("house_id"))
	}
	h.flash(w, "flash.saved")
	redirect(w, r, partyBack(r))
	return nil
}

func (h *Web) partyUnassign(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := h.store.EndHousehold(r.Context(), c.Actor, id); err != nil {
		return err
	}
	h.flash(w, "flash.saved")
	redirect(w, r, partyBack(r))
	return nil
}

func (h *Web) partyContact(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	member, _ := strconv.ParseInt(r.PostFormValue("member_id"), 10, 64)
	house, _ := strconv.ParseInt(r.PostFormValue("house_id"), 10, 64)
	pc := civic.PartyContact{MemberID: member, HouseID: house, Way: civic.ContactWay(r.PostFormValue("way")), Notes: r.PostFormValue("notes")}
	if _, err := h.store.RecordContact(r.Context(), c.Actor, pc); err != nil {
		errs, err := formErrors(err, c.Lang)
		if err != nil {
			return err
		}
		// The list the form was sent from, with the form open on it.
		if u, err := url.Parse(partyBack(r)); err == nil {
			r.URL.RawQuery = u.RawQuery
		}
		return h.renderPartyRefused(w, r, c, errs, pc)
	}
	h.flash(w, "flash.saved")
	redirect(w, r, partyBack(r))
	return nil
}
