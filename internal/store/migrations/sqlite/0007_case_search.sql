-- Chinese full-text search over cases. Terms are cut in Go (internal/textseg:
-- Han characters and bigrams, whole words) and stored space-separated in a
-- contentless FTS5 table whose rowid is the case ID. The PostgreSQL
-- migration of the same name keeps them in a tsvector column instead.
CREATE VIRTUAL TABLE case_fts USING fts5(terms, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0');
