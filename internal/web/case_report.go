package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// The three intake forms share one page: a resident reporting a problem
// (/report, 一键报事), a hotline operator taking a call (/cases/new?channel=
// hotline) and a grid worker reporting from patrol (channel=patrol).

// reportForm is an intake form exactly as typed.
type reportForm struct {
	// Key is the random part of the idempotency key, made when the form
	// is first shown and carried through every re-render, so that a
	// double click or a refreshed POST finds the first case.
	Key              string
	Channel          string
	Title            string
	Description      string
	Category         string
	Address          string
	Lng, Lat         string
	CRS              string
	Region           string
	Name             string
	Phone            string
	Anonymous        bool
	AnsweredDirectly bool
	Answer           string
	AckNotAccepted   bool
	// Place is the token of the place QR code the form was opened from;
	// PlaceName shows which place it is.
	Place, PlaceName string
	// HouseID is the house picked (my home, the caller's home, or one
	// found by HouseQuery, an address typed by staff who read people);
	// HouseChoices are the houses a query matched, to pick from.
	HouseID      string
	HouseQuery   string
	HouseChoices []Option
	// CategoryFromModel: the category was left to the triage suggestion.
	CategoryFromModel bool
	// Summary is the hotline operator's summary of long call notes
	// (drafted by the optional model, edited by the operator); it is
	// filed at the head of the description.
	Summary string
	// SignedIn: the form was shown to a signed-in user. Posted without a
	// session, it was not meant as an anonymous report: the session
	// expired while the form was open.
	SignedIn bool
}

var reportFields = []string{"title", "description", "category_code", "address", "location", "region_code", "reporter_name", "reporter_phone", "anonymous", "answered_directly", "answer", "photo", "house_id", "person_id"}

// reportPage is the intake form.
type reportPage struct {
	Page
	Form    reportForm
	Errs    FormErrors
	Channel string // resident, hotline, patrol
	Action  string
	Groups  []leafGroup
	// NotAccepted is the reason of the chosen category when it is on the
	// not-accepted list, shown before the case is filed.
	NotAccepted string
	Regions     []Option
	Basemap     basemap
	// MapUnder and MapLevel draw outlines on the map: the worker's own grids
	// on a patrol map, the streets, communities or grids of the operator's
	// scope on a hotline map.
	MapUnder, MapLevel string
	// Outline is the GeoJSON of a resident's own community, drawn without
	// a request (residents may not read regions).
	Outline string
	// CenterLng/Lat open the map over the user's area.
	CenterLng, CenterLat float64
	// PhotoInputs offers photos: to residents and patrols, when the
	// server keeps files.
	PhotoInputs bool
	// Houses are the houses offered as the place: the resident's homes,
	// the caller's homes, or the staff's search matches. HouseSearch
	// offers the address search to staff who read people.
	Houses      []Option
	HouseSearch bool
	// LLMSummary is the hotline form's 生成摘要 box; nil without a model.
	LLMSummary *llmSummary
}

// reportDonePage confirms a filed case.
type reportDonePage struct {
	Page
	Case     civic.Case
	Existing bool
	Staff    bool
}

// newKey is a fresh random idempotency key part.
func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// validKey accepts only keys this server could have made, so a posted
// value can never collide with another user's namespace.
func validKey(k string) bool {
	if len(k) != 32 {
		return false
	}
	_, err := hex.DecodeString(k)
	return err == nil
}

// idempotencyKey scopes the form's key to the user: the store looks keys
// up across all cases, and one user must never receive another's case.
func idempotencyKey(u civic.User, key string) string {
	return "web-" + strconv.FormatInt(u.ID, 10) + "-" + key
}

// channelOf picks the intake channel for the user: the one asked for if
// their role may use it, otherwise the one their role uses.
func channelOf(a civic.Actor, asked string) (string, error) {
	hotline := a.Role == civic.RoleOperator || a.Role == civic.RoleAdmin
	patrol := a.Can(civic.PermCaseRead) && a.Can(civic.PermCaseReport)
	switch {
	case asked == "hotline" && hotline, asked == "patrol" && patrol:
		return asked, nil
	case asked == "hotline" || asked == "patrol":
		return "", civic.Forbidden()
	case a.Role == civic.RoleOperator:
		return "hotline", nil
	case patrol:
		return "patrol", nil
	}
	return "", civic.Forbidden()
}

