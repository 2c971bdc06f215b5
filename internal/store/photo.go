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
	"github.com/civicgrid/civicgrid/internal/files"
)

// PhotoStage is the step of the loop a photo documents.
type PhotoStage string

const (
	PhotoReport PhotoStage = "report" // 上报: the reporter shows the problem
	PhotoHandle PhotoStage = "handle" // 处置反馈: the handler shows the work done
	PhotoVerify PhotoStage = "verify" // 核查: the verifier's own record
)

// PhotoStages in the order of the loop.
var PhotoStages = []PhotoStage{PhotoReport, PhotoHandle, PhotoVerify}

var photoStageLabels = map[PhotoStage]civic.Text{
	PhotoReport: civic.T("上报", "Report"),
	PhotoHandle: civic.T("处置", "Handling"),
	PhotoVerify: civic.T("核查", "Verification"),
}

func (s PhotoStage) Valid() bool       { _, ok := photoStageLabels[s]; return ok }
func (s PhotoStage) Label() civic.Text { return photoStageLabels[s] }

// Public reports whether residents see the stage's photos: the problem
// and the work done are theirs to see, verification is quality control
// between staff (as a failed verification's event is internal).
func (s PhotoStage) Public() bool { return s != PhotoVerify }

// MaxPhotosPerStage is how many photos one stage of a case may carry.
const MaxPhotosPerStage = 9

