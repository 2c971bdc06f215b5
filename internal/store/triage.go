package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/triage"
)

// Triage models (智能分类). A model is queued (by an administrator or the
// schedule), trained in the background by whichever server claims it,
// stored with its cross-validated figures, and made active either by
// itself (when it is not worse than the active one by more than the
// settings' margin) or by an administrator. Servers keep the active model
// in memory and look every triageRecheck whether another became active.

// TriageFolds is the k of the k-fold cross-validation a model's figures
// come from, for up to TriageCVMax examples; above that the figures come
// from a held-out fifth (every fifth example of each category), which
// costs one training instead of k.
const (
	TriageFolds = 5
	TriageCVMax = 1000
)

// triageRecheck is how long a server trusts its loaded model before asking
// the database which model is active (one indexed row).
const triageRecheck = 10 * time.Second

// triageMinText is the fewest characters worth classifying.
const triageMinText = 4

// triageStale is how long a training's lease lasts unless renewed: a model
// whose server has not renewed it for that long (the server died, was
// killed or froze) is taken over by another server.
const triageStale = time.Hour

// triageRenew is how often a training renews its lease: a third of it, so
// that a renewal may fail twice (a busy database) before the lease lapses.
const triageRenew = triageStale / 3

// MaxTriageAttempts is how many times servers may begin training a model
// and vanish (die, be killed, freeze with the lease unrenewed for
// triageStale) before it is failed with the reason rather than taken again
// every triageStale for ever. A training that returns an error, or panics,
// is failed at once.
const MaxTriageAttempts = 3

// triageCache is the active model as loaded in this process.
type triageCache struct {
	mu      sync.Mutex
	id      int64
	version int
	model   *triage.Model
	checked time.Time
	loaded  bool
	// onTrain, when set (by tests only), is called as this server begins
	// training a model it claimed: a shutdown or a takeover at that
	// moment, without timing.
	onTrain func(ctx context.Context, id int64)
	// renewTicks, when set (by tests only), stands for the ticker of
	// triageRenew, and renewed is told after each renewal whether the
	// lease held: a test moves the clock, ticks, and knows the outcome.
	renewTicks <-chan time.Time
	renewed    chan<- bool
}

const triageModelCols = `id, version, status, source, active, examples, labels, params, evaluation, macro_f1, accuracy, classes,
	train_seconds, triggered_by, attempts, error, note, created_at, started_at, finished_at`

func scanTriageModel(sc interface{ Scan(...any) error }) (civic.TriageModel, error) {
	var m civic.TriageModel
	var classes string
	var started, finished sql.NullTime
	err := sc.Scan(&m.ID, &m.Version, &m.Status, &m.Source, &m.Active, &m.Examples, &m.Labels, &m.Params, &m.Evaluation, &m.MacroF1,
		&m.Accuracy, &classes, &m.TrainSeconds, &m.TriggeredBy, &m.Attempts, &m.Error, &m.Note, &m.CreatedAt, &started, &finished)
	if err != nil {
		return m, err
	}
	m.CreatedAt = m.CreatedAt.UTC()
	if started.Valid {
		t := started.Time.UTC()
		m.StartedAt = &t
	}
	if finished.Valid {
		t := finished.Time.UTC()
		m.FinishedAt = &t
	}
	if classes != "" {
		if err := json.Unmarshal([]byte(classes), &m.Classes); err != nil {
			return m, fmt.Errorf("read model %d figures: %w", m.ID, err)
		}
	}
	return m, nil
}

// TriageModels lists every model version, newest first, without the
// models themselves.
func (s *Store) TriageModels(ctx context.Context, a civic.Actor) ([]civic.TriageModel, error) {
	if err := a.Must(civic.PermCaseMetrics); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT `+triageModelCols+` FROM triage_models ORDER BY version DESC`)
	if err != nil {
		return nil, fmt.Errorf("list triage models: %w", err)
	}
	defer rows.Close()
	var out []civic.TriageModel
	for rows.Next() {
		m, err := scanTriageModel(rows)
		if err != nil {
			return nil, fmt.Errorf("list triage models: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// GetTriageModel reads one model version.
func (s *Store) GetTriageModel(ctx context.Context, a civic.Actor, id int64) (civic.TriageModel, error) {
	if err := a.Must(civic.PermCaseMetrics); err != nil {
		return civic.TriageModel{}, err
	}
	m, err := scanTriageModel(s.queryRow(ctx, `SELECT `+triageModelCols+` FROM triage_models WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, civic.NotFound("该分类模型", "triage model")
	}
	if err != nil {
		return m, fmt.Errorf("read triage model %d: %w", id, err)
	}
	return m, nil
}

// TriageSettings reads the deployment's triage settings.
func (s *Store) TriageSettings(ctx context.Context) (civic.TriageSettings, error) {
	var t civic.TriageSettings
	var at sql.NullTime
	err := s.queryRow(ctx, `SELECT threshold, min_examples, max_examples, every_days, auto_margin, updated_by, updated_at FROM triage_settings WHERE id = 1`).
		Scan(&t.Threshold, &t.MinExamples, &t.MaxExamples, &t.EveryDays, &t.AutoMargin, &t.UpdatedBy, &at)
	if err != nil {
		return t, fmt.Errorf("read triage settings: %w", err)
	}
	if at.Valid {
		u := at.Time.UTC()
		t.UpdatedAt = &u
	}
	return t, nil
}

