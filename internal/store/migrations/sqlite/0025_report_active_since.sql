-- When a report template last became active: the schedule makes up every
-- period missed since then (about a month at most, civic.DuePeriods) and
-- never one before. NULL for templates the schedule has not yet seen
-- active; its first pass sets it, so an upgrade owes only the last period.
ALTER TABLE report_templates ADD COLUMN active_since TIMESTAMP;
