package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
)

// NewCase is a submission from any channel.
type NewCase struct {
	// IdempotencyKey makes a retried submission return the first case
	// instead of creating a second one.
	IdempotencyKey string
	Source         civic.Source
	CategoryCode   string // "" = the reporter does not know
	Title          string
	Description    string
	Address        string
	HasLocation    bool
	Lng, Lat       float64
	CRS            CRS
	// RegionCode names the region when there is no location (a hotline
	// call, a place QR code); a location wins when both are given.
	RegionCode    string
	ReporterName  string
	ReporterPhone string
	Anonymous     bool
	// PlaceToken is the code of a place QR (场所二维码) the report came
	// through: it fills the region and, unless the reporter picked one, the
	// location.
	PlaceToken string
	// HouseID files the case from a house (see resolveHousehold for who
	// may name which): its address, point and grid fill what the reporter
	// left empty, and a property rule reaches its compound's company.
	// PersonID files it for a registered person.
	HouseID  int64
	PersonID int64
	// AnsweredDirectly closes a hotline consultation at once with Answer.
	AnsweredDirectly bool
	Answer           string
	// CategoryFromModel says the reporter left the category to the
	// triage model's suggestion: the case takes it when the model is
	// confident enough (TriageSettings.Threshold), else it waits for a
	// dispatcher without one. CategoryCode is then ignored.
	CategoryFromModel bool

	// titleDerived says the reporter gave no title and it was taken from
	// the description (headline): the triage model then reads the
	// message as it came, like the letters it learnt from.
	titleDerived bool
}

// MaxDescription is the longest description a case may have, in
// characters. Letters to a city's message board run long: of the 2,237 in
// ../shared/data/messages/train.csv one in ten is over 900 characters and
// the longest 6,105, so the limit is well above them. The intake forms
// say the same (maxlength), so a pasted letter is never cut short unseen.
const MaxDescription = 10000

// The other free text a case keeps, in characters. MaxAddress is the
// widest edge's: the report form asks for at most 200, Open311's
// address_string takes 300, and a place code's name and address (60 + 200)
// fill an empty one before the check. MaxReporterName is twice the form's
// 50, for Open311's first and last names of up to 50 each, joined (two
// Latin halves of 50 with their space make 101, which Open311 clips to
// this limit rather than refuse a request the specification allows). A
// hotline answer is a note on the case, and MaxNote bounds every note.
const (
	MaxAddress      = 300
	MaxReporterName = 100
	MaxNote         = 4000
)

