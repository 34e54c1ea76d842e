-- Events that could not be settled without a person, with the record as it arrived.
-- Shard key: time bucket (first_failed_at); read by on-call engineers by time and reason.
CREATE TABLE dead_letters (
    dead_letter_id  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    cluster         VARCHAR(16)  NOT NULL,
    topic           VARCHAR(128) NOT NULL,
    topic_partition INT          NOT NULL,
    topic_offset    BIGINT       NOT NULL,
    order_id        VARCHAR(128) NULL COMMENT 'NULL when the record could not be decoded',
    reward_type     VARCHAR(64)  NULL,
    reason_code     VARCHAR(64)  NOT NULL,
    reason          VARCHAR(1024) NOT NULL,
    payload         MEDIUMBLOB   NULL,
    attempts        INT UNSIGNED NOT NULL DEFAULT 0,
    replay_count    INT UNSIGNED NOT NULL DEFAULT 0,
    state           ENUM('parked', 'replayed', 'discarded') NOT NULL DEFAULT 'parked',
    first_failed_at DATETIME(6)  NOT NULL,
    last_failed_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (dead_letter_id),
    UNIQUE KEY dead_letters_once_per_record (cluster, topic, topic_partition, topic_offset),
    KEY dead_letters_by_reason (state, reason_code, first_failed_at),
    KEY dead_letters_by_order (order_id)
) ENGINE = InnoDB COMMENT = 'shard key: time bucket (first_failed_at)';
