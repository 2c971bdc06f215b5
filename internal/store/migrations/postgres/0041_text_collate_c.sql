-- Text compares by bytes on both engines. SQLite compares text with its
-- BINARY collation; PostgreSQL with the database's, which initdb takes
-- from the server's locale: en_US.UTF-8 or zh_CN.UTF-8 (pinyin) on most
-- servers, where '1101:' sorts before '110101' (punctuation before
-- digits). Scopes are code ranges [code, code || ':') (civic.ScopePrefixRange),
-- so on such a database every scoped list, count and figure came out empty,
-- and lists of names, addresses and unit numbers came out in another
-- order than on SQLite. Every text column of the schema takes the "C"
-- collation (bytes, which for UTF-8 is code-point order, as SQLite's);
-- indexes on them are rebuilt, the tables are not rewritten. A later
-- migration's text columns say COLLATE "C" themselves
-- (TestTextColumnsCompareBytes checks).
DO $$
DECLARE
    col record;
BEGIN
    FOR col IN
        SELECT c.relname AS tbl, a.attname AS att, format_type(a.atttypid, a.atttypmod) AS typ
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
          AND a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype)
          AND a.attcollation <> (SELECT k.oid FROM pg_collation k WHERE k.collname = 'C' AND k.collnamespace = 'pg_catalog'::regnamespace)
        ORDER BY c.relname, a.attnum
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE %s COLLATE "C"', col.tbl, col.att, col.typ);
    END LOOP;
END
$$;
