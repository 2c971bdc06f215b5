package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// hotspotsPage lists the early warnings (未诉先办) over the user's scope:
// clusters, 多人同诉, 一人多诉 and rising categories, each with its cases; a
// dispatcher merges a cluster's open cases into one.
type hotspotsPage struct {
	Page
	Radius, Window, MinCases string
	IgnoreUsual              bool // usual=0: the place's usual load is not counted
	Rows                     []hotspotRow
	Shown                    []hotspotCount // kinds with more warnings than shown
	CanMerge                 bool
	Error                    string
}

// hotspotCount says that only the first Shown of Found warnings of a
// kind are on the page.
type hotspotCount struct {
	KindLabel    string
	Shown, Found int
}

type hotspotRow struct {
	civic.Hotspot
	KindLabel string
	// Heading: the reporter of 一人多诉, a cluster's category family when
	// its cases lie in several categories of it, else the category.
	Heading string
	Period  string
	Area    string
	// Mix: how the cases divide among categories, when they do.
	Mix string
	// Open: the cases still open to a merge, checked at first; a finished
	// case may be checked by hand for a proactive task.
	Open map[int64]bool
}

func (h *Web) hotspots(w http.ResponseWriter, r *http.Request, c *rq) error {
	q := r.URL.Query()
	p := hotspotsPage{Page: h.base(w, c, "hot.title", "/hotspots"), Radius: q.Get("radius_m"), Window: q.Get("window_days"), MinCases: q.Get("min_cases"),
		CanMerge: c.Actor.Can(civic.PermCaseDispatch)}
	var params civic.HotspotParams
	num := func(s string) float64 {
		v, err := civic.ParseNumber(s)
		if err != nil || v < 0 {
			return 0
		}
		return v
	}
	params.RadiusM = num(p.Radius)
	params.Window = time.Duration(num(p.Window) * float64(24*time.Hour))
	params.MinCases = int(num(p.MinCases))
	p.IgnoreUsual = q.Get("usual") == "0"
	params.IgnoreUsual = p.IgnoreUsual
	hs, found, err := h.store.DetectHotspots(r.Context(), c.Actor, q.Get("scope"), params)
	if err != nil {
		return err
	}
	if c.Lang == "en" {
		// The store names categories as the catalogue does in Chinese;
		// an English page takes their English names where they have one.
		cat, err := h.catalogue(r.Context())
		if err != nil {
			return err
		}
		en := func(code, name string) string {
			if cc, ok := cat.byCode[code]; ok && cc.NameEN != "" {
				return cc.NameEN
			}
			return name
		}
		for i := range hs {
			hs[i].CategoryName = en(hs[i].CategoryCode, hs[i].CategoryName)
			hs[i].FamilyName = en(hs[i].Family, hs[i].FamilyName)
			for j := range hs[i].Categories {
				hs[i].Categories[j].Name = en(hs[i].Categories[j].Code, hs[i].Categories[j].Name)
			}
		}
	}
	shown := map[civic.HotspotKind]int{}
	for _, hsp := range hs {
		shown[hsp.Kind]++
	}
	for _, k := range []civic.HotspotKind{civic.HotspotManyReporters, civic.HotspotCluster, civic.HotspotOneReporter, civic.HotspotRising} {
		if found[k] > shown[k] {
			p.Shown = append(p.Shown, hotspotCount{KindLabel: k.Label().In(c.Lang), Shown: shown[k], Found: found[k]})
		}
	}
	for _, hsp := range hs {
		row := hotspotRow{Hotspot: hsp, KindLabel: hsp.Kind.Label().In(c.Lang),
			Period: hsp.From.In(civic.ChinaTime).Format("01-02") + " — " + hsp.To.In(civic.ChinaTime).Format("01-02"), Open: map[int64]bool{}}
		for _, k := range hsp.Cases {
			if civic.Mergeable(k.State) {
				row.Open[k.ID] = true
			}
		}
		row.Heading, row.Mix = hotspotHeading(c.Lang, hsp)
		if hsp.HasCentre {
			row.Area = fmt.Sprintf("%.5f, %.5f ±%.0f m", hsp.Lng, hsp.Lat, hsp.RadiusM)
		}
		p.Rows = append(p.Rows, row)
	}
	h.render(w, c, http.StatusOK, "hotspots", p)
	return nil
}

// hotspotMixShown is how many categories a warning's mix names.
const hotspotMixShown = 5

// hotspotHeading is what a warning is about and how its cases divide among
// categories ("" for one category).
func hotspotHeading(lang string, h civic.Hotspot) (heading, mix string) {
	switch {
	case h.Kind == civic.HotspotOneReporter && h.Reporter != "":
		heading = h.Reporter
	case h.FamilyName != "":
		heading = h.FamilyName
	case h.CategoryName != "":
		heading = h.CategoryName
	default:
		heading = h.CategoryCode
	}
	if len(h.Categories) == 0 {
		return heading, ""
	}
	var parts []string
	for _, k := range h.Categories[:min(len(h.Categories), hotspotMixShown)] {
		name := k.Name
		if name == "" {
			name = k.Code
		}
		parts = append(parts, fmt.Sprintf(tr(lang, "hot.mix_item"), name, k.Cases))
	}
	if n := len(h.Categories) - hotspotMixShown; n > 0 {
		parts = append(parts, fmt.Sprintf(tr(lang, "hot.mix_more"), n))
	}
	return heading, fmt.Sprintf(tr(lang, "hot.mix"), strings.Join(parts, tr(lang, "hot.mix_sep")))
}

// mergeHotspot turns the checked cases of a warning into one case, the
// oldest kept, and opens it.
func (h *Web) mergeHotspot(w http.ResponseWriter, r *http.Request, c *rq) error {
	ids, err := checkedCases(r)
	if err != nil {
		return err
	}
	kept, err := h.store.MergeHotspot(r.Context(), c.Actor, ids)
	if err != nil {
		return err
	}
	h.flash(w, "flash.hotspot_merged")
	redirect(w, r, fmt.Sprintf("/cases/%d", kept.ID))
	return nil
}

// hotspotTask files a proactive task for the checked cases of a warning
// and opens it.
func (h *Web) hotspotTask(w http.ResponseWriter, r *http.Request, c *rq) error {
	ids, err := checkedCases(r)
	if err != nil {
		return err
	}
	task, err := h.store.HotspotTask(r.Context(), c.Actor, h.locator, ids)
	if err != nil {
		return err
	}
	h.flash(w, "flash.hotspot_task")
	redirect(w, r, fmt.Sprintf("/cases/%d", task.ID))
	return nil
}

// checkedCases reads the case IDs ticked on a hotspot.
func checkedCases(r *http.Request) ([]int64, error) {
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	var ids []int64
	for _, s := range r.PostForm["case_id"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, civic.Invalid(civic.FieldErr("case_id", "工单编号无效", "not a case ID"))
		}
		ids = append(ids, id)
	}
	return ids, nil
}
