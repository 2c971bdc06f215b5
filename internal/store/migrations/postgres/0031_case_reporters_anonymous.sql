-- A reporter who filed anonymously stays anonymous when their case is
-- merged into another and they become its co-reporter (store/coreporter.go,
-- moveReporters and CaseReporters): staff see "anonymous", not their name.
-- Existing rows moved from anonymous cases are marked from their case.
ALTER TABLE case_reporters ADD COLUMN anonymous BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE case_reporters SET anonymous = TRUE
WHERE from_case_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM cases c WHERE c.id = case_reporters.from_case_id AND c.anonymous
    AND (c.reporter_id = case_reporters.user_id OR (c.reporter_id IS NULL AND case_reporters.user_id IS NULL))
);
