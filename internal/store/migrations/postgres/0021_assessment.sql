-- Assessments (考核): the weights of each indicator in the score and the
-- rules of the ranking, one row (id 1) for the installation. No row means
-- the defaults (civic.DefaultAssessmentSettings, docs/INSIGHT.md).
CREATE TABLE assessment_settings (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    w_response     DOUBLE PRECISION NOT NULL,
    w_solved       DOUBLE PRECISION NOT NULL,
    w_satisfaction DOUBLE PRECISION NOT NULL,
    w_completion   DOUBLE PRECISION NOT NULL,
    w_overdue      DOUBLE PRECISION NOT NULL,
    w_rework       DOUBLE PRECISION NOT NULL,
    w_whistle      DOUBLE PRECISION NOT NULL,
    min_cases      INTEGER NOT NULL,
    top_n          INTEGER NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    updated_by     TEXT NOT NULL DEFAULT ''
);
