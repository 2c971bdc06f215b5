-- Photos of a case, attached at report (上报), report-back (处置反馈) or
-- verification (核查). The files live content-addressed outside the database
-- (internal/files); a row names the original (with its EXIF) and the public
-- copy stripped of all metadata, which is all residents ever get.
CREATE TABLE case_photos (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    event_id      INTEGER REFERENCES case_events (id),
    stage         TEXT    NOT NULL,
    sha256        TEXT    NOT NULL,
    public_sha256 TEXT    NOT NULL,
    mime          TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    width         INTEGER NOT NULL DEFAULT 0,
    height        INTEGER NOT NULL DEFAULT 0,
    gps_lat       REAL,
    gps_lng       REAL,
    uploaded_by   INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX case_photos_case ON case_photos (case_id, stage, id);
CREATE INDEX case_photos_sha ON case_photos (sha256);
CREATE INDEX case_photos_public_sha ON case_photos (public_sha256);
