-- The token that proved a grant is kept with its claim, so reconciliation's repair and any audit
-- can verify every credit again from the claims store alone (no wallet-view row needed).
-- Shard key: order_id, as order_claims. NULL for claims made before this migration.
ALTER TABLE order_claims ADD COLUMN token VARCHAR(64) NULL COMMENT 'the verified reward token' AFTER ledger_reference;
