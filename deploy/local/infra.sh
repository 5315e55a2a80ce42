#!/usr/bin/env bash
# Kafka and PostgreSQL on this machine, for development, tests and the demo.
#
#   deploy/local/infra.sh up       install what is missing, start both, wait until they answer
#   deploy/local/infra.sh down     stop both
#   deploy/local/infra.sh status   one line each; exit 0 only if both answer
#   deploy/local/infra.sh env      the exports that point the code and the tests at them:
#                                  eval "$(deploy/local/infra.sh env)"
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_PORT="${KAFKA_PORT:-9092}"
PG_PORT="${PG_PORT:-5433}"

case "${1:-}" in
up)
    # PostgreSQL first: it is quick, and both may need apt, which must not run twice at once.
    "$HERE/postgres.sh" start
    "$HERE/kafka.sh" start
    ;;
down)
    "$HERE/kafka.sh" stop
    "$HERE/postgres.sh" stop
    ;;
status)
    rc=0
    "$HERE/kafka.sh" status || rc=$?
    "$HERE/postgres.sh" status || rc=$?
    exit "$rc"
    ;;
env)
    echo "export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT"
    echo "export DATABASE_URL=postgresql://starcard:starcard@127.0.0.1:$PG_PORT/starcard"
    ;;
*)
    echo "usage: $0 up|down|status|env" >&2
    exit 2
    ;;
esac
