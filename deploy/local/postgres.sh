#!/usr/bin/env bash
# A dedicated PostgreSQL cluster for Starcard, from Debian's packages, run with pg_ctlcluster:
# cluster "starcard" of the newest installed major version, on 127.0.0.1:5433 only (so it never
# clashes with a default cluster on 5432), with its data under $REPO/.run/postgres/ (git-ignored).
# Role starcard / password starcard (SUPERUSER: the tests create databases) owns database starcard.
#
#   deploy/local/postgres.sh install   apt install postgresql if missing
#   deploy/local/postgres.sh start     install, create the cluster once, start it, role + database
#   deploy/local/postgres.sh stop      stop the cluster
#   deploy/local/postgres.sh status    exit 0 if it runs and answers, 3 if not
#
# Every command is idempotent. Clusters run as the `postgres` user, so .run/postgres is owned by
# postgres. Where that user cannot reach the work tree (a repo under /root, which is mode 700), the
# data goes to /var/lib/postgresql/<version>/starcard instead, as Debian's own clusters do.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RUN_DIR="$REPO/.run/postgres"

CLUSTER="${PG_CLUSTER:-starcard}"
HOST="127.0.0.1"
PORT="${PG_PORT:-5433}"
DB_USER="starcard"
DB_PASSWORD="starcard"
DB_NAME="starcard"

LOG_NAME=postgres
# shellcheck source=deploy/local/common.sh
source "$HERE/common.sh"

as_postgres() { (cd / && as_root runuser -u postgres -- "$@"); }