// CasePhoto is one photo of a case. Residents get the public copy only:
// SHA256, GPS and UploadedBy are empty for them.
type CasePhoto struct {
	ID           int64      `json:"id"`
	CaseID       int64      `json:"case_id"`
	EventID      int64      `json:"event_id,omitempty"`
	Stage        PhotoStage `json:"stage"`
	SHA256       string     `json:"sha256,omitempty"`
	PublicSHA256 string     `json:"public_sha256"`
	MIME         string     `json:"mime"`
	Size         int64      `json:"size"`
	Width        int        `json:"width"`
	Height       int        `json:"height"`
	GPS          *files.GPS `json:"gps,omitempty"`
	UploadedBy   int64      `json:"uploaded_by,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

// photoActions are the actions that may carry photos, and of which stage.
var photoActions = map[civic.CaseAction]PhotoStage{
	civic.ActFeedback:   PhotoHandle,
	civic.ActHandle:     PhotoHandle,
	civic.ActVerifyPass: PhotoVerify,
	civic.ActVerifyFail: PhotoVerify,
}

// PhotoStageOf is the stage of the photos an action may carry, if it may
// carry any.
func PhotoStageOf(act civic.CaseAction) (PhotoStage, bool) {
	st, ok := photoActions[act]
	return st, ok
}

func photoErr(zh, en string, args ...any) error {
	return civic.Invalid(civic.FieldErr("photo", zh, en, args...))
}

// checkMetas refuses what could only come from a caller bypassing
// internal/files: a stage or file description that is not one.
func checkMetas(metas []files.Meta, stage PhotoStage) error {
	if !stage.Valid() {
		return civic.Invalid(civic.FieldErr("stage", "照片环节应为 report、handle 或 verify", "the photo stage must be report, handle or verify"))
	}
	if len(metas) == 0 {
		return photoErr("请选择照片", "choose at least one photo")
	}
	if len(metas) > MaxPhotosPerStage {
		return photoErr("每次最多上传%d张照片", "at most %d photos at a time", MaxPhotosPerStage)
	}
	for _, m := range metas {
		switch {
		case !files.ValidSHA(m.SHA256), !files.ValidSHA(m.PublicSHA256), m.Size <= 0, m.Width <= 0, m.Height <= 0:
			return photoErr("照片信息不完整", "incomplete photo description")
		case m.MIME != files.JPEG && m.MIME != files.PNG && m.MIME != files.WebP:
			return photoErr("只接受 JPEG、PNG 或 WebP 格式的照片", "only JPEG, PNG and WebP photos are accepted")
		}
	}
	return nil
}

// mayAddPhotos: the reporter adds photos of the problem while the case is
// still being worked; its handler adds photos of the work; a verifier in
// scope adds photos of the verification.
func mayAddPhotos(a civic.Actor, c civic.Case, stage PhotoStage) error {
	ok, inState := false, false
	switch stage {
	case PhotoReport:
		ok = a.IsSystem() || a.UserID != 0 && a.UserID == c.ReporterID
		// A report filed straight into "rejected" (a not-accepted
		// category) keeps the photos it came with.
		inState = c.State.Open() && c.State != civic.StateClosed || c.State == civic.StateRejected
	case PhotoHandle:
		ok = a.Can(civic.PermCaseHandle) && isHandler(a, c)
		inState = c.State == civic.StateInProgress || c.State == civic.StateHandled
	case PhotoVerify:
		ok = a.Can(civic.PermCaseVerify) && a.InScope(c.RegionCode) && (a.Scope.OrgID == 0 || a.IsSystem())
		inState = c.State == civic.StateHandled || c.State == civic.StateClosed || c.State == civic.StateInProgress && c.ReworkCount > 0
	}
	switch {
	case !ok:
		return civic.Forbidden()
	case !inState:
		return &civic.Error{Code: civic.EConflict, Msg: civic.T(
			fmt.Sprintf("工单当前为“%s”，不能上传%s照片", c.State.Label().ZH, stage.Label().ZH),
			fmt.Sprintf("the case is %s; %s photos cannot be added now", strings.ToLower(c.State.Label().EN), strings.ToLower(stage.Label().EN)))}
	}
	return nil
}

// lockedCase reads a case the actor may see inside tx, holding its row on
// PostgreSQL until the transaction ends so that two uploads to one case
// cannot both pass the per-stage limit. (SQLite has one writer already.)
func (tx *Tx) lockedCase(ctx context.Context, a civic.Actor, id int64) (civic.Case, error) {
	q := `SELECT ` + caseCols + caseFrom + ` WHERE c.id = ?`
	if tx.s.engine == Postgres {
		q += " FOR UPDATE OF c"
	}
	c, err := scanCase(tx.queryRow(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, caseNotFound(id)
	}
	if err != nil {
		return c, fmt.Errorf("read case %d: %w", id, err)
	}
	if !caseVisible(a, c) {
		if ok, err := extraAccess(ctx, tx, id, a); err != nil || !ok {
			if err != nil {
				return c, err
			}
			return c, caseNotFound(id)
		}
	}
	return c, nil
}

// freshPhotos drops photos the stage already has (a retried upload or a
// resubmitted form) and checks the per-stage limit on the rest.
func (tx *Tx) freshPhotos(ctx context.Context, caseID int64, metas []files.Meta, stage PhotoStage) ([]files.Meta, error) {
	rows, err := tx.query(ctx, `SELECT sha256 FROM case_photos WHERE case_id = ? AND stage = ?`, caseID, string(stage))
	if err != nil {
		return nil, fmt.Errorf("case %d photos: %w", caseID, err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			return nil, fmt.Errorf("scan photo: %w", err)
		}
		have[sha] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("case %d photos: %w", caseID, err)
	}
	existing := len(have)
	var fresh []files.Meta
	for _, m := range metas {
		if !have[m.SHA256] {
			have[m.SHA256] = true
			fresh = append(fresh, m)
		}
	}
	if existing+len(fresh) > MaxPhotosPerStage {
		return nil, photoErr("每个环节最多%d张照片，该环节已有%d张", "at most %d photos per stage; this stage has %d already", MaxPhotosPerStage, existing)
	}
	return fresh, nil
}

// photosFor reads and holds the case, checks that the actor may add the
// stage's photos now, and returns the case and the photos it lacks.
func (tx *Tx) photosFor(ctx context.Context, a civic.Actor, caseID int64, metas []files.Meta, stage PhotoStage) (civic.Case, []files.Meta, error) {
	c, err := tx.lockedCase(ctx, a, caseID)
	if err != nil {
		return c, nil, err
	}
	if err := mayAddPhotos(a, c, stage); err != nil {
		return c, nil, err
	}
	fresh, err := tx.freshPhotos(ctx, caseID, metas, stage)
	return c, fresh, err
}

// insertPhotos writes the photo rows, tied to the event that brought them.
func (tx *Tx) insertPhotos(ctx context.Context, a civic.Actor, caseID, eventID int64, metas []files.Meta, stage PhotoStage) error {
	for _, m := range metas {
		var lat, lng any
		if m.GPS != nil {
			lat, lng = m.GPS.Lat, m.GPS.Lng
		}
		if _, err := tx.exec(ctx, `INSERT INTO case_photos (case_id, event_id, stage, sha256, public_sha256, mime, size, width, height, gps_lat, gps_lng, uploaded_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			caseID, eventID, string(stage), m.SHA256, m.PublicSHA256, m.MIME, m.Size, m.Width, m.Height, lat, lng, a.UserID, tx.now); err != nil {
			return fmt.Errorf("add photo to case %d: %w", caseID, err)
		}
	}
	return nil
}

// lastEventID finds the event just appended by the actor inside tx. The
// case row is held (lockedCase, or the action's own update), so no other
// event of this actor and action can slip in between.
func (tx *Tx) lastEventID(ctx context.Context, a civic.Actor, caseID int64, act civic.CaseAction, data string) (int64, error) {
	q, args := `SELECT MAX(id) FROM case_events WHERE case_id = ? AND actor_id = ? AND action = ?`, []any{caseID, a.UserID, string(act)}
	if data != "" {
		q, args = q+` AND data = ?`, append(args, data)
	}
	var id sql.NullInt64
	if err := tx.queryRow(ctx, q, args...).Scan(&id); err != nil {
		return 0, fmt.Errorf("find the event of case %d just written: %w", caseID, err)
	}
	if !id.Valid {
		return 0, fmt.Errorf("find the event of case %d just written: none", caseID)
	}
	return id.Int64, nil
}

