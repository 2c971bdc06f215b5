package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/geo"
)

// Patrols (巡网走格). A worker starts one in a grid of their scope, their
// phone posts the track while the page is open, they note findings, and
// they stop it. The worker and supervisors in scope (community and street
// staff, leaders) see it; only the worker adds to it. Anyone else is told
// it does not exist.

const patrolCols = `p.id, p.grid_code, COALESCE(g.name, ''), p.worker_id, p.worker_name, p.started_at, p.ended_at, p.distance_m, p.points, p.findings, p.note`
const patrolFrom = ` FROM patrols p LEFT JOIN regions g ON g.code = p.grid_code`

func scanPatrol(sc interface{ Scan(...any) error }) (civic.Patrol, error) {
	var p civic.Patrol
	var ended sql.NullTime
	err := sc.Scan(&p.ID, &p.GridCode, &p.GridName, &p.WorkerID, &p.WorkerName, &p.StartedAt, &ended, &p.DistanceM, &p.Points, &p.Findings, &p.Note)
	p.StartedAt = p.StartedAt.UTC()
	if ended.Valid {
		t := ended.Time.UTC()
		p.EndedAt = &t
	}
	return p, err
}

func patrolNotFound(id int64) error {
	return civic.NotFound(fmt.Sprintf("巡查记录 %d", id), fmt.Sprintf("patrol %d", id))
}

// seesPatrol reports whether a may read p: their own, or any in scope for
// a supervisor.
func seesPatrol(a civic.Actor, p civic.Patrol) bool {
	if a.IsSystem() {
		return true
	}
	if !a.InScope(p.GridCode) {
		return false
	}
	return (p.WorkerID == a.UserID && a.Can(civic.PermPatrol)) || a.Can(civic.PermPatrolSupervise)
}

