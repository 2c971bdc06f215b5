-- Care work: party-member household contact (党员包联), care alert rules
-- and their tasks (关爱提醒), short-term rental reports (房东报备), and the
-- leases of the periodic care job.

-- A household (house) is assigned to one party member at a time; ending an
-- assignment sets until and keeps the row. grid_code is the house's, for
-- scope.
CREATE TABLE party_households (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES people (id),
    house_id    INTEGER NOT NULL REFERENCES houses (id),
    grid_code   TEXT NOT NULL,
    since       TEXT NOT NULL,
    until       TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX party_households_current ON party_households (house_id) WHERE until = '';
CREATE INDEX party_households_member ON party_households (member_id, until);
CREATE INDEX party_households_grid ON party_households (grid_code, until);

CREATE TABLE party_contacts (
    id            INTEGER PRIMARY KEY,
    member_id     INTEGER NOT NULL REFERENCES people (id),
    house_id      INTEGER NOT NULL REFERENCES houses (id),
    grid_code     TEXT NOT NULL,
    contacted_at  TIMESTAMP NOT NULL,
    way           TEXT NOT NULL,
    notes         TEXT NOT NULL DEFAULT '',
    recorder_id   INTEGER NOT NULL DEFAULT 0,
    recorder_name TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX party_contacts_house ON party_contacts (house_id, contacted_at);
CREATE INDEX party_contacts_member ON party_contacts (member_id, contacted_at);

-- region_code '' applies everywhere; tags is a comma list, all required.
CREATE TABLE care_rules (
    id          INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL,
    target      TEXT NOT NULL,
    tags        TEXT NOT NULL,
    period      TEXT NOT NULL,
    days        INTEGER NOT NULL DEFAULT 0,
    active      INTEGER NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
INSERT INTO care_rules (region_code, name, target, tags, period, days, active, created_at, updated_at) VALUES
    ('', '独居老人每30天走访', 'person', 'age60,alone', 'days', 30, TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('', '低保户每季度联系', 'house', 'dibao', 'quarter', 0, TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('', '残疾人每60天走访', 'person', 'disabled', 'days', 60, TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('', '重点关爱对象每月走访', 'person', 'keycare', 'month', 0, TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);

-- One open task per (rule, target): target_id is the person or house ID
-- (the rule says which), and the partial unique index keeps a second
-- server's pass from filing it twice.
CREATE TABLE care_tasks (
    id           INTEGER PRIMARY KEY,
    rule_id      INTEGER NOT NULL REFERENCES care_rules (id),
    target_id    INTEGER NOT NULL,
    person_id    INTEGER REFERENCES people (id),
    house_id     INTEGER REFERENCES houses (id),
    grid_code    TEXT NOT NULL,
    state        TEXT NOT NULL,
    window_start TIMESTAMP NOT NULL,
    due_at       TIMESTAMP NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    closed_at    TIMESTAMP,
    closed_by    TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX care_tasks_open ON care_tasks (rule_id, target_id) WHERE state = 'open';
CREATE INDEX care_tasks_grid ON care_tasks (grid_code, state, due_at);
CREATE INDEX care_tasks_person ON care_tasks (person_id, state);
CREATE INDEX care_tasks_house ON care_tasks (house_id, state);

-- A short-term rental report; tenant ID and phone live sealed in people.
CREATE TABLE rentals (
    id            INTEGER PRIMARY KEY,
    house_id      INTEGER NOT NULL REFERENCES houses (id),
    grid_code     TEXT NOT NULL,
    tenant_id     INTEGER NOT NULL REFERENCES people (id),
    link_id       INTEGER NOT NULL REFERENCES person_houses (id),
    from_date     TEXT NOT NULL,
    to_date       TEXT NOT NULL,
    ended         TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    reporter_id   INTEGER NOT NULL DEFAULT 0,
    reporter_name TEXT NOT NULL DEFAULT '',
    by_landlord   INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX rentals_from ON rentals (from_date, grid_code);
CREATE INDEX rentals_to ON rentals (to_date, grid_code);
CREATE INDEX rentals_open ON rentals (ended, to_date);
CREATE INDEX rentals_house ON rentals (house_id);

-- A resident's account stands for a person of the register (a landlord
-- reporting tenants of the houses they own); staff make the link.
CREATE TABLE person_accounts (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id),
    person_id  INTEGER NOT NULL UNIQUE REFERENCES people (id),
    linked_at  TIMESTAMP NOT NULL,
    linked_by  TEXT NOT NULL
);

-- Leases of the periodic care job: a server runs a job only after moving
-- its due_at forward with a conditional update, so one pass runs at a time
-- however many servers there are.
CREATE TABLE care_runs (
    job    TEXT PRIMARY KEY,
    due_at TIMESTAMP NOT NULL
);
