package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/auth"
	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
	"github.com/civicgrid/civicgrid/internal/store"
)

// caseInput is a submission through the API. The idempotency key may come
// in the body or, as is common, in an Idempotency-Key header.
type caseInput struct {
	IdempotencyKey   string       `json:"idempotency_key"`
	Source           civic.Source `json:"source"`
	CategoryCode     string       `json:"category_code"`
	Title            string       `json:"title"`
	Description      string       `json:"description"`
	Address          string       `json:"address"`
	Lng              *float64     `json:"lng"`
	Lat              *float64     `json:"lat"`
	CRS              string       `json:"crs"`
	RegionCode       string       `json:"region_code"`
	ReporterName     string       `json:"reporter_name"`
	ReporterPhone    string       `json:"reporter_phone"`
	Anonymous        bool         `json:"anonymous"`
	AnsweredDirectly bool         `json:"answered_directly"`
	Answer           string       `json:"answer"`
	PlaceToken       string       `json:"place_token"`
	HouseID          int64        `json:"house_id"`
	PersonID         int64        `json:"person_id"`
	// CategoryFromModel leaves the category to the triage model: routed
	// by it above the threshold, else waiting for a dispatcher.
	CategoryFromModel bool `json:"category_from_model"`
}

func (a *API) createCase(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in caseInput
	if err := decode(r, &in); err != nil {
		return err
	}
	n := store.NewCase{IdempotencyKey: in.IdempotencyKey, Source: in.Source, CategoryCode: in.CategoryCode, Title: in.Title,
		Description: in.Description, Address: in.Address, RegionCode: in.RegionCode, ReporterName: in.ReporterName,
		ReporterPhone: in.ReporterPhone, Anonymous: in.Anonymous, AnsweredDirectly: in.AnsweredDirectly, Answer: in.Answer, CRS: store.CRS(strings.ToLower(in.CRS)),
		PlaceToken: in.PlaceToken, HouseID: in.HouseID, PersonID: in.PersonID, CategoryFromModel: in.CategoryFromModel}
	if k := r.Header.Get("Idempotency-Key"); k != "" && n.IdempotencyKey == "" {
		n.IdempotencyKey = k
	}
	if n.Source == "" {
		n.Source = civic.SourceAPI
	}
	switch {
	case in.Lng != nil && in.Lat != nil:
		n.HasLocation, n.Lng, n.Lat = true, *in.Lng, *in.Lat
	case in.Lng != nil || in.Lat != nil:
		return civic.Invalid(civic.FieldErr("location", "请同时提供经度和纬度", "give both longitude and latitude"))
	}
	if n.CRS == "" {
		n.CRS = store.WGS84
	}
	c, existing, err := a.intake.Submit(r.Context(), act, n)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if existing {
		status = http.StatusOK
	}
	writeJSON(w, status, c)
	return nil
}

func (a *API) listCases(w http.ResponseWriter, r *http.Request) error {
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
	f := store.CaseFilter{Under: under, CategoryCode: q.Get("category"), Source: civic.Source(q.Get("source")), Query: q.Get("q"),
		Phone: q.Get("phone"), Overdue: q.Get("overdue") == "true", HandlerRegion: q.Get("handler_region"), Page: p}
	for _, s := range strings.Split(q.Get("state"), ",") {
		if s == "" {
			continue
		}
		if !civic.CaseState(s).Valid() {
			return civic.Invalid(civic.FieldErr("state", "未知的状态“%s”", "unknown state %q", s))
		}
		f.States = append(f.States, civic.CaseState(s))
	}
	if s := q.Get("handler_org"); s != "" {
		if f.HandlerOrgID, err = strconv.ParseInt(s, 10, 64); err != nil {
			return civic.Invalid(civic.FieldErr("handler_org", "应为组织编号", "must be an organisation ID"))
		}
	}
	if q.Get("mine") == "true" {
		f.ReporterID = act.UserID
	}
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if err := dateParam(q, d.name, d.dst); err != nil {
			return err
		}
	}
	if fig := q.Get("fig"); fig != "" {
		// The cases behind one figure of an assessment, recomputed in
		// the caller's scope.
		aq, err := assessmentQuery(q, a.store.Now())
		if err != nil {
			return err
		}
		f.Figure = &store.AssessmentFigure{AssessmentQuery: aq, Unit: q.Get("unit"), Figure: fig}
	}
	cs, total, err := a.store.ListCases(r.Context(), act, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(cs, total, p))
	return nil
}

