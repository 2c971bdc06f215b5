-- Reporters' phone numbers are residents' personal data, sealed like the
-- people register's (store/case_phone.go): reporter_phone and
-- case_reporters.phone hold "v<key>:…" values, and these hash columns serve
-- exact search and telling one caller's reports apart. Phones stored in
-- clear (before this migration, or by a store opened without keys) are
-- sealed by the first migration run with keys (store.SealCasePhones); the
-- partial indexes find them at once when there are none.
ALTER TABLE cases ADD COLUMN reporter_phone_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_reporter_phone_hash ON cases (reporter_phone_hash);
CREATE INDEX cases_phone_unsealed ON cases (id) WHERE reporter_phone_hash = '' AND reporter_phone <> '';
ALTER TABLE case_reporters ADD COLUMN phone_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX case_reporters_phone_unsealed ON case_reporters (id) WHERE phone_hash = '' AND phone <> '';
