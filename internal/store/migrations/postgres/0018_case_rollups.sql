-- Roll-ups for the insight overview (DESIGN.md §3, issue 5), kept by
-- addEvent in the same transaction as every case event and rebuilt from
-- case_events by Store.RebuildRollups; a test proves rebuild = incremental.
-- Counts are attributed to the case's current region, category and source.
--
-- Each count is kept at four levels: level 0 under the case's own region
-- code (a grid, usually), level 1 under its street (the first nine
-- digits), level 2 under its community (the first twelve), level 3 under
-- its city (the first six), so that an overview of the whole city reads
-- one row per street and day rather than one per grid (and one per
-- category and day), and a street's one per community and day. Counts are columns, not rows, so that
-- one event is one upsert per level. day is a China date (YYYY-MM-DD).

-- case_flow: events per day of the event, one column per kind; see
-- internal/store/rollup.go for what each counts.
CREATE TABLE case_flow (
    level              INTEGER NOT NULL,
    region_code        TEXT    NOT NULL,
    day                TEXT    NOT NULL,
    report             INTEGER NOT NULL DEFAULT 0,
    src_resident       INTEGER NOT NULL DEFAULT 0,
    src_patrol         INTEGER NOT NULL DEFAULT 0,
    src_hotline        INTEGER NOT NULL DEFAULT 0,
    src_qr             INTEGER NOT NULL DEFAULT 0,
    src_api            INTEGER NOT NULL DEFAULT 0,
    accept             INTEGER NOT NULL DEFAULT 0,
    reject             INTEGER NOT NULL DEFAULT 0,
    answer             INTEGER NOT NULL DEFAULT 0,
    dispatch           INTEGER NOT NULL DEFAULT 0,
    transfer           INTEGER NOT NULL DEFAULT 0,
    recall             INTEGER NOT NULL DEFAULT 0,
    returned           INTEGER NOT NULL DEFAULT 0,
    claim              INTEGER NOT NULL DEFAULT 0,
    claim_on_time      INTEGER NOT NULL DEFAULT 0,
    feedback           INTEGER NOT NULL DEFAULT 0,
    handle             INTEGER NOT NULL DEFAULT 0,
    verify_fail        INTEGER NOT NULL DEFAULT 0,
    verify_pass        INTEGER NOT NULL DEFAULT 0,
    close_on_time      INTEGER NOT NULL DEFAULT 0,
    visit_valid        INTEGER NOT NULL DEFAULT 0,
    visit_satisfied    INTEGER NOT NULL DEFAULT 0,
    visit_basic        INTEGER NOT NULL DEFAULT 0,
    visit_dissatisfied INTEGER NOT NULL DEFAULT 0,
    visit_solved       INTEGER NOT NULL DEFAULT 0,
    reopen             INTEGER NOT NULL DEFAULT 0,
    merges             INTEGER NOT NULL DEFAULT 0,
    warn               INTEGER NOT NULL DEFAULT 0,
    escalate           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (level, region_code, day)
);

-- case_flow_category: reports per day of filing and category.
CREATE TABLE case_flow_category (
    level         INTEGER NOT NULL,
    region_code   TEXT    NOT NULL,
    day           TEXT    NOT NULL,
    category_code TEXT    NOT NULL,
    report        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (level, region_code, day, category_code)
);

-- case_stock: cases per day of filing by current state (+1/−1 on every
-- state change).
CREATE TABLE case_stock (
    level       INTEGER NOT NULL,
    region_code TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    reported    INTEGER NOT NULL DEFAULT 0,
    accepted    INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    dispatched  INTEGER NOT NULL DEFAULT 0,
    in_progress INTEGER NOT NULL DEFAULT 0,
    handled     INTEGER NOT NULL DEFAULT 0,
    closed      INTEGER NOT NULL DEFAULT 0,
    visited     INTEGER NOT NULL DEFAULT 0,
    merged      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (level, region_code, day)
);
