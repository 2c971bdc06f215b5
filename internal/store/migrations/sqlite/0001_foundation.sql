-- Foundation: regions, organisations, grid staff ledger, accounts, sessions,
-- API tokens, login throttling and the audit log.

CREATE TABLE regions (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    parent_code TEXT    NOT NULL DEFAULT '',
    level       INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    boundary    TEXT    NOT NULL,
    area_m2     REAL    NOT NULL DEFAULT 0,
    center_lng  REAL    NOT NULL DEFAULT 0,
    center_lat  REAL    NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX regions_parent ON regions (parent_code, code);
CREATE INDEX regions_level ON regions (level, code);

-- Bumped in the same transaction as any boundary change so that every
-- process can tell that its point-in-polygon index is stale.
CREATE TABLE region_revision (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
);
INSERT INTO region_revision (id, revision) VALUES (1, 0);

CREATE TABLE organisations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions (code),
    phone       TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX organisations_region ON organisations (region_code);

CREATE TABLE staff (
    id         INTEGER PRIMARY KEY,
    grid_code  TEXT NOT NULL REFERENCES regions (code),
    name       TEXT NOT NULL,
    position   TEXT NOT NULL,
    phone      TEXT NOT NULL,
    org_id     INTEGER REFERENCES organisations (id),
    start_date TEXT NOT NULL,
    end_date   TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX staff_grid ON staff (grid_code);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    scope_code    TEXT NOT NULL,
    scope_org_id  INTEGER REFERENCES organisations (id),
    phone         TEXT NOT NULL DEFAULT '',
    disabled      INTEGER NOT NULL DEFAULT 0,
    lang          TEXT NOT NULL DEFAULT 'zh',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX users_scope ON users (scope_code);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_failures (
    id       INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    ip       TEXT NOT NULL,
    at       TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username, at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    user_id     INTEGER NOT NULL DEFAULT 0,
    username    TEXT NOT NULL,
    ip          TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    region_code TEXT NOT NULL DEFAULT '',
    before_json TEXT NOT NULL DEFAULT '',
    after_json  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_region ON audit_log (region_code, at);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
