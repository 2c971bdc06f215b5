package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/civicgrid/civicgrid/internal/textseg"
)

// regionTerms are index terms for every region above and at a case's
// place ("r1101", "r110101", …), so that a search limited to a scope is one
// index lookup rather than a search followed by a scan of the region.
func regionTerms(code string) []string {
	var out []string
	for _, n := range []int{4, 6, 9, 12, 15, 17, 18} {
		if len(code) >= n {
			out = append(out, "r"+code[:n])
		}
	}
	return out
}

// isRegionTerm reports whether t has the form of a region term: "r" and
// digits only.
func isRegionTerm(t string) bool {
	if len(t) < 2 || t[0] != 'r' {
		return false
	}
	for i := 1; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return false
		}
	}
	return true
}

// wordTerms moves the terms of what people wrote out of the region terms'
// way: a word such as "r110102" in a case's text would otherwise file the
// case under that region, and a search limited to it would find the case
// outside its scope. Such a word is indexed and searched as "w" + word.
func wordTerms(terms []string) []string {
	for i, t := range terms {
		if isRegionTerm(t) {
			terms[i] = "w" + t
		}
	}
	return terms
}

// indexCase stores a case's search terms: in an FTS5 table on SQLite, in a
// tsvector column on PostgreSQL.
func (tx *Tx) indexCase(ctx context.Context, id int64, text, region string) error {
	terms := strings.Join(append(wordTerms(textseg.Terms(text)), regionTerms(region)...), " ")
	var err error
	if tx.s.engine == Postgres {
		_, err = tx.exec(ctx, `UPDATE cases SET search_terms = to_tsvector('simple', ?) WHERE id = ?`, terms, id)
	} else {
		_, err = tx.exec(ctx, `INSERT INTO case_fts (rowid, terms) VALUES (?, ?)`, id, terms)
	}
	if err != nil {
		return fmt.Errorf("index case %d: %w", id, err)
	}
	return nil
}

// textMatch is the condition that a case's text contains every term of q,
// or "" when q has no searchable term.
func (s *Store) textMatch(q string) (string, []any) {
	terms := wordTerms(textseg.Query(q))
	if len(terms) == 0 {
		return "", nil
	}
	if s.engine == Postgres {
		return "c.search_terms @@ plainto_tsquery('simple', ?)", []any{strings.Join(terms, " ")}
	}
	return "c.id IN (SELECT rowid FROM case_fts WHERE case_fts MATCH ?)", []any{ftsMatch(terms)}
}

// ftsMatch is an FTS5 query that needs every term, each quoted as a
// phrase so that no term is read as query syntax.
func ftsMatch(terms []string) string {
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	}
	return strings.Join(quoted, " AND ")
}

// indexDoc is a case's text and place, as indexed.
type indexDoc struct {
	id           int64
	text, region string
}

// indexDocs reads up to 500 cases after id after, in id order.
func indexDocs(ctx context.Context, q querier, after int64) ([]indexDoc, error) {
	rows, err := q.query(ctx, `SELECT id, title, description, address, region_code FROM cases WHERE id > ? ORDER BY id LIMIT 500`, after)
	if err != nil {
		return nil, fmt.Errorf("read cases to index: %w", err)
	}
	defer rows.Close()
	var docs []indexDoc
	for rows.Next() {
		var d indexDoc
		var t, de, ad string
		if err := rows.Scan(&d.id, &t, &de, &ad, &d.region); err != nil {
			return nil, fmt.Errorf("read case to index: %w", err)
		}
		d.text = t + " " + de + " " + ad
		docs = append(docs, d)
	}
	return docs, rows.Err()
}

// reindex replaces the search terms of docs.
func (tx *Tx) reindex(ctx context.Context, docs []indexDoc) error {
	for _, d := range docs {
		if tx.s.engine == SQLite {
			if _, err := tx.exec(ctx, `DELETE FROM case_fts WHERE rowid = ?`, d.id); err != nil {
				return fmt.Errorf("clear index of case %d: %w", d.id, err)
			}
		}
		if err := tx.indexCase(ctx, d.id, d.text, d.region); err != nil {
			return err
		}
	}
	return nil
}

// ReindexCases rebuilds the search terms of every case, 500 to a
// transaction, after the search migration or a change of the term cutter.
// It returns how many it indexed.
func (s *Store) ReindexCases(ctx context.Context) (int, error) {
	n := 0
	var after int64
	for {
		docs, err := indexDocs(ctx, s, after)
		if err != nil {
			return n, err
		}
		if len(docs) == 0 {
			return n, nil
		}
		after = docs[len(docs)-1].id
		if err := s.write(ctx, func(tx *Tx) error { return tx.reindex(ctx, docs) }); err != nil {
			return n, err
		}
		n += len(docs)
	}
}

// reindexWhere re-indexes, in tx, the cases whose text keep accepts: a
// migration that changes the terms of a few texts reads every case but
// rewrites only those. It returns how many it re-indexed.
func (tx *Tx) reindexWhere(ctx context.Context, keep func(text string) bool) (int, error) {
	n := 0
	var after int64
	for {
		docs, err := indexDocs(ctx, tx, after)
		if err != nil {
			return n, err
		}
		if len(docs) == 0 {
			return n, nil
		}
		after = docs[len(docs)-1].id
		changed := slices.DeleteFunc(docs, func(d indexDoc) bool { return !keep(d.text) })
		if err := tx.reindex(ctx, changed); err != nil {
			return n, err
		}
		n += len(changed)
	}
}

// hasRegionWord reports whether text holds a word shaped like a region
// term: the texts whose terms migration 0034 (wordTerms) changes.
func hasRegionWord(text string) bool {
	return slices.ContainsFunc(textseg.Terms(text), isRegionTerm)
}

// searchIDs answers a word search limited to region subtrees from the
// index alone, newest first, with the total: the words and the regions are
// all index terms. ok is false when q has no searchable term.
func (s *Store) searchIDs(ctx context.Context, q string, regions []string, p Page) (ids []any, total int, ok bool, err error) {
	terms := wordTerms(textseg.Query(q))
	if len(terms) == 0 {
		return nil, 0, false, nil
	}
	for _, r := range regions {
		if r != "" {
			terms = append(terms, "r"+r)
		}
	}
	var countQ, idsQ string
	var arg any
	if s.engine == Postgres {
		arg = strings.Join(terms, " ")
		countQ = `SELECT COUNT(*) FROM cases WHERE search_terms @@ plainto_tsquery('simple', ?)`
		idsQ = `SELECT id FROM cases WHERE search_terms @@ plainto_tsquery('simple', ?) ORDER BY id DESC LIMIT ? OFFSET ?`
	} else {
		arg = ftsMatch(terms)
		countQ = `SELECT COUNT(*) FROM case_fts WHERE case_fts MATCH ?`
		idsQ = `SELECT rowid FROM case_fts WHERE case_fts MATCH ? ORDER BY rowid DESC LIMIT ? OFFSET ?`
	}
	if err := s.queryRow(ctx, countQ, arg).Scan(&total); err != nil {
		return nil, 0, true, fmt.Errorf("count search results: %w", err)
	}
	rows, err := s.query(ctx, idsQ, arg, p.Limit, p.Offset)
	if err != nil {
		return nil, 0, true, fmt.Errorf("search cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, 0, true, err
		}
		ids = append(ids, id)
	}
	return ids, total, true, rows.Err()
}
