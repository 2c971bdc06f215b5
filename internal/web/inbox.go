package web

import (
	"net/http"
	"strconv"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// inboxPage is the user's notifications: new dispatches, warnings,
// whistles, requests to verify or approve, and progress on their reports.
// The bell in the top bar keeps its count live over server-sent events.
type inboxPage struct {
	Page
	Items  []civic.Notification
	Unread int
}

func (h *Web) inbox(w http.ResponseWriter, r *http.Request, c *rq) error {
	ns, unread, err := h.store.Notifications(r.Context(), c.Actor, r.URL.Query().Get("unread") == "1", 0, 100)
	if err != nil {
		return err
	}
	p := inboxPage{Page: h.base(w, c, "inbox.title", "/inbox"), Items: ns, Unread: unread}
	h.render(w, c, http.StatusOK, "inbox", p)
	return nil
}

func (h *Web) readInbox(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	var ids []int64
	for _, s := range r.Form["id"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	if err := h.store.MarkNotificationsRead(r.Context(), c.Actor, ids); err != nil {
		return err
	}
	if next := safeNext(r.FormValue("next")); len(ids) == 1 && next != "/" {
		redirect(w, r, next)
		return nil
	}
	redirect(w, r, "/inbox")
	return nil
}
