-- Hotspot detection (DetectHotspots) reads every case of the last weeks
-- in scope with one range on created_at; rising categories count weeks a
-- year back the same way.
CREATE INDEX cases_created ON cases (created_at);