// report shows the resident form; staff are sent to their own intake form,
// which files the case under the right channel.
func (h *Web) report(w http.ResponseWriter, r *http.Request, c *rq) error {
	if c.Actor.Can(civic.PermCaseRead) {
		ch, err := channelOf(c.Actor, "")
		if err != nil {
			return err
		}
		// The rest of the address (?lang=, a place code) comes along.
		q := r.URL.Query()
		q.Set("channel", ch)
		redirect(w, r, "/cases/new?"+q.Encode())
		return nil
	}
	f := reportForm{Key: newKey(), Channel: "resident", Phone: c.User.Phone, CRS: string(store.WGS84), Anonymous: c.User.ID == 0}
	if tok := r.URL.Query().Get("place"); tok != "" {
		// Opened from a printed place code: the place fills itself in.
		if pl, err := h.store.PlaceByToken(r.Context(), tok); err == nil {
			f.Place, f.PlaceName, f.Region = pl.Token, pl.Name, pl.RegionCode
		}
	}
	return h.showReport(w, r, c, f, FormErrors{}, http.StatusOK)
}

func (h *Web) newCase(w http.ResponseWriter, r *http.Request, c *rq) error {
	ch, err := channelOf(c.Actor, r.URL.Query().Get("channel"))
	if err != nil {
		return err
	}
	f := reportForm{Key: newKey(), Channel: ch, CRS: string(store.WGS84), HouseID: r.URL.Query().Get("house")}
	if ch == "patrol" {
		f.Region, f.Phone = c.Actor.Scope.RegionCode, c.User.Phone
	}
	return h.showReport(w, r, c, f, FormErrors{}, http.StatusOK)
}

func (h *Web) showReport(w http.ResponseWriter, r *http.Request, c *rq, f reportForm, errs FormErrors, status int) error {
	ctx := r.Context()
	active := "/report"
	if f.Channel != "resident" {
		active = "/cases"
	}
	p := reportPage{Page: h.base(w, c, "report.title", active), Form: f, Errs: errs, Channel: f.Channel, Action: "/report", Basemap: h.basemap(),
		// Photos belong to a reporter's account; anonymous reports have none.
		PhotoInputs: h.cfg.Files != nil && f.Channel != "hotline" && (c.User.ID != 0 || f.SignedIn)}
	f.SignedIn = f.SignedIn || c.User.ID != 0
	p.Form = f
	p.Leaflet = true
	p.LLMSummary = h.llmSummaryBox(f)
	switch f.Channel {
	case "hotline":
		p.Title, p.Action = c.T("report.hotline_title"), "/cases/new?channel=hotline"
	case "patrol":
		p.Title, p.Action = c.T("report.patrol_title"), "/cases/new?channel=patrol"
	}
	if f.Channel != "resident" {
		p.Crumbs = []Crumb{{Label: c.T("cases.title"), URL: "/cases"}, {Label: p.Title}}
	}
	cat, err := h.catalogue(ctx)
	if err != nil {
		return err
	}
	p.Groups = cat.groups(c.Lang, f.Category)
	if k, ok := cat.byCode[f.Category]; ok && !k.Accepted {
		p.NotAccepted = k.NotAcceptedReason
		if p.NotAccepted == "" {
			p.NotAccepted = c.T("report.not_accepted_default")
		}
	}
	switch f.Channel {
	case "hotline":
		if p.Regions, err = h.areaOptions(ctx, c.Actor, f.Region); err != nil {
			return err
		}
		if c.Actor.Can(civic.PermRegionRead) {
			p.MapUnder, p.MapLevel = outlinesUnder(c.Actor.Scope.RegionCode)
		}
	case "patrol":
		if p.Regions, err = h.gridOptions(ctx, c.Actor); err != nil {
			return err
		}
		for i := range p.Regions {
			p.Regions[i].Selected = p.Regions[i].Value == f.Region
		}
		p.MapUnder = c.Actor.Scope.RegionCode
		if l, ok := civic.LevelOfCode(p.MapUnder); ok {
			p.MapLevel = l.Key()
			if l < civic.LevelGrid {
				p.MapLevel = civic.LevelGrid.Key()
			}
		}
	}
	if p.Houses, err = h.houseOptions(ctx, c, f); err != nil {
		return err
	}
	p.HouseSearch = f.Channel == "patrol" && c.Actor.Can(civic.PermPeopleRead)
	// The map opens over the user's own area. Residents may not read
	// regions; a centre point reveals nothing, so it is read as the system,
	// and so is the outline of their own community, which the map draws
	// for them (a public boundary) where staff maps fetch theirs.
	if code := c.Actor.Scope.RegionCode; code != "" {
		if reg, err := h.store.GetRegion(ctx, civic.System, code); err == nil {
			p.CenterLng, p.CenterLat = reg.CenterLng, reg.CenterLat
			if p.MapUnder == "" && !c.Actor.Can(civic.PermRegionRead) && len(reg.Boundary) > 0 {
				p.Outline = string(store.FeatureCollection([]civic.Region{reg}, nil))
			}
		}
	}
	h.render(w, c, status, "case_report", p)
	return nil
}