func (n *NewCase) validate(a civic.Actor) error {
	n.Title = strings.TrimSpace(n.Title)
	n.Description = strings.TrimSpace(n.Description)
	n.ReporterPhone = strings.TrimSpace(n.ReporterPhone)
	n.Address, n.ReporterName, n.Answer = strings.TrimSpace(n.Address), strings.TrimSpace(n.ReporterName), strings.TrimSpace(n.Answer)
	var fs []civic.FieldError
	if n.Title == "" && n.Description != "" {
		// Most letters to a city come without one (four in five of
		// ../shared/data/messages/train.csv): the first sentence serves.
		n.Title, n.titleDerived = headline(n.Description), true
	}
	if n.Title == "" {
		fs = append(fs, civic.FieldErr("title", "请写明反映的问题：一句话概括，或填写详细描述", "say what the problem is: a one-line title or the details"))
	} else if utf8.RuneCountInString(n.Title) > 100 {
		fs = append(fs, civic.FieldErr("title", "请用一句话概括问题（不超过100字）", "sum the problem up in one line (at most 100 characters)"))
	}
	if utf8.RuneCountInString(n.Description) > MaxDescription {
		fs = append(fs, civic.FieldErr("description", "问题描述不超过%d字", "the description is at most %d characters", MaxDescription))
	}
	if utf8.RuneCountInString(n.Address) > MaxAddress {
		fs = append(fs, civic.FieldErr("address", "地址不超过%d字", "the address is at most %d characters", MaxAddress))
	}
	if utf8.RuneCountInString(n.ReporterName) > MaxReporterName {
		fs = append(fs, civic.FieldErr("reporter_name", "反映人姓名不超过%d字", "the reporter's name is at most %d characters", MaxReporterName))
	}
	if !n.Source.Valid() {
		fs = append(fs, civic.FieldErr("source", "来源渠道无效", "unknown source channel"))
	}
	if n.CRS != "" && n.CRS != WGS84 && n.CRS != GCJ02 {
		// A Baidu (bd09) point read as WGS-84 lands hundreds of metres off.
		fs = append(fs, civic.FieldErr("crs", "坐标系应为 wgs84 或 gcj02", "the coordinate system must be wgs84 or gcj02"))
	}
	if n.HasLocation && (n.Lng < -180 || n.Lng > 180 || n.Lat < -90 || n.Lat > 90 || n.Lng != n.Lng || n.Lat != n.Lat) {
		fs = append(fs, civic.FieldErr("location", "位置坐标超出范围", "the location is out of range"))
	}
	if !n.HasLocation && n.RegionCode == "" {
		fs = append(fs, civic.FieldErr("location", "请在地图上选择位置，或选择所在区域", "pick the place on the map or choose the area"))
	}
	if n.ReporterPhone != "" && !civic.ValidPhone(n.ReporterPhone) {
		fs = append(fs, civic.FieldErr("reporter_phone", "联系电话格式不正确", "the phone number is not valid"))
	}
	if n.Source == civic.SourceHotline && n.ReporterPhone == "" {
		fs = append(fs, civic.FieldErr("reporter_phone", "请填写来电号码", "enter the caller's number"))
	}
	if n.AnsweredDirectly && n.Answer == "" {
		fs = append(fs, civic.FieldErr("answer", "请填写答复内容", "write the answer given"))
	} else if utf8.RuneCountInString(n.Answer) > MaxNote {
		fs = append(fs, civic.FieldErr("answer", "答复内容不超过%d字", "the answer is at most %d characters", MaxNote))
	}
	if len(n.IdempotencyKey) > 100 {
		fs = append(fs, civic.FieldErr("idempotency_key", "幂等键不超过100个字符", "the idempotency key is at most 100 characters"))
	}
	if len(fs) > 0 {
		return civic.Invalid(fs...)
	}
	// Channels belong to roles: only operators take calls, only staff
	// report from patrols.
	switch n.Source {
	case civic.SourceHotline:
		if a.Role != civic.RoleOperator && a.Role != civic.RoleAdmin && !a.IsSystem() {
			return civic.Forbidden()
		}
	case civic.SourcePatrol:
		if !a.Can(civic.PermCaseRead) {
			return civic.Forbidden()
		}
	}
	if n.AnsweredDirectly && n.Source != civic.SourceHotline {
		return civic.Invalid(civic.FieldErr("answered_directly", "只有热线来电可以直接答复", "only hotline calls can be answered directly"))
	}
	return nil
}

// preparedCase is a validated submission with everything decided that can
// be decided outside the write transaction: region, rules, routing.
type preparedCase struct {
	a      civic.Actor
	n      NewCase
	region string
	deputy string // a deputy's title and name: priority
	rules  caseRules
	route  routing
	lng    float64
	lat    float64
	// report is the report event's data: the place code and compound
	// the case came through, which routing it again needs.
	report string
	// triage is what the active model suggested, recorded with the case.
	triage *triageIntake
}

