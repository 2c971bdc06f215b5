package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/textseg"
)

// The knowledge base (知识库). Articles are few (a city keeps hundreds to a
// few thousand), so searches find their candidates through the full-text
// index and rank them in Go: a search needs every query term (as case
// search does) and puts articles whose question holds the terms before
// those where only the answer does, newest first within each; suggestions
// for a consultation's free text need any term and rank by how many
// distinct terms an article shares with the text. Every staff role reads
// every article (knowledge is not personal data and an operator answers
// the whole city); residents and volunteers read public articles in force.

// maxKnowledgeCandidates bounds the rows one search ranks in Go.
const maxKnowledgeCandidates = 2000

// maxSuggestTerms bounds the terms of a consultation's text that are
// matched. A call note opens with who called from where and often ends
// with what they want ("想咨询一下社保关系跨省转移怎么办理"), so a longer
// text keeps its first and its last half of this many.
const maxSuggestTerms = 160

const articleCols = `a.id, a.question, a.answer, a.category_code, a.valid_from, a.valid_to, a.org_id, o.name, a.public,
	a.created_by, a.created_at, a.updated_at,
	(SELECT COUNT(*) FROM kb_flags f WHERE f.article_id = a.id AND f.resolved_at IS NULL)`

const articleFrom = ` FROM kb_articles a JOIN organisations o ON o.id = a.org_id`

func scanArticle(sc interface{ Scan(...any) error }) (civic.Article, error) {
	var a civic.Article
	err := sc.Scan(&a.ID, &a.Question, &a.Answer, &a.CategoryCode, &a.ValidFrom, &a.ValidTo, &a.OrgID, &a.OrgName, &a.Public,
		&a.CreatedBy, &a.CreatedAt, &a.UpdatedAt, &a.OpenFlags)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, err
}

// PublicOnly reports whether the actor reads only public articles in
// force (residents and volunteers): pages offer them no filter of
// validity and speak to them, not to operators.
func PublicOnly(a civic.Actor) bool {
	return a.Role == civic.RoleResident || a.Role == civic.RoleVolunteer
}

// CanWriteArticle reports whether the actor may write articles owned by an
// organisation: administrators and street staff for organisations whose
// jurisdiction lies in their scope, handlers for their own organisation.
func CanWriteArticle(a civic.Actor, orgID int64, orgRegion string) bool {
	if a.IsSystem() {
		return true
	}
	if !a.Can(civic.PermKnowledgeWrite) {
		return false
	}
	if a.Role == civic.RoleHandler || a.Scope.OrgID != 0 {
		return a.Scope.OrgID == orgID
	}
	return a.InScope(orgRegion)
}

// validClause limits articles to those in force on a China date.
const validClause = `(a.valid_from = '' OR a.valid_from <= ?) AND (a.valid_to = '' OR a.valid_to >= ?)`

// readClause is what the actor may read of the knowledge base.
func (s *Store) readClause(a civic.Actor) (string, []any) {
	if !PublicOnly(a) {
		return "1=1", nil
	}
	today := civic.Today(s.Now())
	return "a.public = ? AND " + validClause, []any{true, today, today}
}

