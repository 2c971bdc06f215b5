-- Place QR codes (场所二维码): a printed code for a place or compound that
-- opens the report form with the place and its region filled in. The
-- token in the code is random; the place itself is public information.
CREATE TABLE place_codes (
    id           INTEGER PRIMARY KEY,
    token        TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    region_code  TEXT NOT NULL REFERENCES regions (code),
    address      TEXT NOT NULL DEFAULT '',
    has_location INTEGER NOT NULL DEFAULT 0,
    lng          REAL NOT NULL DEFAULT 0,
    lat          REAL NOT NULL DEFAULT 0,
    active       INTEGER NOT NULL DEFAULT 1,
    created_by   INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX place_codes_region ON place_codes (region_code);
