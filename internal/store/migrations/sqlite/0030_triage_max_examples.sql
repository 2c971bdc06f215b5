-- The most closed cases a model learns from. Training time grows faster
-- than the number of examples (on 2 cores: 25 s for 2,700, 173 s for
-- 10,000 in 120 categories), and a city's hotline closes that many cases in
-- days: above the limit the largest categories keep their newest cases,
-- the rarer ones all of theirs (store/triage.go, TriageExamples).
ALTER TABLE triage_settings ADD COLUMN max_examples INTEGER NOT NULL DEFAULT 20000;
