-- Placeholder so that this branch (imp) migrates on its own: migrations must be
-- numbered without gaps, and 0016 belongs to another branch of issue 4.
-- DELETE THIS FILE when merging; the real 0016 takes its place.
SELECT 1;
