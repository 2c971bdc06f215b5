-- Placeholder for the migration another branch adds as 0018; delete at merge.
SELECT 1;