// outlinesUnder is what a hotline map draws so that, without map tiles,
// the operator still sees where a point falls: the streets of a city or
// district scope, the communities of a street, the grids of a community.
func outlinesUnder(scope string) (under, level string) {
	l, ok := civic.LevelOfCode(scope)
	switch {
	case !ok || l <= civic.LevelDistrict:
		return scope, civic.LevelStreet.Key()
	case l == civic.LevelStreet:
		return scope, civic.LevelCommunity.Key()
	}
	return scope, civic.LevelGrid.Key()
}

func readReportForm(r *http.Request) reportForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return reportForm{Key: v("key"), Channel: v("channel"), Title: v("title"), Description: v("description"), Category: v("category_code"),
		Address: v("address"), Lng: v("lng"), Lat: v("lat"), CRS: v("crs"), Region: v("region_code"), Name: v("reporter_name"),
		Phone: v("reporter_phone"), Anonymous: v("anonymous") == "1", AnsweredDirectly: v("answered_directly") == "1", Answer: v("answer"),
		AckNotAccepted: v("ack_not_accepted") == "1", Place: v("place"), PlaceName: v("place_name"), HouseID: v("house_id"), HouseQuery: v("house_q"),
		CategoryFromModel: v("category_from_model") == "1", Summary: v("summary"), SignedIn: v("signed_in") == "1"}
}

// houseOptions are the houses a form offers as the place of the problem:
// a resident's own homes, the homes registered with a caller's number, or
// for staff the houses their address search matched (or the one picked).
// Only addresses are shown.
func (h *Web) houseOptions(ctx context.Context, c *rq, f reportForm) ([]Option, error) {
	var list []store.HouseChoice
	var err error
	switch {
	case f.Channel == "resident" && c.User.ID != 0:
		list, err = h.store.MyHouses(ctx, c.Actor)
	case f.Channel == "hotline" && f.Phone != "":
		list, err = h.store.CallerHouses(ctx, c.Actor, f.Phone)
		if civic.ErrorCodeOf(err) == civic.EInvalid {
			list, err = nil, nil // the number is refused on its own field
		}
	case f.Channel == "patrol" && len(f.HouseChoices) > 0:
		return f.HouseChoices, nil
	case f.Channel == "patrol" && f.HouseID != "":
		id, perr := strconv.ParseInt(f.HouseID, 10, 64)
		if perr != nil {
			return nil, nil
		}
		hs, herr := h.store.GetHouse(ctx, c.Actor, id)
		if herr != nil {
			return nil, nil // not theirs to pick: offered nothing
		}
		list = []store.HouseChoice{{ID: hs.ID, Address: hs.Address}}
	}
	if err != nil {
		return nil, err
	}
	out := make([]Option, len(list))
	for i, hc := range list {
		v := strconv.FormatInt(hc.ID, 10)
		out[i] = Option{Value: v, Label: hc.Address, Selected: v == f.HouseID}
	}
	return out, nil
}

