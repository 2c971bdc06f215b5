-- How many times a server began training a model (claimed it) without
-- handing it back: a server that died, was killed or hung in the middle
-- of a training leaves it running until the claim is stale, and the next
-- server takes it again. After store.MaxTriageAttempts such claims the
-- model is failed with the reason instead of being taken every hour for
-- ever; a server that shuts down hands its model back without counting.
ALTER TABLE triage_models ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

-- The lease of the server training a model: a random token set with each
-- claim, which the training's outcome (the model saved, a failure, a
-- hand-back) must still find on the row. A training that ran past the
-- hour after which another server takes the model over is discarded
-- instead of saved twice or failing the other server's model.
ALTER TABLE triage_models ADD COLUMN lease_token TEXT NOT NULL DEFAULT '';