func photoData(n int, stage PhotoStage) string {
	return fmt.Sprintf(`{"photos":%d,"stage":%q}`, n, stage)
}

// AddCasePhotos attaches stored photos to a stage of a case and appends an
// event saying how many, in one transaction. Photos the stage already has
// are skipped, so a retry adds nothing twice. It returns Invalid for more
// than MaxPhotosPerStage in the stage, Forbidden unless the actor is the
// reporter (stage report), the handler (handle) or a verifier in scope
// (verify), Conflict when the case's state does not take that stage's
// photos, and NotFound for a case the actor may not see.
func (s *Store) AddCasePhotos(ctx context.Context, a civic.Actor, caseID int64, metas []files.Meta, stage PhotoStage) error {
	if err := checkMetas(metas, stage); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		c, fresh, err := tx.photosFor(ctx, a, caseID, metas, stage)
		if err != nil || len(fresh) == 0 {
			return err
		}
		data := photoData(len(fresh), stage)
		note := fmt.Sprintf("上传%s照片%d张", stage.Label().ZH, len(fresh))
		if err := tx.addEvent(ctx, a, caseID, civic.ActComment, c.State, c.State, note, stage.Public(), data); err != nil {
			return err
		}
		eventID, err := tx.lastEventID(ctx, a, caseID, civic.ActComment, data)
		if err != nil {
			return err
		}
		return tx.insertPhotos(ctx, a, caseID, eventID, fresh, stage)
	})
}

// ActOnCaseWithPhotos takes an action together with the photos that
// document it (a report-back with photos of the work, a verification with
// the verifier's) in one transaction: both happen or neither. The photos
// are tied to the action's event. Refusals are those of ActOnCase and
// AddCasePhotos; an action that carries no photos of the stage is Invalid.
func (s *Store) ActOnCaseWithPhotos(ctx context.Context, a civic.Actor, id int64, in CaseInput, metas []files.Meta, stage PhotoStage) error {
	if err := checkMetas(metas, stage); err != nil {
		return err
	}
	if st, ok := PhotoStageOf(in.Action); !ok || st != stage {
		return civic.Invalid(civic.FieldError{Field: "photo", Msg: civic.T(
			fmt.Sprintf("“%s”不能附带%s照片", in.Action.Label().ZH, stage.Label().ZH),
			fmt.Sprintf("%s cannot carry %s photos", in.Action.Label().EN, strings.ToLower(stage.Label().EN)))})
	}
	in.Note = strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(in.Note) > MaxNote {
		return civic.Invalid(civic.FieldErr("note", "说明不超过%d字", "the note is at most %d characters", MaxNote))
	}
	return s.write(ctx, func(tx *Tx) error {
		_, fresh, err := tx.photosFor(ctx, a, id, metas, stage)
		if err != nil {
			return err
		}
		if err := tx.act(ctx, a, id, in); err != nil {
			return err
		}
		eventID, err := tx.lastEventID(ctx, a, id, in.Action, "")
		if err != nil {
			return err
		}
		if len(fresh) > 0 {
			// The photos' count joins the event's data when it has none.
			if _, err := tx.exec(ctx, `UPDATE case_events SET data = ? WHERE id = ? AND data = ''`, photoData(len(fresh), stage), eventID); err != nil {
				return fmt.Errorf("note photos on event %d: %w", eventID, err)
			}
		}
		return tx.insertPhotos(ctx, a, id, eventID, fresh, stage)
	})
}

const photoCols = `id, case_id, COALESCE(event_id, 0), stage, sha256, public_sha256, mime, size, width, height, gps_lat, gps_lng, uploaded_by, created_at`

