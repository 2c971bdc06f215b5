-- Placeholder so that this branch migrates on its own: 0015 belongs to a
-- sibling branch of issue 4. DELETE THIS FILE when that branch is merged.
SELECT 1;
