-- `reward-admin dlq replay` counts every replay in replay_count (0005) and keeps when and how the
-- last one ended, so a poison record stops at its replay limit and a person can see why.
-- Shard key: time bucket (first_failed_at), as dead_letters.
ALTER TABLE dead_letters ADD COLUMN last_replayed_at DATETIME(6) NULL AFTER replay_count,
    ADD COLUMN last_replay_outcome VARCHAR(255) NULL AFTER last_replayed_at;