// SetTriageSettings changes the settings (administrators, audited).
func (s *Store) SetTriageSettings(ctx context.Context, a civic.Actor, t civic.TriageSettings) (civic.TriageSettings, error) {
	if err := a.MustCityWide(civic.PermTriageAdmin); err != nil {
		return t, err
	}
	if err := t.Validate(); err != nil {
		return t, err
	}
	before, err := s.TriageSettings(ctx)
	if err != nil {
		return t, err
	}
	err = s.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE triage_settings SET threshold = ?, min_examples = ?, max_examples = ?, every_days = ?, auto_margin = ?, updated_by = ?, updated_at = ? WHERE id = 1`,
			t.Threshold, t.MinExamples, t.MaxExamples, t.EveryDays, t.AutoMargin, a.Username, tx.now); err != nil {
			return fmt.Errorf("save triage settings: %w", err)
		}
		return tx.audit(ctx, a, "triage.settings", "triage_settings", 1, "", settingsAudit(before), settingsAudit(t))
	})
	if err != nil {
		return t, err
	}
	return s.TriageSettings(ctx)
}

func settingsAudit(t civic.TriageSettings) map[string]any {
	return map[string]any{"threshold": t.Threshold, "min_examples": t.MinExamples, "max_examples": t.MaxExamples, "every_days": t.EveryDays, "auto_margin": t.AutoMargin}
}

// TriageUpload is a CSV of labelled examples (columns title, text, label)
// whose labels are category codes of the catalogue.
type TriageUpload struct {
	Examples []triage.Example
}

// ReadTriageUpload reads a CSV upload (or tab-separated text, or an Excel
// workbook: triage.ReadCSV) and checks every label against the
// catalogue: a row whose label is not an active leaf category is refused
// with its row number, and so is the whole upload.
func (s *Store) ReadTriageUpload(ctx context.Context, csv []byte) (TriageUpload, error) {
	ex, err := triage.ReadCSV(strings.NewReader(string(csv)))
	if err != nil {
		pr := sheet.CSVProblem(err)
		return TriageUpload{}, civic.Invalid(civic.FieldErr("file", "无法读取CSV（需要 title,text,label 三列，首行为列名）：%[1]s",
			"cannot read the CSV (it needs the columns title,text,label with a header row): %[2]s", pr.ZH, pr.EN))
	}
	if len(ex) == 0 {
		return TriageUpload{}, civic.Invalid(civic.FieldErr("file", "CSV中没有样本", "the CSV holds no examples"))
	}
	codes, err := s.leafCategories(ctx)
	if err != nil {
		return TriageUpload{}, err
	}
	var fs []civic.FieldError
	for i, e := range ex {
		// Row 1 is the header.
		switch {
		case e.Blank():
			fs = append(fs, civic.FieldErr("file", "第%d行：标题和正文都为空", "row %d: neither title nor text", i+2))
		case !codes[e.Label]:
			fs = append(fs, civic.FieldErr("file", "第%d行：分类“%s”不是分类目录中启用的小类代码",
				"row %d: label %q is not the code of an active leaf category in the catalogue", i+2, e.Label))
		}
		if len(fs) == 20 {
			fs = append(fs, civic.FieldErr("file", "错误过多，仅列出前20条", "too many errors; the first 20 are listed"))
			break
		}
	}
	if len(fs) > 0 {
		return TriageUpload{}, civic.Invalid(fs...)
	}
	return TriageUpload{Examples: ex}, nil
}

// leafCategories are the codes a model may learn and suggest: active leaf
// categories.
func (s *Store) leafCategories(ctx context.Context) (map[string]bool, error) {
	rows, err := s.query(ctx, `SELECT code FROM categories WHERE leaf = ? AND active = ?`, true, true)
	if err != nil {
		return nil, fmt.Errorf("read category codes: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out[c] = true
	}
	return out, rows.Err()
}

// QueueTriageModel asks for a new model to be trained in the background
// from closed cases, an upload, or both (administrators, audited).
func (s *Store) QueueTriageModel(ctx context.Context, a civic.Actor, src civic.TriageSource, up TriageUpload) (civic.TriageModel, error) {
	if err := a.MustCityWide(civic.PermTriageAdmin); err != nil {
		return civic.TriageModel{}, err
	}
	if !src.Valid() {
		return civic.TriageModel{}, civic.Invalid(civic.FieldErr("source", "训练数据来源无效", "unknown training source"))
	}
	if src != civic.TriageFromCases && len(up.Examples) == 0 {
		return civic.TriageModel{}, civic.Invalid(civic.FieldErr("file", "请上传带标签的CSV", "upload a labelled CSV"))
	}
	if src == civic.TriageFromCases {
		up.Examples = nil
	}
	return s.queueTriage(ctx, a, src, up)
}

func (s *Store) queueTriage(ctx context.Context, a civic.Actor, src civic.TriageSource, up TriageUpload) (civic.TriageModel, error) {
	upload := ""
	if len(up.Examples) > 0 {
		b, err := json.Marshal(up.Examples)
		if err != nil {
			return civic.TriageModel{}, fmt.Errorf("encode upload: %w", err)
		}
		upload = string(b)
	}
	var id int64
	err := s.write(ctx, func(tx *Tx) error {
		var v int
		if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM triage_models`).Scan(&v); err != nil {
			return fmt.Errorf("next model version: %w", err)
		}
		var err error
		id, err = tx.insertID(ctx, `INSERT INTO triage_models (version, status, source, active, upload, triggered_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, v, string(civic.TriageQueued), string(src), false, upload, a.Username, tx.now)
		if err != nil {
			return fmt.Errorf("queue triage model: %w", err)
		}
		return tx.audit(ctx, a, "triage.train", "triage_model", id, "", nil, map[string]any{"version": v, "source": src, "uploaded": len(up.Examples)})
	})
	if err != nil {
		return civic.TriageModel{}, err
	}
	return s.GetTriageModel(ctx, civic.System, id)
}

// QueueScheduledTriage queues a training from closed cases unless one is
// already waiting or running; it reports whether it queued one.
func (s *Store) QueueScheduledTriage(ctx context.Context) (bool, error) {
	var n int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM triage_models WHERE status IN (?, ?)`, string(civic.TriageQueued), string(civic.TriageRunning)).Scan(&n); err != nil {
		return false, fmt.Errorf("count pending trainings: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	set, err := s.TriageSettings(ctx)
	if err != nil {
		return false, err
	}
	// Too few closed cases to learn from: nothing to queue (a deployment
	// in its first weeks), rather than a failed model every period.
	var enough int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT category_code FROM cases WHERE state IN (?, ?) AND category_code <> ''
		GROUP BY category_code HAVING COUNT(*) >= ?) k`, string(civic.StateClosed), string(civic.StateVisited), set.MinExamples).Scan(&enough); err != nil {
		return false, fmt.Errorf("count trainable categories: %w", err)
	}
	if enough < 2 {
		return false, nil
	}
	_, err = s.queueTriage(ctx, civic.System, civic.TriageFromCases, TriageUpload{})
	return err == nil, err
}

// triageClaim is a model this server claimed to train: token is its lease,
// which every write of the training's outcome must still find on the row
// (another server takes a claim over once it is stale, and from then on
// the model is that server's to save, fail or hand back).
type triageClaim struct {
	id     int64
	token  string
	src    civic.TriageSource
	upload string
}

// errTriageLeaseLost is a training whose claim another server took over
// while it ran: its outcome is discarded.
var errTriageLeaseLost = errors.New("another server took the training over (the claim went stale); this server's outcome is discarded")

// claimTriage takes the oldest queued model (or one whose server died
// mid-training) for this server with a new lease token and counts the
// attempt; id 0 when there is none or another server took it first. A
// model whose servers vanished MaxTriageAttempts times is failed instead
// (giveUpTriage), and the next one looked at.
func (s *Store) claimTriage(ctx context.Context) (c triageClaim, err error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return c, fmt.Errorf("lease token: %w", err)
	}
	c.token = hex.EncodeToString(b)
	err = s.write(ctx, func(tx *Tx) error {
		for {
			var status string
			var attempts int
			stale := tx.now.Add(-triageStale)
			err := tx.queryRow(ctx, `SELECT id, source, upload, status, attempts FROM triage_models WHERE status = ? OR (status = ? AND leased_at < ?) ORDER BY id LIMIT 1`,
				string(civic.TriageQueued), string(civic.TriageRunning), stale).Scan(&c.id, &c.src, &c.upload, &status, &attempts)
			if errors.Is(err, sql.ErrNoRows) {
				c.id = 0
				return nil
			}
			if err != nil {
				return fmt.Errorf("find queued triage model: %w", err)
			}
			if status == string(civic.TriageRunning) && attempts >= MaxTriageAttempts {
				if err := tx.giveUpTriage(ctx, c.id, attempts, stale); err != nil {
					return err
				}
				continue
			}
			res, err := tx.exec(ctx, `UPDATE triage_models SET status = ?, started_at = ?, leased_at = ?, attempts = attempts + 1, lease_token = ? WHERE id = ? AND (status = ? OR (status = ? AND leased_at < ?))`,
				string(civic.TriageRunning), tx.now, tx.now, c.token, c.id, string(civic.TriageQueued), string(civic.TriageRunning), stale)
			if err != nil {
				return fmt.Errorf("claim triage model %d: %w", c.id, err)
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				c.id = 0
				return err
			}
			return nil
		}
	})
	return c, err
}

// giveUpTriage fails a model that servers began training attempts times
// and never finished, with the reason in both languages.
func (tx *Tx) giveUpTriage(ctx context.Context, id int64, attempts int, stale time.Time) error {
	msg := fmt.Sprintf("训练已开始%[1]d次，均未完成（训练中服务器退出、被终止或超时），不再重试；请检查训练数据和服务器内存后重新训练 / training was started %[1]d times and never finished (the server stopped, was killed or timed out while training); it is not tried again: check the training data and the servers' memory, then train again", attempts)
	if _, err := tx.exec(ctx, `UPDATE triage_models SET status = ?, error = ?, finished_at = ?, lease_token = '' WHERE id = ? AND status = ? AND leased_at < ?`,
		string(civic.TriageFailed), msg, tx.now, id, string(civic.TriageRunning), stale); err != nil {
		return fmt.Errorf("give up triage model %d: %w", id, err)
	}
	tx.s.log.Warn("triage training given up", "model", id, "attempts", attempts)
	return nil
}

// TriageExamples are the closed cases a model learns from (closed, 已结案,
// or closed and visited, 已回访): the case's title and description,
// labelled with the category it was closed under (a title taken from the
// description at intake left out), in categories that are still active
// leaves and have at least minCount cases. It reports the categories left
// out for having too few.
//
// A model learns from at most maxCount cases: a city closes that many in
// days, and training time grows faster than the examples. Above it every
// category keeps its newest perCategory cases, the largest number that
// fits, so the rarer categories keep all of theirs and the common ones
// their most recent wording; perCategory is 0 when all cases fit.
func (s *Store) TriageExamples(ctx context.Context, minCount, maxCount int) (examples []triage.Example, skipped []string, perCategory int, err error) {
	codes, err := s.leafCategories(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	closed := []any{string(civic.StateClosed), string(civic.StateVisited)}
	rows, err := s.query(ctx, `SELECT category_code, COUNT(*) FROM cases WHERE state IN (?, ?) AND category_code <> '' GROUP BY category_code`, closed...)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("count closed cases: %w", err)
	}
	count := map[string]int{}
	for rows.Next() {
		var c string
		var n int
		if err := rows.Scan(&c, &n); err != nil {
			rows.Close()
			return nil, nil, 0, fmt.Errorf("count closed cases: %w", err)
		}
		if !codes[c] {
			continue
		}
		if n < minCount {
			skipped = append(skipped, c)
			continue
		}
		count[c] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, 0, err
	}
	sort.Strings(skipped)
	perCategory = examplesPerCategory(count, maxCount)
	limit := perCategory
	if limit == 0 {
		for _, n := range count {
			limit = max(limit, n)
		}
	}
	// Newest first within each category, by the window function both
	// engines have; the examples come out oldest first.
	rows, err = s.query(ctx, `SELECT category_code, title, description FROM (
		SELECT id, category_code, title, description, ROW_NUMBER() OVER (PARTITION BY category_code ORDER BY id DESC) AS n
		FROM cases WHERE state IN (?, ?) AND category_code <> '') c WHERE n <= ? ORDER BY id`, append(closed, limit)...)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("read closed cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e triage.Example
		if err := rows.Scan(&e.Label, &e.Title, &e.Text); err != nil {
			return nil, nil, 0, fmt.Errorf("read closed cases: %w", err)
		}
		if _, ok := count[e.Label]; !ok {
			continue
		}
		if e.Title == headline(e.Text) {
			// Filed without a title (NewCase.titleDerived): learn the
			// message as it came, not its first sentence twice.
			e.Title = ""
		}
		examples = append(examples, e)
	}
	return examples, skipped, perCategory, rows.Err()
}

// examplesPerCategory is the largest number of cases each category may
// keep so that all together are at most budget (the rarer categories
// keeping all of theirs; one each at the least), or 0 when they fit as
// they are.
func examplesPerCategory(count map[string]int, budget int) int {
	total, largest := 0, 0
	for _, n := range count {
		total += n
		largest = max(largest, n)
	}
	if total <= budget {
		return 0
	}
	kept := func(k int) int {
		t := 0
		for _, n := range count {
			t += min(n, k)
		}
		return t
	}
	lo, hi := 1, largest
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if kept(mid) <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// TrainNextTriage trains one queued model, if there is one this server can
// claim, and reports which (0: none). A training that fails is marked so
// with its error and changes nothing else; the active model stays. While
// it trains, the lease is renewed every triageRenew (keepTriageLease), so
// a training may run longer than triageStale; one whose lease another
// server took over all the same is stopped and writes nothing.
func (s *Store) TrainNextTriage(ctx context.Context) (int64, error) {
	c, err := s.claimTriage(ctx)
	if err != nil || c.id == 0 {
		return 0, err
	}
	id := c.id
	tctx, stopTraining := context.WithCancelCause(ctx)
	defer stopTraining(nil)
	stopRenewing := s.keepTriageLease(tctx, stopTraining, c)
	err = s.trainTriageSafe(tctx, c)
	stopRenewing()
	if err != nil && errors.Is(context.Cause(tctx), errTriageLeaseLost) && ctx.Err() == nil {
		// A renewal found the model taken over and stopped the training.
		return id, fmt.Errorf("train triage model %d: %w (%v)", id, errTriageLeaseLost, err)
	}
	if errors.Is(err, errTriageLeaseLost) {
		// Not this server's model any more: nothing of its outcome is
		// written, neither the model nor a failure nor a hand-back.
		return id, fmt.Errorf("train triage model %d: %w", id, err)
	}
	if err != nil {
		msg := err.Error()
		var pe *triage.PanicError
		if e := civic.AsError(err); e.Code != civic.EInternal {
			msg = e.Msg.ZH + " / " + e.Msg.EN
		} else if errors.As(err, &pe) {
			s.log.Error("triage training panicked", "model", id, "panic", pe.Value, "stack", string(pe.Stack))
			msg = fmt.Sprintf("训练程序出错：%[1]v / the training crashed: %[1]v", pe.Value)
		}
		// Cut short by a shutdown (TrainContext stops at its next step):
		// back in the queue at once, for another server or the next
		// start, rather than failed or left running until it is stale;
		// the attempt does not count. Either way only while the claim is
		// still this server's.
		q, args := `UPDATE triage_models SET status = ?, error = ?, finished_at = ?, lease_token = '' WHERE id = ? AND status = ? AND lease_token = ?`,
			[]any{string(civic.TriageFailed), msg, s.Now(), id, string(civic.TriageRunning), c.token}
		if ctx.Err() != nil {
			q, args = `UPDATE triage_models SET status = ?, started_at = NULL, leased_at = NULL, attempts = attempts - 1, lease_token = '' WHERE id = ? AND status = ? AND lease_token = ?`,
				[]any{string(civic.TriageQueued), id, string(civic.TriageRunning), c.token}
		}
		wctx := context.WithoutCancel(ctx)
		ferr := s.write(wctx, func(tx *Tx) error {
			_, err := tx.exec(wctx, q, args...)
			return err
		})
		if ferr != nil {
			return id, fmt.Errorf("mark triage model %d failed: %w (training: %v)", id, ferr, err)
		}
		return id, fmt.Errorf("train triage model %d: %w", id, err)
	}
	return id, nil
}

// keepTriageLease renews c's lease every triageRenew, from the store's
// clock, until the returned stop is called (it waits for a renewal under
// way). A renewal that finds the lease no longer this server's (another
// server took the model over after renewals failed for triageStale)
// stops the training through lost, with errTriageLeaseLost as the cause;
// one that fails (the database) is logged and tried at the next tick.
func (s *Store) keepTriageLease(ctx context.Context, lost context.CancelCauseFunc, c triageClaim) (stop func()) {
	ticks, renewed := s.triage.renewTicks, s.triage.renewed
	var ticker *time.Ticker
	if ticks == nil {
		ticker = time.NewTicker(triageRenew)
		ticks = ticker.C
	}
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-ticks:
			}
			held, err := s.renewTriage(ctx, c)
			switch {
			case err != nil:
				if ctx.Err() == nil {
					s.log.Warn("triage lease renewal failed; tried again later", "model", c.id, "err", err)
				}
			case !held:
				s.log.Warn("triage lease lost to another server; training stopped", "model", c.id)
				lost(errTriageLeaseLost)
			}
			if renewed != nil {
				select {
				case renewed <- held && err == nil:
				case <-done:
				}
			}
			if !held && err == nil {
				return
			}
		}
	}()
	return func() {
		close(done)
		<-exited
		if ticker != nil {
			ticker.Stop()
		}
	}
}

// renewTriage moves c's lease on to now if the model is still running
// under c's token, and reports whether it was.
func (s *Store) renewTriage(ctx context.Context, c triageClaim) (held bool, err error) {
	err = s.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE triage_models SET leased_at = ? WHERE id = ? AND status = ? AND lease_token = ?`,
			tx.now, c.id, string(civic.TriageRunning), c.token)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		held = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("renew lease of triage model %d: %w", c.id, err)
	}
	return held, nil
}

