-- The knowledge base (知识库): articles hotline operators answer
-- consultations from, and flags that an article is outdated. Dates are China
-- calendar dates as YYYY-MM-DD text, '' for open. Search terms are cut in Go
-- (internal/textseg) and kept in a contentless FTS5 table whose rowid is the
-- article ID; the PostgreSQL migration of the same name uses a tsvector.
CREATE TABLE kb_articles (
    id            INTEGER PRIMARY KEY,
    question      TEXT NOT NULL,
    answer        TEXT NOT NULL,
    category_code TEXT NOT NULL DEFAULT '',
    valid_from    TEXT NOT NULL DEFAULT '',
    valid_to      TEXT NOT NULL DEFAULT '',
    org_id        INTEGER NOT NULL REFERENCES organisations (id),
    public        INTEGER NOT NULL,
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX kb_articles_org ON kb_articles (org_id);

CREATE VIRTUAL TABLE kb_fts USING fts5(terms, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0');

CREATE TABLE kb_flags (
    id            INTEGER PRIMARY KEY,
    article_id    INTEGER NOT NULL REFERENCES kb_articles (id),
    reason        TEXT NOT NULL,
    flagged_by_id INTEGER NOT NULL DEFAULT 0,
    flagged_by    TEXT NOT NULL,
    flagged_at    TIMESTAMP NOT NULL,
    resolved_by   TEXT NOT NULL DEFAULT '',
    resolved_at   TIMESTAMP,
    resolution    TEXT NOT NULL DEFAULT '',
    resolve_note  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX kb_flags_article ON kb_flags (article_id, resolved_at);
