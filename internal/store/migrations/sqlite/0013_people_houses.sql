-- People and houses (人房关联): compounds, buildings, houses, residents with
-- their tags and tag history, and the links between people and houses.
-- ID and phone numbers are stored sealed (AES-GCM, internal/vault), with a
-- keyed hash for exact search and the masked form for display; the plain
-- value is never written. Counters (houses.residents, people.houses) are
-- kept in the same transaction as the links so that linkage completeness
-- is an index scan, not a join over every person.

CREATE TABLE compounds (
    id              INTEGER PRIMARY KEY,
    region_code     TEXT NOT NULL REFERENCES regions (code),
    name            TEXT NOT NULL,
    address         TEXT NOT NULL DEFAULT '',
    property_org_id INTEGER REFERENCES organisations (id),
    lng             REAL NOT NULL DEFAULT 0,
    lat             REAL NOT NULL DEFAULT 0,
    boundary        TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX compounds_region ON compounds (region_code);

CREATE TABLE buildings (
    id          INTEGER PRIMARY KEY,
    compound_id INTEGER REFERENCES compounds (id),
    grid_code   TEXT NOT NULL REFERENCES regions (code),
    name        TEXT NOT NULL,
    floors      INTEGER NOT NULL,
    units       INTEGER NOT NULL,
    lng         REAL NOT NULL DEFAULT 0,
    lat         REAL NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX buildings_grid ON buildings (grid_code);
CREATE INDEX buildings_compound ON buildings (compound_id);

CREATE TABLE houses (
    id          INTEGER PRIMARY KEY,
    building_id INTEGER NOT NULL REFERENCES buildings (id),
    grid_code   TEXT NOT NULL REFERENCES regions (code),
    unit        INTEGER NOT NULL,
    floor       INTEGER NOT NULL,
    number      TEXT NOT NULL,
    area_m2     REAL NOT NULL DEFAULT 0,
    use         TEXT NOT NULL,
    address     TEXT NOT NULL,
    residents   INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (building_id, unit, number)
);
CREATE INDEX houses_grid ON houses (grid_code, use, residents);

CREATE TABLE people (
    id             INTEGER PRIMARY KEY,
    grid_code      TEXT NOT NULL REFERENCES regions (code),
    name           TEXT NOT NULL,
    gender         TEXT NOT NULL DEFAULT '',
    birth_date     TEXT NOT NULL DEFAULT '',
    id_type        TEXT NOT NULL,
    id_sealed      TEXT NOT NULL DEFAULT '',
    id_hash        TEXT NOT NULL DEFAULT '',
    id_mask        TEXT NOT NULL DEFAULT '',
    phone_sealed   TEXT NOT NULL DEFAULT '',
    phone_hash     TEXT NOT NULL DEFAULT '',
    phone_mask     TEXT NOT NULL DEFAULT '',
    key_version    INTEGER NOT NULL DEFAULT 0,
    residence_type TEXT NOT NULL,
    ethnic         TEXT NOT NULL DEFAULT '',
    workplace      TEXT NOT NULL DEFAULT '',
    note           TEXT NOT NULL DEFAULT '',
    houses         INTEGER NOT NULL DEFAULT 0,
    address        TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX people_grid ON people (grid_code, houses);
CREATE UNIQUE INDEX people_id_hash ON people (id_hash) WHERE id_hash <> '';
CREATE INDEX people_phone_hash ON people (phone_hash) WHERE phone_hash <> '';
CREATE INDEX people_key_version ON people (key_version);
CREATE INDEX people_birth ON people (birth_date);

-- grid_code is copied from people so that counts by tag per region are
-- one index range.
CREATE TABLE person_tags (
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    grid_code TEXT NOT NULL,
    since     TIMESTAMP NOT NULL,
    PRIMARY KEY (person_id, tag)
);
CREATE INDEX person_tags_tag ON person_tags (tag, grid_code);

CREATE TABLE person_tag_history (
    id        INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    added     INTEGER NOT NULL,
    at        TIMESTAMP NOT NULL,
    user_id   INTEGER NOT NULL DEFAULT 0,
    username  TEXT NOT NULL DEFAULT '',
    reason    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX person_tag_history_person ON person_tag_history (person_id, at);

CREATE TABLE person_houses (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    house_id   INTEGER NOT NULL REFERENCES houses (id),
    relation   TEXT NOT NULL,
    move_in    TEXT NOT NULL DEFAULT '',
    move_out   TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX person_houses_person ON person_houses (person_id, move_out);
CREATE INDEX person_houses_house ON person_houses (house_id, move_out);

-- Name, address and tag terms cut in Go (internal/textseg) plus region
-- terms, as for cases; rowid is the person ID.
CREATE VIRTUAL TABLE person_fts USING fts5(terms, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0');

-- A case may be filed from a house and for a known person.
ALTER TABLE cases ADD COLUMN house_id INTEGER REFERENCES houses (id);
ALTER TABLE cases ADD COLUMN person_id INTEGER REFERENCES people (id);
CREATE INDEX cases_house ON cases (house_id) WHERE house_id IS NOT NULL;
CREATE INDEX cases_person ON cases (person_id) WHERE person_id IS NOT NULL;

-- A place QR code may stand for a compound, so that cases reported through
-- it reach the compound's property company.
ALTER TABLE place_codes ADD COLUMN compound_id INTEGER REFERENCES compounds (id);