// trainTriageSafe is trainTriage with a panic on this goroutine turned
// into an error (a PanicError, as the classifier's own goroutines give),
// so that the model is failed with it rather than left running, to be
// taken again and panic again once it is stale.
func (s *Store) trainTriageSafe(ctx context.Context, c triageClaim) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &triage.PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return s.trainTriage(ctx, c)
}

func (s *Store) trainTriage(ctx context.Context, c triageClaim) error {
	set, err := s.TriageSettings(ctx)
	if err != nil {
		return err
	}
	var examples []triage.Example
	var notes []string
	if c.src == civic.TriageFromCases || c.src == civic.TriageFromBoth {
		ex, skipped, per, err := s.TriageExamples(ctx, set.MinExamples, set.MaxExamples)
		if err != nil {
			return err
		}
		examples = ex
		if per > 0 {
			notes = append(notes, fmt.Sprintf("已办结工单超过训练样本上限%d件：每类取最近的%d件 / more closed cases than the limit of %d: each category's newest %d learnt",
				set.MaxExamples, per, set.MaxExamples, per))
		}
		if len(skipped) > 0 {
			notes = append(notes, fmt.Sprintf("少于%d件的分类未参与训练：%s / categories with fewer than %d closed cases left out: %s",
				set.MinExamples, strings.Join(skipped, "、"), set.MinExamples, strings.Join(skipped, ", ")))
		}
	}
	if c.upload != "" {
		var up []triage.Example
		if err := json.Unmarshal([]byte(c.upload), &up); err != nil {
			return fmt.Errorf("read uploaded examples: %w", err)
		}
		examples = append(examples, up...)
	}
	labels := map[string]int{}
	for _, e := range examples {
		labels[e.Label]++
	}
	if len(labels) < 2 {
		return civic.Errorf(civic.EInvalid, "训练数据不足：需要至少两个分类各有%[1]d件以上的样本（现有%[2]d个样本、%[3]d个分类）",
			"not enough training data: at least two categories with %[1]d examples each are needed (have %[2]d examples in %[3]d categories)",
			set.MinExamples, len(examples), len(labels))
	}
	if s.triage.onTrain != nil {
		s.triage.onTrain(ctx, c.id)
	}
	p := triage.DefaultParams
	// Wall time of the work itself, for the figures; nothing is decided
	// on it, so the injected clock (which a demo or test may hold still)
	// is not the one to ask.
	start := time.Now()
	report, eval, temp, err := evaluateTriage(ctx, examples, labels, p)
	if err != nil {
		return err
	}
	q := p
	if temp > 0 {
		// The held-out split already said how sure to be: the model on
		// all the data need not train on inner folds again for it.
		q.Folds = 0
	}
	model, err := triage.TrainContext(ctx, examples, q)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if temp > 0 {
		model.Temperature = temp
	}
	blob, err := model.Marshal()
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	secs := time.Since(start).Seconds()
	classes := make([]civic.TriageClassScore, len(report.Classes))
	for i, c := range report.Classes {
		classes[i] = civic.TriageClassScore{Code: c.Label, Precision: c.Precision, Recall: c.Recall, F1: c.F1, Support: c.Support}
	}
	cj, _ := json.Marshal(classes)
	pj, _ := json.Marshal(p)
	trainNotes := slices.Clip(notes)
	err = s.write(ctx, func(tx *Tx) error {
		notes := trainNotes // write may run this again: append to the training's notes afresh
		var activeID int64
		var activeF1 float64
		var activeVersion int
		err := tx.queryRow(ctx, `SELECT id, version, macro_f1 FROM triage_models WHERE active = ?`, true).Scan(&activeID, &activeVersion, &activeF1)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read active model: %w", err)
		}
		activate := false
		switch {
		case activeID == 0:
			activate = true
			notes = append(notes, "无启用中的模型，已自动启用 / no model was active; activated")
		case set.AutoMargin < 0:
			notes = append(notes, "设置为不自动启用，请管理员确认 / set never to activate by itself; an administrator decides")
		case report.MacroF1 >= activeF1-set.AutoMargin:
			activate = true
			notes = append(notes, fmt.Sprintf("宏F1 %.3f 不低于 v%d 的 %.3f 减容差 %.3f，已自动启用 / macro-F1 %.3f is not below v%d's %.3f minus the margin %.3f; activated",
				report.MacroF1, activeVersion, activeF1, set.AutoMargin, report.MacroF1, activeVersion, activeF1, set.AutoMargin))
		default:
			notes = append(notes, fmt.Sprintf("宏F1 %.3f 低于 v%d 的 %.3f 减容差 %.3f，保留原模型 / macro-F1 %.3f is below v%d's %.3f minus the margin %.3f; the active model stays",
				report.MacroF1, activeVersion, activeF1, set.AutoMargin, report.MacroF1, activeVersion, activeF1, set.AutoMargin))
		}
		res, err := tx.exec(ctx, `UPDATE triage_models SET status = ?, examples = ?, labels = ?, params = ?, evaluation = ?, macro_f1 = ?, accuracy = ?,
			classes = ?, train_seconds = ?, model = ?, error = '', note = ?, finished_at = ?, lease_token = '' WHERE id = ? AND status = ? AND lease_token = ?`,
			string(civic.TriageDone), len(examples), len(labels), string(pj), eval, report.MacroF1, report.Accuracy, string(cj), secs, string(blob),
			strings.Join(notes, "\n"), tx.now, c.id, string(civic.TriageRunning), c.token)
		if err != nil {
			return fmt.Errorf("save triage model %d: %w", c.id, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("save triage model %d: %w", c.id, err)
		}
		if n != 1 {
			// Trained for longer than triageStale: another server took
			// the model over and may be saving its own (or saved it).
			return errTriageLeaseLost
		}
		if activate {
			return tx.activateTriage(ctx, civic.System, c.id, activeID)
		}
		return nil
	})
	if err == nil {
		s.forgetTriage()
	}
	return err
}

