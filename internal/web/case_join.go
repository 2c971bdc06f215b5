package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
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
	in := store.JoinInput{Name: c.User.DisplayName, Phone: r.PostFormValue("reporter_phone"), Note: r.PostFormValue("description"), CRS: store.WGS84}
	// The report form's point: a resident joins a case near it.
	lng, lat := strings.TrimSpace(r.PostFormValue("lng")), strings.TrimSpace(r.PostFormValue("lat"))
	if lng != "" || lat != "" {
		x, y, ok := parseLngLat(lng, lat)
		if !ok {
			return civic.Invalid(civic.FieldErr("location", "位置坐标无效", "the location is not a valid point"))
		}
		in.Near = &geo.Point{Lng: x, Lat: y}
		if store.CRS(r.PostFormValue("crs")) == store.GCJ02 {
			in.CRS = store.GCJ02
		}
	}
	if _, err := h.store.JoinCase(r.Context(), c.Actor, id, in); err != nil {
		return err
	}
	h.flash(w, "flash.joined")
	redirect(w, r, "/cases/"+strconv.FormatInt(id, 10))
	return nil
}
