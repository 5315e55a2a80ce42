#!/usr/bin/env bash
# A single-node Apache Kafka (KRaft: one process that is both broker and controller, node.id=1)
# on 127.0.0.1, run from the jars that deploy/local/kafka/pom.xml fetches from Maven Central.
#
#   deploy/local/kafka.sh install   Java 17 + Maven (apt, only if missing), jars (only if missing)
#   deploy/local/kafka.sh start     install, format the storage once, start, wait until it answers
#   deploy/local/kafka.sh stop      stop the broker this script started (by its pid file only)
#   deploy/local/kafka.sh status    exit 0 if it runs and answers, 3 if not
#
# Everything it writes lives under $REPO/.run/kafka/ (git-ignored): server.properties,
# log4j2.properties, data/ (the log dirs), logs/ (server.log, kafka.out) and kafka.pid.
# Every command is idempotent.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
KAFKA_HOME="$HERE/kafka"
LIBS="$KAFKA_HOME/libs"
RUN_DIR="$REPO/.run/kafka"
DATA_DIR="$RUN_DIR/data"
LOG_DIR="$RUN_DIR/logs"
PID_FILE="$RUN_DIR/kafka.pid"
CONFIG="$RUN_DIR/server.properties"
LOG4J_CONFIG="$RUN_DIR/log4j2.properties"
CLUSTER_ID_FILE="$RUN_DIR/cluster.id"

HOST="127.0.0.1"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"

LOG_NAME=kafka
# shellcheck source=deploy/local/common.sh
source "$HERE/common.sh"

java_major() {
    # Prints the major version of `java` on PATH (17 for "17.0.15"), or 0.
    local v
    v="$(java -version 2>&1 | awk -F '"' '/version/ {print $2; exit}')" || true
    v="${v#1.}"
    echo "${v%%.*}" | grep -E '^[0-9]+$' || echo 0
}

pom_stamp() { sha256sum "$KAFKA_HOME/pom.xml" | cut -d ' ' -f 1; }

cmd_install() {
    local pkgs=()
    if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
        pkgs+=(openjdk-17-jre-headless)
    fi
    command -v mvn >/dev/null 2>&1 || pkgs+=(maven)
    if [ "${#pkgs[@]}" -gt 0 ]; then
        apt_install "${pkgs[@]}"
    fi

    # Fetch the jars only when they are missing or pom.xml changed since they were fetched.
    if [ -f "$LIBS/.pom.sha256" ] && [ "$(cat "$LIBS/.pom.sha256")" = "$(pom_stamp)" ] &&
        compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null; then
        return 0
    fi
    log "fetching Kafka jars from Maven Central into $LIBS"
    rm -rf "$LIBS"
    mkdir -p "$RUN_DIR"
    (cd "$KAFKA_HOME" && mvn -B -Dstyle.color=never dependency:copy-dependencies -DoutputDirectory=libs) \
        >"$RUN_DIR/mvn.log" 2>&1 || {
        tail -n 30 "$RUN_DIR/mvn.log" >&2
        die "mvn dependency:copy-dependencies failed (log: $RUN_DIR/mvn.log)"
    }
    compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null || die "mvn did not produce $LIBS/kafka_2.13-*.jar"
    pom_stamp >"$LIBS/.pom.sha256"
    log "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars"
}

write_config() {
    mkdir -p "$DATA_DIR" "$LOG_DIR"
    cat >"$CONFIG" <<EOF
# Written by deploy/local/kafka.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.quorum.bootstrap.servers=$HOST:$CONTROLLER_PORT
log.dirs=$DATA_DIR

# Suited to tests and development on one machine.
auto.create.topics.enable=true
delete.topic.enable=true
num.partitions=4
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=3
num.io.threads=4

# Keep what was written for a month (or 10 GiB per partition), in 128 MiB segments.
log.retention.hours=720
log.retention.bytes=10737418240
log.segment.bytes=134217728
log.retention.check.interval.ms=300000
EOF

    cat >"$LOG4J_CONFIG" <<EOF
# Written by deploy/local/kafka.sh: everything goes to $LOG_DIR/server.log, nothing to the console.
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $LOG_DIR/server.log
appender.file.filePattern = $LOG_DIR/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.zk.name = org.apache.zookeeper
logger.zk.level = warn
EOF
}

format_storage() {
    [ -f "$DATA_DIR/meta.properties" ] && return 0
    local cluster_id
    if [ -s "$CLUSTER_ID_FILE" ]; then
        cluster_id="$(cat "$CLUSTER_ID_FILE")"
    else
        cluster_id="$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid | tail -n 1)"
        echo "$cluster_id" >"$CLUSTER_ID_FILE"
    fi
    log "formatting $DATA_DIR (cluster id $cluster_id)"
    java -Dlog4j2.configurationFile="$LOG4J_CONFIG" -cp "$LIBS/*" kafka.tools.StorageTool \
        format --cluster-id "$cluster_id" --config "$CONFIG" --standalone --ignore-formatted \
        >>"$LOG_DIR/format.log" 2>&1 || {
        tail -n 30 "$LOG_DIR/format.log" >&2
        die "kafka.tools.StorageTool format failed (log: $LOG_DIR/format.log)"
    }
}

