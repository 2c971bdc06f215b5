-- Working-day calendar: per-year holiday schedules edited by admins and the
-- working periods of a day. Years absent here fall back to the schedules
-- built into internal/calendar (the State Council notices).

-- One row per overridden year; data is the year in the calendar package's
-- JSON file format, so the store never has to understand holiday rules.
CREATE TABLE calendar_years (
    year       INTEGER PRIMARY KEY,
    data       TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
);

-- Exactly one row. periods is the JSON list of working periods ('' = the
-- built-in 09:00-12:00, 13:30-18:00). revision is bumped in the same
-- transaction as any calendar change so that every process can tell that
-- its cached calendar (and deadlines computed from it) is stale.
CREATE TABLE calendar_settings (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    periods    TEXT NOT NULL DEFAULT '',
    revision   BIGINT NOT NULL,
    updated_at TIMESTAMPTZ,
    updated_by TEXT NOT NULL DEFAULT ''
);
INSERT INTO calendar_settings (id, periods, revision) VALUES (1, '', 0);
