-- A cap per activity and reward type; settlement refuses to go over it and holds the event.
-- Shard key: activity_id.
CREATE TABLE budgets (
    activity_id  VARCHAR(64) NOT NULL,
    reward_type  VARCHAR(64) NOT NULL,
    cap          BIGINT      NOT NULL COMMENT 'minor units (or item count for goods)',
    issued       BIGINT      NOT NULL DEFAULT 0,
    held         BIGINT      NOT NULL DEFAULT 0 COMMENT 'refused for the cap, waiting for a person',
    warn_percent INT         NOT NULL DEFAULT 80,
    updated_at   DATETIME(6) NOT NULL,
    PRIMARY KEY (activity_id, reward_type),
    CONSTRAINT budget_issued_within_cap CHECK (issued <= cap)
) ENGINE = InnoDB COMMENT = 'shard key: activity_id';