func scanPhoto(sc interface{ Scan(...any) error }) (CasePhoto, error) {
	var p CasePhoto
	var lat, lng sql.NullFloat64
	err := sc.Scan(&p.ID, &p.CaseID, &p.EventID, &p.Stage, &p.SHA256, &p.PublicSHA256, &p.MIME, &p.Size, &p.Width, &p.Height, &lat, &lng, &p.UploadedBy, &p.CreatedAt)
	if lat.Valid && lng.Valid {
		p.GPS = &files.GPS{Lat: lat.Float64, Lng: lng.Float64}
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return p, err
}

// seesOriginals: staff who may see a case get the original photos with
// their locations; residents the public copies only.
func seesOriginals(a civic.Actor) bool { return a.IsSystem() || a.Can(civic.PermCaseRead) }

// CasePhotos lists a case's photos in the order they came, to whoever may
// see the case: staff all of them as taken, residents the report and
// handling photos as public copies without location. NotFound for a case
// the actor may not see.
func (s *Store) CasePhotos(ctx context.Context, a civic.Actor, caseID int64) ([]CasePhoto, error) {
	if _, err := s.GetCase(ctx, a, caseID); err != nil {
		return nil, err
	}
	staff := seesOriginals(a)
	q, args := `SELECT `+photoCols+` FROM case_photos WHERE case_id = ?`, []any{caseID}
	if !staff {
		q, args = q+` AND stage <> ?`, append(args, string(PhotoVerify))
	}
	rows, err := s.query(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("case %d photos: %w", caseID, err)
	}
	defer rows.Close()
	var out []CasePhoto
	for rows.Next() {
		p, err := scanPhoto(rows)
		if err != nil {
			return nil, fmt.Errorf("scan photo: %w", err)
		}
		if !staff {
			p.SHA256, p.GPS, p.UploadedBy = "", nil, 0
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PhotoAccess says whether the actor may fetch the stored file named sha:
// staff any file of a photo of a case they may see, residents only the
// public copy of a report or handling photo of a case they may see. public
// tells whether sha is a public copy. NotFound otherwise, so that a file's
// existence cannot be probed.
func (s *Store) PhotoAccess(ctx context.Context, a civic.Actor, sha string) (public bool, err error) {
	notFound := civic.NotFound("文件", "file")
	if !files.ValidSHA(sha) {
		return false, notFound
	}
	staff := seesOriginals(a)
	// One photo may belong to many cases; a hundred is more than enough to
	// find one the actor may see.
	rows, err := s.query(ctx, `SELECT case_id, stage, public_sha256 FROM case_photos WHERE sha256 = ? OR public_sha256 = ? ORDER BY id LIMIT 100`, sha, sha)
	if err != nil {
		return false, fmt.Errorf("look up file %s: %w", sha, err)
	}
	type use struct {
		caseID int64
		public bool
	}
	var uses []use
	for rows.Next() {
		var u use
		var stage PhotoStage
		var pub string
		if err := rows.Scan(&u.caseID, &stage, &pub); err != nil {
			rows.Close()
			return false, fmt.Errorf("scan photo: %w", err)
		}
		u.public = pub == sha
		if staff || u.public && stage.Public() {
			uses = append(uses, u)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("look up file %s: %w", sha, err)
	}
	seen := map[int64]bool{}
	for _, u := range uses {
		if seen[u.caseID] {
			continue
		}
		seen[u.caseID] = true
		_, err := s.GetCase(ctx, a, u.caseID)
		if civic.ErrorCodeOf(err) == civic.ENotFound {
			continue
		}
		if err != nil {
			return false, err
		}
		return u.public, nil
	}
	return false, notFound
}

// MayAddCasePhotos answers beforehand what AddCasePhotos would refuse for
// who the actor is and the case's state, so that an upload is refused
// before its files are written. AddCasePhotos checks again.
func (s *Store) MayAddCasePhotos(ctx context.Context, a civic.Actor, caseID int64, stage PhotoStage) error {
	if !stage.Valid() {
		return checkMetas(nil, stage)
	}
	c, err := s.GetCase(ctx, a, caseID)
	if err != nil {
		return err
	}
	// GetCase hides an anonymous case's reporter from everyone but the
	// reporter, which is all the report stage needs.
	return mayAddPhotos(a, c, stage)
}

// PhotoRefusal turns a refusal from internal/files into the message users
// see, naming the file by the names the batch was uploaded under; other
// errors pass through.
func PhotoRefusal(err error, names []string) error {
	var fe *files.Error
	if !errors.As(err, &fe) {
		return err
	}
	name := ""
	if fe.Index >= 0 && fe.Index < len(names) {
		name = names[fe.Index]
	}
	var f civic.FieldError
	switch fe.Code {
	case files.CodeTooLarge:
		f = civic.FieldErr("photo", "照片“%s”太大：每张不超过%dMB，边长不超过%d像素", "photo %q is too large: at most %d MB and %d pixels a side", name, files.DefaultMaxBytes>>20, files.MaxSide)
	case files.CodeUnsupported:
		f = civic.FieldErr("photo", "“%s”不是照片：只接受 JPEG、PNG 或 WebP 格式", "%q is not a photo: only JPEG, PNG and WebP are accepted", name)
	default:
		f = civic.FieldErr("photo", "照片“%s”已损坏或没有传完整，请重新选择", "photo %q is damaged or did not arrive whole; choose it again", name)
	}
	return &civic.Error{Code: civic.EInvalid, Msg: f.Msg, Fields: []civic.FieldError{f}, Err: err}
}
