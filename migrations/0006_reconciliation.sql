-- Each reconciliation run and every difference it found between grants, claims and credits.
-- Shard key: time bucket (bucket_start): read by the hour.
CREATE TABLE reconciliation_runs (
    run_id        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    range_start   DATETIME(6) NOT NULL,
    range_end     DATETIME(6) NOT NULL,
    started_at    DATETIME(6) NOT NULL,
    finished_at   DATETIME(6) NULL,
    state         ENUM('running', 'clean', 'differences', 'failed') NOT NULL,
    grants        BIGINT NOT NULL DEFAULT 0,
    granted_total BIGINT NOT NULL DEFAULT 0,
    credits       BIGINT NOT NULL DEFAULT 0,
    credited_total BIGINT NOT NULL DEFAULT 0,
    findings      INT UNSIGNED NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id),
    KEY runs_by_range (range_start)
) ENGINE = InnoDB COMMENT = 'shard key: time bucket (range_start)';

CREATE TABLE reconciliation_findings (
    finding_id      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    run_id          BIGINT UNSIGNED NOT NULL,
    bucket_start    DATETIME(6)  NOT NULL,
    kind            VARCHAR(32)  NOT NULL COMMENT 'under_issued, over_issued, duplicate_credit, amount_mismatch, user_mismatch, over_budget, claim_without_credit',
    order_id        VARCHAR(128) NULL,
    activity_id     VARCHAR(64)  NULL,
    reward_type     VARCHAR(64)  NULL,
    user_id         VARCHAR(64)  NULL,
    expected_amount BIGINT       NULL,
    actual_amount   BIGINT       NULL,
    detail          VARCHAR(1024) NOT NULL,
    repaired_at     DATETIME(6)  NULL,
    PRIMARY KEY (finding_id),
    KEY findings_by_run (run_id, kind),
    KEY findings_by_bucket (bucket_start)
) ENGINE = InnoDB COMMENT = 'shard key: time bucket (bucket_start)';