func (a *API) getCase(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	c, err := a.caseByRef(r, act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// caseByRef accepts a case ID or a case number in {id}.
func (a *API) caseByRef(r *http.Request, act civic.Actor) (civic.Case, error) {
	ref := r.PathValue("id")
	if len(ref) >= 15 {
		return a.store.GetCaseByNumber(r.Context(), act, ref)
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return civic.Case{}, civic.NotFound("工单 "+ref, "case "+ref)
	}
	return a.store.GetCase(r.Context(), act, id)
}

// caseAction takes one action on a case; an action the case's state does
// not allow answers 409 with the reason.
func (a *API) caseAction(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	c, err := a.caseByRef(r, act)
	if err != nil {
		return err
	}
	var in struct {
		Action           civic.CaseAction   `json:"action"`
		Note             string             `json:"note"`
		TargetOrgID      int64              `json:"target_org_id"`
		TargetRegionCode string             `json:"target_region_code"`
		CategoryCode     string             `json:"category_code"`
		Satisfaction     civic.Satisfaction `json:"satisfaction"`
		Solved           *bool              `json:"solved"`
		MergeInto        int64              `json:"merge_into"`
		Amount           float64            `json:"amount"`
		RequestID        int64              `json:"request_id"`
		Approve          bool               `json:"approve"`
		WhistleOrgIDs    []int64            `json:"whistle_org_ids"`
		LeadOrgID        int64              `json:"lead_org_id"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if !in.Action.Valid() || in.Action == civic.ActReport {
		return civic.Invalid(civic.FieldErr("action", "未知的操作“%s”", "unknown action %q", in.Action))
	}
	out, err := a.store.ActOnCase(r.Context(), act, c.ID, store.CaseInput{Action: in.Action, Note: in.Note, TargetOrgID: in.TargetOrgID,
		TargetRegionCode: in.TargetRegionCode, CategoryCode: in.CategoryCode, Satisfaction: in.Satisfaction, Solved: in.Solved,
		MergeInto: in.MergeInto, Amount: in.Amount, RequestID: in.RequestID, Approve: in.Approve,
		WhistleOrgIDs: in.WhistleOrgIDs, LeadOrgID: in.LeadOrgID})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// nearbyCases lists open cases of a category near a point, so that a
// resident can join one (附议) instead of filing it again.
func (a *API) nearbyCases(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	lng, err1 := civic.ParseNumber(q.Get("lng"))
	lat, err2 := civic.ParseNumber(q.Get("lat"))
	if err1 != nil || err2 != nil || !(lng >= -180 && lng <= 180 && lat >= -85 && lat <= 85) {
		return civic.Invalid(civic.FieldErr("lng", "请提供经度 lng 和纬度 lat", "give lng and lat as numbers"))
	}
	var radius float64
	if s := q.Get("radius"); s != "" {
		if radius, err = civic.ParseNumber(s); err != nil || !(radius > 0 && radius <= 2000) {
			return civic.Invalid(civic.FieldErr("radius", "半径应为1到2000米", "the radius is from 1 to 2000 metres"))
		}
	}
	crs, err := crsParam(q.Get("crs"))
	if err != nil {
		return err
	}
	ns, err := a.store.NearbyOpenCases(r.Context(), act, geo.Point{Lng: lng, Lat: lat}, crs, q.Get("category"), radius)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ns, len(ns), pageOf(len(ns))))
	return nil
}

func (a *API) joinCase(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		Name  string   `json:"name"`
		Phone string   `json:"phone"`
		Note  string   `json:"note"`
		Lng   *float64 `json:"lng"`
		Lat   *float64 `json:"lat"`
		CRS   string   `json:"crs"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return civic.NotFound("工单 "+r.PathValue("id"), "case "+r.PathValue("id"))
	}
	crs, err := crsParam(in.CRS)
	if err != nil {
		return err
	}
	join := store.JoinInput{Name: in.Name, Phone: in.Phone, Note: in.Note, CRS: crs}
	switch {
	case in.Lng != nil && in.Lat != nil:
		join.Near = &geo.Point{Lng: *in.Lng, Lat: *in.Lat}
	case in.Lng != nil || in.Lat != nil:
		return civic.Invalid(civic.FieldErr("location", "请同时提供经度和纬度", "give both longitude and latitude"))
	}
	c, err := a.store.JoinCase(r.Context(), act, id, join)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) visitCoReporter(w http.ResponseWriter, r *http.Request) error {
	act, err := auth.Actor(r.Context())
	if err != nil {
		return err
	}
	c, err := a.caseByRef(r, act)
	if err != nil {
		return err
	}
	rid, err := strconv.ParseInt(r.PathValue("rid"), 10, 64)
	if err != nil {
		return civic.NotFound("附议人 "+r.PathValue("rid"), "co-reporter "+r.PathValue("rid"))
	}
	var in struct {
		Satisfaction civic.Satisfaction `json:"satisfaction"`
		Solved       *bool              `json:"solved"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Solved == nil {
		return civic.Invalid(civic.FieldErr("solved", "请选择是否已解决", "say whether it was solved"))
	}
	if err := a.store.VisitCoReporter(r.Context(), act, c.ID, rid, in.Satisfaction, *in.Solved); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// caseList serves a list that belongs to one case (its timeline, whistles,
// co-reporters, requests): the case is resolved by ID or number and the
// list read with the caller's rights.
func caseList[T any](a *API, list func(ctx context.Context, act civic.Actor, id int64) ([]T, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		act, err := auth.Actor(r.Context())
		if err != nil {
			return err
		}
		c, err := a.caseByRef(r, act)
		if err != nil {
			return err
		}
		xs, err := list(r.Context(), act, c.ID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, newList(xs, len(xs), pageOf(len(xs))))
		return nil
	}
}
