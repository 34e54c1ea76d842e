-- Signed proof of each grant, listed per user on the wallet page before the credit lands.
-- Shard key: user_id. Recorded by the SDK in batches; a consumer records any the SDK missed.
CREATE TABLE reward_tokens (
    user_id      VARCHAR(64)  NOT NULL,
    order_id     VARCHAR(128) NOT NULL,
    token        VARCHAR(255) NOT NULL,
    activity_id  VARCHAR(64)  NOT NULL,
    scene_id     VARCHAR(64)  NOT NULL,
    reward_type  VARCHAR(64)  NOT NULL,
    amount       BIGINT       NOT NULL COMMENT 'minor units (or item count for goods)',
    issued_at    DATETIME(6)  NOT NULL,
    expires_at   DATETIME(6)  NOT NULL,
    recorded_by  ENUM('sdk', 'consumer', 'withdrawal') NOT NULL,
    recorded_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (user_id, order_id),
    KEY tokens_by_user_time (user_id, issued_at),
    KEY tokens_by_time (issued_at)
) ENGINE = InnoDB COMMENT = 'shard key: user_id';
