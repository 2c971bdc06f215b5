-- The overview's pending claims (docs/INSIGHT.md, claim_pending): cases
-- waiting for a claim whose claim deadline is ahead. A partial index on
-- the deadline of dispatched cases only seeks straight to them; through
-- (state, region_code) every dispatched case of the scope was read to test
-- its deadline (55 ms of a 130 ms city overview with 18,000 of them).
CREATE INDEX cases_claim_pending ON cases (claim_due) WHERE state = 'dispatched';
