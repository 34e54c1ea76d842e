# shellcheck shell=bash
# Shared by the ops scripts: where things live and how to build the tools.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCAL=${REWARD_LOCAL_DIR:-$ROOT/.local}

# build_tools [debug|release]: builds the executables and prints their folder.
build_tools() {
    local configuration=${1:-debug}
    # `|| return`: errexit does not reach into the $(build_tools) a caller runs this in.
    (cd "$ROOT" && swift build -c "$configuration" >&2) || return 1
    (cd "$ROOT" && swift build -c "$configuration" --show-bin-path)
}

# without_inherited_fds COMMAND...: execs COMMAND with only stdin, stdout and stderr open. A server
# started from a script that runs under `flock` (or from CI's runner) would otherwise hold the
# lock, or the runner's pipes, for as long as it lives: seen as two builds waiting forever on a
# lock that a MariaDB started under it still held.
without_inherited_fds() {
    local fd
    for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        if ((fd > 2)); then eval "exec $fd>&-"; fi
    done
    exec "$@"
}

# start_dev_kafka BIN DIRECTORY_FILE LOG PIDFILE: host clusters A and B in the background and
# wait until they have written their addresses.
start_dev_kafka() {
    local bin=$1 file=$2 log=$3 pidfile=$4
    if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && [[ -f $file ]]; then
        echo "dev-kafka: already running (pid $(cat "$pidfile"))"
        return 0
    fi
    rm -f "$file"
    (without_inherited_fds "$bin/reward-admin" dev-kafka --write "$file") >"$log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 200); do
        if [[ -s $file ]]; then
            echo "dev-kafka: clusters A and B up (pid $(cat "$pidfile")), addresses in $file"
            return 0
        fi
        kill -0 "$(cat "$pidfile")" 2>/dev/null || break
        sleep 0.1
    done
    echo "dev-kafka: did not start; last lines of $log:" >&2
    tail -20 "$log" >&2 || true
    return 1
}

# stop_pid PIDFILE NAME: SIGTERM, wait up to 10 s, then SIGKILL.
stop_pid() {
    local pidfile=$1 name=$2 pid
    [[ -f $pidfile ]] || return 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        echo "$name: stopped"
    fi
    rm -f "$pidfile"
}
