#!/usr/bin/env bash
# Starcard's own processes on this machine, on top of the Kafka and PostgreSQL of infra.sh:
# the SMTP mailbox sink, the loyalty and referrals services, the projections, the notifier and the
# gateway, each in the background.
#
#   deploy/local/stack.sh up              start those not running, wait for the gateway's /readyz
#   deploy/local/stack.sh down            stop the processes this script started (pid files only)
#   deploy/local/stack.sh status          one line each; exit 0 only if all run (and /readyz says so)
#   deploy/local/stack.sh logs [-f] [name...]   the last lines of the logs (-f: follow them)
#
# Everything it writes lives under $REPO/.run/stack/ (git-ignored): <name>.pid and <name>.log (JSON
# lines, PII redacted), and portal-secret (the key that signs client portal links, unless
# STARCARD_PORTAL_SECRET is set). The processes read KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL from the
# environment when set, else from `infra.sh env`; STARCARD_* variables pass through, e.g.
# STARCARD_GATEWAY_PORT (default 8000) or STARCARD_TOPIC_PREFIX. Run `uv sync` first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RUN_DIR="$REPO/.run/stack"
UV="${UV:-uv}"
NAMES=(mailbox loyalty referrals projections notifier gateway)
export STARCARD_MAILBOX_DIR="${STARCARD_MAILBOX_DIR:-$REPO/.run/mailbox}"
READY_TIMEOUT="${STARCARD_READY_TIMEOUT:-30}"
STOP_TIMEOUT=10

GATEWAY_HOST="${STARCARD_GATEWAY_HOST:-127.0.0.1}"
GATEWAY_PORT="${STARCARD_GATEWAY_PORT:-8000}"
case "$GATEWAY_HOST" in 0.0.0.0 | ::) PROBE_HOST=127.0.0.1 ;; *) PROBE_HOST="$GATEWAY_HOST" ;; esac
READYZ="http://$PROBE_HOST:$GATEWAY_PORT/readyz"

LOG_NAME=stack
# shellcheck source=deploy/local/common.sh
source "$HERE/common.sh"

module_of() {
    case "$1" in
    mailbox) echo starcard_notifier.mailbox ;;
    loyalty) echo starcard_loyalty ;;
    referrals) echo starcard_referrals ;;
    projections) echo starcard_projections ;;
    notifier) echo starcard_notifier ;;
    gateway) echo starcard_gateway ;;
    *) die "unknown process '$1' (one of: ${NAMES[*]})" ;;
    esac
}

pid_file() { echo "$RUN_DIR/$1.pid"; }
log_file() { echo "$RUN_DIR/$1.log"; }