// readPatrol loads a patrol a may see, from the read pool or inside tx.
func readPatrol(ctx context.Context, q querier, a civic.Actor, id int64) (civic.Patrol, error) {
	p, err := scanPatrol(q.queryRow(ctx, `SELECT `+patrolCols+patrolFrom+` WHERE p.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !seesPatrol(a, p)) {
		return civic.Patrol{}, patrolNotFound(id)
	}
	if err != nil {
		return civic.Patrol{}, fmt.Errorf("read patrol %d: %w", id, err)
	}
	return p, nil
}

// ownPatrol loads a patrol for its worker to add to: someone else who may
// see it is refused, anyone else is told it does not exist.
func ownPatrol(ctx context.Context, tx *Tx, a civic.Actor, id int64) (civic.Patrol, error) {
	p, err := readPatrol(ctx, tx, a, id)
	if err != nil {
		return p, err
	}
	if p.WorkerID != a.UserID {
		return p, civic.Errorf(civic.EForbidden, "只有巡查人本人可以记录这次巡查", "only the worker on this patrol can add to it")
	}
	if !p.Open() {
		return p, civic.Errorf(civic.EConflict, "这次巡查已于%s结束", "this patrol ended at %s", p.EndedAt.In(civic.ChinaTime).Format("2006-01-02 15:04"))
	}
	return p, nil
}

// GetPatrol returns a patrol the actor may see.
func (s *Store) GetPatrol(ctx context.Context, a civic.Actor, id int64) (civic.Patrol, error) {
	if !a.Can(civic.PermPatrol) && !a.Can(civic.PermPatrolSupervise) {
		return civic.Patrol{}, civic.Forbidden()
	}
	return readPatrol(ctx, s, a, id)
}

// OpenPatrol returns the actor's patrol in progress, if any.
func (s *Store) OpenPatrol(ctx context.Context, a civic.Actor) (civic.Patrol, bool, error) {
	if err := a.Must(civic.PermPatrol); err != nil {
		return civic.Patrol{}, false, err
	}
	p, err := scanPatrol(s.queryRow(ctx, `SELECT `+patrolCols+patrolFrom+` WHERE p.worker_id = ? AND p.ended_at IS NULL`, a.UserID))
	if errors.Is(err, sql.ErrNoRows) {
		return civic.Patrol{}, false, nil
	}
	if err != nil {
		return civic.Patrol{}, false, fmt.Errorf("read open patrol: %w", err)
	}
	return p, true, nil
}

// StartPatrol opens a patrol of the actor in a grid of their scope; grid
// "" means the actor's own scope, which for a grid worker is their grid. A
// worker with a patrol still open is refused: they stop it first.
func (s *Store) StartPatrol(ctx context.Context, a civic.Actor, grid string) (civic.Patrol, error) {
	if err := a.Must(civic.PermPatrol); err != nil {
		return civic.Patrol{}, err
	}
	if grid = strings.TrimSpace(grid); grid == "" {
		grid = a.Scope.RegionCode
	}
	if !a.InScope(grid) {
		return civic.Patrol{}, gridOutOfScope(ctx, s, grid)
	}
	var id int64
	err := s.write(ctx, func(tx *Tx) error {
		var lvl int
		err := tx.queryRow(ctx, `SELECT level FROM regions WHERE code = ?`, grid).Scan(&lvl)
		if errors.Is(err, sql.ErrNoRows) {
			return civic.Invalid(civic.FieldErr("grid_code", "网格“%s”不存在", "grid %q does not exist", grid))
		}
		if err != nil {
			return fmt.Errorf("look up grid %s: %w", grid, err)
		}
		if l := civic.Level(lvl); l != civic.LevelGrid && l != civic.LevelMicroGrid {
			return civic.Invalid(civic.FieldErr("grid_code", "请选择要巡查的网格", "choose the grid to patrol"))
		}
		var started time.Time
		err = tx.queryRow(ctx, `SELECT started_at FROM patrols WHERE worker_id = ? AND ended_at IS NULL`, a.UserID).Scan(&started)
		if err == nil {
			return openPatrolConflict(started)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("look up open patrol: %w", err)
		}
		name := a.DisplayName
		if name == "" {
			name = a.Username
		}
		id, err = tx.insertID(ctx, `INSERT INTO patrols (grid_code, worker_id, worker_name, started_at) VALUES (?, ?, ?, ?)`, grid, a.UserID, name, tx.now)
		if isUniqueViolation(err) {
			// Another start of the same worker won the race.
			return openPatrolConflict(tx.now)
		}
		if err != nil {
			return fmt.Errorf("insert patrol: %w", err)
		}
		return tx.audit(ctx, a, "patrol.start", "patrol", id, grid, nil, map[string]any{"grid_code": grid})
	})
	if err != nil {
		return civic.Patrol{}, err
	}
	return s.GetPatrol(ctx, a, id)
}

func openPatrolConflict(started time.Time) error {
	at := started.In(civic.ChinaTime).Format("2006-01-02 15:04")
	return civic.Errorf(civic.EConflict, "您有一次巡查正在进行（%s开始），请先结束它再开始新的巡查", "you have a patrol in progress (started %s); stop it before starting another", at)
}

// AddTrack stores a batch of track points of the actor's open patrol. Points
// whose sequence number is already stored are skipped, so a batch sent
// again is harmless; it returns how many were new. The patrol's distance and
// point count are brought up to date. A point's time is stored in UTC
// whatever offset the phone sent (ValidateTrack converts it, and cleanArgs
// would): SQLite compares times as text.
func (s *Store) AddTrack(ctx context.Context, a civic.Actor, patrolID int64, pts []civic.TrackPoint) (int, error) {
	if err := a.Must(civic.PermPatrol); err != nil {
		return 0, err
	}
	added := 0
	err := s.write(ctx, func(tx *Tx) error {
		added = 0 // write may run this again
		p, err := ownPatrol(ctx, tx, a, patrolID)
		if err != nil {
			return err
		}
		if err := civic.ValidateTrack(pts, p.StartedAt, tx.now); err != nil {
			return err
		}
		for _, pt := range pts {
			res, err := tx.exec(ctx, `INSERT INTO patrol_points (patrol_id, seq, lng, lat, accuracy, at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (patrol_id, seq) DO NOTHING`, patrolID, pt.Seq, pt.Lng, pt.Lat, pt.Accuracy, pt.At)
			if err != nil {
				return fmt.Errorf("insert track point %d: %w", pt.Seq, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				added++
			}
		}
		if added == 0 {
			return nil
		}
		// Track points are not audited one by one: they are the
		// patrol's own record, and the start and stop are audited.
		return tx.updatePatrolTotals(ctx, patrolID)
	})
	return added, err
}

// updatePatrolTotals recomputes a patrol's point count and distance from
// its track.
func (tx *Tx) updatePatrolTotals(ctx context.Context, patrolID int64) error {
	pts, err := readTrack(ctx, tx, patrolID)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `UPDATE patrols SET points = ?, distance_m = ? WHERE id = ?`, len(pts), TrackDistance(pts), patrolID)
	if err != nil {
		return fmt.Errorf("update patrol %d totals: %w", patrolID, err)
	}
	return nil
}

// MaxWalkSpeed is the fastest a patrol moves, in metres per second (an
// electric bike in town): a point that would need more is a GPS jump and
// is left out of the distance.
const MaxWalkSpeed = 15.0

// TrackDistance is the length in metres of a track in sequence order,
// leaving out points less accurate than civic.MaxTrackAccuracy and points
// reached faster than MaxWalkSpeed from the last point counted.
func TrackDistance(pts []civic.TrackPoint) float64 {
	total := 0.0
	var last *civic.TrackPoint
	for i := range pts {
		pt := &pts[i]
		if !pt.Usable() {
			continue
		}
		if last != nil {
			d := geo.Distance(geo.Point{Lng: last.Lng, Lat: last.Lat}, geo.Point{Lng: pt.Lng, Lat: pt.Lat})
			// Points a second or less apart are judged as a second.
			dt := max(pt.At.Sub(last.At).Seconds(), 1)
			if d/dt > MaxWalkSpeed {
				continue
			}
			total += d
		}
		last = pt
	}
	return total
}

func readTrack(ctx context.Context, q querier, patrolID int64) ([]civic.TrackPoint, error) {
	rows, err := q.query(ctx, `SELECT seq, lng, lat, accuracy, at FROM patrol_points WHERE patrol_id = ? ORDER BY seq`, patrolID)
	if err != nil {
		return nil, fmt.Errorf("read patrol %d track: %w", patrolID, err)
	}
	defer rows.Close()
	var out []civic.TrackPoint
	for rows.Next() {
		var p civic.TrackPoint
		if err := rows.Scan(&p.Seq, &p.Lng, &p.Lat, &p.Accuracy, &p.At); err != nil {
			return nil, fmt.Errorf("scan track point: %w", err)
		}
		p.At = p.At.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// PatrolTrack returns a patrol's track in sequence order.
func (s *Store) PatrolTrack(ctx context.Context, a civic.Actor, patrolID int64) ([]civic.TrackPoint, error) {
	if _, err := s.GetPatrol(ctx, a, patrolID); err != nil {
		return nil, err
	}
	return readTrack(ctx, s, patrolID)
}

// StopPatrol ends a patrol: its worker stops it, or a supervisor who also
// patrols ends one left open. Its totals are final from then on.
func (s *Store) StopPatrol(ctx context.Context, a civic.Actor, patrolID int64, note string) (civic.Patrol, error) {
	if err := a.Must(civic.PermPatrol); err != nil {
		return civic.Patrol{}, err
	}
	note = strings.TrimSpace(note)
	if len([]rune(note)) > 1000 {
		return civic.Patrol{}, civic.Invalid(civic.FieldErr("note", "巡查小结不超过1000字", "the summary is at most 1000 characters"))
	}
	err := s.write(ctx, func(tx *Tx) error {
		p, err := readPatrol(ctx, tx, a, patrolID)
		if err != nil {
			return err
		}
		if p.WorkerID != a.UserID && !a.Can(civic.PermPatrolSupervise) {
			return civic.Errorf(civic.EForbidden, "只有巡查人本人可以结束这次巡查", "only the worker on this patrol can stop it")
		}
		if !p.Open() {
			return civic.Errorf(civic.EConflict, "这次巡查已经结束", "this patrol has already ended")
		}
		if err := tx.updatePatrolTotals(ctx, patrolID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE patrols SET ended_at = ?, note = ? WHERE id = ?`, tx.now, note, patrolID); err != nil {
			return fmt.Errorf("stop patrol %d: %w", patrolID, err)
		}
		after, err := readPatrol(ctx, tx, a, patrolID)
		if err != nil {
			return err
		}
		return tx.audit(ctx, a, "patrol.stop", "patrol", patrolID, p.GridCode, nil,
			map[string]any{"distance_m": int(after.DistanceM), "points": after.Points, "minutes": int(after.Duration(tx.now).Minutes()), "note": note})
	})
	if err != nil {
		return civic.Patrol{}, err
	}
	return s.GetPatrol(ctx, a, patrolID)
}

