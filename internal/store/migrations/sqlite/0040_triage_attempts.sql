-- How many times a server began training a model (claimed it) without
-- handing it back: a server that died, was killed or hung in the middle
-- of a training leaves it running until the claim is stale, and the next
-- server takes it again. After store.MaxTriageAttempts such claims the
-- model is failed with the reason instead of being taken every hour for
-- ever; a server that shuts down hands its model back without counting.
ALTER TABLE triage_models ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
