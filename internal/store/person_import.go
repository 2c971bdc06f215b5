package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
)

// Imports of houses and people from spreadsheets (.xlsx or .csv). An
// upload becomes a row of imports, run in the background by jobs.Imports:
// a runner takes it with a lease, works through the rows in batches of
// importBatch, and records the counts and how far it got in each batch's
// own transaction, so that a runner that stops (a crash, a deploy) leaves
// an import another runner resumes from the next row. Each row is
// validated with the domain rules and the importer's scope; rows that fail
// are kept (sealed) with their errors for the rejected-rows download;
// rows whose person (by ID number) or house (by building, unit and
// number) exists merge into it. Running the same file again changes
// nothing: every row reports "unchanged".

// importBatch is how many rows one transaction takes. Large enough that
// the commit's fsync is a small share, small enough that a batch holds
// the write lock for well under a second.
const importBatch = 5000

// maxImportBytes bounds an upload kept for a background run.
const maxImportBytes = 200 << 20

// ImportLease is how long a runner holds an import between batches before
// another runner may take it over.
const ImportLease = 2 * time.Minute

// MaxImportStalls bounds the runs in a row that take an import and end
// without committing a batch (their lease lapsed: the runner failed on
// something that is not one row's problem, such as a write the database
// refuses, or crashed). Such an import is failed rather than taken again
// every ImportLease for ever. A committed batch resets the count, and a
// runner that shuts down hands its import back without counting
// (ReleaseImport).
const MaxImportStalls = 5

// DetectFormat tells an .xlsx workbook (a zip) from CSV text by content,
// whatever the file is called.
func DetectFormat(data []byte) string {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return "xlsx"
	}
	return "csv"
}

// eachRow calls fn with every row of a sheet (header included) and its
// number as a spreadsheet shows it, from CSV (UTF-8, a byte-order mark
// tolerated, or GBK as Excel on a Chinese Windows saves it: sheet.Text;
// the number is the line, as blank lines are skipped) or .xlsx. A file
// past sheet's limits (a cell longer than sheet.MaxCell, a row wider than
// sheet.MaxColumns, a workbook that unpacks to more than it may) is
// refused as invalid, naming the limit; ctx stops the reading.
func eachRow(ctx context.Context, format string, r io.Reader, fn func(no int, row []string) error) error {
	if format == "xlsx" {
		var fnErr error
		no := 0
		err := sheet.Each(ctx, r, func(row []string) error {
			no++
			fnErr = fn(no, row)
			return fnErr
		})
		var p *sheet.Problem
		switch {
		case err == nil || fnErr != nil || ctx.Err() != nil:
			return err
		case errors.As(err, &p):
			return fileProblem(p)
		}
		return civic.Invalid(civic.FieldErr("file", "无法读取Excel文件：文件已损坏，或不是 .xlsx 格式（旧的 .xls 请另存为 .xlsx）", "cannot read the Excel file: it is damaged or not .xlsx (save an old .xls as .xlsx)"))
	}
	text, _, err := sheet.Text(r)
	if errors.Is(err, sheet.ErrEncoding) {
		return civic.Invalid(civic.FieldErr("file", "CSV文件既不是UTF-8也不是GBK编码的文字，请在Excel中另存为“CSV UTF-8”", "the CSV file is neither UTF-8 nor GBK text; save it as \"CSV UTF-8\""))
	}
	if err != nil {
		return err
	}
	cr := csv.NewReader(sheet.LimitCSV(text, ','))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			pr := sheet.CSVProblem(err)
			return civic.Invalid(civic.FieldErr("file", "CSV文件无法读取：%[1]s", "the CSV file cannot be read: %[2]s", pr.ZH, pr.EN))
		}
		line, _ := cr.FieldPos(0)
		if p := sheet.CheckRow(line, rec); p != nil {
			return fileProblem(p)
		}
		for _, c := range rec {
			if !sheet.Readable(c) {
				return civic.Invalid(civic.FieldErr("file", "CSV文件第%d行有无法识别的字符，请在Excel中另存为“CSV UTF-8”", "line %d of the CSV file has characters that cannot be read; save it as \"CSV UTF-8\"", line))
			}
		}
		if err := fn(line, rec); err != nil {
			return err
		}
	}
}

// fileProblem is the invalid-file error for a Problem sheet found.
func fileProblem(p *sheet.Problem) error {
	return civic.Invalid(civic.FieldError{Field: "file", Msg: civic.T(p.ZH, p.EN)})
}

