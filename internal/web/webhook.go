package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// webhooksPage connects an organisation's own system: every dispatch,
// warning and whistle for it is posted there as signed JSON, retried until
// delivered. The signing secret is shown once, when the hook is made.
type webhooksPage struct {
	Page
	Org    civic.Organisation
	Hooks  []store.Webhook
	URL    string
	Secret string
	Errs   FormErrors
}

func (h *Web) webhooksPage(w http.ResponseWriter, r *http.Request, c *rq, p *webhooksPage, status int) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if p.Org, err = h.store.GetOrganisation(r.Context(), c.Actor, id); err != nil {
		return err
	}
	if p.Hooks, err = h.store.Webhooks(r.Context(), c.Actor, id); err != nil {
		return err
	}
	p.Page = h.base(w, c, "webhook.title", "/organisations")
	p.Crumbs = []Crumb{{Label: c.T("nav.organisations"), URL: "/organisations"}, {Label: p.Org.Name}, {Label: c.T("webhook.title")}}
	h.render(w, c, status, "webhooks", p)
	return nil
}

func (h *Web) webhooks(w http.ResponseWriter, r *http.Request, c *rq) error {
	return h.webhooksPage(w, r, c, &webhooksPage{}, http.StatusOK)
}

func (h *Web) createWebhook(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p := &webhooksPage{URL: strings.TrimSpace(r.PostFormValue("url"))}
	hook, err := h.store.CreateWebhook(r.Context(), c.Actor, id, p.URL)
	if err != nil {
		fe, ferr := formErrors(err, c.Lang, "url")
		if ferr != nil {
			return ferr
		}
		p.Errs = fe
		return h.webhooksPage(w, r, c, p, fe.status)
	}
	// The secret is shown on this answer only; it is not kept readable.
	p.URL, p.Secret = "", hook.Secret
	return h.webhooksPage(w, r, c, p, http.StatusOK)
}

func (h *Web) deleteWebhook(w http.ResponseWriter, r *http.Request, c *rq) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	wid, err := strconv.ParseInt(r.PathValue("wid"), 10, 64)
	if err != nil {
		return civic.NotFound("回调", "webhook")
	}
	if err := h.store.DeleteWebhook(r.Context(), c.Actor, id, wid); err != nil {
		return err
	}
	h.flash(w, "flash.saved")
	redirect(w, r, "/organisations/"+strconv.FormatInt(id, 10)+"/webhooks")
	return nil
}
