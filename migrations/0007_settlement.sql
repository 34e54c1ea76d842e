-- Budget reservations: one row per order id that went through a budget check, on the budget's
-- shard, written in the same transaction as the budgets row it counts against. The row makes the
-- reservation idempotent: a redelivered or concurrently settled order reserves once, and an order
-- held for the cap moves from held to reserved (never both) when a person raises the cap.
-- Shard key: activity_id (an order id belongs to one activity; claims refuse any other).
CREATE TABLE budget_reservations (
    order_id    VARCHAR(128) NOT NULL,
    activity_id VARCHAR(64)  NOT NULL,
    reward_type VARCHAR(64)  NOT NULL,
    amount      BIGINT       NOT NULL COMMENT 'minor units (or item count for goods)',
    state       ENUM('reserved', 'held') NOT NULL COMMENT 'reserved: counted in budgets.issued; held: in budgets.held',
    created_at  DATETIME(6)  NOT NULL,
    updated_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (order_id),
    KEY reservations_by_budget (activity_id, reward_type, state)
) ENGINE = InnoDB COMMENT = 'shard key: activity_id';

-- The built-in goods ledger (coupons, frames, prizes): one row per granted item batch.
-- Idempotent by order id per user (the unique key is the final arbiter under races); an order id
-- reused with another user is stopped earlier by order_claims, which is sharded by order id.
-- Shard key: user_id.
CREATE TABLE goods_grants (
    grant_id    BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    user_id     VARCHAR(64)  NOT NULL,
    order_id    VARCHAR(128) NOT NULL,
    item_type   VARCHAR(64)  NOT NULL COMMENT 'the reward type',
    quantity    BIGINT       NOT NULL,
    activity_id VARCHAR(64)  NOT NULL,
    granted_at  DATETIME(6)  NOT NULL COMMENT 'when the SDK accepted the grant',
    created_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (grant_id),
    UNIQUE KEY goods_once_per_order (user_id, order_id),
    KEY goods_by_order (order_id),
    CONSTRAINT goods_quantity_positive CHECK (quantity > 0)
) ENGINE = InnoDB COMMENT = 'shard key: user_id';

-- Fleet-wide rate limits: each consumer instance heartbeats its lease here; an instance's share of
-- a configured rate is rate / (instances whose heartbeat is younger than the lease). Times are the
-- server's NOW(6), so instances never compare their own clocks. `scope` separates fleets that
-- share a database but not a downstream (for example the cash and the goods consumers).
-- Shard key: none (a handful of rows on the coordination database, the first claims shard).
CREATE TABLE rate_leases (
    scope        VARCHAR(64)  NOT NULL,
    instance_id  VARCHAR(128) NOT NULL,
    heartbeat_at DATETIME(6)  NOT NULL,
    joined_at    DATETIME(6)  NOT NULL,
    PRIMARY KEY (scope, instance_id),
    KEY leases_by_heartbeat (scope, heartbeat_at)
) ENGINE = InnoDB COMMENT = 'shard key: none (coordination database; one row per consumer instance)';
