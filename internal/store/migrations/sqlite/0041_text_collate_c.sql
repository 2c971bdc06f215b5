-- Text compares by bytes on both engines: SQLite's BINARY collation
-- already does; the PostgreSQL migration of the same name gives every text
-- column the "C" collation, so that code ranges, orders and comparisons
-- agree whatever locale the PostgreSQL server was initialised with.
SELECT 1;
