#!/usr/bin/env bash
# The example stage of ops/test: builds Examples/ActivityService (a separate package over RewardSDK,
# what an activity team writes) and smoke-tests it against the dev Kafka clusters ops/test started:
# it must start (start(): a cluster ready), answer one grant over HTTP with 200 and a token, refuse
# a hostile path with 400 and its code, and exit 0 on SIGTERM after shutting the SDK down.
#
# Usage: ops/lib/example.sh BIN WORK
#   BIN   the folder of the built executables (for reward-admin)
#   WORK  a folder for logs and the spool (kept by ops/test when the run fails)
# Reads REWARD_KAFKA_CLUSTERS (set by ops/test). The example builds in Examples/ActivityService/.build
# (git-ignored): its own scratch path, so it never disturbs the main build, and incremental on a
# machine that ran it before.
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$ROOT/ops/lib/mariadb.sh"
cd "$ROOT"

bin=$1
work=$2/example
mkdir -p "$work"

started=$(date +%s)
swift build --package-path Examples/ActivityService
example_bin=$(swift build --package-path Examples/ActivityService --show-bin-path)
echo "example: build took $(($(date +%s) - started)) s"

# The lane topics may not exist yet (the fuzz stage, which also applies them, may be skipped).
"$bin/reward-admin" topics apply --cluster A >"$work/topics.log"
"$bin/reward-admin" topics apply --cluster B >>"$work/topics.log"

pidfile=$work/activity-service.pid
log=$work/activity-service.log
cleanup() {
    local status=$?
    stop_pid "$pidfile" activity-service >/dev/null || true
    exit "$status"
}
trap cleanup EXIT INT TERM HUP PIPE
fail() {
    echo "example: $1; last lines of $log:" >&2
    tail -20 "$log" >&2
    exit 1
}

# Settings as an activity team's service reads them: the development file (its published token key
# needs REWARD_MODE=development), the clusters ops/test started, a spool of its own.
port=$(free_port)
REWARD_CONFIG=$ROOT/ops/config/dev.json REWARD_MODE=development REWARD_SDK_SPOOL_DIRECTORY=$work/spool \
    REWARD_EXAMPLE_PORT=$port without_inherited_fds "$example_bin/activity-service" >"$log" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"
url=http://127.0.0.1:$port
for _ in $(seq 1 300); do
    curl -fsS "$url/readyz" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
curl -fsS "$url/readyz" >/dev/null 2>&1 || fail "activity-service did not become ready"

# post PATH BODY EXPECTED_STATUS: the answer's body goes to $work/answer.json.
post() {
    local status
    status=$(curl -sS -o "$work/answer.json" -w '%{http_code}' -X POST "$url$1" -H 'Content-Type: application/json' -d "$2") ||
        fail "POST $1 got no answer"
    [[ $status == "$3" ]] || fail "POST $1 answered $status, not $3: $(head -c 300 "$work/answer.json")"
}
post /rain/u-smoke '{"round": 1, "drop": 2, "deviceID": "ci", "appID": "ops-test"}' 200
python3 - "$work/answer.json" <<'PY' || fail "the grant's answer has no token"
import json, sys
answer = json.load(open(sys.argv[1]))
assert answer["outcome"] == "durable" and len(answer["token"]) == 46, answer
print(f"example: granted {answer['orderID']}, token {answer['token'][:12]}…")
PY
post /rain/u:1 '{"round": 1, "drop": 2, "deviceID": "ci", "appID": "ops-test"}' 400
grep -q '"code":"invalid_user_id"' "$work/answer.json" || fail "a hostile user id was not refused as invalid_user_id"

# SIGTERM: the server stops, then client.shutdown(); the process must exit 0 within 10 s.
kill -TERM "$pid"
for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$pid" 2>/dev/null && fail "activity-service did not stop within 10 s of SIGTERM"
status=0
wait "$pid" || status=$?
rm -f "$pidfile"
((status == 0)) || fail "activity-service exited $status after SIGTERM"
grep -q "reward client shut down" "$log" || fail "activity-service exited without shutting the SDK down"
echo "example: passed"
