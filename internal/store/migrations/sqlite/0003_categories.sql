-- Category catalogue (工单分类目录): a coded tree whose leaves carry the
-- request type, the default handler rule, the four stage time limits and
-- whether the matter is accepted at all (不受理清单). Cases reference
-- categories by code, so rows are deactivated rather than deleted.
-- Limits are separate amount/unit columns so that reports and the deadline
-- job can read them with plain SQL on both engines.

CREATE TABLE categories (
    id                  INTEGER PRIMARY KEY,
    code                TEXT    NOT NULL UNIQUE,
    parent_code         TEXT    NOT NULL DEFAULT '',
    leaf                INTEGER NOT NULL DEFAULT 0,
    name                TEXT    NOT NULL,
    name_en             TEXT    NOT NULL DEFAULT '',
    request_type        TEXT    NOT NULL DEFAULT '',
    handler_target      TEXT    NOT NULL DEFAULT '',
    handler_department  TEXT    NOT NULL DEFAULT '',
    claim_amount        REAL    NOT NULL DEFAULT 0,
    claim_unit          TEXT    NOT NULL DEFAULT '',
    feedback_amount     REAL    NOT NULL DEFAULT 0,
    feedback_unit       TEXT    NOT NULL DEFAULT '',
    complete_amount     REAL    NOT NULL DEFAULT 0,
    complete_unit       TEXT    NOT NULL DEFAULT '',
    visit_amount        REAL    NOT NULL DEFAULT 0,
    visit_unit          TEXT    NOT NULL DEFAULT '',
    yellow              REAL    NOT NULL DEFAULT 0,
    red                 REAL    NOT NULL DEFAULT 0,
    accepted            INTEGER NOT NULL DEFAULT 1,
    not_accepted_reason TEXT    NOT NULL DEFAULT '',
    active              INTEGER NOT NULL DEFAULT 1,
    sort                INTEGER NOT NULL DEFAULT 0,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX categories_parent ON categories (parent_code, sort, code);
