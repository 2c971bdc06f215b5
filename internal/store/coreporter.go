package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
)

// coReporter reports whether the actor joined the case as a co-reporter.
func coReporter(ctx context.Context, q querier, caseID int64, a civic.Actor) (bool, error) {
	if a.UserID == 0 {
		return false, nil
	}
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM case_reporters WHERE case_id = ? AND user_id = ?`, caseID, a.UserID).Scan(&n); err != nil {
		return false, fmt.Errorf("look up co-reporter: %w", err)
	}
	return n > 0, nil
}

// NearbyRadiusM is how close an open case of the same category must be to
// be offered to a resident before they file a new one.
const NearbyRadiusM = 250

// NearbyOpenCases lists open cases of a category within radius metres of a
// point, nearest first, so that a resident can join one (附议) instead of
// filing the same problem again. Anyone who may report may ask; the answer
// carries nothing personal.
func (s *Store) NearbyOpenCases(ctx context.Context, a civic.Actor, p geo.Point, crs CRS, category string, radiusM float64) ([]civic.NearbyCase, error) {
	if !a.Can(civic.PermCaseReport) && !a.Can(civic.PermCaseRead) {
		return nil, civic.Forbidden()
	}
	if crs == GCJ02 {
		p = geo.GCJ02ToWGS84(p)
	}
	if radiusM <= 0 || radiusM > 2000 {
		radiusM = NearbyRadiusM
	}
	dLat := radiusM / 111320
	dLng := radiusM / (111320 * math.Cos(p.Lat*math.Pi/180))
	q := `SELECT c.id, c.title, c.state, c.lng, c.lat, c.created_at, (SELECT COUNT(*) FROM case_reporters r WHERE r.case_id = c.id)
		FROM cases c WHERE c.has_location = ? AND c.state IN ('reported','accepted','dispatched','in_progress','handled')
		AND c.lng BETWEEN ? AND ? AND c.lat BETWEEN ? AND ?`
	args := []any{true, p.Lng - dLng, p.Lng + dLng, p.Lat - dLat, p.Lat + dLat}
	if category != "" {
		q += ` AND c.category_code = ?`
		args = append(args, category)
	}
	if a.Can(civic.PermCaseRead) && !a.IsSystem() {
		// Staff join only cases they may see: the list offers no others.
		where, sargs := caseScopeClause(a)
		q += " AND " + where
		args = append(args, sargs...)
	}
	rows, err := s.query(ctx, q+` ORDER BY c.id DESC LIMIT 200`, args...)
	if err != nil {
		return nil, fmt.Errorf("nearby cases: %w", err)
	}
	defer rows.Close()
	var out []civic.NearbyCase
	for rows.Next() {
		var n civic.NearbyCase
		var lng, lat float64
		if err := rows.Scan(&n.ID, &n.Title, &n.State, &lng, &lat, &n.CreatedAt, &n.Reporters); err != nil {
			return nil, fmt.Errorf("scan nearby case: %w", err)
		}
		n.CreatedAt = n.CreatedAt.UTC()
		n.DistanceM = geo.Distance(p, geo.Point{Lng: lng, Lat: lat})
		if n.DistanceM > radiusM {
			continue
		}
		n.Number = civic.CaseNumber(n.CreatedAt, n.ID)
		n.Reporters++ // the first reporter
		if !a.IsSystem() {
			n.Title = civic.MaskNumbersInText(n.Title)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DistanceM < out[j].DistanceM })
	if len(out) > 10 {
		out = out[:10]
	}
	return out, nil
}

// JoinInput is a resident adding their voice to an open case.
type JoinInput struct {
	Name, Phone, Note string
	Source            civic.Source
	// Near is where the resident is reporting from (in CRS): a resident
	// may join only an open case within JoinRadiusM of it, as the nearby
	// list and the duplicate finder offered. Staff join only cases they
	// may see, and need no point.
	Near *geo.Point
	CRS  CRS
}

// JoinRadiusM is how far from the resident's point a case they join may
// lie: the widest radius at which the nearby list or the duplicate finder
// offers a case to a resident.
const JoinRadiusM = 2000

// JoinCase adds the actor as a co-reporter (附议) of an open case: they see
// it among their own cases, are visited and rate separately. Joining twice
// is harmless.
//
// A case ID alone does not let anyone join: staff must already see the
// case, and a resident must give the point they report from, within
// JoinRadiusM of the case's place. Joining is what gives a resident sight
// of someone else's case (extraAccess), so without this check any case
// could be read by guessing its ID.
func (s *Store) JoinCase(ctx context.Context, a civic.Actor, id int64, in JoinInput) (civic.Case, error) {
	if a.UserID == 0 || !a.Can(civic.PermCaseReport) {
		return civic.Case{}, civic.Forbidden()
	}
	if in.Phone != "" && !civic.ValidPhone(in.Phone) {
		return civic.Case{}, civic.Invalid(civic.FieldErr("phone", "联系电话格式不正确", "the phone number is not valid"))
	}
	// The note is what the resident wrote in the report form's description.
	in.Name, in.Note = strings.TrimSpace(in.Name), strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(in.Name) > MaxReporterName {
		return civic.Case{}, civic.Invalid(civic.FieldErr("name", "反映人姓名不超过%d字", "the reporter's name is at most %d characters", MaxReporterName))
	}
	if utf8.RuneCountInString(in.Note) > MaxDescription {
		return civic.Case{}, civic.Invalid(civic.FieldErr("note", "附议说明不超过%d字", "the note is at most %d characters", MaxDescription))
	}
	if in.Near != nil {
		p := *in.Near
		if math.IsNaN(p.Lng) || math.IsNaN(p.Lat) || p.Lng < -180 || p.Lng > 180 || p.Lat < -85 || p.Lat > 85 {
			return civic.Case{}, civic.Invalid(civic.FieldErr("location", "位置坐标无效", "the location is not a valid point"))
		}
		if in.CRS == GCJ02 {
			p = geo.GCJ02ToWGS84(p)
		}
		in.Near = &p
	}
	if in.Source == "" {
		in.Source = civic.SourceResident
	}
	err := s.write(ctx, func(tx *Tx) error {
		c, err := scanCase(tx.queryRow(ctx, `SELECT `+caseCols+caseFrom+` WHERE c.id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return caseNotFound(id)
		}
		if err != nil {
			return fmt.Errorf("read case %d: %w", id, err)
		}
		if c.ReporterID == a.UserID {
			return nil
		}
		if ok, err := coReporter(ctx, tx, id, a); err != nil || ok {
			return err
		}
		if err := mayJoin(ctx, tx, a, c, in.Near); err != nil {
			return err
		}
		if !a.Can(civic.PermCaseRead) {
			if err := tx.joinLimit(ctx, a); err != nil {
				return err
			}
		}
		state := string(c.State)
		if !civic.CaseState(state).Open() || state == string(civic.StateClosed) {
			return civic.Errorf(civic.EConflict, "该工单已办结，不能再附议，请重新上报", "the case is finished; file a new report instead")
		}
		name := in.Name
		if name == "" {
			name = a.Username
		}
		phone, phoneHash, err := s.sealCasePhone(in.Phone)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO case_reporters (case_id, user_id, name, phone, phone_hash, source, joined_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, a.UserID, name, phone, phoneHash, string(in.Source), tx.now, in.Note); err != nil {
			return fmt.Errorf("join case %d: %w", id, err)
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM case_reporters WHERE case_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		return tx.addEvent(ctx, a, id, civic.ActComment, civic.CaseState(state), civic.CaseState(state),
			fmt.Sprintf("新增附议（共%d人反映同一问题）%s", n+1, in.Note), true, `{"joined":true}`)
	})
	if err != nil {
		return civic.Case{}, err
	}
	return s.GetCase(ctx, a, id)
}

