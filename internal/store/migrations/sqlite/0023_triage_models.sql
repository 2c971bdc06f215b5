-- Triage models (issue 6): text classifiers trained from the deployment's
-- own closed cases and/or an uploaded CSV, kept in versions with their
-- evaluation figures; exactly one is active (a partial unique index says
-- so). The model itself is the JSON of internal/triage's Model. upload
-- holds the uploaded examples as JSON until (and after) training, so a
-- queued model can be trained by any server.
CREATE TABLE triage_models (
    id            INTEGER PRIMARY KEY,
    version       INTEGER NOT NULL UNIQUE,
    status        TEXT NOT NULL,
    source        TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 0,
    examples      INTEGER NOT NULL DEFAULT 0,
    labels        INTEGER NOT NULL DEFAULT 0,
    params        TEXT NOT NULL DEFAULT '',
    evaluation    TEXT NOT NULL DEFAULT '',
    macro_f1      REAL NOT NULL DEFAULT 0,
    accuracy      REAL NOT NULL DEFAULT 0,
    classes       TEXT NOT NULL DEFAULT '[]',
    train_seconds REAL NOT NULL DEFAULT 0,
    model         TEXT NOT NULL DEFAULT '',
    upload        TEXT NOT NULL DEFAULT '',
    triggered_by  TEXT NOT NULL,
    error         TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    started_at    TIMESTAMP,
    finished_at   TIMESTAMP
);
CREATE UNIQUE INDEX triage_models_active ON triage_models (active) WHERE active = 1;
CREATE INDEX triage_models_status ON triage_models (status);

-- One row of settings: the auto-routing threshold (0 = off), the fewest
-- closed cases a category needs to be learnt, how many days between
-- scheduled trainings (0 = never) and the macro-F1 margin within which a
-- new model replaces the active one by itself (negative = never).
CREATE TABLE triage_settings (
    id            INTEGER PRIMARY KEY,
    threshold     REAL NOT NULL,
    min_examples  INTEGER NOT NULL,
    every_days    INTEGER NOT NULL,
    auto_margin   REAL NOT NULL,
    updated_by    TEXT NOT NULL DEFAULT '',
    updated_at    TIMESTAMP
);
INSERT INTO triage_settings (id, threshold, min_examples, every_days, auto_margin) VALUES (1, 0, 10, 7, 0.02);

-- The suggestion made for each case at intake, written in the case's own
-- transaction: which model, its top category and confidence, what the
-- submitter chose, and whether the model routed the case by itself.
CREATE TABLE triage_suggestions (
    case_id      INTEGER PRIMARY KEY REFERENCES cases (id),
    model_id     INTEGER NOT NULL REFERENCES triage_models (id),
    version      INTEGER NOT NULL,
    suggested    TEXT NOT NULL,
    confidence   REAL NOT NULL,
    chosen       TEXT NOT NULL,
    left_to_model INTEGER NOT NULL,
    auto_routed  INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX triage_suggestions_suggested ON triage_suggestions (suggested);
