#!/usr/bin/env bash
# The HTTP fuzz stage of ops/test: a real reward-api process on loopback, over a fresh database on
# the throwaway MariaDB and the dev Kafka clusters ops/test started, fuzzed by schemathesis against
# openapi/reward-api.yaml. Fails when schemathesis finds a response the document does not allow
# (a 5xx, an undocumented status, content type or body) or when reward-api dies on the way.
#
# Usage: ops/lib/schemathesis.sh BIN WORK
#   BIN   the folder of the built executables (swift build --show-bin-path)
#   WORK  a folder for logs, the spool and reports (kept by ops/test when the run fails)
# Reads REWARD_TEST_MARIADB_PORT, REWARD_TEST_MARIADB_SOCKET and REWARD_KAFKA_CLUSTERS (set by
# ops/test). REWARD_FUZZ_EXAMPLES (default 300 per operation and phase) and REWARD_FUZZ_SEED
# (default: random, printed) tune the run.
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$ROOT/ops/lib/mariadb.sh"
cd "$ROOT"

bin=$1
work=$2/fuzz
mkdir -p "$work"

# Pinned: the hooks use schemathesis 4's hook and metadata API; 4.32.5 runs on Python 3.11.
SCHEMATHESIS_VERSION=4.32.5
venv=$LOCAL/venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
    echo "fuzz: installing schemathesis $SCHEMATHESIS_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

database=reward_fuzz_$$
api_pidfile=$work/reward-api.pid
cleanup() {
    local status=$?
    stop_pid "$api_pidfile" reward-api >/dev/null || true
    mariadb --no-defaults --socket="$REWARD_TEST_MARIADB_SOCKET" -uroot -e "DROP DATABASE IF EXISTS $database" 2>/dev/null || true
    exit "$status"
}
trap cleanup EXIT INT TERM HUP PIPE

mariadb --no-defaults --socket="$REWARD_TEST_MARIADB_SOCKET" -uroot \
    -e "CREATE DATABASE $database CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
export REWARD_DB_HOST=127.0.0.1 REWARD_DB_PORT=$REWARD_TEST_MARIADB_PORT REWARD_DB_USER=root REWARD_DB_NAME=$database
export REWARD_MODE=development
"$bin/reward-admin" migrate >"$work/migrate.log"
"$bin/reward-admin" topics apply --cluster A >"$work/topics.log"
"$bin/reward-admin" topics apply --cluster B >>"$work/topics.log"

# Settings: the development file, with a signing service (one of its scopes), a gateway key, a
# caller limit that the fuzzer's pace does not reach, and the spool in the work folder.
random_base64() { python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'; }
export REWARD_FUZZ_SERVICE=rain-service
REWARD_FUZZ_SECRET=$(random_base64)
REWARD_FUZZ_GATEWAY_KEY=$(random_base64)
export REWARD_FUZZ_SECRET REWARD_FUZZ_GATEWAY_KEY
python3 - "$ROOT/ops/config/dev.json" "$work/reward-api.json" "$work/spool" <<'PY'
import json, sys
source, target, spool = sys.argv[1:]
settings = json.load(open(source))
settings["api"].update({"callerBurst": 100000})
settings["sdk"]["spool"]["directory"] = spool
json.dump(settings, open(target, "w"), indent=2)
PY
# healthy PORT: reward-api answers GET /readyz with 200 within 5 s (its SDK client has started,
# so the fuzzing does not race the clusters' discovery).
healthy() {
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=5)' "$1" \
        >/dev/null 2>&1
}
port=$(free_port)
REWARD_CONFIG=$work/reward-api.json REWARD_API_SERVICES="$REWARD_FUZZ_SERVICE:$REWARD_FUZZ_SECRET" \
    REWARD_API_GATEWAY_KEY=$REWARD_FUZZ_GATEWAY_KEY \
    without_inherited_fds "$bin/reward-api" --port "$port" >"$work/reward-api.log" 2>&1 &
