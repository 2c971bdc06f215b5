-- Roll-ups for the insight overview (DESIGN.md §3, issue 5): counts kept
-- in the same transaction as every case event, so the overview reads a few
-- thousand rows instead of scanning cases. Both are rebuilt from
-- case_events by Store.RebuildRollups; a test proves rebuild = incremental.
-- region_code, category_code and source are the case's current ones.

-- case_flow counts events per China day (day of the event) and kind: the
-- event's action, plus derived kinds (claim_on_time, close_on_time,
-- visit_valid, visit_satisfied, visit_basic, visit_dissatisfied,
-- visit_solved). See internal/store/rollup.go.
CREATE TABLE case_flow (
    day           TEXT    NOT NULL,
    region_code   TEXT    NOT NULL,
    category_code TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    n             INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, region_code, category_code, source, kind)
);
CREATE INDEX case_flow_region ON case_flow (region_code, day);

-- case_stock counts cases by their current state per China day of filing
-- (+1/-1 on every state change).
CREATE TABLE case_stock (
    day           TEXT    NOT NULL,
    region_code   TEXT    NOT NULL,
    category_code TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    n             INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, region_code, category_code, source, state)
);
CREATE INDEX case_stock_region ON case_stock (region_code, day);