// GetArticle returns one article the actor may read.
func (s *Store) GetArticle(ctx context.Context, a civic.Actor, id int64) (civic.Article, error) {
	if err := a.Must(civic.PermKnowledgeRead); err != nil {
		return civic.Article{}, err
	}
	cond, args := s.readClause(a)
	art, err := scanArticle(s.queryRow(ctx, `SELECT `+articleCols+articleFrom+` WHERE a.id = ? AND `+cond, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return art, civic.NotFound(fmt.Sprintf("知识库文章 %d", id), fmt.Sprintf("knowledge article %d", id))
	}
	if err != nil {
		return art, fmt.Errorf("get knowledge article %d: %w", id, err)
	}
	return art, nil
}

// KnowledgeFilter narrows ListArticles.
type KnowledgeFilter struct {
	Query string
	OrgID int64
	// HideExpired leaves out articles whose term has ended; residents
	// never see them whatever the filter says.
	HideExpired bool
	// Flagged keeps only articles with open flags.
	Flagged bool
	Page
}

// ListArticles searches the knowledge base. With a query every term must
// match; when no article holds them all (two words typed together,
// "楼道充电", make a bigram "道充" no article has), those holding at least
// half of them are found instead. Articles holding more terms, then those
// whose question holds them, come first, then articles in force, then the
// newest. It returns the page and the number of matches.
func (s *Store) ListArticles(ctx context.Context, a civic.Actor, f KnowledgeFilter) ([]civic.Article, int, error) {
	if err := a.Must(civic.PermKnowledgeRead); err != nil {
		return nil, 0, err
	}
	p := f.Page.normal()
	cond, args := s.readClause(a)
	where := []string{cond}
	terms := textseg.Query(f.Query)
	if len(terms) == 0 && strings.TrimSpace(f.Query) != "" {
		return nil, 0, nil
	}
	if f.OrgID != 0 {
		where = append(where, "a.org_id = ?")
		args = append(args, f.OrgID)
	}
	if f.HideExpired {
		where = append(where, "(a.valid_to = '' OR a.valid_to >= ?)")
		args = append(args, civic.Today(s.Now()))
	}
	if f.Flagged {
		where = append(where, "EXISTS (SELECT 1 FROM kb_flags f WHERE f.article_id = a.id AND f.resolved_at IS NULL)")
	}
	// query reads the candidates: those holding all the terms, or any.
	query := func(all bool) ([]civic.Article, error) {
		w, as := where, args
		if len(terms) > 0 {
			m, arg := s.kbMatch(terms, all)
			w, as = append(slices.Clone(where), m), append(slices.Clone(args), arg)
		}
		return s.queryArticles(ctx, `SELECT `+articleCols+articleFrom+` WHERE `+strings.Join(w, " AND ")+
			` ORDER BY a.updated_at DESC, a.id DESC LIMIT ?`, append(as, maxKnowledgeCandidates)...)
	}
	arts, err := query(true)
	if err != nil {
		return nil, 0, err
	}
	held := map[int64]int{} // distinct terms an article holds
	if len(terms) > 1 && len(arts) == 0 {
		if arts, err = query(false); err != nil {
			return nil, 0, err
		}
		need := (len(terms) + 1) / 2
		arts = slices.DeleteFunc(arts, func(art civic.Article) bool {
			all := termSet(art.Question + " " + art.Answer)
			for _, t := range terms {
				if all[t] {
					held[art.ID]++
				}
			}
			return held[art.ID] < need
		})
	}
	if len(terms) > 0 {
		// A stable sort keeps newest first among equals.
		hits := map[int64]int{}
		for _, art := range arts {
			q := strings.ToLower(art.Question)
			for _, t := range terms {
				if strings.Contains(q, t) {
					hits[art.ID]++
				}
			}
		}
		today := civic.Today(s.Now())
		slices.SortStableFunc(arts, func(x, y civic.Article) int {
			if d := held[y.ID] - held[x.ID]; d != 0 {
				return d
			}
			if d := hits[y.ID] - hits[x.ID]; d != 0 {
				return d
			}
			return boolInt(x.ExpiredOn(today)) - boolInt(y.ExpiredOn(today))
		})
	}
	total := len(arts)
	// Offset and limit come from the client: p.Offset+p.Limit may overflow.
	lo := min(max(p.Offset, 0), total)
	hi := lo + min(max(p.Limit, 0), total-lo)
	return arts[lo:hi], total, nil
}

func (s *Store) queryArticles(ctx context.Context, q string, args ...any) ([]civic.Article, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list knowledge articles: %w", err)
	}
	defer rows.Close()
	var out []civic.Article
	for rows.Next() {
		art, err := scanArticle(rows)
		if err != nil {
			return nil, fmt.Errorf("scan knowledge article: %w", err)
		}
		out = append(out, art)
	}
	return out, rows.Err()
}