// findHouse resolves a staff member's typed address to one house in their
// scope, or says why not; several matches come back as choices.
func (h *Web) findHouse(ctx context.Context, c *rq, f *reportForm, errs *FormErrors) int64 {
	houses, _, err := h.store.ListHouses(ctx, c.Actor, store.PlaceFilter{Query: f.HouseQuery, Page: store.Page{Limit: 20}})
	switch {
	case err != nil || len(houses) == 0:
		errs.addField("house_id", c.T("report.house_not_found"))
	case len(houses) == 1:
		f.HouseID = strconv.FormatInt(houses[0].ID, 10)
		return houses[0].ID
	default:
		for _, hs := range houses {
			f.HouseChoices = append(f.HouseChoices, Option{Value: strconv.FormatInt(hs.ID, 10), Label: hs.Address})
		}
		errs.addField("house_id", c.T("report.house_pick"))
	}
	return 0
}

// submitReport files the resident form.
func (h *Web) submitReport(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseUpload(w, r); err != nil {
		return err
	}
	defer cleanUpload(r)
	f := readReportForm(r)
	f.Channel = "resident"
	if c.User.ID == 0 && f.SignedIn {
		// Filed now, it would be an anonymous case without its photos,
		// which the resident never meant: keep it all for them to send
		// again once signed in.
		errs := FormErrors{Summary: []string{c.T("report.session_expired")}, status: http.StatusUnauthorized}
		if len(postedPhotos(r)) > 0 {
			errs.addField("photo", c.T("photo.reselect"))
		}
		return h.showReport(w, r, c, f, errs, errs.Status())
	}
	if c.User.ID == 0 {
		// Nobody to attribute it to: the reporter stays anonymous.
		f.Anonymous = true
	}
	return h.submit(w, r, c, f)
}

// submitNewCase files the hotline or patrol form.
func (h *Web) submitNewCase(w http.ResponseWriter, r *http.Request, c *rq) error {
	if err := parseUpload(w, r); err != nil {
		return err
	}
	defer cleanUpload(r)
	f := readReportForm(r)
	ch, err := channelOf(c.Actor, r.URL.Query().Get("channel"))
	if err != nil {
		return err
	}
	f.Channel = ch
	return h.submit(w, r, c, f)
}

func (h *Web) submit(w http.ResponseWriter, r *http.Request, c *rq, f reportForm) error {
	if !validKey(f.Key) {
		// A form from elsewhere or a tampered key: file without a key
		// rather than trust it, and give the re-rendered form a fresh one.
		f.Key = ""
	}
	// Photos are checked first and stored only once the case is filed,
	// so that a refused form leaves nothing behind. A hotline call has
	// none.
	var photos []*multipart.FileHeader
	if f.Channel != "hotline" {
		photos = postedPhotos(r)
	}
	metas, perr := h.checkPhotos(photos)
	n, errs := h.newCaseOf(r, c, &f)
	fromPhoto := perr == nil && errs.Fields["location"] == "" && locateByPhoto(&n, metas)
	if perr != nil {
		if err := addPhotoError(&errs, perr, c.Lang); err != nil {
			return err
		}
	}
	refused := func(errs FormErrors) error {
		if f.Key == "" {
			f.Key = newKey()
		}
		if len(photos) > 0 && errs.Fields["photo"] == "" {
			// A browser cannot be given files back.
			errs.addField("photo", c.T("photo.reselect"))
		}
		if fromPhoto && errs.Fields["location"] != "" {
			errs.Fields["location"] += c.T("photo.location_was_photo")
		}
		return h.showReport(w, r, c, f, errs, errs.Status())
	}
	if errs.Any() {
		return refused(errs)
	}
	cs, existing, err := h.cfg.Intake.Submit(r.Context(), c.Actor, n)
	if err != nil {
		if civic.ErrorCodeOf(err) == civic.EConflict && n.IdempotencyKey != "" {
			// The form's key already filed other words (sent, then edited
			// after going back): this is a new report, under a new key.
			f.Key = newKey()
			return refused(FormErrors{Summary: []string{c.T("report.key_reused")}, status: http.StatusConflict})
		}
		fe, err := formErrors(err, c.Lang, reportFields...)
		if err != nil {
			return err
		}
		return refused(fe)
	}
	if len(photos) > 0 {
		// A resubmitted form finds its case (existing) and adds only the
		// photos it does not have yet, so a failure here is mended by
		// sending the form again.
		metas, err := h.storePhotos(photos)
		if err == nil {
			err = h.store.AddCasePhotos(r.Context(), c.Actor, cs.ID, metas, store.PhotoReport)
		}
		if err != nil {
			return err
		}
	}
	p := reportDonePage{Page: h.base(w, c, "report.done_title", "/report"), Case: cs, Existing: existing, Staff: c.Actor.Can(civic.PermCaseRead)}
	if fromPhoto && !existing {
		p.Flash = c.T("photo.from_photo")
	}
	h.render(w, c, http.StatusOK, "case_done", p)
	return nil
}

