-- ID numbers are masked to their first and last character (civic.MaskID):
-- with the birth date shown beside them, the first four and last four left
-- one or two candidates. The stored masks are recomputed from the old ones,
-- which hold those characters.
UPDATE people SET id_mask = substr(id_mask, 1, 1) || substr('****************************************', 1, length(id_mask) - 2) || substr(id_mask, length(id_mask), 1)
WHERE length(id_mask) >= 12;