// evaluateTriage measures how a model trained like p does on text it has
// not seen, and says how. On a held-out split it also returns the
// probability temperature fitted to the split (0 after cross-validation,
// where Train fits its own). It stops when ctx ends, with ctx's error.
func evaluateTriage(ctx context.Context, examples []triage.Example, labels map[string]int, p triage.Params) (triage.Report, string, float64, error) {
	if len(examples) <= TriageCVMax {
		k := TriageFolds
		for _, n := range labels {
			k = min(k, max(n, 2))
		}
		r, err := triage.CrossValidateContext(ctx, examples, p, k, nil)
		if err != nil {
			return r, "", 0, fmt.Errorf("cross-validate: %w", err)
		}
		return r, fmt.Sprintf("%d-fold cross-validation", k), 0, nil
	}
	seen := map[string]int{}
	var train, test []triage.Example
	for _, e := range examples {
		seen[e.Label]++
		if seen[e.Label]%5 == 0 {
			test = append(test, e)
		} else {
			train = append(train, e)
		}
	}
	q := p
	q.Folds = 0 // labels are scored, probabilities not needed
	m, err := triage.TrainContext(ctx, train, q)
	if err != nil {
		return triage.Report{}, "", 0, fmt.Errorf("train on the held-in part: %w", err)
	}
	truth, pred := make([]string, len(test)), make([]string, len(test))
	for i, e := range test {
		truth[i], pred[i] = e.Label, m.Classify(e.Title, e.Text)[0].Label
	}
	return triage.Score(truth, pred), fmt.Sprintf("held-out split: %d of %d examples (every 5th of each category)", len(test), len(examples)),
		triage.HeldOutTemperature(m, test), nil
}

