-- A webhook's deliveries, newest first: the webhooks page shows each
-- endpoint's delivered and failing counts and its last error, and deleting
-- a webhook deletes its deliveries; both read by webhook.
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);
