-- Words of letters and digits are indexed by their letter and digit pieces
-- as well ("pm2" as "pm" and "2"), words joined by a hyphen, dot or slash
-- also as one ("Wi-Fi" as "wifi"), and full-width letters and digits as
-- ASCII (textseg.Terms), so that "wifi" finds "Wi-Fi" and "PM" finds
-- "PM2.5". The migration runner re-indexes, in this migration's
-- transaction, the cases holding such a word and every knowledge article.
SELECT 1;