// MaxJoinsPerDay is how many cases a resident may join (附议) in a day.
// Joining shows them the case, and the point they join from is their own
// word: without a limit, points guessed across a district would read every
// open case in it. Residents of one neighbourhood join a few at most.
const MaxJoinsPerDay = 10

// joinLimit refuses a resident's join beyond MaxJoinsPerDay in 24 hours,
// saying when the next is possible. Reporters moved in by a merge did not
// join and are not counted.
func (tx *Tx) joinLimit(ctx context.Context, a civic.Actor) error {
	// One resident's joins are counted one at a time: on PostgreSQL the
	// user's row is locked, so that joins sent side by side cannot all
	// count the same nine (SQLite has one writer).
	var id int64
	if err := tx.queryRow(ctx, `SELECT id FROM users WHERE id = ?`+tx.s.forUpdate(), a.UserID).Scan(&id); err != nil {
		return fmt.Errorf("lock user %d: %w", a.UserID, err)
	}
	since := tx.now.Add(-24 * time.Hour)
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM case_reporters WHERE user_id = ? AND from_case_id IS NULL AND joined_at > ?`, a.UserID, since).Scan(&n); err != nil {
		return fmt.Errorf("count joins of user %d: %w", a.UserID, err)
	}
	if n < MaxJoinsPerDay {
		return nil
	}
	var oldest time.Time
	// (MIN(joined_at) would lose the column's type on SQLite, so ORDER BY.)
	if err := tx.queryRow(ctx, `SELECT joined_at FROM case_reporters WHERE user_id = ? AND from_case_id IS NULL AND joined_at > ? ORDER BY joined_at LIMIT 1`, a.UserID, since).Scan(&oldest); err != nil {
		return fmt.Errorf("oldest join of user %d: %w", a.UserID, err)
	}
	return civic.Errorf(civic.ETooMany, "每天最多附议%d件工单，请明天再试", "you can join at most %d cases a day; try again tomorrow", MaxJoinsPerDay).After(oldest.Add(24 * time.Hour).Sub(tx.now))
}

// mayJoin decides whether the actor may join case c: staff a case they may
// see, a resident an open case with a place within JoinRadiusM of theirs.
// A case out of reach is not found, as it would be to read.
func mayJoin(ctx context.Context, q querier, a civic.Actor, c civic.Case, near *geo.Point) error {
	if caseVisible(a, c) {
		return nil
	}
	if a.Can(civic.PermCaseRead) {
		if ok, err := summoned(ctx, q, c.ID, a); err != nil || ok {
			return err
		}
		return caseNotFound(c.ID)
	}
	if near == nil {
		return civic.Invalid(civic.FieldErr("location", "请先在地图上标出问题的位置，再附议附近的工单", "mark the place of the problem on the map first, then join a case near it"))
	}
	if !c.HasLocation || geo.Distance(*near, geo.Point{Lng: c.Lng, Lat: c.Lat}) > JoinRadiusM {
		return caseNotFound(c.ID)
	}
	return nil
}

// moveReporters makes the reporters of a merged case co-reporters of the
// survivor, so that every one of them is kept, informed and visited.
func (tx *Tx) moveReporters(ctx context.Context, from civic.Case, into int64) error {
	if from.ReporterID != 0 || from.ReporterName != "" || from.ReporterPhone != "" {
		var uid any
		if from.ReporterID != 0 {
			uid = from.ReporterID
		}
		// An anonymous reporter stays anonymous on the survivor: the row
		// keeps who they are (they are told of progress and may rate),
		// CaseReporters shows them to no one else.
		// The phone moves as it is stored (sealed), with its hash.
		var phone, phoneHash string
		if err := tx.queryRow(ctx, `SELECT reporter_phone, reporter_phone_hash FROM cases WHERE id = ?`, from.ID).Scan(&phone, &phoneHash); err != nil {
			return fmt.Errorf("read reporter phone of case %d: %w", from.ID, err)
		}
		if _, err := tx.exec(ctx, `INSERT INTO case_reporters (case_id, from_case_id, user_id, name, phone, phone_hash, source, joined_at, note, anonymous) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			into, from.ID, uid, from.ReporterName, phone, phoneHash, string(from.Source), tx.now, from.Title, from.Anonymous); err != nil {
			return fmt.Errorf("move reporter of case %d: %w", from.ID, err)
		}
	}
	if _, err := tx.exec(ctx, `UPDATE case_reporters SET case_id = ?, from_case_id = COALESCE(from_case_id, ?) WHERE case_id = ?`, into, from.ID, from.ID); err != nil {
		return fmt.Errorf("move co-reporters of case %d: %w", from.ID, err)
	}
	return nil
}

