-- When the server training a model last took or renewed its lease. A
-- training renews it every store.triageRenew (a third of the lease) while
-- it runs, so one that runs longer than the lease (a large max_examples)
-- keeps its model; only a row not renewed for the whole lease (its server
-- died, was killed or froze) is taken over. Trainings running at the
-- upgrade count from when they started, as before.
ALTER TABLE triage_models ADD COLUMN leased_at TIMESTAMP;
UPDATE triage_models SET leased_at = started_at WHERE status = 'running';
