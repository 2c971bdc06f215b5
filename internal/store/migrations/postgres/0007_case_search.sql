-- Chinese full-text search over cases. Terms are cut in Go (internal/textseg:
-- Han characters and bigrams, whole words) and stored space-separated as a
-- 'simple' tsvector with a GIN index; no extension is needed. The SQLite
-- migration of the same name uses an FTS5 table instead.
ALTER TABLE cases ADD COLUMN search_terms tsvector;
CREATE INDEX cases_search ON cases USING GIN (search_terms);