// CaseReporters lists a case's co-reporters; phones are masked as the
// case's reporter phone would be for this viewer.
func (s *Store) CaseReporters(ctx context.Context, a civic.Actor, id int64) ([]civic.CoReporter, error) {
	c, err := s.GetCase(ctx, a, id)
	if err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT id, case_id, COALESCE(from_case_id, 0), COALESCE(user_id, 0), name, phone, source, joined_at, note, satisfaction, solved, visited_at, anonymous
		FROM case_reporters WHERE case_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("case %d reporters: %w", id, err)
	}
	defer rows.Close()
	var out []civic.CoReporter
	for rows.Next() {
		var r civic.CoReporter
		var solved sql.NullBool
		var visited sql.NullTime
		var anonymous bool
		if err := rows.Scan(&r.ID, &r.CaseID, &r.FromCaseID, &r.UserID, &r.Name, &r.Phone, &r.Source, &r.JoinedAt, &r.Note, &r.Satisfaction, &solved, &visited, &anonymous); err != nil {
			return nil, fmt.Errorf("scan co-reporter: %w", err)
		}
		r.JoinedAt = r.JoinedAt.UTC()
		r.Phone = s.openCasePhone(r.Phone)
		if solved.Valid {
			r.Solved = &solved.Bool
		}
		if visited.Valid {
			t := visited.Time.UTC()
			r.VisitedAt = &t
		}
		r.Anonymous = anonymous
		if r.UserID != a.UserID || a.UserID == 0 {
			// Mask exactly as the case's own reporter is masked for a.
			probe := civic.Case{ReporterID: r.UserID, ReporterName: r.Name, ReporterPhone: r.Phone, Anonymous: anonymous}
			s.maskCase(a, &probe)
			r.Name, r.Phone, r.UserID = probe.ReporterName, probe.ReporterPhone, probe.ReporterID
			if !a.Can(civic.PermCaseRead) {
				r.Name, r.Phone, r.UserID = "", "", 0
			}
		}
		out = append(out, r)
	}
	_ = c
	return out, rows.Err()
}

