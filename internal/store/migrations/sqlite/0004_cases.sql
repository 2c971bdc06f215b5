-- Cases (工单): the case row is the current summary; case_events is the
-- append-only timeline written in the same transaction as every change.

CREATE TABLE cases (
    id                  INTEGER PRIMARY KEY,
    state               TEXT    NOT NULL,
    category_code       TEXT    NOT NULL DEFAULT '',
    request_type        TEXT    NOT NULL DEFAULT '',
    title               TEXT    NOT NULL,
    description         TEXT    NOT NULL DEFAULT '',
    source              TEXT    NOT NULL,
    has_location        INTEGER NOT NULL DEFAULT 0,
    lng                 REAL    NOT NULL DEFAULT 0,
    lat                 REAL    NOT NULL DEFAULT 0,
    address             TEXT    NOT NULL DEFAULT '',
    region_code         TEXT    NOT NULL DEFAULT '',
    reporter_id         INTEGER,
    reporter_name       TEXT    NOT NULL DEFAULT '',
    reporter_phone      TEXT    NOT NULL DEFAULT '',
    anonymous           INTEGER NOT NULL DEFAULT 0,
    handler_org_id      INTEGER REFERENCES organisations (id),
    handler_region_code TEXT    NOT NULL DEFAULT '',
    priority            INTEGER NOT NULL DEFAULT 0,
    paused              INTEGER NOT NULL DEFAULT 0,
    rework_count        INTEGER NOT NULL DEFAULT 0,
    reopen_count        INTEGER NOT NULL DEFAULT 0,
    return_count        INTEGER NOT NULL DEFAULT 0,
    merged_into         INTEGER,
    complete_extra      REAL    NOT NULL DEFAULT 0,
    satisfaction        TEXT    NOT NULL DEFAULT '',
    solved              INTEGER,
    dispatched_at       TIMESTAMP,
    claimed_at          TIMESTAMP,
    feedback_at         TIMESTAMP,
    handled_at          TIMESTAMP,
    closed_at           TIMESTAMP,
    visited_at          TIMESTAMP,
    claim_due           TIMESTAMP,
    feedback_due        TIMESTAMP,
    complete_due        TIMESTAMP,
    visit_due           TIMESTAMP,
    idempotency_key     TEXT UNIQUE,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX cases_region_state ON cases (region_code, state);
CREATE INDEX cases_handler_org ON cases (handler_org_id, state);
CREATE INDEX cases_handler_region ON cases (handler_region_code, state);
CREATE INDEX cases_state_created ON cases (state, created_at);
CREATE INDEX cases_reporter ON cases (reporter_id);
CREATE INDEX cases_category ON cases (category_code, created_at);

CREATE TABLE case_events (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    at         TIMESTAMP NOT NULL,
    actor_id   INTEGER NOT NULL DEFAULT 0,
    actor_name TEXT    NOT NULL DEFAULT '',
    actor_role TEXT    NOT NULL DEFAULT '',
    action     TEXT    NOT NULL,
    from_state TEXT    NOT NULL DEFAULT '',
    to_state   TEXT    NOT NULL DEFAULT '',
    note       TEXT    NOT NULL DEFAULT '',
    public     INTEGER NOT NULL DEFAULT 0,
    data       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX case_events_case ON case_events (case_id, id);
CREATE INDEX case_events_action_at ON case_events (action, at);

-- Approved suspensions (挂账) stop every clock of the case.
CREATE TABLE case_pauses (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    paused_from TIMESTAMP NOT NULL,
    paused_to   TIMESTAMP,
    reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_pauses_case ON case_pauses (case_id);

-- Requests for extension (延期) or suspension (挂账), decided by a supervisor.
CREATE TABLE case_requests (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    kind          TEXT    NOT NULL,
    amount        REAL    NOT NULL DEFAULT 0,
    reason        TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'pending',
    requested_by  INTEGER NOT NULL,
    requested_at  TIMESTAMP NOT NULL,
    decided_by    INTEGER,
    decided_at    TIMESTAMP,
    decision_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_requests_case ON case_requests (case_id);
CREATE INDEX case_requests_status ON case_requests (status, requested_at);
