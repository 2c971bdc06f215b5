package api

import (
	"net/http"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	under, err := subtreeParam(r, act, "under")
	if err != nil {
		return err
	}
	f := store.AuditFilter{Username: q.Get("username"), Entity: q.Get("entity"), EntityID: q.Get("entity_id"), Action: q.Get("action"), RegionCode: under, Page: p}
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		s := q.Get(d.name)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			if t, err = time.Parse(civic.DateLayout, s); err != nil {
				return civic.Invalid(civic.FieldErr(d.name, "时间格式应为 2026-03-01 或 RFC 3339", "time must look like 2026-03-01 or RFC 3339"))
			}
		}
		*d.dst = t
	}
	es, total, err := a.store.ListAudit(r.Context(), act, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(es, total, p))
	return nil
}
