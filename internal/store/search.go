package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/civicgrid/civicgrid/internal/textseg"
)

// indexCase stores a case's search terms: in an FTS5 table on SQLite, in a
// tsvector column on PostgreSQL.
func (tx *Tx) indexCase(ctx context.Context, id int64, text string) error {
	terms := strings.Join(textseg.Terms(text), " ")
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
	terms := textseg.Query(q)
	if len(terms) == 0 {
		return "", nil
	}
	if s.engine == Postgres {
		return "c.search_terms @@ plainto_tsquery('simple', ?)", []any{strings.Join(terms, " ")}
	}
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	}
	return "c.id IN (SELECT rowid FROM case_fts WHERE case_fts MATCH ?)", []any{strings.Join(quoted, " AND ")}
}

// ReindexCases rebuilds the search terms of every case, after the search
// migration or a change of the term cutter. It returns how many it indexed.
func (s *Store) ReindexCases(ctx context.Context) (int, error) {
	n := 0
	var after int64
	for {
		rows, err := s.query(ctx, `SELECT id, title, description, address FROM cases WHERE id > ? ORDER BY id LIMIT 500`, after)
		if err != nil {
			return n, fmt.Errorf("read cases to index: %w", err)
		}
		type doc struct {
			id   int64
			text string
		}
		var docs []doc
		for rows.Next() {
			var d doc
			var t, de, ad string
			if err := rows.Scan(&d.id, &t, &de, &ad); err != nil {
				rows.Close()
				return n, err
			}
			d.text = t + " " + de + " " + ad
			docs = append(docs, d)
		}
		rows.Close()
		if len(docs) == 0 {
			return n, nil
		}
		after = docs[len(docs)-1].id
		err = s.write(ctx, func(tx *Tx) error {
			for _, d := range docs {
				if s.engine == SQLite {
					if _, err := tx.exec(ctx, `DELETE FROM case_fts WHERE rowid = ?`, d.id); err != nil {
						return fmt.Errorf("clear index of case %d: %w", d.id, err)
					}
				}
				if err := tx.indexCase(ctx, d.id, d.text); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += len(docs)
	}
}
