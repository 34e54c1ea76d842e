-- Which activity service granted each reward: the service id reward-api authenticated, or the
-- SDK host's sdk.serviceID. NULL when the grant did not say (schema version 1 events).
-- Shard key: user_id, as reward_tokens.
ALTER TABLE reward_tokens ADD COLUMN granted_by VARCHAR(64) NULL AFTER recorded_by;
