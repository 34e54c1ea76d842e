-- Cross-service idempotency: one row per order id, whichever user, type or ledger it names.
-- Shard key: order_id. A unique key in a store sharded by user id cannot catch an order id
-- reused with another user id (the two writes land on different shards); this store can.
CREATE TABLE order_claims (
    order_id         VARCHAR(128) NOT NULL,
    user_id          VARCHAR(64)  NOT NULL,
    activity_id      VARCHAR(64)  NOT NULL,
    reward_type      VARCHAR(64)  NOT NULL,
    amount           BIGINT       NOT NULL COMMENT 'minor units (or item count for goods)',
    ledger           VARCHAR(32)  NOT NULL COMMENT 'which ledger credits it: wallet, goods, http:<name>',
    state            ENUM('claimed', 'credited') NOT NULL,
    claimed_by       VARCHAR(32)  NOT NULL COMMENT 'consumer, withdrawal, drain, replay, repair',
    attempts         INT UNSIGNED NOT NULL DEFAULT 1,
    granted_at       DATETIME(6)  NOT NULL COMMENT 'when the SDK accepted the grant',
    claimed_at       DATETIME(6)  NOT NULL,
    credited_at      DATETIME(6)  NULL,
    ledger_reference VARCHAR(128) NULL COMMENT 'the ledger''s own id for the credit',
    PRIMARY KEY (order_id),
    KEY claims_by_state (state, claimed_at),
    KEY claims_by_grant_time (granted_at)
) ENGINE = InnoDB COMMENT = 'shard key: order_id';

-- An order id seen again with a different user, type or amount: refused, never paid, kept here.
-- Shard key: order_id (lives beside the claim it conflicts with).
CREATE TABLE order_anomalies (
    anomaly_id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    order_id             VARCHAR(128) NOT NULL,
    claimed_user_id      VARCHAR(64)  NOT NULL,
    claimed_reward_type  VARCHAR(64)  NOT NULL,
    claimed_amount       BIGINT       NOT NULL,
    incoming_user_id     VARCHAR(64)  NOT NULL,
    incoming_reward_type VARCHAR(64)  NOT NULL,
    incoming_amount      BIGINT       NOT NULL,
    incoming_activity_id VARCHAR(64)  NOT NULL,
    source               VARCHAR(64)  NOT NULL COMMENT 'consumer topic/partition@offset, withdrawal, drain',
    detected_at          DATETIME(6)  NOT NULL,
    PRIMARY KEY (anomaly_id),
    KEY anomalies_by_order (order_id),
    KEY anomalies_by_time (detected_at)
) ENGINE = InnoDB COMMENT = 'shard key: order_id';
