-- Indexes for the lists people open all day, shaped so that the database
-- finds a queue's rows and their order from the index alone: a handler's
-- tasks (by organisation or by handling region, then state), and a
-- dispatcher's queue (state, then region). priority and id end each index
-- because every list is ordered by them; ListCases first reads the page's
-- IDs from the index and only then the rows.
DROP INDEX cases_handler_org;
DROP INDEX cases_handler_region;
DROP INDEX cases_state_created;
CREATE INDEX cases_handler_org ON cases (handler_org_id, state, priority, id);
CREATE INDEX cases_handler_region ON cases (handler_region_code, state, priority, id);
CREATE INDEX cases_state_region ON cases (state, region_code, priority, id);
