#!/usr/bin/env bash
# Starcard's own processes on this machine, on top of the Kafka and PostgreSQL of infra.sh:
# the SMTP mailbox sink, the SMS sink (smsbox), the loyalty, referrals and campaigns services, the
# projections, the notifier and the gateway, each in the background under a supervisor that restarts it when it dies.
#
#   deploy/local/stack.sh up              start those not running, wait for the gateway's /readyz
#   deploy/local/stack.sh down            stop the processes this script started (pid files only)
#   deploy/local/stack.sh status          one line each, then the read models' and consumers' lag;
#                                         exit 0 only if all run (and /readyz says ready)
#   deploy/local/stack.sh logs [-f] [name...]   the last lines of the logs (-f: follow them)
#
# Supervision: a process that exits without being asked to is started again after a delay that
# doubles on each quick failure (STARCARD_RESTART_DELAY seconds, 1 by default, up to
# STARCARD_RESTART_MAX_DELAY, 30), and back to the first delay once it has run a minute. Each
# restart is a JSON line in the process's log ("process exited, restarting").
#
# Everything it writes lives under $STARCARD_RUN_DIR (default $REPO/.run/stack/, git-ignored):
# <name>.pid (the process), <name>.supervisor.pid, <name>.restarts (how many so far), <name>.log
# (JSON lines, PII redacted), and portal-secret (the key that signs client portal links, unless
# STARCARD_PORTAL_SECRET is set). The processes read KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL from the
# environment when set, else from `infra.sh env`; STARCARD_* variables pass through, e.g.
# STARCARD_GATEWAY_PORT (default 8000) or STARCARD_TOPIC_PREFIX. Run `uv sync` first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RUN_DIR="${STARCARD_RUN_DIR:-$REPO/.run/stack}"
# "uv", a path, or "python3 -m uv"; else the copy `make` installs where the machine has none.
if [ -z "${UV:-}" ] && ! command -v uv >/dev/null 2>&1 && [ -x "$REPO/.run/tools/uv/bin/uv" ]; then
    UV="$REPO/.run/tools/uv/bin/uv"
fi
read -ra UV_COMMAND <<<"${UV:-uv}"
NAMES=(mailbox smsbox loyalty referrals campaigns projections notifier gateway)
export STARCARD_MAILBOX_DIR="${STARCARD_MAILBOX_DIR:-$REPO/.run/mailbox}"
# The smsbox plays the SMS provider: the notifier's Twilio adapter sends to it, and it forwards a
# client's reply (STOP, START) to the notifier's webhook, signed with the same development token.
export STARCARD_SMSBOX_DIR="${STARCARD_SMSBOX_DIR:-$REPO/.run/smsbox}"
export STARCARD_SMSBOX_PORT="${STARCARD_SMSBOX_PORT:-8026}"
export STARCARD_SMS_PROVIDER_URL="${STARCARD_SMS_PROVIDER_URL:-http://127.0.0.1:$STARCARD_SMSBOX_PORT}"
export STARCARD_SMS_ACCOUNT_SID="${STARCARD_SMS_ACCOUNT_SID:-AC00000000000000000000000000000000}"
export STARCARD_SMS_AUTH_TOKEN="${STARCARD_SMS_AUTH_TOKEN:-starcard-local-sms-token}"
export STARCARD_SMS_FROM="${STARCARD_SMS_FROM:-+15005550006}"
READY_TIMEOUT="${STARCARD_READY_TIMEOUT:-30}"
STOP_TIMEOUT=10
RESTART_DELAY="${STARCARD_RESTART_DELAY:-1}"
RESTART_MAX_DELAY="${STARCARD_RESTART_MAX_DELAY:-30}"
STABLE_SECONDS=60
STARTED=() # the processes this run of `up` started (those it found running are not its to judge)

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
    smsbox) echo starcard_notifier.smsbox ;;
    loyalty) echo starcard_loyalty ;;
    referrals) echo starcard_referrals ;;
    campaigns) echo starcard_campaigns ;;
    projections) echo starcard_projections ;;
    notifier) echo starcard_notifier ;;
    gateway) echo starcard_gateway ;;
    *) die "unknown process '$1' (one of: ${NAMES[*]})" ;;
    esac
}

