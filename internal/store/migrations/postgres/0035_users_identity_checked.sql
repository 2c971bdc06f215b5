-- A resident's account stands for a registered person (and opens their
-- home as the place of a report) when its name and phone match theirs
-- (二要素). Users may change both themselves without proof, so only a pair
-- an admin entered or confirmed counts: identity_checked is cleared by a
-- self-made change and set by an admin. Accounts that changed their own
-- pair before this migration start unconfirmed.
ALTER TABLE users ADD COLUMN identity_checked BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE users SET identity_checked = FALSE WHERE id IN (SELECT user_id FROM audit_log WHERE action = 'user.update_identity');