// prepare validates and routes a submission. It reads but never writes.
func (s *Store) prepareCase(ctx context.Context, a civic.Actor, loc *Locator, n NewCase) (*preparedCase, error) {
	if !a.Can(civic.PermCaseReport) {
		return nil, civic.Forbidden()
	}
	var pl casePlace
	report := ""
	if n.PlaceToken != "" {
		place, err := s.PlaceByToken(ctx, n.PlaceToken)
		if err != nil {
			return nil, civic.Invalid(civic.FieldErr("place", "该场所二维码已失效，请直接选择位置", "this place code is no longer valid; pick the place instead"))
		}
		n.Source, n.RegionCode = civic.SourceQR, place.RegionCode
		if !n.HasLocation && place.HasLocation {
			n.HasLocation, n.Lng, n.Lat, n.CRS = true, place.Lng, place.Lat, WGS84
		}
		if n.Address == "" {
			n.Address = strings.TrimSpace(place.Name + " " + place.Address)
		}
		if place.CompoundID != 0 {
			pl.compoundID, pl.via = place.CompoundID, "place_code"
			report = fmt.Sprintf(`{"place_code":%d,"compound_id":%d}`, place.ID, place.CompoundID)
		} else {
			report = fmt.Sprintf(`{"place_code":%d}`, place.ID)
		}
	}
	houseRegion, err := s.resolveHousehold(ctx, a, &n, &pl)
	if err != nil {
		return nil, err
	}
	if err := n.validate(a); err != nil {
		return nil, err
	}
	p := &preparedCase{a: a, n: n, report: report}
	if p.deputy, err = s.screenCaller(ctx, a, n.ReporterPhone); err != nil {
		return nil, err
	}
	if houseRegion != "" {
		// Filed at home without a location: the house's grid, and the
		// building's point if it has one.
		p.region, p.lng, p.lat = houseRegion, n.Lng, n.Lat
	} else if n.HasLocation {
		pt := geo.Point{Lng: n.Lng, Lat: n.Lat}
		if n.CRS == GCJ02 {
			pt = geo.GCJ02ToWGS84(pt)
		}
		p.lng, p.lat = pt.Lng, pt.Lat
		code, err := loc.Locate(ctx, pt, WGS84)
		if err != nil {
			return nil, err
		}
		if code == "" {
			return nil, civic.Invalid(civic.FieldErr("location", "该位置不在本平台的服务范围内", "this place lies outside the area served"))
		}
		p.region = code
	} else {
		ok, err := regionExists(ctx, s, p.n.RegionCode)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, civic.Invalid(civic.FieldErr("region_code", "区域“%s”不存在", "region %q does not exist", p.n.RegionCode))
		}
		p.region = p.n.RegionCode
	}
	// Staff file cases in their own territory; residents anywhere.
	if a.Can(civic.PermCaseRead) && !a.InScope(p.region) && a.Scope.OrgID == 0 && a.Role != civic.RoleOperator {
		return nil, civic.OutOfScope("location", "事发地不在您的管辖范围内", "the place is outside your scope")
	}
	if err := s.triageCase(ctx, p); err != nil {
		return nil, err
	}
	if p.rules, err = rulesFor(ctx, s, p.n.CategoryCode); err != nil {
		return nil, err
	}
	pl.region, pl.hasLoc, pl.pt = p.region, n.HasLocation, geo.Point{Lng: p.lng, Lat: p.lat}
	if p.rules.Known && p.rules.Accepted {
		if p.route, err = route(ctx, s, pl, p.rules); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// insertCase writes a prepared case and its first events inside tx and
// returns its ID; if the idempotency key was seen before it returns the
// existing case's ID and true.
func (tx *Tx) insertCase(ctx context.Context, p *preparedCase) (int64, bool, error) {
	n := p.n
	// Keys are the submitter's: the same key from someone else is another
	// submission, and nobody can fetch another's case by guessing keys.
	key := ""
	if n.IdempotencyKey != "" {
		key = fmt.Sprintf("%d:%s", p.a.UserID, n.IdempotencyKey)
	}
	if key != "" {
		var id int64
		var title, desc string
		var created time.Time
		err := tx.queryRow(ctx, `SELECT id, title, description, created_at FROM cases WHERE idempotency_key = ?`, key).Scan(&id, &title, &desc, &created)
		if err == nil {
			// A retry sends the same report. Different words under the
			// same key are another report the client thinks it filed:
			// say so, rather than answer with the first and drop it.
			if title != n.Title || desc != n.Description {
				return 0, false, civic.Errorf(civic.EConflict, "这个幂等键已用于另一份内容不同的上报（工单 %s），本次内容没有保存；请换一个键重新提交",
					"this idempotency key was used for a different report (case %s); this one was not saved — submit it again with a new key", civic.CaseNumber(created.UTC(), id))
			}
			return id, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, false, fmt.Errorf("look up idempotency key: %w", err)
		}
	}
	c := civic.Case{State: civic.StateReported, CreatedAt: tx.now, CategoryCode: n.CategoryCode}
	var reporterID any
	if p.a.UserID != 0 && (n.Source == civic.SourceResident || n.Source == civic.SourceQR || n.Source == civic.SourceAPI || n.Source == civic.SourcePatrol) {
		reporterID = p.a.UserID
	}
	reporterName := n.ReporterName
	if reporterName == "" && reporterID != nil {
		// The account's name, as staff know the person; the login name
		// only when it has none.
		reporterName = p.a.DisplayName
		if reporterName == "" {
			reporterName = p.a.Username
		}
	}
	var keyArg any
	if key != "" {
		keyArg = key
	}
	now := tx.now
	var orgID any
	handlerRegion := ""
	switch {
	case n.AnsweredDirectly:
		c.State = civic.StateClosed
		c.ClosedAt = &now
	case p.rules.Known && !p.rules.Accepted:
		c.State = civic.StateRejected
	case p.route.found():
		c.State = civic.StateDispatched
		c.DispatchedAt = &now
		if p.route.OrgID != 0 {
			orgID = p.route.OrgID
		}
		handlerRegion = p.route.RegionCode
	}
	priority := 0
	if p.deputy != "" {
		priority = 1
	}
	cal, err := tx.s.workCalendar(ctx)
	if err != nil {
		return 0, false, err
	}
	dues(cal, p.rules, &c, nil)
	nextAlert := firstAlert(schedule(cal, p.rules, &c, nil))
	phone, phoneHash, err := tx.s.sealCasePhone(n.ReporterPhone)
	if err != nil {
		return 0, false, err
	}
	id, err := tx.insertID(ctx, `INSERT INTO cases (state, category_code, request_type, title, description, source, has_location, lng, lat, address,
			region_code, reporter_id, reporter_name, reporter_phone, reporter_phone_hash, anonymous, handler_org_id, handler_region_code, priority,
			dispatched_at, closed_at, claim_due, feedback_due, complete_due, visit_due, next_alert_at, idempotency_key, created_at, updated_at, house_id, person_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(c.State), n.CategoryCode, p.rules.Type, n.Title, n.Description, string(n.Source), n.HasLocation, p.lng, p.lat, n.Address,
		p.region, reporterID, reporterName, phone, phoneHash, n.Anonymous, orgID, handlerRegion, priority,
		nullTime(c.DispatchedAt), nullTime(c.ClosedAt), nullTime(c.ClaimDue), nullTime(c.FeedbackDue), nullTime(c.CompleteDue), nullTime(c.VisitDue),
		nullTime(nextAlert), keyArg, now, now, nullID(n.HouseID), nullID(n.PersonID))
	if err != nil {
		return 0, false, fmt.Errorf("insert case: %w", err)
	}
	if tx.known == nil {
		tx.known = map[int64]caseBrief{}
	}
	b := caseBrief{title: n.Title, region: p.region, handlerRegion: handlerRegion, created: now, category: n.CategoryCode, source: string(n.Source)}
	if v, ok := orgID.(int64); ok {
		b.handlerOrg = sql.NullInt64{Int64: v, Valid: true}
	}
	if v, ok := reporterID.(int64); ok {
		b.reporter = sql.NullInt64{Int64: v, Valid: true}
	}
	tx.known[id] = b
	if err := tx.indexCase(ctx, id, n.Title+" "+n.Description+" "+n.Address, p.region); err != nil {
		return 0, false, err
	}
	if err := tx.addEvent(ctx, p.a, id, civic.ActReport, "", civic.StateReported, n.Source.Label().ZH, true, p.report); err != nil {
		return 0, false, err
	}
	if p.deputy != "" {
		if err := tx.addEvent(ctx, civic.System, id, civic.ActComment, civic.StateReported, civic.StateReported,
			"两代表一委员反映（"+p.deputy+"），优先办理", false, `{"priority":"deputy"}`); err != nil {
			return 0, false, err
		}
	}
	if err := tx.recordTriage(ctx, p, id, c.State == civic.StateDispatched); err != nil {
		return 0, false, err
	}
	switch c.State {
	case civic.StateClosed:
		err = tx.addEvent(ctx, p.a, id, civic.ActAnswer, civic.StateReported, civic.StateClosed, n.Answer, true, "")
	case civic.StateRejected:
		err = tx.addEvent(ctx, p.a, id, civic.ActReject, civic.StateReported, civic.StateRejected, p.rules.NotAcceptedReason, true, `{"rule":"not_accepted"}`)
	case civic.StateDispatched:
		err = tx.addEvent(ctx, civic.System, id, civic.ActDispatch, civic.StateReported, civic.StateDispatched,
			"已派发至"+p.route.Name+"："+p.route.Why.ZH, true, withDispatchTerms(p.route.data(), c))
	}
	return id, false, err
}

// SubmitCase files one case in its own transaction. Servers use an Intake,
// which batches concurrent submissions into shared commits.
func (s *Store) SubmitCase(ctx context.Context, a civic.Actor, loc *Locator, n NewCase) (civic.Case, bool, error) {
	p, err := s.prepareCase(ctx, a, loc, n)
	if err != nil {
		return civic.Case{}, false, err
	}
	var id int64
	var existing bool
	err = s.write(ctx, func(tx *Tx) error {
		id, existing, err = tx.insertCase(ctx, p)
		return err
	})
	if err != nil {
		return civic.Case{}, false, err
	}
	c, err := s.submittedCase(ctx, a, id)
	return c, existing, err
}

// submittedCase reads back a case for the one who just filed it (who may be
// anonymous and so not otherwise allowed to read it).
func (s *Store) submittedCase(ctx context.Context, a civic.Actor, id int64) (civic.Case, error) {
	c, err := s.GetCase(ctx, civic.System, id)
	if err != nil {
		return c, err
	}
	if a.UserID == 0 || a.UserID != c.ReporterID {
		s.maskCase(a, &c)
	}
	return c, nil
}
