-- Every time column is timestamptz. report_templates.active_since (0025)
-- was the one declared TIMESTAMP: it dropped the zone of what was written
-- and would read back in whatever zone the driver or the session assumed.
-- The store writes every time in UTC, so its stored wall-clock times are
-- UTC. A later migration's time columns say TIMESTAMPTZ
-- (TestTimeColumnsHaveZone checks).
ALTER TABLE report_templates ALTER COLUMN active_since TYPE TIMESTAMPTZ USING active_since AT TIME ZONE 'UTC';
