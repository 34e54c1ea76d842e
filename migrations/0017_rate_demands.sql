-- Work-conserving fleet rates: each lease says which rate buckets its instance wants now (JSON
-- object, bucket name -> priority: 0 high/cash, 1 normal), and a bucket's rate is split only among
-- the instances that want it, so an idle instance no longer holds a share. `fleet` names the
-- instances that split the same downstreams' rates across lanes (scope stays the lane, for drain's
-- "is anyone consuming this lane" check).
-- Shard key: none (coordination database), as rate_leases.
ALTER TABLE rate_leases
    ADD COLUMN fleet VARCHAR(64) NOT NULL DEFAULT 'default' COMMENT 'instances that split the same rates' AFTER instance_id,
    ADD COLUMN demands TEXT NOT NULL DEFAULT '{}' COMMENT 'JSON: bucket -> priority wanted now' AFTER joined_at,
    ADD KEY leases_by_fleet (fleet, heartbeat_at);
