-- Every dispatch notifies the users of the handling organisation
-- (users.scope_org_id = ?); without an index that is a scan of all users
-- inside the intake's write transaction, once per case.
CREATE INDEX users_scope_org ON users (scope_org_id);
