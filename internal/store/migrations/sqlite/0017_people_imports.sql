-- Background imports of houses and people from spreadsheets. The uploaded
-- file is kept sealed (it holds ID and phone numbers) until the import is
-- done, then dropped; the report keeps rejected rows (sealed, so that the
-- user can download and fix them) and what each merge changed.
-- A runner takes an import with a lease (lease_token, lease_until) and
-- records progress (rows_done and the counts) in the same transaction as
-- each batch, so a stopped import resumes where it stopped.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    format      TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '',
    size        INTEGER NOT NULL DEFAULT 0,
    user_id     INTEGER NOT NULL,
    username    TEXT NOT NULL,
    region_code TEXT NOT NULL,
    state       TEXT NOT NULL,
    lease_token TEXT NOT NULL DEFAULT '',
    lease_until TIMESTAMP,
    attempts    INTEGER NOT NULL DEFAULT 0,
    rows_total  INTEGER NOT NULL DEFAULT 0,
    rows_done   INTEGER NOT NULL DEFAULT 0,
    created     INTEGER NOT NULL DEFAULT 0,
    merged      INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    header      TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    started_at  TIMESTAMP,
    finished_at TIMESTAMP
);
CREATE INDEX imports_state ON imports (state, lease_until);
CREATE INDEX imports_region ON imports (region_code, id);

-- One row per rejected or merged row of an import; body is sealed JSON
-- (cells, errors, changes).
CREATE TABLE import_issues (
    id        INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row_no    INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    body      TEXT NOT NULL
);
CREATE INDEX import_issues_import ON import_issues (import_id, kind, row_no);
