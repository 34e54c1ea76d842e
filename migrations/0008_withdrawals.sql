-- Withdrawals: one row per request id, the state machine of one withdrawal
-- (requested -> debited -> paid_out, or requested -> refused). It lives on the user's wallet
-- shard, so the debit legs (`withdraw:<request id>`), the balance and the state change commit in
-- one local transaction: a withdrawal is debited at most once, whatever is retried.
-- Shard key: user_id.
CREATE TABLE withdrawals (
    request_id       VARCHAR(64)  NOT NULL COMMENT 'the client''s idempotency key',
    user_id          VARCHAR(64)  NOT NULL,
    currency         VARCHAR(16)  NOT NULL,
    amount           BIGINT       NOT NULL COMMENT 'minor units',
    state            ENUM('requested', 'debited', 'paid_out', 'refused') NOT NULL,
    refusal_code     VARCHAR(64)  NULL COMMENT 'why a refused withdrawal moved nothing',
    result           MEDIUMTEXT   NULL COMMENT 'the answer given the first time (JSON), replayed to retries',
    payout_reference VARCHAR(160) NULL,
    requested_at     DATETIME(6)  NOT NULL,
    debited_at       DATETIME(6)  NULL,
    paid_out_at      DATETIME(6)  NULL,
    updated_at       DATETIME(6)  NOT NULL,
    PRIMARY KEY (user_id, request_id),
    UNIQUE KEY withdrawals_once_per_request (request_id),
    KEY withdrawals_by_state (state, updated_at),
    CONSTRAINT withdrawal_amount_positive CHECK (amount > 0)
) ENGINE = InnoDB COMMENT = 'shard key: user_id';

-- The built-in payout ledger: money handed over for payment, once per withdrawal request id.
-- Written after the debit commits; a debit without its payout row is completed on retry.
-- Shard key: user_id (beside the withdrawal it pays).
CREATE TABLE payouts (
    request_id VARCHAR(64) NOT NULL,
    user_id    VARCHAR(64) NOT NULL,
    currency   VARCHAR(16) NOT NULL,
    amount     BIGINT      NOT NULL COMMENT 'minor units',
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (request_id),
    KEY payouts_by_user (user_id, created_at),
    CONSTRAINT payout_amount_positive CHECK (amount > 0)
) ENGINE = InnoDB COMMENT = 'shard key: user_id';
