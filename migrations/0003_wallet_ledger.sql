-- The built-in wallet ledger, double-entry: every transfer writes legs that sum to zero, one on
-- the user's account and one on a system account (issuance, payout). Both legs carry the
-- user's id and live on the user's shard, so one local transaction writes a whole transfer.
-- Shard key: user_id.
CREATE TABLE wallet_accounts (
    user_id     VARCHAR(64) NOT NULL,
    currency    VARCHAR(16) NOT NULL,
    balance     BIGINT      NOT NULL DEFAULT 0 COMMENT 'minor units; equals the sum of the account''s entries',
    credited    BIGINT      NOT NULL DEFAULT 0,
    debited     BIGINT      NOT NULL DEFAULT 0,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (user_id, currency),
    CONSTRAINT wallet_balance_never_negative CHECK (balance >= 0)
) ENGINE = InnoDB COMMENT = 'shard key: user_id';

CREATE TABLE wallet_entries (
    entry_id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    transfer_id  VARCHAR(160) NOT NULL COMMENT 'credit:<order id> or withdraw:<request id>: the idempotency key',
    user_id      VARCHAR(64)  NOT NULL COMMENT 'the user the transfer is for (shard routing)',
    account      VARCHAR(64)  NOT NULL COMMENT 'the user id, or a system account: ~issuance, ~payout',
    currency     VARCHAR(16)  NOT NULL,
    amount       BIGINT       NOT NULL COMMENT 'signed minor units; the legs of one transfer sum to zero',
    order_id     VARCHAR(128) NULL,
    activity_id  VARCHAR(64)  NULL,
    reward_type  VARCHAR(64)  NULL,
    created_at   DATETIME(6)  NOT NULL,
    PRIMARY KEY (entry_id),
    UNIQUE KEY entries_one_leg_per_account (transfer_id, account, currency),
    KEY entries_by_account (user_id, account, currency, entry_id),
    KEY entries_by_order (order_id),
    KEY entries_by_time (created_at)
) ENGINE = InnoDB COMMENT = 'shard key: user_id';