pid_file() { echo "$RUN_DIR/$1.pid"; }
supervisor_file() { echo "$RUN_DIR/$1.supervisor.pid"; }
restarts_file() { echo "$RUN_DIR/$1.restarts"; }
log_file() { echo "$RUN_DIR/$1.log"; }

# The pid in pid file $1 if that process still runs a command line matching $2, else nothing.
live_pid() {
    local pid
    [ -s "$1" ] || return 1
    pid="$(cat "$1")"
    [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2" || return 1
    echo "$pid"
}

# The service's pid, and its supervisor's, while they are the ones this script started.
our_pid() { live_pid "$(pid_file "$1")" "-m $(module_of "$1")\( \|$\)"; }
supervisor_pid() { live_pid "$(supervisor_file "$1")" "stack.sh supervise $1 "; }

restarts() { cat "$(restarts_file "$1")" 2>/dev/null || echo 0; }

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
    python="$(cd "$REPO" && "${UV_COMMAND[@]}" run --no-sync python -c 'import sys; print(sys.executable)' 2>/dev/null)" ||
        die "no Python workspace here: run \`uv sync\` (make install) first"
    [ -x "$python" ] || die "cannot run $python: run \`uv sync\` (make install) first"
    echo "$python"
}

show_log() {
    log "last lines of $(log_file "$1"):"
    tail -n "${2:-30}" "$(log_file "$1")" >&2 2>/dev/null || true
}

start() {
    local name="$1" python="$2" pid
    if pid="$(supervisor_pid "$name")"; then
        log "$name: already running (supervisor pid $pid)"
        return 0
    fi
    if [ "$name" = gateway ] && port_open "$PROBE_HOST" "$GATEWAY_PORT"; then
        die "$GATEWAY_HOST:$GATEWAY_PORT is taken by a process this script did not start" \
            "(see: ss -ltnp | grep :$GATEWAY_PORT); set STARCARD_GATEWAY_PORT to use another port"
    fi
    rm -f "$(pid_file "$name")" "$(supervisor_file "$name")"
    echo 0 >"$(restarts_file "$name")"
    # setsid + nohup: the supervisor outlives this shell and the terminal's Ctrl-C.
    setsid nohup bash "$HERE/stack.sh" supervise "$name" "$python" \
        >>"$(log_file "$name")" 2>&1 </dev/null &
    local waited=0
    until [ -s "$(pid_file "$name")" ]; do
        [ "$waited" -lt 50 ] || die "$name did not start"
        sleep 0.1
        waited=$((waited + 1))
    done
    STARTED+=("$name")
    log "$name: started (pid $(cat "$(pid_file "$name")"), log $(log_file "$name"))"
}

# A JSON line like the services' own, so the log stays one format.
supervisor_says() {
    local name="$1" event="$2" status="$3" delay="$4"
    printf '{"timestamp": "%s", "level": "warning", "logger": "stack", "process": "%s", "event": "%s", "exit_status": %s, "restart_in_seconds": %s}\n' \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" "$event" "$status" "$delay"
}