// kbMatch is the condition that an article's terms include all (or any)
// of terms. Terms hold only letters and digits (textseg), but are quoted
// anyway so that none is read as query syntax.
func (s *Store) kbMatch(terms []string, all bool) (string, any) {
	if s.engine == Postgres {
		if all {
			return "a.search_terms @@ plainto_tsquery('simple', ?)", strings.Join(terms, " ")
		}
		quoted := make([]string, len(terms))
		for i, t := range terms {
			quoted[i] = "'" + strings.ReplaceAll(strings.ReplaceAll(t, `\`, `\\`), "'", "''") + "'"
		}
		return "a.search_terms @@ to_tsquery('simple', ?)", strings.Join(quoted, " | ")
	}
	q := ftsMatch(terms)
	if !all {
		q = strings.ReplaceAll(q, `" AND "`, `" OR "`)
	}
	return "a.id IN (SELECT rowid FROM kb_fts WHERE kb_fts MATCH ?)", q
}

// kbStopTerms are the bigrams of how a consultation is asked and taken
// down rather than what it is about ("想咨询一下…什么时候…怎么办理",
// "来电人反映"): they would make any question-shaped article a match, so
// suggestions leave them out.
var kbStopTerms = map[string]bool{
	"什么": true, "么时": true, "时候": true, "怎么": true, "么办": true, "怎样": true, "如何": true,
	"哪里": true, "哪儿": true, "哪些": true, "为什": true, "为何": true, "是否": true, "能否": true,
	"可以": true, "请问": true, "咨询": true, "询一": true, "一下": true, "想问": true, "问一": true,
	"问下": true, "反映": true, "来电": true, "电人": true, "市民": true, "谢谢": true, "您好": true,
	"你好": true, "需要": true, "一直": true,
}

// SuggestArticles returns up to n articles in force that answer the free
// text of a new consultation, best first. The text's terms (at most
// maxSuggestTerms: its first and last part when longer; kbStopTerms left
// out) find candidates
// sharing any term through the index. A term weighs by how rare it is
// among the articles in force (inverse document frequency): "供暖" says
// what a caller wants, "什么时候" and "怎么办" stand in half the
// questions. A candidate scores twice a term's weight when its question
// holds it and once when only its answer does, and needs at least two
// distinct terms (one when the text has only one) of which one in its
// question: the question says what an article is about, and a word the
// text shares only with an answer ("来电人" in an operator's guidance) is
// noise.
func (s *Store) SuggestArticles(ctx context.Context, a civic.Actor, text string, n int) ([]civic.Article, error) {
	if err := a.Must(civic.PermKnowledgeRead); err != nil {
		return nil, err
	}
	if n <= 0 || n > 20 {
		n = 5
	}
	terms := slices.DeleteFunc(textseg.Query(text), func(t string) bool { return kbStopTerms[t] })
	if len(terms) == 0 {
		return nil, nil
	}
	if len(terms) > maxSuggestTerms {
		half := maxSuggestTerms / 2
		terms = append(terms[:half:half], terms[len(terms)-half:]...)
	}
	today := civic.Today(s.Now())
	cond, args := s.readClause(a)
	var inForce int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM kb_articles a WHERE `+cond+` AND `+validClause, append(slices.Clone(args), today, today)...).Scan(&inForce); err != nil {
		return nil, fmt.Errorf("count knowledge articles: %w", err)
	}
	m, arg := s.kbMatch(terms, false)
	arts, err := s.queryArticles(ctx, `SELECT `+articleCols+articleFrom+` WHERE `+cond+` AND `+validClause+` AND `+m+
		` ORDER BY a.updated_at DESC, a.id DESC LIMIT ?`, append(args, today, today, arg, maxKnowledgeCandidates)...)
	if err != nil {
		return nil, err
	}
	// Every article in force holding a term is a candidate, so the
	// candidates give each term's document frequency.
	type sets struct{ q, ans map[string]bool }
	cand := make([]sets, len(arts))
	df := map[string]int{}
	for i, art := range arts {
		cand[i] = sets{termSet(art.Question), termSet(art.Answer)}
		for _, t := range terms {
			if cand[i].q[t] || cand[i].ans[t] {
				df[t]++
			}
		}
	}
	weight := func(t string) float64 {
		return math.Log(float64(inForce+1) / (float64(df[t]) + 0.5))
	}
	need := min(2, len(terms))
	score := map[int64]float64{}
	var out []civic.Article
	for i, art := range arts {
		sc, distinct, inQuestion := 0.0, 0, false
		for _, t := range terms {
			switch {
			case cand[i].q[t]:
				sc += 2 * weight(t)
				distinct++
				inQuestion = true
			case cand[i].ans[t]:
				sc += weight(t)
				distinct++
			}
		}
		if distinct >= need && inQuestion {
			score[art.ID] = sc
			out = append(out, art)
		}
	}
	slices.SortStableFunc(out, func(x, y civic.Article) int { return cmp.Compare(score[y.ID], score[x.ID]) })
	return out[:min(n, len(out))], nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func termSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, t := range textseg.Terms(s) {
		m[t] = true
	}
	return m
}

// indexArticle (re)stores an article's search terms.
func (tx *Tx) indexArticle(ctx context.Context, art civic.Article) error {
	terms := strings.Join(textseg.Terms(art.Question+" "+art.Answer), " ")
	var err error
	if tx.s.engine == Postgres {
		_, err = tx.exec(ctx, `UPDATE kb_articles SET search_terms = to_tsvector('simple', ?) WHERE id = ?`, terms, art.ID)
	} else {
		if _, err = tx.exec(ctx, `DELETE FROM kb_fts WHERE rowid = ?`, art.ID); err == nil {
			_, err = tx.exec(ctx, `INSERT INTO kb_fts (rowid, terms) VALUES (?, ?)`, art.ID, terms)
		}
	}
	if err != nil {
		return fmt.Errorf("index knowledge article %d: %w", art.ID, err)
	}
	return nil
}

// reindexArticles re-indexes every article, in tx, after a change of the
// term cutter.
func (tx *Tx) reindexArticles(ctx context.Context) error {
	rows, err := tx.query(ctx, `SELECT id, question, answer FROM kb_articles ORDER BY id`)
	if err != nil {
		return fmt.Errorf("read knowledge articles to index: %w", err)
	}
	var arts []civic.Article
	for rows.Next() {
		var art civic.Article
		if err := rows.Scan(&art.ID, &art.Question, &art.Answer); err != nil {
			rows.Close()
			return fmt.Errorf("read knowledge article to index: %w", err)
		}
		arts = append(arts, art)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read knowledge articles to index: %w", err)
	}
	for _, art := range arts {
		if err := tx.indexArticle(ctx, art); err != nil {
			return err
		}
	}
	return nil
}

// articleOwner checks the owner organisation and the category of an
// article being written, and that the actor may write for the owner. It
// returns the owner's name and jurisdiction.
func (tx *Tx) articleOwner(ctx context.Context, a civic.Actor, art civic.Article) (name, region string, err error) {
	err = tx.queryRow(ctx, `SELECT name, region_code FROM organisations WHERE id = ?`, art.OrgID).Scan(&name, &region)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", civic.Invalid(civic.FieldErr("org_id", "负责部门不存在", "the owner department does not exist"))
	}
	if err != nil {
		return "", "", fmt.Errorf("read organisation %d: %w", art.OrgID, err)
	}
	if !CanWriteArticle(a, art.OrgID, region) {
		return "", "", civic.OutOfScope("org_id", "您不能为该部门编写知识库文章", "you may not write articles for this department")
	}
	if art.CategoryCode != "" {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM categories WHERE code = ?`, art.CategoryCode).Scan(&n); err != nil {
			return "", "", fmt.Errorf("read category %s: %w", art.CategoryCode, err)
		}
		if n == 0 {
			return "", "", civic.Invalid(civic.FieldErr("category_code", "分类不存在", "the category does not exist"))
		}
	}
	return name, region, nil
}

// articleAudit is what the audit log keeps of an article: not the whole
// answer, which may be long.
func articleAudit(art civic.Article) map[string]any {
	return map[string]any{"question": art.Question, "org_id": art.OrgID, "category_code": art.CategoryCode,
		"valid_from": art.ValidFrom, "valid_to": art.ValidTo, "public": art.Public}
}

// CreateArticle adds an article to the knowledge base.
func (s *Store) CreateArticle(ctx context.Context, a civic.Actor, art civic.Article) (civic.Article, error) {
	if err := a.Must(civic.PermKnowledgeWrite); err != nil {
		return art, err
	}
	if err := art.Validate(); err != nil {
		return art, err
	}
	err := s.write(ctx, func(tx *Tx) error {
		_, region, err := tx.articleOwner(ctx, a, art)
		if err != nil {
			return err
		}
		// One department does not answer the same question twice: the
		// second is a form sent again (a double click, a refresh), or an
		// article its owner should edit instead. The owner's row is held
		// so that two at once cannot both pass the check.
		var org int64
		if err := tx.queryRow(ctx, `SELECT id FROM organisations WHERE id = ?`+tx.s.forUpdate(), art.OrgID).Scan(&org); err != nil {
			return fmt.Errorf("lock organisation %d: %w", art.OrgID, err)
		}
		var same int64
		err = tx.queryRow(ctx, `SELECT id FROM kb_articles WHERE org_id = ? AND question = ? ORDER BY id LIMIT 1`, art.OrgID, art.Question).Scan(&same)
		switch {
		case err == nil:
			return civic.Invalid(civic.FieldErr("question", "本部门已有同一问题的文章（编号%d），请修改那篇",
				"the department already has an article with this question (no. %d); edit that one", same))
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("look for the same question: %w", err)
		}
		art.ID, err = tx.insertID(ctx, `INSERT INTO kb_articles (question, answer, category_code, valid_from, valid_to, org_id, public, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, art.Question, art.Answer, art.CategoryCode, art.ValidFrom, art.ValidTo, art.OrgID, art.Public, a.Username, tx.now, tx.now)
		if err != nil {
			return fmt.Errorf("insert knowledge article: %w", err)
		}
		if err := tx.indexArticle(ctx, art); err != nil {
			return err
		}
		return tx.audit(ctx, a, "knowledge.create", "article", art.ID, region, nil, articleAudit(art))
	})
	if err != nil {
		return art, err
	}
	return s.GetArticle(ctx, civic.System, art.ID)
}

// UpdateArticle replaces an article's fields. The actor must be able to
// write for both the old and the new owner.
func (s *Store) UpdateArticle(ctx context.Context, a civic.Actor, art civic.Article) (civic.Article, error) {
	if err := a.Must(civic.PermKnowledgeWrite); err != nil {
		return art, err
	}
	if err := art.Validate(); err != nil {
		return art, err
	}
	before, err := s.GetArticle(ctx, a, art.ID)
	if err != nil {
		return art, err
	}
	err = s.write(ctx, func(tx *Tx) error {
		if _, _, err := tx.articleOwner(ctx, a, civic.Article{OrgID: before.OrgID}); err != nil {
			return err
		}
		_, region, err := tx.articleOwner(ctx, a, art)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE kb_articles SET question = ?, answer = ?, category_code = ?, valid_from = ?, valid_to = ?, org_id = ?, public = ?, updated_at = ? WHERE id = ?`,
			art.Question, art.Answer, art.CategoryCode, art.ValidFrom, art.ValidTo, art.OrgID, art.Public, tx.now, art.ID); err != nil {
			return fmt.Errorf("update knowledge article %d: %w", art.ID, err)
		}
		if err := tx.indexArticle(ctx, art); err != nil {
			return err
		}
		return tx.audit(ctx, a, "knowledge.update", "article", art.ID, region, articleAudit(before), articleAudit(art))
	})
	if err != nil {
		return art, err
	}
	return s.GetArticle(ctx, civic.System, art.ID)
}

const flagCols = `f.id, f.article_id, a.question, f.reason, f.flagged_by, f.flagged_at, f.resolved_by, f.resolved_at, f.resolution, f.resolve_note`

const flagFrom = ` FROM kb_flags f JOIN kb_articles a ON a.id = f.article_id`

func scanFlag(sc interface{ Scan(...any) error }) (civic.ArticleFlag, error) {
	var f civic.ArticleFlag
	var at sql.NullTime
	err := sc.Scan(&f.ID, &f.ArticleID, &f.Question, &f.Reason, &f.FlaggedBy, &f.FlaggedAt, &f.ResolvedBy, &at, &f.Resolution, &f.ResolveNote)
	f.FlaggedAt = f.FlaggedAt.UTC()
	if at.Valid {
		t := at.Time.UTC()
		f.ResolvedAt = &t
	}
	return f, err
}

func (s *Store) queryFlags(ctx context.Context, q string, args ...any) ([]civic.ArticleFlag, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list knowledge flags: %w", err)
	}
	defer rows.Close()
	var out []civic.ArticleFlag
	for rows.Next() {
		f, err := scanFlag(rows)
		if err != nil {
			return nil, fmt.Errorf("scan knowledge flag: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FlagArticle records that an article is outdated or wrong, with the
// reason the owner will read.
func (s *Store) FlagArticle(ctx context.Context, a civic.Actor, articleID int64, reason string) (civic.ArticleFlag, error) {
	if err := a.Must(civic.PermKnowledgeFlag); err != nil {
		return civic.ArticleFlag{}, err
	}
	reason = strings.TrimSpace(reason)
	if n := len([]rune(reason)); n == 0 || n > 500 {
		return civic.ArticleFlag{}, civic.Invalid(civic.FieldErr("reason", "请说明哪里过时或有误（不超过500字）", "say what is outdated or wrong (at most 500 characters)"))
	}
	art, err := s.GetArticle(ctx, a, articleID)
	if err != nil {
		return civic.ArticleFlag{}, err
	}
	var id int64
	err = s.write(ctx, func(tx *Tx) error {
		var region string
		if err := tx.queryRow(ctx, `SELECT region_code FROM organisations WHERE id = ?`, art.OrgID).Scan(&region); err != nil {
			return fmt.Errorf("read organisation %d: %w", art.OrgID, err)
		}
		var err error
		id, err = tx.insertID(ctx, `INSERT INTO kb_flags (article_id, reason, flagged_by_id, flagged_by, flagged_at) VALUES (?, ?, ?, ?, ?)`,
			articleID, reason, a.UserID, a.Username, tx.now)
		if err != nil {
			return fmt.Errorf("insert knowledge flag: %w", err)
		}
		return tx.audit(ctx, a, "knowledge.flag", "article", articleID, region, nil, map[string]any{"flag_id": id, "reason": reason})
	})
	if err != nil {
		return civic.ArticleFlag{}, err
	}
	return scanFlag(s.queryRow(ctx, `SELECT `+flagCols+flagFrom+` WHERE f.id = ?`, id))
}

// ListArticleFlags returns an article's flags, open ones first.
func (s *Store) ListArticleFlags(ctx context.Context, a civic.Actor, articleID int64) ([]civic.ArticleFlag, error) {
	if err := a.Must(civic.PermKnowledgeFlag); err != nil {
		return nil, err
	}
	if _, err := s.GetArticle(ctx, a, articleID); err != nil {
		return nil, err
	}
	return s.queryFlags(ctx, `SELECT `+flagCols+flagFrom+` WHERE f.article_id = ?
		ORDER BY CASE WHEN f.resolved_at IS NULL THEN 0 ELSE 1 END, f.flagged_at DESC, f.id DESC`, articleID)
}

// OpenFlags is the owner's queue: open flags on articles the actor may
// write, oldest first.
func (s *Store) OpenFlags(ctx context.Context, a civic.Actor) ([]civic.ArticleFlag, error) {
	if err := a.Must(civic.PermKnowledgeWrite); err != nil {
		return nil, err
	}
	q := `SELECT ` + flagCols + `, o.id, o.region_code` + flagFrom + ` JOIN organisations o ON o.id = a.org_id
		WHERE f.resolved_at IS NULL ORDER BY f.flagged_at, f.id`
	rows, err := s.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list open knowledge flags: %w", err)
	}
	defer rows.Close()
	var out []civic.ArticleFlag
	for rows.Next() {
		var f civic.ArticleFlag
		var at sql.NullTime
		var orgID int64
		var region string
		if err := rows.Scan(&f.ID, &f.ArticleID, &f.Question, &f.Reason, &f.FlaggedBy, &f.FlaggedAt, &f.ResolvedBy, &at, &f.Resolution, &f.ResolveNote, &orgID, &region); err != nil {
			return nil, fmt.Errorf("scan knowledge flag: %w", err)
		}
		f.FlaggedAt = f.FlaggedAt.UTC()
		if CanWriteArticle(a, orgID, region) {
			out = append(out, f)
		}
	}
	return out, rows.Err()
}

// ResolveFlag closes an open flag as edited or dismissed, by someone who
// may write the article.
func (s *Store) ResolveFlag(ctx context.Context, a civic.Actor, flagID int64, resolution, note string) (civic.ArticleFlag, error) {
	if err := a.Must(civic.PermKnowledgeWrite); err != nil {
		return civic.ArticleFlag{}, err
	}
	note = strings.TrimSpace(note)
	if resolution != civic.FlagEdited && resolution != civic.FlagDismissed {
		return civic.ArticleFlag{}, civic.Invalid(civic.FieldErr("resolution", "处理结果应为“已修订”或“无需修改”", "the resolution must be edited or dismissed"))
	}
	if len([]rune(note)) > 500 {
		return civic.ArticleFlag{}, civic.Invalid(civic.FieldErr("note", "说明不超过500字", "the note is at most 500 characters"))
	}
	notFound := civic.NotFound(fmt.Sprintf("标记 %d", flagID), fmt.Sprintf("flag %d", flagID))
	err := s.write(ctx, func(tx *Tx) error {
		var articleID, orgID int64
		var region string
		var resolved sql.NullTime
		err := tx.queryRow(ctx, `SELECT f.article_id, a.org_id, o.region_code, f.resolved_at FROM kb_flags f
			JOIN kb_articles a ON a.id = f.article_id JOIN organisations o ON o.id = a.org_id WHERE f.id = ?`+s.forUpdate(), flagID).Scan(&articleID, &orgID, &region, &resolved)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound
		}
		if err != nil {
			return fmt.Errorf("read knowledge flag %d: %w", flagID, err)
		}
		if !CanWriteArticle(a, orgID, region) {
			return civic.Forbidden()
		}
		if resolved.Valid {
			return civic.Errorf(civic.EConflict, "该标记已处理", "the flag has already been resolved")
		}
		if _, err := tx.exec(ctx, `UPDATE kb_flags SET resolved_by = ?, resolved_at = ?, resolution = ?, resolve_note = ? WHERE id = ?`,
			a.Username, tx.now, resolution, note, flagID); err != nil {
			return fmt.Errorf("resolve knowledge flag %d: %w", flagID, err)
		}
		return tx.audit(ctx, a, "knowledge.resolve", "article", articleID, region, nil, map[string]any{"flag_id": flagID, "resolution": resolution, "note": note})
	})
	if err != nil {
		return civic.ArticleFlag{}, err
	}
	return scanFlag(s.queryRow(ctx, `SELECT `+flagCols+flagFrom+` WHERE f.id = ?`, flagID))
}
