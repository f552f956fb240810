#!/usr/bin/env bash
# Generates the binary-data benchmark input (issue 18) with a real ZooKeeper 3.8 server:
# one ~1 GiB txn log whose znode data is random bytes, so `dump --json` writes every value
# as base64. Called by benches/generate.sh; can be run on its own.
#
#   benches/generate-binary.sh [DIR]      DIR defaults to ${ZKDD_BENCH_DIR:-/tmp/zkdd-bench}
#
# Leaves, in DIR (never inside the repo):
#   binary/data/version-2/log.1    LoadGen's fill phase with random-byte data: ~1.1M creates
#                                  (200-400 bytes), 5 % deleted, then setData (300-700 bytes)
#                                  and multis until the log is >= ZKDD_BENCH_LOG_BYTES
#   binary.env                     BIN_LOG, BIN_DATA
#   binary/work/                   server config and log, compiled classes
# Skips everything when DIR/binary.env exists (delete it to regenerate).
#
# Knobs: ZKDD_BENCH_NODES (default 1100000), ZKDD_BENCH_LOG_BYTES (default 1100000000), as
# for generate.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR=${1:-${ZKDD_BENCH_DIR:-/tmp/zkdd-bench}}
NODES=${ZKDD_BENCH_NODES:-1100000}
LOG_BYTES=${ZKDD_BENCH_LOG_BYTES:-1100000000}

prepare_input binary

T0=$SECONDS
java "${JAVA_PROPS[@]}" -Xmx8g -Dzookeeper.root.logger=INFO,CONSOLE \
    -cp "$SERVER_CP" org.apache.zookeeper.server.ZooKeeperServerMain "$CFG" >>"$WORKD/server.log" 2>&1 &
SERVER_PID=$!
log "server pid $SERVER_PID on 127.0.0.1:$PORT (empty; random-byte data)"
wait_ready "$PORT" "$SERVER_PID" 900
java "${JAVA_PROPS[@]}" -Xmx2g -cp "$WORKD/classes:$J/zookeeper.jar:$J/zookeeper-jute.jar:$J/slf4j-nop.jar" \
    LoadGen binary "$PORT" "$V2" "$NODES" "$LOG_BYTES" &
LOADGEN_PID=$!
wait "$LOADGEN_PID"
LOADGEN_PID=""
stop_pid "$SERVER_PID"
log "stopped server $SERVER_PID"
SERVER_PID=""

BIN_LOG=$V2/log.1
[[ -f $BIN_LOG ]] || { echo "no $BIN_LOG" >&2; ls -l "$V2" >&2; exit 1; }
cat >"$DIR/binary.env" <<EOF
# written by benches/generate-binary.sh on $(date -u +%FT%TZ) ($((SECONDS - T0)) s)
BIN_DATA=$DATA
BIN_LOG=$BIN_LOG
EOF
ls -l "$V2" >&2
log "done in $((SECONDS - T0)) s: $DIR/binary.env"
