package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
)

type inbox struct {
	Items  []civic.Notification `json:"items"`
	Unread int                  `json:"unread"`
}

func (a *API) listNotifications(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	ns, unread, err := a.store.Notifications(r.Context(), act, r.URL.Query().Get("unread") == "true", 0, p.Limit)
	if err != nil {
		return err
	}
	if ns == nil {
		ns = []civic.Notification{}
	}
	writeJSON(w, http.StatusOK, inbox{Items: ns, Unread: unread})
	return nil
}

func (a *API) readNotifications(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		IDs []int64 `json:"ids"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := a.store.MarkNotificationsRead(r.Context(), act, in.IDs); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// streamNotifications sends the user's new notifications as server-sent
// events. It asks the database every couple of seconds rather than
// listening in memory, so it works whichever server process wrote them;
// a reconnecting client resumes after Last-Event-ID.
func (a *API) streamNotifications(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	// The server's write timeout would cut a long stream; clients
	// reconnect anyway, but not every few minutes.
	_ = rc.SetWriteDeadline(time.Time{})
	last, _ := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64)
	if last == 0 {
		if ns, _, err := a.store.Notifications(r.Context(), act, false, 0, 1); err == nil && len(ns) > 0 {
			last = ns[0].ID
		}
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 3000\n\n")
	_ = rc.Flush()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	beat := time.Now()
	for {
		ns, unread, err := a.store.Notifications(r.Context(), act, false, last, 100)
		if err != nil {
			return nil // the client reconnects
		}
		for _, n := range ns {
			b, _ := json.Marshal(struct {
				civic.Notification
				Unread int `json:"unread"`
			}{n, unread})
			fmt.Fprintf(w, "id: %d\nevent: notification\ndata: %s\n\n", n.ID, b)
			last = n.ID
		}
		if len(ns) > 0 || time.Since(beat) > 25*time.Second {
			if len(ns) == 0 {
				fmt.Fprint(w, ": keep-alive\n\n")
			}
			beat = time.Now()
			if err := rc.Flush(); err != nil {
				return nil
			}
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-tick.C:
		}
	}
}

// listWebhooks answers those who keep organisations (org.write, checked
// by store.Webhooks), as the webhooks page does: an endpoint's address and
// its last failure are an organisation's system details, not something
// every staff member in scope reads.
func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	hs, err := a.store.Webhooks(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(hs, len(hs), pageOf(len(hs))))
	return nil
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		URL string `json:"url"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	h, err := a.store.CreateWebhook(r.Context(), act, id, in.URL)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, h)
	return nil
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	wid, err := strconv.ParseInt(r.PathValue("wid"), 10, 64)
	if err != nil {
		return civic.NotFound("回调 "+r.PathValue("wid"), "webhook "+r.PathValue("wid"))
	}
	if err := a.store.DeleteWebhook(r.Context(), act, id, wid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