// PatrolFilter narrows ListPatrols.
type PatrolFilter struct {
	Under    string
	WorkerID int64
	// Mine lists only the actor's own patrols (what a worker sees).
	Mine     bool
	From, To time.Time // started in [From, To); zero is open
	Page
}

// ListPatrols returns patrols the actor may see, newest first: their own,
// and for supervisors every patrol in scope.
func (s *Store) ListPatrols(ctx context.Context, a civic.Actor, f PatrolFilter) ([]civic.Patrol, int, error) {
	if !a.Can(civic.PermPatrol) && !a.Can(civic.PermPatrolSupervise) {
		return nil, 0, civic.Forbidden()
	}
	where, args := scopeClause(a, "p.grid_code")
	add := func(cond string, v ...any) { where += " AND " + cond; args = append(args, v...) }
	if f.Mine || !a.Can(civic.PermPatrolSupervise) {
		add("p.worker_id = ?", a.UserID)
	}
	if f.Under != "" {
		lo, hi := civic.ScopePrefixRange(f.Under)
		add("p.grid_code >= ? AND p.grid_code < ?", lo, hi)
	}
	if f.WorkerID != 0 {
		add("p.worker_id = ?", f.WorkerID)
	}
	if !f.From.IsZero() {
		add("p.started_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("p.started_at < ?", f.To.UTC())
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM patrols p WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count patrols: %w", err)
	}
	pg := f.Page.normal()
	rows, err := s.query(ctx, `SELECT `+patrolCols+patrolFrom+` WHERE `+where+` ORDER BY p.started_at DESC, p.id DESC LIMIT ? OFFSET ?`, append(args, pg.Limit, pg.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list patrols: %w", err)
	}
	defer rows.Close()
	var out []civic.Patrol
	for rows.Next() {
		p, err := scanPatrol(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan patrol: %w", err)
		}
		out = append(out, p)
	}
	return out, total, rows.Err()
}

const findingCols = `f.id, f.patrol_id, f.grid_code, f.text, f.category_code, f.has_location, f.lng, f.lat, COALESCE(f.case_id, 0), c.created_at, f.created_at`
const findingFrom = ` FROM patrol_findings f LEFT JOIN cases c ON c.id = f.case_id`

func scanFinding(sc interface{ Scan(...any) error }) (civic.Finding, error) {
	var f civic.Finding
	var caseAt sql.NullTime
	err := sc.Scan(&f.ID, &f.PatrolID, &f.GridCode, &f.Text, &f.CategoryCode, &f.HasLocation, &f.Lng, &f.Lat, &f.CaseID, &caseAt, &f.CreatedAt)
	f.CreatedAt = f.CreatedAt.UTC()
	if f.CaseID != 0 && caseAt.Valid {
		f.CaseNumber = civic.CaseNumber(caseAt.Time, f.CaseID)
	}
	return f, err
}

// AddFinding records something the worker found on their open patrol. key,
// when given, makes a retried submission return the first finding.
func (s *Store) AddFinding(ctx context.Context, a civic.Actor, patrolID int64, f civic.Finding, key string) (civic.Finding, error) {
	if err := a.Must(civic.PermPatrol); err != nil {
		return f, err
	}
	if err := f.Validate(); err != nil {
		return f, err
	}
	if len(key) > 100 {
		return f, civic.Invalid(civic.FieldErr("key", "幂等键不超过100个字符", "the idempotency key is at most 100 characters"))
	}
	var id int64
	err := s.write(ctx, func(tx *Tx) error {
		p, err := ownPatrol(ctx, tx, a, patrolID)
		if err != nil {
			if key == "" || civic.ErrorCodeOf(err) != civic.EConflict {
				return err
			}
			// The patrol ended after a finding was sent: its retry
			// still finds the finding.
		}
		if key != "" {
			err := tx.queryRow(ctx, `SELECT id FROM patrol_findings WHERE patrol_id = ? AND client_key = ?`, patrolID, key).Scan(&id)
			if err == nil {
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("look up finding key: %w", err)
			}
			if !p.Open() {
				return civic.Errorf(civic.EConflict, "这次巡查已经结束", "this patrol has already ended")
			}
		}
		if f.CategoryCode != "" {
			if _, err := rulesFor(ctx, tx, f.CategoryCode); err != nil {
				return err
			}
		}
		id, err = tx.insertID(ctx, `INSERT INTO patrol_findings (patrol_id, grid_code, text, category_code, has_location, lng, lat, client_key, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, patrolID, p.GridCode, f.Text, f.CategoryCode, f.HasLocation, f.Lng, f.Lat, key, tx.now)
		if err != nil {
			return fmt.Errorf("insert finding: %w", err)
		}
		if _, err := tx.exec(ctx, `UPDATE patrols SET findings = findings + 1 WHERE id = ?`, patrolID); err != nil {
			return fmt.Errorf("count patrol %d findings: %w", patrolID, err)
		}
		f.ID, f.PatrolID, f.GridCode = id, patrolID, p.GridCode
		return tx.audit(ctx, a, "patrol.finding", "patrol", patrolID, p.GridCode, nil, f)
	})
	if err != nil {
		return civic.Finding{}, err
	}
	return scanFinding(s.queryRow(ctx, `SELECT `+findingCols+findingFrom+` WHERE f.id = ?`, id))
}

// PatrolFindings lists a patrol's findings in the order they were made.
func (s *Store) PatrolFindings(ctx context.Context, a civic.Actor, patrolID int64) ([]civic.Finding, error) {
	if _, err := s.GetPatrol(ctx, a, patrolID); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT `+findingCols+findingFrom+` WHERE f.patrol_id = ? ORDER BY f.id`, patrolID)
	if err != nil {
		return nil, fmt.Errorf("list findings: %w", err)
	}
	defer rows.Close()
	var out []civic.Finding
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return nil, fmt.Errorf("scan finding: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FindingToCase files a finding as a case from the patrol channel, with
// its text and place, and records the case on the finding in the same
// transaction. A finding becomes at most one case, whoever taps and however
// often: later calls return the first case and true. categoryCode, when
// given, overrides the finding's own.
func (s *Store) FindingToCase(ctx context.Context, a civic.Actor, loc *Locator, findingID int64, categoryCode string) (civic.Case, bool, error) {
	if err := a.Must(civic.PermCaseReport); err != nil {
		return civic.Case{}, false, err
	}
	f, err := scanFinding(s.queryRow(ctx, `SELECT `+findingCols+findingFrom+` WHERE f.id = ?`, findingID))
	if errors.Is(err, sql.ErrNoRows) {
		return civic.Case{}, false, findingNotFound(findingID)
	}
	if err != nil {
		return civic.Case{}, false, fmt.Errorf("read finding %d: %w", findingID, err)
	}
	p, err := s.GetPatrol(ctx, a, f.PatrolID)
	if civic.ErrorCodeOf(err) == civic.ENotFound {
		return civic.Case{}, false, findingNotFound(findingID)
	}
	if err != nil {
		return civic.Case{}, false, err
	}
	if p.WorkerID != a.UserID && !a.Can(civic.PermCaseDispatch) {
		return civic.Case{}, false, civic.Errorf(civic.EForbidden, "只有巡查人或社区工作人员可以将发现转为工单", "only the worker or community staff can file a finding as a case")
	}
	if f.CaseID != 0 {
		c, err := s.GetCase(ctx, a, f.CaseID)
		return c, true, err
	}
	if categoryCode == "" {
		categoryCode = f.CategoryCode
	}
	n := NewCase{
		// The key is the finding's, so that even a retry whose reply was
		// lost before the finding was marked finds the first case.
		IdempotencyKey: fmt.Sprintf("patrol-finding-%d", f.ID),
		Source:         civic.SourcePatrol,
		CategoryCode:   categoryCode,
		Title:          f.CaseTitle(),
		Description:    f.Text,
		HasLocation:    f.HasLocation,
		Lng:            f.Lng,
		Lat:            f.Lat,
		CRS:            WGS84,
		RegionCode:     f.GridCode,
	}
	prep, err := s.prepareCase(ctx, a, loc, n)
	if err != nil {
		return civic.Case{}, false, err
	}
	var caseID int64
	existing := false
	err = s.write(ctx, func(tx *Tx) error {
		// The finding's row is locked so that two people tapping at once
		// make one case: the second waits and then sees the first's.
		var have sql.NullInt64
		if err := tx.queryRow(ctx, `SELECT case_id FROM patrol_findings WHERE id = ?`+tx.s.forUpdate(), findingID).Scan(&have); err != nil {
			return fmt.Errorf("lock finding %d: %w", findingID, err)
		}
		if have.Valid {
			caseID, existing = have.Int64, true
			return nil
		}
		id, _, err := tx.insertCase(ctx, prep)
		if err != nil {
			return err
		}
		caseID = id
		if _, err := tx.exec(ctx, `UPDATE patrol_findings SET case_id = ? WHERE id = ?`, id, findingID); err != nil {
			return fmt.Errorf("mark finding %d: %w", findingID, err)
		}
		return tx.audit(ctx, a, "patrol.finding_case", "patrol", f.PatrolID, f.GridCode, nil, map[string]any{"finding_id": findingID, "case_id": id})
	})
	if err != nil {
		return civic.Case{}, false, err
	}
	c, err := s.submittedCase(ctx, a, caseID)
	return c, existing, err
}

func findingNotFound(id int64) error {
	return civic.NotFound(fmt.Sprintf("巡查发现 %d", id), fmt.Sprintf("finding %d", id))
}