// blankRow reports a row with no content, which imports skip.
func blankRow(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// importRow is one data row: its number as the user sees it in the sheet
// (the header is row 1) and its cells.
type importRow struct {
	no    int
	cells []string
}

// importRun is one run of an import over its rows.
type importRun struct {
	s    *Store
	a    civic.Actor
	id   int64
	kind civic.ImportKind
	cols map[string]int
	// header is the file's header row, kept for the rejected-rows sheet.
	header []string
	token  string
	// skip is how many data rows an earlier run already committed.
	skip   int
	counts importCounts
	// grids holds the codes of the grids and micro-grids that exist.
	grids map[string]bool
	// seen maps a person's or house's key to the first row of this file
	// that named it, so that a later row can say which row it merged into.
	seen   map[uint64]int32
	houses *houseCache
	places *placeCache
}

// rewind forgets what a batch's rolled-back run left in memory — its
// counts and the rows it saw, from row `from` on — before write runs the
// batch again (PostgreSQL aborted it as a deadlock's victim). Batches come
// in the file's order, so every row seen from `from` on is the batch's.
func (run *importRun) rewind(before importCounts, from int) {
	run.counts = before
	for k, no := range run.seen {
		if int(no) >= from {
			delete(run.seen, k)
		}
	}
}

type importCounts struct {
	Done      int `json:"done"`
	Created   int `json:"created"`
	Merged    int `json:"merged"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
}

func (run *importRun) cell(r importRow, key string) string {
	i, ok := run.cols[key]
	if !ok || i >= len(r.cells) {
		return ""
	}
	return strings.TrimSpace(r.cells[i])
}

func (run *importRun) cellErr(key, zh, en string, args ...any) civic.CellError {
	return civic.CellError{Field: key, Column: run.kind.ColumnLabel(key, "zh"), Msg: civic.T(fmt.Sprintf(zh, args...), fmt.Sprintf(en, args...))}
}

// fieldErrs turns a domain validation error into cell errors.
func (run *importRun) fieldErrs(err error) ([]civic.CellError, error) {
	var ce *civic.Error
	if !errors.As(err, &ce) {
		return nil, err
	}
	var out []civic.CellError
	for _, f := range ce.Fields {
		out = append(out, civic.CellError{Field: f.Field, Column: run.kind.ColumnLabel(f.Field, "zh"), Msg: f.Msg})
	}
	if len(ce.Fields) == 0 {
		out = append(out, civic.CellError{Field: "", Msg: ce.Msg})
	}
	return out, nil
}

func (run *importRun) gridOK(code string) bool { return run.grids[code] && run.a.InScope(code) }

// loadGrids reads the codes of every grid and micro-grid.
func (s *Store) loadGrids(ctx context.Context) (map[string]bool, error) {
	rows, err := s.query(ctx, `SELECT code FROM regions WHERE level >= ?`, int(civic.LevelGrid))
	if err != nil {
		return nil, fmt.Errorf("read grids: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("scan grid: %w", err)
		}
		out[c] = true
	}
	return out, rows.Err()
}

// errLostLease stops a run whose lease another runner has taken.
var errLostLease = errors.New("import lease lost to another runner")

// finishBatch records a batch's progress and report rows, renews the
// lease and writes the batch's one audit entry, in the batch's
// transaction.
func (run *importRun) finishBatch(ctx context.Context, tx *Tx, issues []civic.ImportIssue, before importCounts, extra map[string]int) error {
	for _, is := range issues {
		body, err := json.Marshal(is)
		if err != nil {
			return fmt.Errorf("encode import row: %w", err)
		}
		sealed, err := run.s.sealText(string(body))
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO import_issues (import_id, row_no, kind, body) VALUES (?, ?, ?, ?)`, run.id, is.Row, string(is.Kind), sealed); err != nil {
			return fmt.Errorf("write import row %d: %w", is.Row, err)
		}
	}
	c := run.counts
	head, err := json.Marshal(run.header)
	if err != nil {
		return fmt.Errorf("encode header: %w", err)
	}
	res, err := tx.exec(ctx, `UPDATE imports SET rows_done = ?, created = ?, merged = ?, unchanged = ?, rejected = ?, header = ?, lease_until = ?, stalls = 0 WHERE id = ? AND lease_token = ?`,
		c.Done, c.Created, c.Merged, c.Unchanged, c.Rejected, string(head), tx.now.Add(ImportLease), run.id, run.token)
	if err != nil {
		return fmt.Errorf("record import %d progress: %w", run.id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errLostLease
	}
	// One entry per batch with counts only: the rows themselves are in
	// the import's report, and the audit log never holds personal data.
	sum := map[string]int{"import_id": int(run.id), "rows": c.Done - before.Done, "created": c.Created - before.Created,
		"merged": c.Merged - before.Merged, "unchanged": c.Unchanged - before.Unchanged, "rejected": c.Rejected - before.Rejected}
	for k, v := range extra {
		sum[k] = v
	}
	return tx.audit(ctx, run.a, string(run.kind)+".import", "import", run.id, run.a.Scope.RegionCode, nil, sum)
}