// VisitCoReporter records one co-reporter's rating: by the co-reporter
// themselves, or by staff who make return visits, once the case is closed.
func (s *Store) VisitCoReporter(ctx context.Context, a civic.Actor, caseID, reporterID int64, sat civic.Satisfaction, solved bool) error {
	if !sat.Valid() {
		return civic.Invalid(civic.FieldErr("satisfaction", "请选择满意度", "choose the satisfaction"))
	}
	c, err := s.GetCase(ctx, a, caseID)
	if err != nil {
		return err
	}
	if c.State != civic.StateClosed && c.State != civic.StateVisited {
		return civic.Errorf(civic.EConflict, "工单办结后才能回访评价", "a case is rated once it is closed")
	}
	return s.write(ctx, func(tx *Tx) error {
		var uid sql.NullInt64
		var at sql.NullTime
		err := tx.queryRow(ctx, `SELECT user_id, visited_at FROM case_reporters WHERE id = ? AND case_id = ?`, reporterID, caseID).Scan(&uid, &at)
		if errors.Is(err, sql.ErrNoRows) {
			return civic.NotFound(fmt.Sprintf("附议人 %d", reporterID), fmt.Sprintf("co-reporter %d", reporterID))
		}
		if err != nil {
			return fmt.Errorf("read co-reporter: %w", err)
		}
		self := uid.Valid && uid.Int64 == a.UserID && a.UserID != 0
		if !self && !(a.Can(civic.PermCaseVisit) && (a.InScope(c.RegionCode) || a.Role == civic.RoleOperator)) {
			return civic.Forbidden()
		}
		if at.Valid {
			return civic.Errorf(civic.EConflict, "该附议人已评价", "this co-reporter has rated already")
		}
		if _, err := tx.exec(ctx, `UPDATE case_reporters SET satisfaction = ?, solved = ?, visited_at = ? WHERE id = ?`, string(sat), solved, tx.now, reporterID); err != nil {
			return fmt.Errorf("rate as co-reporter: %w", err)
		}
		return tx.addEvent(ctx, a, caseID, civic.ActComment, c.State, c.State,
			fmt.Sprintf("附议人回访：%s，%s", sat.Label().ZH, map[bool]string{true: "已解决", false: "未解决"}[solved]), false,
			fmt.Sprintf(`{"co_reporter":%d,"satisfaction":%q,"solved":%v,"at":%q}`, reporterID, sat, solved, tx.now.Format(time.RFC3339)))
	})
}
