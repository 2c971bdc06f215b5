-- Assessments (考核): the weights of each indicator in the score and the
-- rules of the ranking, one row (id 1) for the installation. No row means
-- the defaults (civic.DefaultAssessmentSettings, docs/INSIGHT.md).
CREATE TABLE assessment_settings (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    w_response     REAL NOT NULL,
    w_solved       REAL NOT NULL,
    w_satisfaction REAL NOT NULL,
    w_completion   REAL NOT NULL,
    w_overdue      REAL NOT NULL,
    w_rework       REAL NOT NULL,
    w_whistle      REAL NOT NULL,
    min_cases      INTEGER NOT NULL,
    top_n          INTEGER NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    updated_by     TEXT NOT NULL DEFAULT ''
);