// activateTriage makes id the active model in place of prev (0: none).
func (tx *Tx) activateTriage(ctx context.Context, a civic.Actor, id, prev int64) error {
	if _, err := tx.exec(ctx, `UPDATE triage_models SET active = ? WHERE active = ?`, false, true); err != nil {
		return fmt.Errorf("deactivate triage model: %w", err)
	}
	if _, err := tx.exec(ctx, `UPDATE triage_models SET active = ? WHERE id = ?`, true, id); err != nil {
		return fmt.Errorf("activate triage model %d: %w", id, err)
	}
	var v, pv int
	if err := tx.queryRow(ctx, `SELECT version FROM triage_models WHERE id = ?`, id).Scan(&v); err != nil {
		return fmt.Errorf("read triage model %d: %w", id, err)
	}
	var before any
	if prev != 0 {
		if err := tx.queryRow(ctx, `SELECT version FROM triage_models WHERE id = ?`, prev).Scan(&pv); err != nil {
			return fmt.Errorf("read triage model %d: %w", prev, err)
		}
		before = map[string]any{"active_version": pv}
	}
	return tx.audit(ctx, a, "triage.activate", "triage_model", id, "", before, map[string]any{"active_version": v})
}

// ActivateTriageModel makes a trained model the active one, e.g. to switch
// back to an earlier version (administrators, audited).
func (s *Store) ActivateTriageModel(ctx context.Context, a civic.Actor, id int64) (civic.TriageModel, error) {
	if err := a.MustCityWide(civic.PermTriageAdmin); err != nil {
		return civic.TriageModel{}, err
	}
	err := s.write(ctx, func(tx *Tx) error {
		var status string
		var active bool
		err := tx.queryRow(ctx, `SELECT status, active FROM triage_models WHERE id = ?`, id).Scan(&status, &active)
		if errors.Is(err, sql.ErrNoRows) {
			return civic.NotFound("该分类模型", "triage model")
		}
		if err != nil {
			return fmt.Errorf("read triage model %d: %w", id, err)
		}
		if civic.TriageStatus(status) != civic.TriageDone {
			return civic.Errorf(civic.EConflict, "只能启用训练完成的模型", "only a trained model can be activated")
		}
		if active {
			return nil
		}
		var prev int64
		if err := tx.queryRow(ctx, `SELECT id FROM triage_models WHERE active = ?`, true).Scan(&prev); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read active model: %w", err)
		}
		return tx.activateTriage(ctx, a, id, prev)
	})
	if err != nil {
		return civic.TriageModel{}, err
	}
	s.forgetTriage()
	return s.GetTriageModel(ctx, civic.System, id)
}