# The newest major version whose server binary is installed (a client alone has no bin/postgres).
pg_version() {
    local d v=""
    for d in /usr/lib/postgresql/*/bin/postgres; do
        [ -x "$d" ] || continue
        d="${d#/usr/lib/postgresql/}"
        v="$(printf '%s\n%s\n' "$v" "${d%%/*}" | sort -V | tail -n 1)"
    done
    [ -n "$v" ] && echo "$v"
}

cmd_install() {
    if ! command -v pg_createcluster >/dev/null 2>&1 || ! pg_version >/dev/null; then
        apt_install postgresql
    fi
    pg_version >/dev/null || die "no PostgreSQL server under /usr/lib/postgresql after installing"
}

# Data directory of our cluster if it exists (empty output otherwise).
cluster_datadir() {
    pg_lsclusters -h 2>/dev/null | awk -v v="$1" -v c="$CLUSTER" '$1 == v && $2 == c { print $6 }'
}

is_running() { as_root pg_ctlcluster "$1" "$CLUSTER" status >/dev/null 2>&1; }

choose_datadir() {
    local version="$1"
    as_root mkdir -p "$RUN_DIR"
    as_root chown postgres:postgres "$RUN_DIR"
    as_root chmod 700 "$RUN_DIR"
    if as_postgres test -w "$RUN_DIR"; then
        echo "$RUN_DIR/$version"
    else
        log "the postgres user cannot reach $RUN_DIR (a parent folder is closed to it);" \
            "using /var/lib/postgresql/$version/$CLUSTER instead"
        echo "/var/lib/postgresql/$version/$CLUSTER"
    fi
}

ensure_cluster() {
    local version="$1" datadir
    datadir="$(cluster_datadir "$version")"
    if [ -n "$datadir" ] && as_root test -f "$datadir/PG_VERSION"; then
        return 0
    fi
    if [ -n "$datadir" ]; then
        # Its configuration is left in /etc but the data is gone (e.g. the work tree was laid anew).
        log "cluster $version/$CLUSTER has no data in $datadir any more; recreating it"
        as_root pg_dropcluster --stop "$version" "$CLUSTER" || true
    fi
    datadir="$(choose_datadir "$version")"
    log "creating cluster $version/$CLUSTER on port $PORT with its data in $datadir"
    as_root pg_createcluster --port "$PORT" --datadir "$datadir" --start-conf manual \
        --encoding UTF8 --locale C.UTF-8 "$version" "$CLUSTER" >/dev/null
}

# Settings for tests and benchmarks; rewritten on every start, restarting the server if they changed.
write_settings() {
    local version="$1" conf="/etc/postgresql/$1/$CLUSTER/conf.d/starcard.conf" new
    new="$(
        cat <<EOF
# Written by deploy/local/postgres.sh on every start; edit the script, not this file.
listen_addresses = '$HOST'
max_connections = 200
shared_buffers = 256MB
synchronous_commit = off
fsync = on
max_wal_size = 2GB
timezone = 'UTC'
log_timezone = 'UTC'
EOF
    )"
    if [ "$(as_root cat "$conf" 2>/dev/null || true)" != "$new" ]; then
        as_root mkdir -p "$(dirname "$conf")"
        printf '%s\n' "$new" | as_root tee "$conf" >/dev/null
        if is_running "$version"; then
            log "settings changed; restarting cluster $version/$CLUSTER"
            as_root pg_ctlcluster "$version" "$CLUSTER" restart -m fast
        fi
    fi
}

psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"; }

ensure_role_and_database() {
    psql_admin <<EOF
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
        CREATE ROLE $DB_USER LOGIN SUPERUSER PASSWORD '$DB_PASSWORD';
    ELSE
        ALTER ROLE $DB_USER LOGIN SUPERUSER PASSWORD '$DB_PASSWORD';
    END IF;
END
\$\$;
EOF
    if [ -z "$(psql_admin -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
        psql_admin -c "CREATE DATABASE $DB_NAME OWNER $DB_USER"
    fi
}

answers() {
    PGPASSWORD="$DB_PASSWORD" PGCONNECT_TIMEOUT=3 psql -X -q -At -h "$HOST" -p "$PORT" \
        -U "$DB_USER" -d "$DB_NAME" -c 'SELECT 1' >/dev/null 2>&1
}

cmd_start() {
    cmd_install
    local version
    version="$(pg_version)"
    ensure_cluster "$version"
    write_settings "$version"
    if is_running "$version"; then
        log "cluster $version/$CLUSTER already running on $HOST:$PORT"
    else
        log "starting cluster $version/$CLUSTER on $HOST:$PORT"
        as_root pg_ctlcluster "$version" "$CLUSTER" start || {
            as_root tail -n 30 "/var/log/postgresql/postgresql-$version-$CLUSTER.log" >&2 || true
            die "pg_ctlcluster $version $CLUSTER start failed"
        }
    fi
    pg_isready -q -h "$HOST" -p "$PORT" -t 30 || die "PostgreSQL does not answer on $HOST:$PORT"
    ensure_role_and_database
    answers || die "cannot log in as $DB_USER to $DB_NAME on $HOST:$PORT"
    log "ready: postgresql://$DB_USER:$DB_PASSWORD@$HOST:$PORT/$DB_NAME"
}

cmd_stop() {
    local version
    if ! version="$(pg_version)" || [ -z "$(cluster_datadir "$version")" ]; then
        log "no cluster $CLUSTER"
        return 0
    fi
    if is_running "$version"; then
        log "stopping cluster $version/$CLUSTER"
        as_root pg_ctlcluster "$version" "$CLUSTER" stop -m fast
    else
        log "not running"
    fi
}

cmd_status() {
    local version datadir=""
    if version="$(pg_version)"; then
        datadir="$(cluster_datadir "$version")"
    fi
    if [ -z "$datadir" ]; then
        echo "postgres: no cluster $CLUSTER"
        return 3
    fi
    if is_running "$version" && answers; then
        echo "postgres: running ($version/$CLUSTER) on $HOST:$PORT, data in $datadir"
        return 0
    fi
    echo "postgres: stopped ($version/$CLUSTER, data in $datadir)"
    return 3
}

run_command "$@"
