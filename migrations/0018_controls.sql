-- Live controls (issue 14): the switches and rates an operator changes during the night without a
-- restart. `control_head` holds one row whose version every change bumps, so the daemons poll one
-- integer and read `controls` only when it moved; `control_changes` is the audit trail (who, when,
-- why, from what to what), one row per version. A key without a row in `controls` has its default
-- (switches on, wallet not reduced, rates as configured).
-- Shard key: none (control database).
CREATE TABLE control_head (
    id TINYINT NOT NULL PRIMARY KEY COMMENT 'always 1',
    version BIGINT NOT NULL COMMENT 'the last change; 0 before any'
) ENGINE = InnoDB COMMENT = 'shard key: none (control database)';
INSERT INTO control_head (id, version) VALUES (1, 0);

CREATE TABLE controls (
    name VARCHAR(160) NOT NULL PRIMARY KEY COMMENT 'type:<id>, activity:<id>, withdrawals, wallet-reduced, rate:<bucket>',
    value BIGINT NOT NULL COMMENT '1 on / 0 off, or permits per second for rate:',
    version BIGINT NOT NULL COMMENT 'the change that set it',
    changed_at DATETIME(3) NOT NULL,
    changed_by VARCHAR(64) NOT NULL,
    reason VARCHAR(500) NOT NULL
) ENGINE = InnoDB COMMENT = 'shard key: none (control database)';

CREATE TABLE control_changes (
    version BIGINT NOT NULL PRIMARY KEY,
    name VARCHAR(160) NOT NULL,
    old_value BIGINT NULL COMMENT 'NULL: was at its default',
    new_value BIGINT NULL COMMENT 'NULL: reset to its default',
    changed_at DATETIME(3) NOT NULL,
    changed_by VARCHAR(64) NOT NULL,
    reason VARCHAR(500) NOT NULL,
    KEY changes_by_name (name, version)
) ENGINE = InnoDB COMMENT = 'shard key: none (control database)';
