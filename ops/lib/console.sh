#!/usr/bin/env bash
# The console stage of ops/test: a real reward-console on loopback over a fresh database on the
# throwaway MariaDB and the dev Kafka clusters ops/test started, seeded with a backlog (grants
# through the SDK), dead letters (a running consumer parks records signed with a key it does not
# hold, and one hostile row) and a reconciliation finding; then headless chromium (Debian's,
# driven by Playwright from PyPI in .local/venv) checks that the page refuses a visitor without
# a session, signs an operator in, and shows the stores' figures (ops/lib/console_browser.py reads
# the stores itself). Saves a full-page screenshot as WORK/console/console.png.
#
# Usage: ops/lib/console.sh BIN WORK
#   BIN   the folder of the built executables (swift build --show-bin-path)
#   WORK  a folder for logs and the screenshot (kept by ops/test when the run fails)
# Reads REWARD_TEST_MARIADB_PORT, REWARD_TEST_MARIADB_SOCKET and REWARD_KAFKA_CLUSTERS (set by ops/test).
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$ROOT/ops/lib/mariadb.sh"
cd "$ROOT"

bin=$1
work=$2/console
mkdir -p "$work"
started=$(date +%s)

# Pinned like schemathesis: the browser script uses Playwright's sync API. Never `playwright
# install`: the browser is Debian's chromium (ops/bootstrap), launched by path.
PLAYWRIGHT_VERSION=1.65.2
venv=$LOCAL/venv
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('playwright') != '$PLAYWRIGHT_VERSION')" 2>/dev/null; then
    echo "console: installing playwright $PLAYWRIGHT_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "playwright==$PLAYWRIGHT_VERSION"
fi
[[ -x /usr/bin/chromium ]] || { echo "console: /usr/bin/chromium is missing (ops/bootstrap installs Debian's chromium)" >&2; exit 1; }