// forgetTriage makes the next use ask the database for the active model.
func (s *Store) forgetTriage() {
	s.triage.mu.Lock()
	s.triage.checked = time.Time{}
	s.triage.mu.Unlock()
}

// activeTriage returns the active model (nil when none), loading it when
// it changed since this server last looked.
func (s *Store) activeTriage(ctx context.Context) (*triage.Model, int64, int, error) {
	c := &s.triage
	c.mu.Lock()
	defer c.mu.Unlock()
	now := s.Now()
	if c.loaded && !c.checked.IsZero() && now.Sub(c.checked) < triageRecheck && now.Sub(c.checked) >= 0 {
		return c.model, c.id, c.version, nil
	}
	var id int64
	var v int
	err := s.queryRow(ctx, `SELECT id, version FROM triage_models WHERE active = ?`, true).Scan(&id, &v)
	if errors.Is(err, sql.ErrNoRows) {
		c.id, c.version, c.model, c.checked, c.loaded = 0, 0, nil, now, true
		return nil, 0, 0, nil
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read active triage model: %w", err)
	}
	if id != c.id || c.model == nil {
		var blob string
		if err := s.queryRow(ctx, `SELECT model FROM triage_models WHERE id = ?`, id).Scan(&blob); err != nil {
			return nil, 0, 0, fmt.Errorf("load triage model %d: %w", id, err)
		}
		m, err := triage.Unmarshal([]byte(blob))
		if err != nil {
			return nil, 0, 0, fmt.Errorf("load triage model %d: %w", id, err)
		}
		c.id, c.version, c.model = id, v, m
	}
	c.checked, c.loaded = now, true
	return c.model, c.id, c.version, nil
}

