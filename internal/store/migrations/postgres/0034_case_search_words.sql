-- A word of a case's text that looked like a region term ("r" and digits,
-- such as "r110102") filed the case under that region in the search index,
-- so a search limited to the region found it outside the searcher's scope.
-- Such words are now indexed as "w" + word (store.wordTerms); the migration
-- runner re-indexes every case in this migration's transaction.
SELECT 1;
