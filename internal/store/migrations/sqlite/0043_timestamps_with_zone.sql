-- Every time column has a zone on PostgreSQL: the migration of the same
-- name there turns report_templates.active_since into timestamptz. SQLite
-- keeps every time as UTC text and has no time types to change.
SELECT 1;