# The pid from the pid file if that process is still the one this script started, else nothing.
our_pid() {
    local file pid
    file="$(pid_file "$1")"
    [ -s "$file" ] || return 1
    pid="$(cat "$file")"
    [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "-m $(module_of "$1")\( \|$\)" || return 1
    echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# Kafka and PostgreSQL addresses: the environment's, else infra.sh's.
load_env() {
    local kafka="${KAFKA_BOOTSTRAP_SERVERS:-}" database="${DATABASE_URL:-}"
    eval "$("$HERE/infra.sh" env)"
    KAFKA_BOOTSTRAP_SERVERS="${kafka:-$KAFKA_BOOTSTRAP_SERVERS}"
    DATABASE_URL="${database:-$DATABASE_URL}"
    export KAFKA_BOOTSTRAP_SERVERS DATABASE_URL
}

check_servers() {
    local kafka="${KAFKA_BOOTSTRAP_SERVERS%%,*}" pg="${DATABASE_URL#*://}"
    pg="${pg#*@}"
    pg="${pg%%/*}"
    port_open "${kafka%:*}" "${kafka##*:}" ||
        die "Kafka does not answer at $kafka: start it with \`make infra\` (deploy/local/infra.sh up)"
    port_open "${pg%:*}" "${pg##*:}" ||
        die "PostgreSQL does not answer at $pg: start it with \`make infra\` (deploy/local/infra.sh up)"
}

# The workspace's interpreter (what `uv run python` runs), so that the pid file is the service's.
python_bin() {
    local python
    python="$(cd "$REPO" && "$UV" run --no-sync python -c 'import sys; print(sys.executable)' 2>/dev/null)" ||
        die "no Python workspace here: run \`uv sync\` (make install) first"
    [ -x "$python" ] || die "cannot run $python: run \`uv sync\` (make install) first"
    echo "$python"
}

show_log() {
    log "last lines of $(log_file "$1"):"
    tail -n "${2:-30}" "$(log_file "$1")" >&2 2>/dev/null || true
}

start() {
    local name="$1" python="$2" pid file
    if pid="$(our_pid "$name")"; then
        log "$name: already running (pid $pid)"
        return 0
    fi
    if [ "$name" = gateway ] && port_open "$PROBE_HOST" "$GATEWAY_PORT"; then
        die "$GATEWAY_HOST:$GATEWAY_PORT is taken by a process this script did not start" \
            "(see: ss -ltnp | grep :$GATEWAY_PORT); set STARCARD_GATEWAY_PORT to use another port"
    fi
    file="$(pid_file "$name")"
    rm -f "$file"
    # setsid + nohup: it outlives this shell and the terminal's Ctrl-C. The inner shell writes its
    # own pid, then becomes the service (exec), so the pid file holds the service's pid.
    # shellcheck disable=SC2016  # $$ and "$@" are the inner shell's
    setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$file" \
        "$python" -m "$(module_of "$name")" >>"$(log_file "$name")" 2>&1 </dev/null &
    local waited=0
    until [ -s "$file" ]; do
        [ "$waited" -lt 50 ] || die "$name did not start"
        sleep 0.1
        waited=$((waited + 1))
    done
    log "$name: started (pid $(cat "$file"), log $(log_file "$name"))"
}

wait_until_ready() {
    local started=$SECONDS name
    until curl -fsS -o /dev/null --max-time 2 "$READYZ" 2>/dev/null; do
        for name in "${NAMES[@]}"; do
            our_pid "$name" >/dev/null || {
                show_log "$name"
                die "$name exited during start-up (log: $(log_file "$name"))"
            }
        done
        if [ "$((SECONDS - started))" -ge "$READY_TIMEOUT" ]; then
            show_log gateway
            die "the gateway did not answer $READYZ within ${READY_TIMEOUT}s"
        fi
        sleep 0.5
    done
    # The consumers have no readiness route: make sure they survived their start-up too.
    sleep 1
    for name in "${NAMES[@]}"; do
        our_pid "$name" >/dev/null || {
            show_log "$name"
            die "$name exited during start-up (log: $(log_file "$name"))"
        }
    done
    log "ready: $READYZ answers; ${NAMES[*]} run"
}

# The key that signs client portal links: STARCARD_PORTAL_SECRET when set, else one drawn once and
# kept (mode 600) in $RUN_DIR, so that links survive a restart of the gateway.
load_portal_secret() {
    local file="$RUN_DIR/portal-secret"
    if [ -z "${STARCARD_PORTAL_SECRET:-}" ]; then
        if [ ! -s "$file" ]; then
            (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n' >"$file")
        fi
        STARCARD_PORTAL_SECRET="$(cat "$file")"
    fi
    export STARCARD_PORTAL_SECRET
}

cmd_up() {
    command -v curl >/dev/null 2>&1 || die "curl is needed (apt-get install curl)"
    mkdir -p "$RUN_DIR"
    cd "$REPO"
    load_env
    load_portal_secret
    check_servers
    local python name
    python="$(python_bin)"
    for name in "${NAMES[@]}"; do
        start "$name" "$python"
    done
    wait_until_ready
}

stop() {
    local name="$1" pid waited=0
    if ! pid="$(our_pid "$name")"; then
        rm -f "$(pid_file "$name")"
        log "$name: not running"
        return 0
    fi
    log "$name: stopping (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge $((STOP_TIMEOUT * 2)) ]; then
            log "$name: did not stop within ${STOP_TIMEOUT}s, killing it"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
    rm -f "$(pid_file "$name")"
    log "$name: stopped"
}

cmd_down() {
    local i
    # The gateway first (it takes requests), the consumer last.
    for ((i = ${#NAMES[@]} - 1; i >= 0; i--)); do
        stop "${NAMES[$i]}"
    done
}

cmd_status() {
    local rc=0 name pid
    for name in "${NAMES[@]}"; do
        if pid="$(our_pid "$name")"; then
            echo "$name: running (pid $pid), log $(log_file "$name")"
        else
            echo "$name: stopped"
            rc=3
        fi
    done
    if curl -fsS -o /dev/null --max-time 2 "$READYZ" 2>/dev/null; then
        echo "gateway: $READYZ answers"
    else
        echo "gateway: $READYZ does not answer"
        rc=3
    fi
    return "$rc"
}

cmd_logs() {
    local follow=0 name files=()
    if [ "${1:-}" = "-f" ]; then
        follow=1
        shift
    fi
    [ "$#" -gt 0 ] || set -- "${NAMES[@]}"
    for name in "$@"; do
        module_of "$name" >/dev/null
        [ -f "$(log_file "$name")" ] && files+=("$(log_file "$name")")
    done
    [ "${#files[@]}" -gt 0 ] || die "no logs yet under $RUN_DIR (run: $0 up)"
    if [ "$follow" -eq 1 ]; then
        exec tail -n 20 -F "${files[@]}"
    fi
    tail -n "${LOG_LINES:-20}" "${files[@]}"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
logs)
    shift
    cmd_logs "$@"
    ;;
*)
    echo "usage: $0 up|down|status|logs [-f] [mailbox|loyalty|referrals|projections|notifier|gateway...]" >&2
    exit 2
    ;;
esac