echo $! >"$api_pidfile"
api_pid=$(cat "$api_pidfile")
for _ in $(seq 1 300); do
    healthy "$port" && break
    kill -0 "$api_pid" 2>/dev/null || break
    sleep 0.1
done
if ! healthy "$port"; then
    echo "fuzz: reward-api did not start; last lines of $work/reward-api.log:" >&2
    tail -20 "$work/reward-api.log" >&2
    exit 1
fi
echo "fuzz: reward-api (pid $api_pid) on 127.0.0.1:$port over database $database"

seed=${REWARD_FUZZ_SEED:-$RANDOM$RANDOM}
# One worker: with two, Hypothesis describes filters by parsing lambda sources on two threads,
# and CPython 3.11's ast.parse is not safe for that ("AST constructor recursion depth mismatch").
started=$(date +%s)
fuzz_status=0
SCHEMATHESIS_HOOKS=$ROOT/ops/lib/schemathesis_hooks.py "$venv/bin/schemathesis" --no-color run openapi/reward-api.yaml \
    --url "http://127.0.0.1:$port" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "${REWARD_FUZZ_EXAMPLES:-300}" --seed "$seed" --workers 1 --request-timeout 20 \
    --suppress-health-check too_slow,filter_too_much --generation-database "$work/examples" \
    --report junit,har --report-dir "$work/report" --report-har-path "$work/report/requests.har" \
    2>&1 | tee "$work/schemathesis.log" || fuzz_status=$?
echo "fuzz: schemathesis took $(($(date +%s) - started)) s (seed $seed; rerun with REWARD_FUZZ_SEED=$seed)"

# What the server answered, per operation; and a guard against a run that passes vacuously: if
# the signing hook or the gateway key stopped working, every request would end at a 401.
vacuous=0
python3 - "$work/report/requests.har" <<'PY' || vacuous=1
import collections, json, re, sys
routes = {"POST /v1/bonus": r"/v1/bonus", "GET /v1/users/{id}/wallet": r"/v1/users/[^/]*/wallet",
          "POST /v1/users/{id}/withdrawals": r"/v1/users/[^/]*/withdrawals", "GET /healthz": r"/healthz", "GET /readyz": r"/readyz",
          "GET /metrics": r"/metrics"}
answers = collections.defaultdict(collections.Counter)
for entry in json.load(open(sys.argv[1]))["log"]["entries"]:
    method, path = entry["request"]["method"], re.sub(r"^https?://[^/]+", "", entry["request"]["url"]).split("?")[0]
    route = next((name for name, pattern in routes.items() if name.startswith(method + " ") and re.fullmatch(pattern, path)),
                 f"{method} (no route)")
    answers[route][entry["response"]["status"]] += 1
for route, counts in sorted(answers.items()):
    print(f"fuzz: {route}: " + ", ".join(f"{status}×{count}" for status, count in sorted(counts.items())))
missing = [route for route in ("POST /v1/bonus", "GET /v1/users/{id}/wallet") if answers[route][200] == 0]
if missing:
    sys.exit(f"fuzz: no request to {', '.join(missing)} got past authentication (200): the signing hook or the gateway key is broken")
PY

# A trapping process prints its backtrace for a while before it exits: ask it, do not trust its pid.
if ! healthy "$port"; then
    echo "fuzz: reward-api stopped answering during the run; last lines of $work/reward-api.log:" >&2
    tail -40 "$work/reward-api.log" >&2
    exit 1
fi
if grep -qE 'Fatal error|Crash|Backtrace' "$work/reward-api.log"; then
    echo "fuzz: reward-api logged a crash; see $work/reward-api.log" >&2
    exit 1
fi
if ((vacuous != 0)); then
    exit 1
fi
if ((fuzz_status != 0)); then
    echo "fuzz: schemathesis found responses the document does not allow (exit $fuzz_status); see $work/schemathesis.log" >&2
    exit "$fuzz_status"
fi
echo "fuzz: passed"
