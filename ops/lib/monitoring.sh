#!/usr/bin/env bash
# The monitoring stage of ops/test: ops/monitoring's Prometheus config and alert rules must load
# (promtool, from Debian's prometheus package that ops/bootstrap installs), its alert unit tests
# must pass, and every metric the rules and the dashboard read must be one the code exports, so a
# renamed metric cannot silently leave an alert that never fires.
#
# Usage: ops/lib/monitoring.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT/ops/monitoring"

promtool check config prometheus.yml
promtool check rules alerts.yml
promtool test rules alerts-tests.yml

# Metric names in the rules and the dashboard (recording rules are named with colons, so they do
# not match); label names that share the prefix are left out.
names=$(grep -ohE '\b(reward|kafka|hb|http_server)_[a-z0-9_]+' alerts.yml grafana-dashboard.json |
    sed -E 's/_(bucket|sum|count)$//' | grep -vxE 'reward_type' | sort -u)
missing=()
for name in $names; do
    grep -rqF "\"$name\"" "$ROOT/Sources" || missing+=("$name")
done
if ((${#missing[@]} > 0)); then
    echo "monitoring: metrics read by ops/monitoring but not exported by Sources/: ${missing[*]}" >&2
    exit 1
fi
echo "monitoring: config, rules, alert tests and $(wc -w <<<"$names") metric names checked"