database=reward_console_$$
sql() { mariadb --no-defaults --socket="$REWARD_TEST_MARIADB_SOCKET" -uroot "$@"; }
cleanup() {
    local status=$?
    stop_pid "$work/reward-console.pid" reward-console >/dev/null || true
    stop_pid "$work/reward-consumer.pid" reward-consumer >/dev/null || true
    sql -e "DROP DATABASE IF EXISTS $database" 2>/dev/null || true
    if ((status != 0)); then
        for log in "$work"/*.log; do echo "--- last lines of $log" >&2; tail -15 "$log" >&2; done
    fi
    exit "$status"
}
trap cleanup EXIT INT TERM HUP PIPE

sql -e "CREATE DATABASE $database CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
export REWARD_DB_HOST=127.0.0.1 REWARD_DB_PORT=$REWARD_TEST_MARIADB_PORT REWARD_DB_USER=root REWARD_DB_NAME=$database
export REWARD_MODE=development REWARD_CONFIG=$ROOT/ops/config/dev.json REWARD_LOG_LEVEL=${REWARD_LOG_LEVEL:-notice}
"$bin/reward-admin" migrate >"$work/migrate.log"
"$bin/reward-admin" topics apply --cluster A >"$work/topics.log"
"$bin/reward-admin" topics apply --cluster B >>"$work/topics.log"

# A consumer of B's cash lane: it holds a rate lease (a live instance on the page) and parks the
# probe's grants, whose tokens are signed with a key the development ring does not hold.
consumer_metrics=$(free_port)
(without_inherited_fds "$bin/reward-consumer" --cluster B --topic reward-cash --metrics-port "$consumer_metrics" \
    --instance-id console-stage) >"$work/reward-consumer.log" 2>&1 &
echo $! >"$work/reward-consumer.pid"

# The backlog: grants through the SDK onto both clusters' cash and goods lanes.
"$bin/reward-sdk-probe" grant-loop --clusters "$REWARD_KAFKA_CLUSTERS" --spool "$work/probe-spool" \
    --catalog ops/config/reward-types.json --run "console-$$" --limit 400 --concurrency 8 >"$work/probe.out" 2>"$work/probe.log"
echo "console: seeded $(wc -l <"$work/probe.out") grants"

# The consumer has drained B's cash lane into dead letters when its lag is 0.
b_cash_lag() { "$bin/reward-admin" lag --cluster B --topic reward-cash --json 2>/dev/null |
    python3 -c 'import json, sys; print(sum(p["lag"] for p in json.load(sys.stdin)["partitions"]))'; }
for _ in $(seq 1 300); do
    [[ $(b_cash_lag || echo 1) == 0 ]] && break
    kill -0 "$(cat "$work/reward-consumer.pid")" 2>/dev/null || { echo "console: reward-consumer died" >&2; exit 1; }
    sleep 0.2
done
[[ $(b_cash_lag) == 0 ]] || { echo "console: B's cash lane was not drained in 60 s" >&2; exit 1; }

# A hostile dead letter (its bytes are an attacker's), a budget and a reconciliation run with a finding.
hostile="<script>document.title='owned'</script><img src=x onerror=alert(1)>"
hostile_hex=$(printf '%s' "$hostile" | od -An -tx1 | tr -d ' \n')
sql "$database" -e "
    INSERT INTO dead_letters (cluster, topic, topic_partition, topic_offset, order_id, reward_type, reason_code, reason, payload,
        payload_bytes, attempts, state, first_failed_at, last_failed_at)
    VALUES ('A', 'reward-cash', 0, 999999, 'evil<order>', 'cash_red_envelope', 'malformed_record', 'seeded by ops/lib/console.sh',
        X'$hostile_hex', ${#hostile}, 1, 'parked', NOW(6), NOW(6));
    INSERT INTO budgets (activity_id, reward_type, cap, issued, held, warn_percent, updated_at)
        VALUES ('probe', 'cash_red_envelope', 100000, 85000, 300, 80, NOW(6));
    INSERT INTO reconciliation_runs (range_start, range_end, started_at, finished_at, state, grants, granted_total, credits,
        credited_total, findings)
        VALUES (NOW(6) - INTERVAL 2 HOUR, NOW(6) - INTERVAL 1 HOUR, NOW(6), NOW(6), 'differences', 2, 200, 1, 100, 1);
    INSERT INTO reconciliation_findings (run_id, bucket_start, kind, order_id, activity_id, reward_type, user_id, expected_amount,
        actual_amount, detail)
        VALUES (LAST_INSERT_ID(), NOW(6) - INTERVAL 2 HOUR, 'under_issued', 'probe:seeded', 'probe', 'cash_red_envelope', 'u1',
            100, 0, 'granted, not credited after the grace period');"
hostile_id=$(sql "$database" -N -e "SELECT dead_letter_id FROM dead_letters WHERE topic_offset = 999999")

# The console, with one operator whose token is random for this run.
token=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
python3 -c 'import json, sys; json.dump({"operators": {"oncall-ana": sys.argv[2]}}, open(sys.argv[1], "w"))' "$work/operators.json" "$token"
chmod 600 "$work/operators.json"
console_port=$(free_port)
# The browser script reads lag with the same sample, and rates over the same window; an hour, so
# that no credit of this run leaves the window between the page's read and the script's.
export REWARD_CONSOLE_LAG_SAMPLE=2000 REWARD_CONSOLE_CREDIT_WINDOW_SECONDS=3600
REWARD_CONSOLE_OPERATORS_FILE=$work/operators.json REWARD_CONSOLE_DAEMONS="consumer-B-cash=http://127.0.0.1:$consumer_metrics/metrics" \
    without_inherited_fds "$bin/reward-console" --port "$console_port" >"$work/reward-console.log" 2>&1 &
echo $! >"$work/reward-console.pid"
for _ in $(seq 1 100); do
    grep -q "listening on" "$work/reward-console.log" && break
    kill -0 "$(cat "$work/reward-console.pid")" 2>/dev/null || break
    sleep 0.1
done
grep -q "listening on" "$work/reward-console.log" || { echo "console: reward-console did not start" >&2; exit 1; }

CONSOLE_URL=http://127.0.0.1:$console_port CONSOLE_OPERATOR=oncall-ana CONSOLE_TOKEN=$token CONSOLE_ADMIN=$bin/reward-admin \
    CONSOLE_WORK=$work CONSOLE_HOSTILE_ID=$hostile_id CONSOLE_CONSUMER_LOG=$work/reward-consumer.log \
    "$venv/bin/python" ops/lib/console_browser.py
if grep -qE 'Fatal error|Crash|Backtrace' "$work/reward-console.log"; then
    echo "console: reward-console logged a crash; see $work/reward-console.log" >&2
    exit 1
fi
echo "console: passed in $(($(date +%s) - started)) s"
