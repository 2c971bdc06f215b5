-- Runs in a row that took an import and ended without committing a batch:
-- a runner whose lease lapsed with no progress. An import that stalls
-- store.MaxImportStalls times is failed instead of being taken again for
-- ever; every committed batch sets it back to 0, and a runner that shuts
-- down hands its import back (queued) without counting.
ALTER TABLE imports ADD COLUMN stalls INTEGER NOT NULL DEFAULT 0;