// SuggestCategory classifies a reporter's text with the active model: the
// three likeliest categories with their probabilities. With no active
// model, or too little text, the suggestion is empty (ModelID 0).
func (s *Store) SuggestCategory(ctx context.Context, a civic.Actor, title, text string) (civic.TriageSuggestion, error) {
	if err := a.Must(civic.PermCaseReport); err != nil {
		return civic.TriageSuggestion{}, err
	}
	sug, err := s.suggest(ctx, title, text, 3)
	if err != nil || len(sug.Predictions) == 0 {
		return sug, err
	}
	set, err := s.TriageSettings(ctx)
	if err != nil {
		return sug, err
	}
	if top := sug.Top(); set.Threshold > 0 && top.Probability >= set.Threshold {
		// As intake decides (triageCase): a category not accepted is for
		// a person to explain.
		if err := s.queryRow(ctx, `SELECT accepted FROM categories WHERE code = ?`, top.Code).Scan(&sug.Routes); err != nil {
			return sug, fmt.Errorf("read category %s: %w", top.Code, err)
		}
	}
	return sug, nil
}

func (s *Store) suggest(ctx context.Context, title, text string, n int) (civic.TriageSuggestion, error) {
	title, text = strings.TrimSpace(title), strings.TrimSpace(text)
	if utf8.RuneCountInString(title+text) < triageMinText {
		return civic.TriageSuggestion{}, nil
	}
	m, id, v, err := s.activeTriage(ctx)
	if err != nil || m == nil {
		return civic.TriageSuggestion{}, err
	}
	preds := m.Classify(title, text)
	out := civic.TriageSuggestion{ModelID: id, ModelVersion: v}
	for _, p := range preds {
		if len(out.Predictions) == n {
			break
		}
		var name string
		err := s.queryRow(ctx, `SELECT name FROM categories WHERE code = ? AND leaf = ? AND active = ?`, p.Label, true, true).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			continue // retired since the model learnt it
		}
		if err != nil {
			return civic.TriageSuggestion{}, fmt.Errorf("name category %s: %w", p.Label, err)
		}
		out.Predictions = append(out.Predictions, civic.TriagePrediction{Code: p.Label, Name: name, Probability: p.Prob})
	}
	return out, nil
}

// triageIntake is what the model said of a case at intake.
type triageIntake struct {
	modelID     int64
	version     int
	suggested   string
	name        string
	nameEN      string
	confidence  float64
	leftToModel bool
	autoRouted  bool
}

