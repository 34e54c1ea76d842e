-- Where each `reward-admin drain` stopped, per topic partition and selection (the reward-type and
-- time filters it ran with): the next offset not yet settled. Written only after the records
-- before it are settled or parked, so an interrupted drain resumes there and credits nothing twice
-- (the engine is idempotent by order id in any case).
-- Shard key: none (a handful of rows per drained topic, on the coordination database).
CREATE TABLE drain_checkpoints (
    cluster         VARCHAR(16)  NOT NULL,
    topic           VARCHAR(128) NOT NULL,
    topic_partition INT          NOT NULL,
    selection       VARCHAR(255) NOT NULL COMMENT 'all, or the filters: types=...;from=...;to=...',
    next_offset     BIGINT       NOT NULL,
    end_offset      BIGINT       NOT NULL COMMENT 'the end the drain was planned to',
    settled         BIGINT       NOT NULL DEFAULT 0 COMMENT 'records settled or parked by drains so far',
    updated_at      DATETIME(6)  NOT NULL,
    PRIMARY KEY (cluster, topic, topic_partition, selection)
) ENGINE = InnoDB COMMENT = 'shard key: none (coordination database)';

