-- 响应率 in the roll-ups: a claim on time now counts on the day of the
-- dispatch it answers, not on the day of the claim (internal/store/rollup.go,
-- docs/INSIGHT.md), so a day's rate is its own dispatches claimed in time ÷
-- its dispatches and never above 100 %. The roll-ups are rebuilt from
-- case_events in this migration's transaction (store.Migrate), since they
-- are a pure function of the events; nothing in the schema changes.
SELECT 1;
