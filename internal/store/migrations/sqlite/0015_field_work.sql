-- Field work of grid workers: patrols (巡网走格) with their tracks and
-- findings, and corrections to people and house records proposed from the
-- field and reviewed by community staff.

-- A worker has at most one open patrol (ended_at NULL); the partial unique
-- index makes that hold under concurrent starts. Totals are computed from
-- the track when the patrol stops.
CREATE TABLE patrols (
    id          INTEGER PRIMARY KEY,
    grid_code   TEXT NOT NULL REFERENCES regions (code),
    worker_id   INTEGER NOT NULL REFERENCES users (id),
    worker_name TEXT NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP,
    distance_m  REAL NOT NULL DEFAULT 0,
    points      INTEGER NOT NULL DEFAULT 0,
    findings    INTEGER NOT NULL DEFAULT 0,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX patrols_open ON patrols (worker_id) WHERE ended_at IS NULL;
CREATE INDEX patrols_grid ON patrols (grid_code, started_at);
CREATE INDEX patrols_worker ON patrols (worker_id, started_at);

-- Track points are keyed by the sequence number the phone gives them, so a
-- batch sent twice is stored once.
CREATE TABLE patrol_points (
    patrol_id INTEGER NOT NULL REFERENCES patrols (id),
    seq       INTEGER NOT NULL,
    lng       REAL NOT NULL,
    lat       REAL NOT NULL,
    accuracy  REAL NOT NULL DEFAULT 0,
    at        TIMESTAMP NOT NULL,
    PRIMARY KEY (patrol_id, seq)
);

CREATE TABLE patrol_findings (
    id            INTEGER PRIMARY KEY,
    patrol_id     INTEGER NOT NULL REFERENCES patrols (id),
    grid_code     TEXT NOT NULL,
    text          TEXT NOT NULL,
    category_code TEXT NOT NULL DEFAULT '',
    has_location  INTEGER NOT NULL DEFAULT 0,
    lng           REAL NOT NULL DEFAULT 0,
    lat           REAL NOT NULL DEFAULT 0,
    case_id       INTEGER REFERENCES cases (id),
    client_key    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX patrol_findings_patrol ON patrol_findings (patrol_id, id);
CREATE UNIQUE INDEX patrol_findings_key ON patrol_findings (patrol_id, client_key) WHERE client_key <> '';

-- Corrections keep what the proposer saw and proposed per field
-- (changes_json, ID and phone numbers masked there); proposed ID and phone
-- numbers themselves are sealed like people's, and base_*_hash hold the
-- keyed hashes of the numbers the record had, to tell whether they changed
-- before the review.
CREATE TABLE corrections (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    target_id       INTEGER NOT NULL,
    target_name     TEXT NOT NULL,
    grid_code       TEXT NOT NULL,
    changes_json    TEXT NOT NULL,
    id_sealed       TEXT NOT NULL DEFAULT '',
    phone_sealed    TEXT NOT NULL DEFAULT '',
    base_id_hash    TEXT NOT NULL DEFAULT '',
    base_phone_hash TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL,
    proposer_id     INTEGER NOT NULL,
    proposer_name   TEXT NOT NULL,
    client_key      TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    reviewer_id     INTEGER,
    reviewer_name   TEXT NOT NULL DEFAULT '',
    review_note     TEXT NOT NULL DEFAULT '',
    reviewed_at     TIMESTAMP,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX corrections_queue ON corrections (grid_code, state, created_at);
CREATE INDEX corrections_proposer ON corrections (proposer_id, created_at);
CREATE INDEX corrections_target ON corrections (kind, target_id, state);
CREATE UNIQUE INDEX corrections_key ON corrections (proposer_id, client_key) WHERE client_key <> '';

-- Visits due: the next visit a worker set, by grid.
CREATE INDEX visits_due ON visits (grid_code, next_visit) WHERE next_visit <> '';
