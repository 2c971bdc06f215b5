-- Reporters' phone numbers are residents' personal data, sealed like the
-- people register's (store/case_phone.go): reporter_phone and
-- case_reporters.phone now hold "v<key>:…" values, and these hash columns
-- serve exact search and telling one caller's reports apart. The migration
-- runner seals the phones stored before, in this migration's transaction.
ALTER TABLE cases ADD COLUMN reporter_phone_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_reporter_phone_hash ON cases (reporter_phone_hash) WHERE reporter_phone_hash <> '';
ALTER TABLE case_reporters ADD COLUMN phone_hash TEXT NOT NULL DEFAULT '';
