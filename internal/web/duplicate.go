package web

import (
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
	"github.com/civicgrid/civicgrid/internal/store"
)

// dupRow is one likely duplicate as a list shows it, with why it matched
// in words: 相距 80 米 · 3 天前 · 文字相似 0.72.
type dupRow struct {
	civic.Duplicate
	Why string
	// Merge is the case merge form for staff who dispatch: the newer of
	// the two cases is merged into the older (as a hotspot merge keeps
	// the oldest). MergeFrom is the case acted on, MergeInto the number
	// it goes into; MergeHere says whether this page's case is kept.
	MergeFrom int64
	MergeInto string
	MergeHere bool
}

// dupPage is the likely-duplicates fragment of the intake form and of a
// case page.
type dupPage struct {
	Rows []dupRow
	// Staff link to the cases; residents may join one (附议) instead.
	Staff    bool
	CanJoin  bool
	CanMerge bool
	CaseID   int64
}

// why explains a match in the viewer's language; apart words the time as
// between two cases rather than before a draft typed now.
func why(lang string, m civic.DuplicateScore, apart bool) string {
	var parts []string
	if m.HasDistance {
		parts = append(parts, fmt.Sprintf(tr(lang, "dup.metres"), int(math.Round(m.DistanceM))))
	} else if m.Place > 0 {
		parts = append(parts, tr(lang, "dup.same_region"))
	}
	days, hours := "dup.days_ago", "dup.hours_ago"
	if apart {
		days, hours = "dup.days_apart", "dup.hours_apart"
	}
	if m.AgeHours >= 48 {
		parts = append(parts, fmt.Sprintf(tr(lang, days), int(m.AgeHours/24)))
	} else {
		parts = append(parts, fmt.Sprintf(tr(lang, hours), int(m.AgeHours)))
	}
	parts = append(parts, fmt.Sprintf(tr(lang, "dup.text"), m.Text))
	if m.SameCategory {
		parts = append(parts, tr(lang, "dup.same_category"))
	}
	return strings.Join(parts, " · ")
}

// duplicateSuggest answers the intake form as it is filled in (htmx): the
// open cases likely the same problem as the title, notes, category and
// place typed so far. It never fails the form: anything that stops the
// search (too little typed yet, no place) shows nothing. Visitors who are
// not signed in are shown nothing either: they could not join a case, and
// open cases' titles are not for anyone on the internet.
func (h *Web) duplicateSuggest(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	d := civic.DuplicateDraft{Title: strings.TrimSpace(q.Get("title")), Description: strings.TrimSpace(q.Get("description")),
		CategoryCode: q.Get("category_code"), RegionCode: q.Get("region_code")}
	lng, err1 := civic.ParseNumber(q.Get("lng"))
	lat, err2 := civic.ParseNumber(q.Get("lat"))
	if err1 == nil && err2 == nil {
		p := geo.Point{Lng: lng, Lat: lat}
		if store.CRS(q.Get("crs")) == store.GCJ02 {
			p = geo.GCJ02ToWGS84(p)
		}
		d.HasLocation, d.Lng, d.Lat = true, p.Lng, p.Lat
	}
	staff := c.Actor.Can(civic.PermCaseRead)
	p := dupPage{Staff: staff, CanJoin: !staff && c.User.ID != 0}
	if c.User.ID != 0 && len([]rune(d.Title+d.Description)) >= 2 && (d.HasLocation || d.RegionCode != "") {
		ds, err := h.store.FindDuplicates(r.Context(), c.Actor, d, civic.DuplicateParams{})
		if err != nil && civic.ErrorCodeOf(err) != civic.EInvalid {
			h.log.Warn("duplicate suggestions", "err", err)
		}
		for _, m := range ds {
			p.Rows = append(p.Rows, dupRow{Duplicate: m, Why: why(c.Lang, m.Match, false)})
		}
	}
	h.fragment(w, c, http.StatusOK, "case_report", "_duplicates", p)
	return nil
}

// caseDuplicates is the likely-duplicates box of a case page (htmx, so
// the page never waits for it), with a merge button for dispatchers.
func (h *Web) caseDuplicates(w http.ResponseWriter, r *http.Request, c *rq) error {
	cs, err := h.caseByRef(r, c)
	if err != nil {
		return err
	}
	ds, err := h.store.CaseDuplicates(r.Context(), c.Actor, cs.ID, civic.DuplicateParams{})
	if err != nil {
		return err
	}
	p := dupPage{Staff: true, CanMerge: c.Actor.Can(civic.PermCaseDispatch), CaseID: cs.ID}
	for _, m := range ds {
		row := dupRow{Duplicate: m, Why: why(c.Lang, m.Match, true)}
		if m.CreatedAt.Before(cs.CreatedAt) || m.CreatedAt.Equal(cs.CreatedAt) && m.ID < cs.ID {
			row.MergeFrom, row.MergeInto = cs.ID, m.Number
		} else {
			row.MergeFrom, row.MergeInto, row.MergeHere = m.ID, cs.Number, true
		}
		p.Rows = append(p.Rows, row)
	}
	h.fragment(w, c, http.StatusOK, "case_detail", "_case_duplicates", p)
	return nil
}
