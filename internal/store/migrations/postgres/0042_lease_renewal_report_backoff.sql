-- When the server training a model last took or renewed its lease. A
-- training renews it every store.triageRenew (a third of the lease) while
-- it runs, so one that runs longer than the lease (a large max_examples)
-- keeps its model; only a row not renewed for the whole lease (its server
-- died, was killed or froze) is taken over. Trainings running at the
-- upgrade count from when they started, as before.
ALTER TABLE triage_models ADD COLUMN leased_at TIMESTAMPTZ;
UPDATE triage_models SET leased_at = started_at WHERE status = 'running';

-- The report schedule's failures per template: how many passes in a row
-- failed to make its reports, the last one's error, and when the schedule
-- tries it again (1, 2, 4 … minutes after, at most 6 hours:
-- civic.ReportRetryDelay). Kept in the database so that every server's
-- runner leaves a failing template alone until then; cleared when a pass
-- succeeds or an administrator saves the template.
ALTER TABLE report_templates ADD COLUMN schedule_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE report_templates ADD COLUMN schedule_error TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE report_templates ADD COLUMN schedule_retry_at TIMESTAMPTZ;
