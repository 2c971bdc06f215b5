-- Searches by an exact ID or phone number by staff who see them masked are
-- audited and limited per hour (store.numberSearch), counted here.
CREATE INDEX audit_log_user ON audit_log (user_id, action, at);
