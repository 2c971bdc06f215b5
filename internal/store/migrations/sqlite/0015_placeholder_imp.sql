-- Placeholder so that this branch (imp) migrates on its own: migrations must be
-- numbered without gaps, and 0015 belongs to another branch of issue 4.
-- DELETE THIS FILE when merging; the real 0015 takes its place.
SELECT 1;
