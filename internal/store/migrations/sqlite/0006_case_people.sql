-- Whistles (吹哨报到), co-reporters (附议, 多人同诉), and abuse controls.

-- A street or community summons departments to a case; each must check in
-- (报到) by due_at. One leads, the others assist.
CREATE TABLE case_whistles (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    org_id        INTEGER NOT NULL REFERENCES organisations (id),
    lead          INTEGER NOT NULL DEFAULT 0,
    summoned_by   INTEGER NOT NULL DEFAULT 0,
    summoned_at   TIMESTAMP NOT NULL,
    due_at        TIMESTAMP NOT NULL,
    checked_in_at TIMESTAMP,
    checked_in_by INTEGER,
    note          TEXT NOT NULL DEFAULT '',
    UNIQUE (case_id, org_id)
);
CREATE INDEX case_whistles_org ON case_whistles (org_id, checked_in_at);

-- Everyone besides the first reporter who reported the same problem: by
-- joining an open case before submitting (附议) or through a merge. Each is
-- told the outcome, visited and rates separately.
CREATE TABLE case_reporters (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    from_case_id  INTEGER,
    user_id       INTEGER,
    name          TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL,
    joined_at     TIMESTAMP NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    satisfaction  TEXT NOT NULL DEFAULT '',
    solved        INTEGER,
    visited_at    TIMESTAMP
);
CREATE INDEX case_reporters_case ON case_reporters (case_id);
CREATE INDEX case_reporters_user ON case_reporters (user_id);

-- Callers who abuse the channels, refused until an optional expiry.
CREATE TABLE caller_blacklist (
    id         INTEGER PRIMARY KEY,
    phone      TEXT NOT NULL UNIQUE,
    reason     TEXT NOT NULL,
    until      TIMESTAMP,
    created_by INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

-- Deputies (两代表一委员) whose cases are flagged for priority handling.
CREATE TABLE deputies (
    id         INTEGER PRIMARY KEY,
    phone      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    title      TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

-- Anonymous intake is rate-limited per client address over a sliding window.
CREATE TABLE intake_hits (
    id  INTEGER PRIMARY KEY,
    ip  TEXT NOT NULL,
    at  TIMESTAMP NOT NULL
);
CREATE INDEX intake_hits_ip ON intake_hits (ip, at);