// sealText seals report text that may hold personal data; without keys
// (a store that keeps no people) it is stored as it is.
func (s *Store) sealText(v string) (string, error) {
	if s.vault == nil {
		return v, nil
	}
	out, err := s.vault.Seal(v)
	if err != nil {
		return "", fmt.Errorf("seal import data: %w", err)
	}
	return out, nil
}

func (s *Store) openText(v string) (string, error) {
	if v == "" || !strings.HasPrefix(v, "v") {
		return v, nil
	}
	return s.open(v)
}

// run works through the rows of one import from src, in batches, and
// returns when every row is done. Reading and preparing the next batch
// overlaps with writing this one: the writer is the bottleneck on SQLite,
// one core, and the preparation (sealing above all) takes the other.
func (run *importRun) run(ctx context.Context, format string, src io.Reader) error {
	var err error
	if run.grids, err = run.s.loadGrids(ctx); err != nil {
		return err
	}
	run.seen = map[uint64]int32{}
	run.houses = &houseCache{s: run.s}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	raw := make(chan []importRow, 1)
	var werr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if werr = run.consume(ctx, raw); werr != nil {
			cancel()
		}
	}()
	var batch []importRow
	header := true
	data := 0
	send := func() error {
		if len(batch) == 0 {
			return nil
		}
		select {
		case raw <- batch:
			batch = nil
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	err = eachRow(ctx, format, src, func(no int, row []string) error {
		if header {
			if blankRow(row) {
				return nil
			}
			cols, err := run.kind.MatchHeader(row)
			if err != nil {
				return err
			}
			run.cols, run.header, header = cols, row, false
			return nil
		}
		if blankRow(row) {
			return nil
		}
		data++
		if data <= run.skip {
			return nil
		}
		batch = append(batch, importRow{no: no, cells: row})
		if len(batch) >= importBatch {
			return send()
		}
		return nil
	})
	if err == nil && header {
		err = civic.Invalid(civic.FieldErr("file", "文件是空的（没有表头）", "the file is empty (no header row)"))
	}
	if err == nil {
		err = send()
	}
	close(raw)
	<-done
	if werr != nil {
		return werr
	}
	return err
}

// consume prepares and writes the batches read, in order.
func (run *importRun) consume(ctx context.Context, raw <-chan []importRow) error {
	if run.kind == civic.ImportHouses {
		for b := range raw {
			if err := run.houseBatch(ctx, b); err != nil {
				return err
			}
		}
		return nil
	}
	type prepared struct {
		rows []*personRow
		err  error
	}
	ready := make(chan prepared, 1)
	go func() {
		defer close(ready)
		for b := range raw {
			rows, err := run.preparePeople(ctx, b)
			select {
			case ready <- prepared{rows, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for p := range ready {
		if p.err != nil {
			return p.err
		}
		if err := run.writePeopleBatch(ctx, p.rows); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// countRows counts a file's data rows, for the progress bar.
func countRows(ctx context.Context, format string, data []byte) int {
	n, header := 0, true
	_ = eachRow(ctx, format, bytes.NewReader(data), func(_ int, row []string) error {
		if blankRow(row) {
			return nil
		}
		if header {
			header = false
			return nil
		}
		n++
		return nil
	})
	return n
}

const importCols = `i.id, i.kind, i.file_name, i.format, i.state, i.user_id, i.username, i.region_code, i.rows_total, i.rows_done,
	i.created, i.merged, i.unchanged, i.rejected, i.error, i.attempts, i.created_at, i.started_at, i.finished_at`

func scanImport(sc interface{ Scan(...any) error }) (civic.Import, error) {
	var im civic.Import
	var kind, state string
	var started, finished sql.NullTime
	err := sc.Scan(&im.ID, &kind, &im.FileName, &im.Format, &state, &im.UserID, &im.Username, &im.RegionCode, &im.Total, &im.Done,
		&im.Created, &im.Merged, &im.Unchanged, &im.Rejected, &im.Error, &im.Attempts, &im.CreatedAt, &started, &finished)
	im.Kind, im.State, im.CreatedAt = civic.ImportKind(kind), civic.ImportState(state), im.CreatedAt.UTC()
	if started.Valid {
		t := started.Time.UTC()
		im.StartedAt = &t
	}
	if finished.Valid {
		t := finished.Time.UTC()
		im.FinishedAt = &t
	}
	return im, err
}

// importVisible: the importer sees their own imports; others who may
// write people see the imports of importers inside their own scope.
func importVisible(a civic.Actor, im civic.Import) bool {
	return a.IsSystem() || a.UserID == im.UserID || (a.Can(civic.PermPeopleWrite) && a.InScope(im.RegionCode))
}

// GetImport returns an import the actor may see, with its counts.
func (s *Store) GetImport(ctx context.Context, a civic.Actor, id int64) (civic.Import, error) {
	if err := a.Must(civic.PermPeopleWrite); err != nil {
		return civic.Import{}, err
	}
	im, err := scanImport(s.queryRow(ctx, `SELECT `+importCols+` FROM imports i WHERE i.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !importVisible(a, im)) {
		return civic.Import{}, civic.NotFound(fmt.Sprintf("导入任务 %d", id), fmt.Sprintf("import %d", id))
	}
	if err != nil {
		return civic.Import{}, fmt.Errorf("get import %d: %w", id, err)
	}
	return im, nil
}

// ListImports returns the imports the actor may see, newest first.
func (s *Store) ListImports(ctx context.Context, a civic.Actor, p Page) ([]civic.Import, int, error) {
	if err := a.Must(civic.PermPeopleWrite); err != nil {
		return nil, 0, err
	}
	where, args := scopeClause(a, "i.region_code")
	where = "(" + where + " OR i.user_id = ?)"
	args = append(args, a.UserID)
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM imports i WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count imports: %w", err)
	}
	p = p.normal()
	rows, err := s.query(ctx, `SELECT `+importCols+` FROM imports i WHERE `+where+` ORDER BY i.id DESC LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list imports: %w", err)
	}
	defer rows.Close()
	var out []civic.Import
	for rows.Next() {
		im, err := scanImport(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan import: %w", err)
		}
		out = append(out, im)
	}
	return out, total, rows.Err()
}

// StartImport queues a file for import as the actor. The header is checked
// now, so that a wrong file is refused at once; the rows are worked
// through in the background (jobs.Imports). The file is kept sealed, as it
// holds ID and phone numbers, until the import is done.
func (s *Store) StartImport(ctx context.Context, a civic.Actor, kind civic.ImportKind, fileName string, data []byte) (civic.Import, error) {
	if err := a.Must(civic.PermPeopleWrite); err != nil {
		return civic.Import{}, err
	}
	if !kind.Valid() {
		return civic.Import{}, civic.Invalid(civic.FieldErr("kind", "导入类型应为房屋或人口", "the import kind is houses or people"))
	}
	if len(data) == 0 {
		return civic.Import{}, civic.Invalid(civic.FieldErr("file", "请选择要导入的文件", "choose a file to import"))
	}
	if len(data) > maxImportBytes {
		return civic.Import{}, civic.Invalid(civic.FieldErr("file", "文件超过%dMB，请分成几个文件导入", "the file is larger than %d MB; split it", maxImportBytes>>20))
	}
	if s.vault == nil {
		return civic.Import{}, errNoVault
	}
	format := DetectFormat(data)
	header := errors.New("header found")
	err := eachRow(ctx, format, bytes.NewReader(data), func(_ int, row []string) error {
		if blankRow(row) {
			return nil
		}
		if _, err := kind.MatchHeader(row); err != nil {
			return err
		}
		return header
	})
	if err == nil {
		err = civic.Invalid(civic.FieldErr("file", "文件是空的（没有表头）", "the file is empty (no header row)"))
	}
	if !errors.Is(err, header) {
		return civic.Import{}, err
	}
	sealed, err := s.sealText(string(data))
	if err != nil {
		return civic.Import{}, err
	}
	fileName = strings.TrimSpace(fileName)
	if utf8.RuneCountInString(fileName) > 200 || fileName == "" {
		fileName = string(kind) + "." + format
	}
	total := countRows(ctx, format, data)
	var id int64
	err = s.write(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.insertID(ctx, `INSERT INTO imports (kind, file_name, format, data, size, user_id, username, region_code, state, rows_total, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, string(kind), fileName, format, sealed, len(data), a.UserID, a.Username, a.Scope.RegionCode, string(civic.ImportQueued), total, tx.now)
		if err != nil {
			return fmt.Errorf("queue import: %w", err)
		}
		return tx.audit(ctx, a, string(kind)+".import_queued", "import", id, a.Scope.RegionCode, nil,
			map[string]any{"file": fileName, "format": format, "bytes": len(data), "rows": total})
	})
	if err != nil {
		return civic.Import{}, err
	}
	return s.GetImport(ctx, a, id)
}

// ClaimImport takes the oldest queued import, or a running one whose
// runner let its lease lapse, for this runner: it returns the import's ID
// and the lease token its batches must show. ok is false when nothing is
// waiting. On PostgreSQL several runners skip each other's rows. An import
// whose runs stalled MaxImportStalls times in a row is failed instead.
func (s *Store) ClaimImport(ctx context.Context) (id int64, token string, ok bool, err error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return 0, "", false, fmt.Errorf("lease token: %w", err)
	}
	token = hex.EncodeToString(b)
	err = s.write(ctx, func(tx *Tx) error {
		stalls := 0
		for {
			var state string
			err := tx.queryRow(ctx, `SELECT i.id, i.state, i.stalls FROM imports i WHERE i.state = ? OR (i.state = ? AND i.lease_until < ?) ORDER BY i.id LIMIT 1`+s.lockRowSkip("i"),
				string(civic.ImportQueued), string(civic.ImportRunning), tx.now).Scan(&id, &state, &stalls)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("find queued import: %w", err)
			}
			if state == string(civic.ImportQueued) {
				break
			}
			// Still running with its lease lapsed: the last run stopped
			// without committing a batch since.
			if stalls++; stalls < MaxImportStalls {
				break
			}
			if err := tx.giveUpImport(ctx, id); err != nil {
				return err
			}
		}
		_, err := tx.exec(ctx, `UPDATE imports SET state = ?, lease_token = ?, lease_until = ?, attempts = attempts + 1, stalls = ?, started_at = COALESCE(started_at, ?) WHERE id = ?`,
			string(civic.ImportRunning), token, tx.now.Add(ImportLease), stalls, tx.now, id)
		if err != nil {
			return fmt.Errorf("lease import %d: %w", id, err)
		}
		ok = true
		return nil
	})
	return id, token, ok, err
}

// giveUpImport fails an import whose runs stopped MaxImportStalls times in
// a row without progress, and drops its file as finishImport does.
func (tx *Tx) giveUpImport(ctx context.Context, id int64) error {
	msg := fmt.Sprintf("导入连续%d次运行均未能推进，已停止；请检查文件后重新上传 / the import stopped: %d runs in a row made no progress; check the file and upload it again", MaxImportStalls, MaxImportStalls)
	if _, err := tx.exec(ctx, `UPDATE imports SET state = ?, error = ?, data = '', lease_token = '', lease_until = NULL, finished_at = ?,
		rows_total = CASE WHEN rows_done > rows_total THEN rows_done ELSE rows_total END WHERE id = ?`,
		string(civic.ImportFailed), msg, tx.now, id); err != nil {
		return fmt.Errorf("give up import %d: %w", id, err)
	}
	tx.s.log.Warn("import given up", "import", id, "stalls", MaxImportStalls)
	return nil
}

// ReleaseImport hands a claimed import back to the queue at once, for a
// runner that is shutting down: another takes it up without waiting for
// the lease, from the last committed batch, and the interrupted run does
// not count as a stall.
func (s *Store) ReleaseImport(ctx context.Context, id int64, token string) error {
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE imports SET state = ?, lease_token = '', lease_until = NULL WHERE id = ? AND lease_token = ? AND state = ?`,
			string(civic.ImportQueued), id, token, string(civic.ImportRunning)); err != nil {
			return fmt.Errorf("release import %d: %w", id, err)
		}
		return nil
	})
}

// RunImport works a claimed import to its end as the user who uploaded it
// (their role and scope as they are now). A row's problem is a row error
// in the report; a problem with the file as a whole, or an importer who
// may no longer import, fails the import with a message. It returns an
// error only for what should be retried (the database, a lost lease).
func (s *Store) RunImport(ctx context.Context, id int64, token string) error {
	var kind, format, data, state string
	var userID int64
	var done, created, merged, unchanged, rejected int
	err := s.queryRow(ctx, `SELECT kind, format, data, user_id, state, rows_done, created, merged, unchanged, rejected FROM imports WHERE id = ? AND lease_token = ?`, id, token).
		Scan(&kind, &format, &data, &userID, &state, &done, &created, &merged, &unchanged, &rejected)
	if errors.Is(err, sql.ErrNoRows) {
		return errLostLease
	}
	if err != nil {
		return fmt.Errorf("read import %d: %w", id, err)
	}
	fail := func(msg civic.Text) error {
		return s.finishImport(ctx, id, token, civic.ImportFailed, msg.ZH+" / "+msg.EN)
	}
	u, err := s.GetUser(ctx, civic.System, userID)
	if err != nil || u.Disabled {
		return fail(civic.T("导入人的账号已停用或不存在", "the importer's account is disabled or gone"))
	}
	a := ActorOf(u, "")
	if !a.Can(civic.PermPeopleWrite) {
		return fail(civic.T("导入人已无权导入", "the importer may no longer import"))
	}
	plain, err := s.openText(data)
	if err != nil {
		return fail(civic.T("无法解密上传的文件", "the uploaded file cannot be unsealed"))
	}
	run := &importRun{s: s, a: a, id: id, kind: civic.ImportKind(kind), token: token, skip: done,
		counts: importCounts{Done: done, Created: created, Merged: merged, Unchanged: unchanged, Rejected: rejected}}
	err = run.run(ctx, format, strings.NewReader(plain))
	var ce *civic.Error
	if errors.As(err, &ce) {
		msg := ce.Msg
		if len(ce.Fields) > 0 {
			msg = ce.Fields[0].Msg
		}
		return fail(msg)
	}
	if err != nil {
		return err
	}
	return s.finishImport(ctx, id, token, civic.ImportDone, "")
}

// finishImport closes an import and drops its file, which holds personal
// data that the people and the report now keep.
func (s *Store) finishImport(ctx context.Context, id int64, token string, state civic.ImportState, msg string) error {
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE imports SET state = ?, error = ?, data = '', lease_token = '', lease_until = NULL, finished_at = ?,
			rows_total = CASE WHEN rows_done > rows_total THEN rows_done ELSE rows_total END WHERE id = ? AND lease_token = ?`,
			string(state), msg, tx.now, id, token)
		if err != nil {
			return fmt.Errorf("finish import %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errLostLease
		}
		return nil
	})
}

// ImportNow runs an import in this process from a reader, recording it
// like an uploaded one, and returns it finished. The command line, the
// demo and the benchmark use it for files too large to keep in the
// database; total, if known, feeds the progress figures.
func (s *Store) ImportNow(ctx context.Context, a civic.Actor, kind civic.ImportKind, fileName, format string, r io.Reader, total int) (civic.Import, error) {
	if err := a.Must(civic.PermPeopleWrite); err != nil {
		return civic.Import{}, err
	}
	if !kind.Valid() {
		return civic.Import{}, civic.Invalid(civic.FieldErr("kind", "导入类型应为房屋或人口", "the import kind is houses or people"))
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return civic.Import{}, fmt.Errorf("lease token: %w", err)
	}
	token := hex.EncodeToString(b)
	var id int64
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.insertID(ctx, `INSERT INTO imports (kind, file_name, format, user_id, username, region_code, state, lease_token, lease_until, attempts, rows_total, created_at, started_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`, string(kind), fileName, format, a.UserID, a.Username, a.Scope.RegionCode,
			string(civic.ImportRunning), token, tx.now.Add(ImportLease), total, tx.now, tx.now)
		if err != nil {
			return fmt.Errorf("record import: %w", err)
		}
		return nil
	})
	if err != nil {
		return civic.Import{}, err
	}
	run := &importRun{s: s, a: a, id: id, kind: kind, token: token}
	if err := run.run(ctx, format, r); err != nil {
		var ce *civic.Error
		if errors.As(err, &ce) {
			msg := ce.Msg
			if len(ce.Fields) > 0 {
				msg = ce.Fields[0].Msg
			}
			_ = s.finishImport(ctx, id, token, civic.ImportFailed, msg.ZH+" / "+msg.EN)
		}
		return civic.Import{}, err
	}
	if err := s.finishImport(ctx, id, token, civic.ImportDone, ""); err != nil {
		return civic.Import{}, err
	}
	return s.GetImport(ctx, civic.System, id)
}

// ImportIssues lists an import's rejected or merged rows in row order. A
// rejected row's cells are the uploader's own, shown back as uploaded so
// they can be fixed; to anyone else in scope (the street looking at a
// community's import) the phone and ID numbers in them are masked, as the
// register shows them, unless they may export numbers in clear.
func (s *Store) ImportIssues(ctx context.Context, a civic.Actor, id int64, kind civic.ImportIssueKind, p Page) ([]civic.ImportIssue, int, error) {
	im, err := s.GetImport(ctx, a, id)
	if err != nil {
		return nil, 0, err
	}
	plain := a.IsSystem() || a.UserID == im.UserID || a.Can(civic.PermPeopleExportPlain)
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM import_issues WHERE import_id = ? AND kind = ?`, id, string(kind)).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count import rows: %w", err)
	}
	if p.Limit <= 0 {
		p.Limit = 50
	}
	rows, err := s.query(ctx, `SELECT body FROM import_issues WHERE import_id = ? AND kind = ? ORDER BY row_no, id LIMIT ? OFFSET ?`, id, string(kind), p.Limit, p.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list import rows: %w", err)
	}
	defer rows.Close()
	var out []civic.ImportIssue
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, 0, fmt.Errorf("scan import row: %w", err)
		}
		body, err := s.openText(body)
		if err != nil {
			return nil, 0, err
		}
		var is civic.ImportIssue
		if err := json.Unmarshal([]byte(body), &is); err != nil {
			return nil, 0, fmt.Errorf("decode import row: %w", err)
		}
		if !plain {
			for i, c := range is.Cells {
				is.Cells[i] = civic.MaskNumbersInText(c)
			}
			for i, e := range is.Errors {
				is.Errors[i].Msg = civic.Text{ZH: civic.MaskNumbersInText(e.Msg.ZH), EN: civic.MaskNumbersInText(e.Msg.EN)}
			}
		}
		out = append(out, is)
	}
	return out, total, rows.Err()
}

// RejectedRows is the sheet of an import's rejected rows: the template's
// columns with each row's cells as uploaded, then the row number and the
// errors, for the user to fix and import again.
func (s *Store) RejectedRows(ctx context.Context, a civic.Actor, id int64, lang string) (sheet.Table, error) {
	im, err := s.GetImport(ctx, a, id)
	if err != nil {
		return sheet.Table{}, err
	}
	issues, _, err := s.ImportIssues(ctx, a, id, civic.IssueRejected, Page{Limit: 1 << 30})
	if err != nil {
		return sheet.Table{}, err
	}
	// The cells are as uploaded, so the header is the upload's own.
	t := sheet.Table{Sheet: civic.T("未导入的行", "Rejected rows").In(lang)}
	var head string
	if err := s.queryRow(ctx, `SELECT header FROM imports WHERE id = ?`, id).Scan(&head); err != nil {
		return sheet.Table{}, fmt.Errorf("read import %d header: %w", id, err)
	}
	if head != "" {
		if err := json.Unmarshal([]byte(head), &t.Header); err != nil {
			return sheet.Table{}, fmt.Errorf("decode import %d header: %w", id, err)
		}
	}
	if len(t.Header) == 0 {
		for _, c := range im.Kind.Columns() {
			t.Header = append(t.Header, c.Label.In(lang))
		}
	}
	t.Header = append(t.Header, civic.T("原行号", "Row").In(lang), civic.T("错误原因", "Errors").In(lang))
	for _, is := range issues {
		row := make([]any, 0, len(t.Header))
		for i := 0; i < len(t.Header)-2; i++ {
			v := ""
			if i < len(is.Cells) {
				v = is.Cells[i]
			}
			row = append(row, v)
		}
		var msgs []string
		for _, e := range is.Errors {
			m := e.Msg.In(lang)
			if e.Column != "" {
				col := e.Column
				if lang == "en" {
					col = im.Kind.ColumnLabel(e.Field, "en")
				}
				m = col + "：" + m
			}
			msgs = append(msgs, m)
		}
		row = append(row, is.Row, strings.Join(msgs, "；"))
		t.Rows = append(t.Rows, row)
	}
	t.Widths = make([]float64, len(t.Header))
	t.Widths[len(t.Widths)-1] = 60
	return t, nil
}

// ImportTemplate is the workbook users fill in: the data sheet with the
// header and one example row, and a sheet explaining every column.
func ImportTemplate(kind civic.ImportKind) []sheet.Table {
	data := sheet.Table{Sheet: kind.Label().ZH + "信息"}
	help := sheet.Table{Sheet: "填写说明", Header: []string{"列名", "Column", "必填", "说明", "Notes"}, Widths: []float64{14, 16, 6, 60, 60}}
	var example []any
	for _, c := range kind.Columns() {
		data.Header = append(data.Header, c.Label.ZH)
		data.Widths = append(data.Widths, float64(max(10, 2*utf8.RuneCountInString(c.Example)+2)))
		example = append(example, c.Example)
		req := ""
		if c.Required {
			req = "是"
		}
		help.Rows = append(help.Rows, []any{c.Label.ZH, c.Label.EN, req, c.Help.ZH, c.Help.EN})
	}
	data.Rows = [][]any{example}
	help.Rows = append(help.Rows, []any{}, []any{"", "", "", "表头为第1行，数据从第2行开始；示例行导入前请删除或改写。同一证件号重复时合并为一人，重复导入同一文件不会产生重复数据。",
		"The header is row 1 and data starts on row 2; delete or overwrite the example row. Rows with the same ID number merge into one person, and importing a file twice creates nothing twice."})
	return []sheet.Table{data, help}
}

// WriteTemplateCSV writes the template as CSV: a byte-order mark so that
// Excel reads UTF-8, the header and the example row.
func WriteTemplateCSV(w io.Writer, kind civic.ImportKind) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := sheet.NewCSVWriter(w)
	var head, example []string
	for _, c := range kind.Columns() {
		head = append(head, c.Label.ZH)
		example = append(example, c.Example)
	}
	_ = cw.Write(head)
	_ = cw.Write(example)
	cw.Flush()
	return cw.Error()
}

// parseInt reads a whole number cell ("3", "3.0" as spreadsheets write it).
func parseInt(s string) (int, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".0")
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// normDate reads the date forms spreadsheets carry — 2001-06-01,
// 2001/6/1, 2001.6.1, 20010601, 2001年6月1日 — as YYYY-MM-DD; anything
// else comes back unchanged for the validation to refuse.
func normDate(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if len(s) == 8 && allDigitsStr(s) {
		return s[:4] + "-" + s[4:6] + "-" + s[6:]
	}
	t := dateSeps.Replace(s)
	if i := strings.IndexAny(t, " T"); i > 0 { // a time of day after the date
		t = t[:i]
	}
	if d, err := time.Parse("2006-1-2", t); err == nil {
		return d.Format(civic.DateLayout)
	}
	return s
}

var dateSeps = strings.NewReplacer("/", "-", ".", "-", "年", "-", "月", "-", "日", "")

func allDigitsStr(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// fixedIn runs query (ending in "IN (") over keys in chunks of a fixed size,
// padding the last chunk with pad, so that one statement text serves every
// chunk and stays prepared; scan is called for each row.
func (tx *Tx) fixedIn(ctx context.Context, query string, keys []any, pad any, scan func(*sql.Rows) error) error {
	const per = 200
	q := query + strings.TrimSuffix(strings.Repeat("?, ", per), ", ") + ")"
	args := make([]any, per)
	for i := 0; i < len(keys); i += per {
		n := copy(args, keys[i:min(i+per, len(keys))])
		for j := n; j < per; j++ {
			args[j] = pad
		}
		rows, err := tx.query(ctx, q, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// insertRows writes rows with multi-row INSERTs of a fixed row count, so
// that the statement text repeats and stays prepared, and the remainder
// row by row. one is a row's VALUES tuple, e.g. "(?, ?, ?)".
func (tx *Tx) insertRows(ctx context.Context, head, one string, rows [][]any) error {
	const per = 50
	full := head + " VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", per), ", ")
	var args []any
	i := 0
	for ; i+per <= len(rows); i += per {
		args = args[:0]
		for _, r := range rows[i : i+per] {
			args = append(args, r...)
		}
		if _, err := tx.exec(ctx, full, args...); err != nil {
			return err
		}
	}
	for ; i < len(rows); i++ {
		if _, err := tx.exec(ctx, head+" VALUES "+one, rows[i]...); err != nil {
			return err
		}
	}
	return nil
}

// reserveIDs hands out n new IDs of table for rows the caller inserts with
// explicit IDs (so that a batch needs no read-back). SQLite has one
// writer, which this transaction is; PostgreSQL draws from the identity
// sequence, which other processes share.
func (tx *Tx) reserveIDs(ctx context.Context, table string, n int) ([]int64, error) {
	out := make([]int64, 0, n)
	if n == 0 {
		return out, nil
	}
	if tx.s.engine == Postgres {
		rows, err := tx.query(ctx, `SELECT nextval(pg_get_serial_sequence('`+table+`', 'id')) FROM generate_series(1, ?)`, n)
		if err != nil {
			return nil, fmt.Errorf("reserve %s IDs: %w", table, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			out = append(out, id)
		}
		return out, rows.Err()
	}
	var top int64
	if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM `+table).Scan(&top); err != nil {
		return nil, fmt.Errorf("reserve %s IDs: %w", table, err)
	}
	for i := int64(1); i <= int64(n); i++ {
		out = append(out, top+i)
	}
	return out, nil
}
