package web

import (
	"net/http"
	"strconv"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// joinCase adds the resident to an open case near them as a co-reporter
// (附议), from the nearby list of the report form, instead of filing the
// same problem again.
func (h *Web) joinCase(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseUpload(w, r); err != nil {
		return err
	}
	defer cleanUpload(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return civic.NotFound("工单", "case")
	}
	if _, err := h.store.JoinCase(r.Context(), c.Actor, id, store.JoinInput{Name: c.User.DisplayName, Phone: r.PostFormValue("reporter_phone"), Note: r.PostFormValue("description")}); err != nil {
		return err
	}
	h.flash(w, "flash.joined")
	redirect(w, r, "/cases/"+strconv.FormatInt(id, 10))
	return nil
}
