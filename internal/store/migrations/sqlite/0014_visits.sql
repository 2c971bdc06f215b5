-- Household visits (走访): a grid worker's record of seeing a person or a
-- house. Care alerts ask when someone was last visited, hence the indexes
-- by person and by house.
CREATE TABLE visits (
    id           INTEGER PRIMARY KEY,
    house_id     INTEGER REFERENCES houses (id),
    person_id    INTEGER REFERENCES people (id),
    grid_code    TEXT NOT NULL,
    visitor_id   INTEGER NOT NULL,
    visitor_name TEXT NOT NULL,
    visited_at   TIMESTAMP NOT NULL,
    notes        TEXT NOT NULL,
    needs        TEXT NOT NULL DEFAULT '',
    next_visit   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX visits_person ON visits (person_id, visited_at);
CREATE INDEX visits_house ON visits (house_id, visited_at);
CREATE INDEX visits_grid ON visits (grid_code, visited_at);
