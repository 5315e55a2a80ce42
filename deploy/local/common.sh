# Shared by the scripts in deploy/local: sourced, not run. Set LOG_NAME before sourcing.
# shellcheck shell=bash

log() { printf '[%s] %s\n' "${LOG_NAME:?}" "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

apt_install() {
    log "installing from apt: $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# The command line of a script that manages one server: each of install, start, stop and status
# is the script's cmd_<name> function.
run_command() {
    case "${1:-}" in
    install | start | stop | status) "cmd_$1" ;;
    *)
        echo "usage: $0 install|start|stop|status" >&2
        exit 2
        ;;
    esac
}