// triageCase classifies a submission. When the reporter left the category
// to the suggestion (NewCase.CategoryFromModel) and the top confidence
// reaches the threshold, the case takes the suggested category and is
// routed like any other; below it, the case is filed without a category
// and waits for a dispatcher. A model that cannot be read never stops
// intake: the case is filed without a suggestion.
func (s *Store) triageCase(ctx context.Context, p *preparedCase) error {
	title := p.n.Title
	if p.n.titleDerived {
		title = ""
	}
	sug, err := s.suggest(ctx, title, p.n.Description, 1)
	if err != nil {
		s.log.Warn("triage at intake", "err", err)
		sug = civic.TriageSuggestion{}
	}
	left := p.n.CategoryFromModel
	if left {
		p.n.CategoryCode = ""
	}
	if sug.ModelID == 0 || len(sug.Predictions) == 0 {
		return nil
	}
	top := sug.Top()
	t := &triageIntake{modelID: sug.ModelID, version: sug.ModelVersion, suggested: top.Code, confidence: top.Probability, leftToModel: left}
	p.triage = t
	if !left {
		return nil
	}
	set, err := s.TriageSettings(ctx)
	if err != nil {
		return err
	}
	if set.Threshold <= 0 || top.Probability < set.Threshold {
		return nil
	}
	rules, err := rulesFor(ctx, s, top.Code)
	if err != nil || !rules.Known || !rules.Accepted {
		// A not-accepted category is for a person to tell the reporter.
		return nil
	}
	p.n.CategoryCode, t.autoRouted, t.name = top.Code, true, rules.Name
	// For the timeline in English; the Chinese name stands in if none.
	if err := s.queryRow(ctx, `SELECT name_en FROM categories WHERE code = ?`, top.Code).Scan(&t.nameEN); err != nil {
		return fmt.Errorf("name category %s: %w", top.Code, err)
	}
	return nil
}

// recordTriage writes the suggestion made for a new case, in the case's
// transaction, with the model's classification note when it routed it.
func (tx *Tx) recordTriage(ctx context.Context, p *preparedCase, caseID int64, routed bool) error {
	t := p.triage
	if t == nil {
		return nil
	}
	auto := t.autoRouted && routed
	if _, err := tx.exec(ctx, `INSERT INTO triage_suggestions (case_id, model_id, version, suggested, confidence, chosen, left_to_model, auto_routed, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, caseID, t.modelID, t.version, t.suggested, t.confidence, p.n.CategoryCode, t.leftToModel, auto, tx.now); err != nil {
		return fmt.Errorf("record triage suggestion: %w", err)
	}
	if !t.autoRouted {
		return nil
	}
	d, _ := json.Marshal(map[string]any{"triage": map[string]any{"version": t.version, "confidence": t.confidence, "category": t.suggested, "name": t.name, "name_en": t.nameEN}})
	note := fmt.Sprintf("由分类模型v%d自动分类为“%s”（置信度%.0f%%），未经人工分派", t.version, t.name, t.confidence*100)
	return tx.addEvent(ctx, civic.System, caseID, civic.ActComment, civic.StateReported, civic.StateReported, note, true, string(d))
}

// TriageAcceptance counts, per suggested category and overall (Code ""),
// how often the suggestion was taken, over the cases in the actor's scope.
func (s *Store) TriageAcceptance(ctx context.Context, a civic.Actor) ([]civic.TriageAcceptance, error) {
	if err := a.Must(civic.PermCaseMetrics); err != nil {
		return nil, err
	}
	cond, args := caseScopeClause(a)
	rows, err := s.query(ctx, `SELECT t.suggested, COALESCE(k.name, ''),
			COUNT(*),
			SUM(CASE WHEN t.chosen = t.suggested THEN 1 ELSE 0 END),
			SUM(CASE WHEN t.auto_routed THEN 1 ELSE 0 END),
			SUM(CASE WHEN c.category_code <> '' THEN 1 ELSE 0 END),
			SUM(CASE WHEN c.category_code = t.suggested THEN 1 ELSE 0 END)
		FROM triage_suggestions t JOIN cases c ON c.id = t.case_id LEFT JOIN categories k ON k.code = t.suggested
		WHERE `+cond+` GROUP BY t.suggested, k.name ORDER BY COUNT(*) DESC, t.suggested`, args...)
	if err != nil {
		return nil, fmt.Errorf("count triage acceptance: %w", err)
	}
	defer rows.Close()
	total := civic.TriageAcceptance{}
	var out []civic.TriageAcceptance
	for rows.Next() {
		var r civic.TriageAcceptance
		if err := rows.Scan(&r.Code, &r.Name, &r.Suggested, &r.Accepted, &r.AutoRouted, &r.Final, &r.FinalAgreed); err != nil {
			return nil, fmt.Errorf("count triage acceptance: %w", err)
		}
		total.Suggested += r.Suggested
		total.Accepted += r.Accepted
		total.AutoRouted += r.AutoRouted
		total.Final += r.Final
		total.FinalAgreed += r.FinalAgreed
		out = append(out, rates(r))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return append([]civic.TriageAcceptance{rates(total)}, out...), nil
}

func rates(r civic.TriageAcceptance) civic.TriageAcceptance {
	if r.Suggested > 0 {
		r.Rate = float64(r.Accepted) / float64(r.Suggested)
	}
	if r.Final > 0 {
		r.FinalRate = float64(r.FinalAgreed) / float64(r.Final)
	}
	return r
}
