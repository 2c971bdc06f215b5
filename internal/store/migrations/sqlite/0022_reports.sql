-- Reports (日报/周报/月报, 一表通; docs/REPORTS.md). A template lists catalogue
-- figures (civic.ReportFigures) and manual rows as JSON; a report is a
-- snapshot of their values for one region and period, never recomputed.
-- Exactly one report per template × region × period × version: the
-- schedule only ever writes version 1 (INSERT … ON CONFLICT DO NOTHING), so
-- two servers or a restart cannot make a second; generating on demand adds
-- the next version. Dates are China dates (YYYY-MM-DD), to exclusive.
CREATE TABLE report_templates (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    scope_level  TEXT NOT NULL,
    region_code  TEXT NOT NULL DEFAULT '',
    layout       TEXT NOT NULL,
    active       INTEGER NOT NULL,
    updated_by   TEXT NOT NULL DEFAULT '',
    updated_at   TIMESTAMP
);

CREATE TABLE reports (
    id            INTEGER PRIMARY KEY,
    template_id   INTEGER NOT NULL REFERENCES report_templates (id),
    template_name TEXT NOT NULL,
    kind          TEXT NOT NULL,
    region_code   TEXT NOT NULL,
    period_from   TEXT NOT NULL,
    period_to     TEXT NOT NULL,
    version       INTEGER NOT NULL,
    scheduled     INTEGER NOT NULL,
    state         TEXT NOT NULL,
    snapshot      TEXT NOT NULL,
    generated_at  TIMESTAMP NOT NULL,
    generated_by  TEXT NOT NULL,
    issued_at     TIMESTAMP,
    issued_by     TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX reports_once ON reports (template_id, region_code, period_from, version);
CREATE INDEX reports_region ON reports (region_code, period_from);

-- The three default templates: a daily and a weekly report for every street,
-- a monthly report for every street with the people register's figures.
INSERT INTO report_templates (name, kind, scope_level, layout, active) VALUES
    ('街道日报', 'daily', 'street', '[{"figure": "cases.received"}, {"figure": "cases.src.resident"}, {"figure": "cases.src.patrol"}, {"figure": "cases.src.hotline"}, {"figure": "cases.src.qr"}, {"figure": "cases.src.api"}, {"figure": "cases.dispatched"}, {"figure": "cases.answered"}, {"figure": "cases.closed"}, {"figure": "cases.warned"}, {"figure": "cases.overdue"}, {"figure": "cases.open_end"}, {"figure": "cases.top_categories"}]', 1),
    ('街道周报', 'weekly', 'street', '[{"figure": "cases.received"}, {"figure": "cases.src.resident"}, {"figure": "cases.src.patrol"}, {"figure": "cases.src.hotline"}, {"figure": "cases.dispatched"}, {"figure": "cases.answered"}, {"figure": "cases.closed"}, {"figure": "cases.reopened"}, {"figure": "cases.overdue"}, {"figure": "cases.open_end"}, {"figure": "rate.response"}, {"figure": "rate.solved"}, {"figure": "rate.satisfaction"}, {"figure": "rate.completion"}, {"figure": "cases.top_categories"}, {"manual": true, "label": "本周重点工作"}]', 1),
    ('街道月报（一表通）', 'monthly', 'street', '[{"figure": "cases.received"}, {"figure": "cases.src.resident"}, {"figure": "cases.src.patrol"}, {"figure": "cases.src.hotline"}, {"figure": "cases.src.qr"}, {"figure": "cases.src.api"}, {"figure": "cases.accepted"}, {"figure": "cases.rejected"}, {"figure": "cases.answered"}, {"figure": "cases.dispatched"}, {"figure": "cases.returned"}, {"figure": "cases.closed"}, {"figure": "cases.reopened"}, {"figure": "cases.visits"}, {"figure": "cases.warned"}, {"figure": "cases.overdue"}, {"figure": "cases.open_end"}, {"figure": "rate.response"}, {"figure": "rate.solved"}, {"figure": "rate.satisfaction"}, {"figure": "rate.completion"}, {"figure": "rate.on_time"}, {"figure": "rate.overdue"}, {"figure": "rate.rework"}, {"figure": "cases.handling_hours"}, {"figure": "cases.top_categories"}, {"figure": "people.population"}, {"figure": "houses.total"}, {"figure": "people.linked_rate"}, {"figure": "houses.complete_rate"}, {"figure": "people.tag.age60"}, {"figure": "people.tag.age80"}, {"figure": "people.tag.alone"}, {"figure": "people.tag.disabled"}, {"figure": "people.tag.dibao"}, {"figure": "people.tag.veteran"}, {"figure": "people.tag.party"}, {"figure": "people.tag.floating"}, {"figure": "people.tag.keycare"}, {"manual": true, "label": "本月工作小结"}, {"manual": true, "label": "下月工作计划"}]', 1);