// newCaseOf checks what only the web form knows (numbers typed as text, the
// acknowledgement of a not-accepted category) and builds the submission.
func (h *Web) newCaseOf(r *http.Request, c *rq, f *reportForm) (store.NewCase, FormErrors) {
	src := map[string]civic.Source{"resident": civic.SourceResident, "hotline": civic.SourceHotline, "patrol": civic.SourcePatrol}[f.Channel]
	n := store.NewCase{Source: src, CategoryCode: f.Category, Title: f.Title, Description: f.Description, Address: f.Address,
		RegionCode: f.Region, ReporterPhone: f.Phone, Anonymous: f.Anonymous, CRS: store.WGS84, PlaceToken: f.Place, CategoryFromModel: f.CategoryFromModel}
	if f.Key != "" {
		n.IdempotencyKey = idempotencyKey(c.User, f.Key)
	}
	if f.Summary != "" && f.Channel == "hotline" {
		n.Description = c.T("llm.summary_prefix") + f.Summary + "\n\n" + f.Description
	}
	if store.CRS(f.CRS) == store.GCJ02 {
		n.CRS = store.GCJ02
	}
	var errs FormErrors
	switch {
	case f.HouseID != "":
		id, err := strconv.ParseInt(f.HouseID, 10, 64)
		if err != nil || id <= 0 {
			errs.addField("house_id", c.T("report.house_not_found"))
		}
		n.HouseID = id
	case f.HouseQuery != "" && f.Channel == "patrol" && c.Actor.Can(civic.PermPeopleRead):
		n.HouseID = h.findHouse(r.Context(), c, f, &errs)
	}
	switch f.Channel {
	case "hotline":
		n.ReporterName = f.Name
		n.AnsweredDirectly, n.Answer = f.AnsweredDirectly, f.Answer
		n.Anonymous = false
	default:
		n.ReporterName = c.User.DisplayName
	}
	if f.Lng != "" || f.Lat != "" {
		lng, err1 := civic.ParseNumber(f.Lng)
		lat, err2 := civic.ParseNumber(f.Lat)
		if err1 != nil || err2 != nil {
			errs.addField("location", c.T("report.bad_location"))
		} else {
			n.HasLocation, n.Lng, n.Lat = true, lng, lat
		}
	}
	if f.Category != "" && !f.CategoryFromModel {
		// One row, read as the system like the catalogue: it is public
		// configuration.
		if k, err := h.store.GetCategory(r.Context(), civic.System, f.Category); err == nil {
			if !k.Accepted && !f.AckNotAccepted && !f.AnsweredDirectly {
				// The store would file it straight into "rejected"; the
				// resident should know why before choosing to.
				errs.addField("category_code", c.T("report.not_accepted_confirm"))
			}
		}
	}
	if errs.Any() {
		errs.status = http.StatusUnprocessableEntity
	}
	return n, errs
}