# The pid from the pid file if that process is still our broker, else nothing.
our_pid() {
    [ -s "$PID_FILE" ] || return 1
    local pid
    pid="$(cat "$PID_FILE")"
    [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "kafka.Kafka $CONFIG" || return 1
    echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# True once the broker answers a metadata request (kcat when present), else once the broker port
# accepts connections and the log says the server started.
answers() {
    port_open "$PORT" || return 1
    if command -v kcat >/dev/null 2>&1; then
        kcat -b "$HOST:$PORT" -L -m 3 >/dev/null 2>&1
    else
        grep -q 'Kafka Server started' "$LOG_DIR/server.log" 2>/dev/null
    fi
}

fail_with_log() {
    log "$1; last lines of $LOG_DIR/server.log and kafka.out:"
    tail -n 40 "$LOG_DIR/server.log" >&2 2>/dev/null || true
    tail -n 20 "$LOG_DIR/kafka.out" >&2 2>/dev/null || true
    exit 1
}

cmd_start() {
    cmd_install
    mkdir -p "$RUN_DIR"
    local pid
    if pid="$(our_pid)"; then
        answers || fail_with_log "broker pid $pid runs but does not answer on $HOST:$PORT"
        log "already running (pid $pid) on $HOST:$PORT"
        return 0
    fi
    if port_open "$PORT" || port_open "$CONTROLLER_PORT"; then
        # Not ours (no pid file here): another checkout's broker, say. Use it if it is a Kafka
        # broker that answers, but never stop it; fail if it is something else.
        if answers && pgrep -f 'kafka\.Kafka ' >/dev/null; then
            log "WARNING: a Kafka broker that this checkout did not start already answers on" \
                "$HOST:$PORT (pid $(pgrep -f 'kafka\.Kafka ' | tr '\n' ' ')); using it"
            return 0
        fi
        die "$HOST:$PORT or :$CONTROLLER_PORT is taken by a process this script did not start" \
            "(see: ss -ltnp | grep -E ':($PORT|$CONTROLLER_PORT)')"
    fi
    rm -f "$PID_FILE"
    write_config
    format_storage
    # A fresh server.log, so that the "started" line we wait for is this start's.
    [ ! -f "$LOG_DIR/server.log" ] || mv -f "$LOG_DIR/server.log" "$LOG_DIR/server.log.prev"

    log "starting broker on $HOST:$PORT (logs: $LOG_DIR/server.log)"
    # setsid + nohup: the broker outlives this shell and is not hit by the terminal's Ctrl-C.
    # The inner shell writes its own pid, then becomes java (exec), so the pid file is the JVM's.
    # shellcheck disable=SC2016,SC2086  # $$ and "$@" are the inner shell's; HEAP_OPTS is a list
    setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
        java $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$LOG4J_CONFIG" -Dkafka.logs.dir="$LOG_DIR" \
        -cp "$LIBS/*" kafka.Kafka "$CONFIG" >"$LOG_DIR/kafka.out" 2>&1 </dev/null &
    local waited=0
    until [ -s "$PID_FILE" ]; do
        [ "$waited" -lt 20 ] || fail_with_log "broker process did not start"
        sleep 0.1
        waited=$((waited + 1))
    done
    pid="$(cat "$PID_FILE")"

    local started=$SECONDS
    until answers; do
        kill -0 "$pid" 2>/dev/null || {
            rm -f "$PID_FILE"
            fail_with_log "broker exited during start-up"
        }
        [ "$((SECONDS - started))" -lt "$START_TIMEOUT" ] ||
            fail_with_log "broker did not answer within ${START_TIMEOUT}s"
        sleep 0.5
    done
    log "broker answers on $HOST:$PORT (pid $pid, after ~$((SECONDS - started))s)"
}

cmd_stop() {
    local pid
    if ! pid="$(our_pid)"; then
        rm -f "$PID_FILE"
        log "not running"
        return 0
    fi
    log "stopping broker (pid $pid)"
    kill -TERM "$pid"
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge 60 ]; then
            log "broker did not stop within 30s, killing it"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
    rm -f "$PID_FILE"
    log "stopped"
}

cmd_status() {
    local pid
    if pid="$(our_pid)" && answers; then
        echo "kafka: running (pid $pid) on $HOST:$PORT, data in $DATA_DIR"
        return 0
    elif [ -n "${pid:-}" ]; then
        echo "kafka: pid $pid runs but does not answer on $HOST:$PORT (log: $LOG_DIR/server.log)"
        return 3
    fi
    echo "kafka: stopped"
    return 3
}

run_command "$@"