# Runs (as its own process, started by `start`) the service, and again whenever it dies. SIGTERM
# stops the service and then the supervisor.
cmd_supervise() {
    local name="$1" python="$2" module child="" status started delay="$RESTART_DELAY" stopping=""
    module="$(module_of "$name")"
    echo $$ >"$(supervisor_file "$name")"
    trap 'stopping=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null' TERM INT
    while :; do
        started=$SECONDS
        "$python" -m "$module" &
        child=$!
        [ -z "$stopping" ] || kill -TERM "$child" 2>/dev/null || true # TERM came before $!
        echo "$child" >"$(pid_file "$name")"
        status=0
        wait "$child" || status=$?
        while kill -0 "$child" 2>/dev/null; do # a trapped signal ended the first wait early
            status=0
            wait "$child" || status=$?
        done
        child=""
        [ -z "$stopping" ] || exit 0
        [ "$((SECONDS - started))" -lt "$STABLE_SECONDS" ] || delay="$RESTART_DELAY"
        echo "$(($(restarts "$name") + 1))" >"$(restarts_file "$name")"
        supervisor_says "$name" "process exited, restarting" "$status" "$delay"
        [ -z "$stopping" ] || exit 0
        sleep "$delay" &
        wait $! || true
        [ -z "$stopping" ] || exit 0
        delay="$(awk -v d="$delay" -v m="$RESTART_MAX_DELAY" 'BEGIN { d *= 2; print (d > m ? m : d) }')"
    done
}

# A process that dies while starting is broken, not unlucky: stop its supervisor, show its log.
start_failed() {
    show_log "$1"
    stop "$1" >/dev/null 2>&1
    die "$1 exited during start-up (log: $(log_file "$1"))"
}

wait_until_ready() {
    local started=$SECONDS name
    until curl -fsS -o /dev/null --max-time 2 "$READYZ" 2>/dev/null; do
        for name in "${STARTED[@]}"; do
            [ "$(restarts "$name")" -eq 0 ] || start_failed "$name"
        done
        if [ "$((SECONDS - started))" -ge "$READY_TIMEOUT" ]; then
            show_log gateway
            die "the gateway did not answer $READYZ within ${READY_TIMEOUT}s"
        fi
        sleep 0.5
    done
    # The consumers have no readiness route: make sure they survived their start-up too.
    sleep 1
    for name in "${STARTED[@]}"; do
        [ "$(restarts "$name")" -eq 0 ] || start_failed "$name"
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
    command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates
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
    if ! pid="$(supervisor_pid "$name")"; then
        if pid="$(our_pid "$name")"; then # its supervisor died (killed): stop it directly
            log "$name: stopping (pid $pid, no supervisor)"
            kill -TERM "$pid" 2>/dev/null || true
        else
            log "$name: not running"
        fi
        rm -f "$(pid_file "$name")" "$(supervisor_file "$name")"
        return 0
    fi
    log "$name: stopping (supervisor pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge $((STOP_TIMEOUT * 2)) ]; then
            log "$name: did not stop within ${STOP_TIMEOUT}s, killing it"
            kill -KILL "$pid" 2>/dev/null || true
            if pid="$(our_pid "$name")"; then kill -KILL "$pid" 2>/dev/null || true; fi
            break
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
    rm -f "$(pid_file "$name")" "$(supervisor_file "$name")"
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
    local rc=0 name pid python
    for name in "${NAMES[@]}"; do
        if pid="$(our_pid "$name")"; then
            echo "$name: running (pid $pid, restarts $(restarts "$name")), log $(log_file "$name")"
        elif supervisor_pid "$name" >/dev/null; then
            echo "$name: restarting (restarts $(restarts "$name")), log $(log_file "$name")"
            rc=3
        else
            echo "$name: stopped"
            rc=3
        fi
    done
    if curl -fsS -o /dev/null --max-time 2 "$READYZ" 2>/dev/null; then
        echo "gateway: $READYZ says ready"
    else
        echo "gateway: $READYZ does not say ready: $(curl -sS --max-time 2 "$READYZ" 2>&1 || true)"
        rc=3
    fi
    load_env
    python="$(python_bin)"
    "$(dirname "$python")/starcard" projections lag || rc=3
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
supervise)
    shift
    cmd_supervise "$@"
    ;;
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
logs)
    shift
    cmd_logs "$@"
    ;;
*)
    echo "usage: $0 up|down|status|logs [-f] [mailbox|smsbox|loyalty|referrals|campaigns|projections|notifier|gateway...]" >&2
    exit 2
    ;;
esac
