-- Warnings and escalation. next_alert_at is the earliest moment something
-- may be due on a case (a yellow or red warning, or a deadline); the runner
-- asks the database for cases whose moment has come. case_alerts records
-- every alert that fired; its unique key makes each fire exactly once, even
-- with several servers on one database and after restarts. clock_start
-- tells a restarted clock (a re-dispatch) from the first.

ALTER TABLE cases ADD COLUMN next_alert_at TIMESTAMP;
CREATE INDEX cases_next_alert ON cases (next_alert_at);

CREATE TABLE case_alerts (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    stage       TEXT    NOT NULL,
    level       TEXT    NOT NULL,
    clock_start TIMESTAMP NOT NULL,
    due_at      TIMESTAMP NOT NULL,
    fired_at    TIMESTAMP NOT NULL,
    UNIQUE (case_id, stage, level, clock_start)
);
CREATE INDEX case_alerts_fired ON case_alerts (fired_at);
