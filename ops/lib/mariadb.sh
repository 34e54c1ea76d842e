# shellcheck shell=bash
# MariaDB under a local folder: no root daemon, no systemd. Sourced by dev-up, dev-down and test.

# A TCP port on loopback that nothing answers on.
free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "free_port: no free port found" >&2
    return 1
}

# mariadb_start DIR PORT: initialise DIR/data on first use, start the server, wait until it answers.
mariadb_start() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [[ -f $dir/mysqld.pid ]] && kill -0 "$(cat "$dir/mysqld.pid")" 2>/dev/null; then
        echo "mariadb: already running (pid $(cat "$dir/mysqld.pid"), port $(cat "$dir/port" 2>/dev/null))"
        return 0
    fi
    if [[ ! -d $dir/data/mysql ]]; then
        mariadb-install-db --no-defaults --datadir="$dir/data" --user="$(id -un)" \
            --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 ||
            { echo "mariadb: install-db failed, see $dir/install.log" >&2; return 1; }
    fi
    echo "$port" >"$dir/port"
    # A temp folder of its own: servers of parallel runs (other worktrees) share /tmp otherwise.
    mkdir -p "$dir/tmp"
    (without_inherited_fds mariadbd --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" --user="$(id -un)" \
        --socket="$dir/mysqld.sock" --port="$port" --bind-address=127.0.0.1 \
        --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" \
        --skip-log-bin --skip-name-resolve --max-connections=1000 \
        --innodb-buffer-pool-size=512M --innodb-log-file-size=256M \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_bin) \
        >/dev/null 2>&1 &
    # Poll the socket rather than sleeping a fixed time: ready in well under 3 s here.
    for _ in $(seq 1 300); do
        if mariadb-admin --no-defaults --socket="$dir/mysqld.sock" -uroot ping >/dev/null 2>&1; then
            echo "mariadb: ready on 127.0.0.1:$port (socket $dir/mysqld.sock)"
            return 0
        fi
        sleep 0.1
    done
    echo "mariadb: did not start, last lines of $dir/error.log:" >&2
    tail -20 "$dir/error.log" >&2 || true
    return 1
}

# mariadb_stop DIR: stop the server started under DIR and wait for it to exit.
mariadb_stop() {
    local dir=$1 pid
    [[ -f $dir/mysqld.pid ]] || return 0
    pid=$(cat "$dir/mysqld.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 300); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$dir/mysqld.pid"
    echo "mariadb: stopped"
}

# mariadb_sql DIR SQL: run SQL as root over the socket.
mariadb_sql() {
    mariadb --no-defaults --socket="$1/mysqld.sock" -uroot -e "$2"
}
