-- The duplicate finder (FindDuplicates) looks for open cases in a small
-- box around a point: a partial index over the open cases only (a few
-- per cent of all cases in a working city), by latitude then longitude
-- and time, so that a search reads the index entries of one narrow band
-- of latitude and never the table's finished cases. Its WHERE must stay
-- exactly the finder's state term.
CREATE INDEX cases_open_place ON cases (lat, lng, created_at) WHERE state IN ('reported','accepted','dispatched','in_progress','handled');
