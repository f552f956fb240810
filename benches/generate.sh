#!/usr/bin/env bash
# Generates the benchmark inputs with a real ZooKeeper 3.8 server (see benches/README.md).
#
#   benches/generate.sh [DIR]      DIR defaults to ${ZKDD_BENCH_DIR:-/tmp/zkdd-bench}
#
# Leaves, in DIR (never inside the repo):
#   data/version-2/snapshot.0                 empty tree (written at first start)
#   data/version-2/log.1                      phase 1 ("fill"): >= 1 GB, ~1.1M creates + setData mix
#   data/version-2/snapshot.A                 full snapshot after phase 1 (>= 1M nodes)
#   data/version-2/log.A+1                    phase 2 ("churn"): >= 1 GB, setData-heavy mix
#   data/version-2/snapshot.B                 full snapshot after phase 2 (>= 1M nodes)
#   replay/version-2/{snapshot.A,log.A+1}     hard links: a dir whose restore = snapshot + 1 GB log
#   inputs.env                                LOG, SNAP, SNAP_A, SNAP_B, LOG2, DATA, REPLAY_DIR
#   work/                                     server config and logs, compiled classes
#   binary/, binary.env                       a ~1 GB log of random-byte data, from
#                                             benches/generate-binary.sh (ZKDD_BENCH_BINARY=0: not)
# Skips everything when DIR/inputs.env exists (delete it, or DIR, to regenerate); the binary
# log likewise when DIR/binary.env exists.
#
# Knobs: ZKDD_BENCH_NODES (default 1100000), ZKDD_BENCH_LOG_BYTES (default 1100000000: the
# newest log's size, which ZooKeeper pads in 64 MiB steps, so >= ~1.04 GB of txns).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR=${1:-${ZKDD_BENCH_DIR:-/tmp/zkdd-bench}}
NODES=${ZKDD_BENCH_NODES:-1100000}
LOG_BYTES=${ZKDD_BENCH_LOG_BYTES:-1100000000}
MIN_NODES=${ZKDD_BENCH_MIN_NODES:-1000000}

case $(realpath -m "$DIR")/ in
    "$(realpath "$REPO")"/*) echo "refusing to generate inside the repository: $DIR" >&2; exit 2 ;;
esac
binary() {
    if [[ ${ZKDD_BENCH_BINARY:-1} != 0 ]]; then
        "$BENCH_SRC/generate-binary.sh" "$DIR"
    fi
}
if [[ -f $DIR/inputs.env ]]; then
    log "inputs already generated in $DIR (remove $DIR/inputs.env to regenerate)"
    binary
    exit 0
fi
need_java

mkdir -p "$DIR"
DIR=$(realpath "$DIR")
DATA=$DIR/data
V2=$DATA/version-2
WORKD=$DIR/work
rm -rf "$DATA" "$DIR/replay" "$WORKD"
mkdir -p "$DATA" "$WORKD"
compile_java "$WORKD/classes" "$BENCH_SRC/gen/LoadGen.java"

PORT=$(free_port)
CFG=$WORKD/zoo.cfg
write_load_cfg "$CFG" "$DATA" "$PORT"
SERVER_PID=""
LOADGEN_PID=""
trap kill_load_on_exit EXIT INT TERM

start() {
    java "${JAVA_PROPS[@]}" -Xmx8g -Dzookeeper.root.logger=INFO,CONSOLE \
        -cp "$SERVER_CP" org.apache.zookeeper.server.ZooKeeperServerMain "$CFG" >>"$WORKD/server.log" 2>&1 &
    SERVER_PID=$!
    log "server pid $SERVER_PID on 127.0.0.1:$PORT ($1)"
    wait_ready "$PORT" "$SERVER_PID" 900
    log "server ready: $(fourlw "$PORT" srvr | grep -E 'Node count|Zxid' | tr '\n' ' ')"
}
stop() { stop_pid "$SERVER_PID"; log "stopped server $SERVER_PID"; SERVER_PID=""; }
loadgen() {
    java "${JAVA_PROPS[@]}" -Xmx2g -cp "$WORKD/classes:$J/zookeeper.jar:$J/zookeeper-jute.jar:$J/slf4j-nop.jar" \
        LoadGen "$1" "$PORT" "$V2" "$NODES" "$LOG_BYTES" &
    LOADGEN_PID=$!
    wait "$LOADGEN_PID"
    LOADGEN_PID=""
}
node_count() { fourlw "$PORT" srvr | sed -n 's/^Node count: //p'; }

T0=$SECONDS
start "empty"
loadgen fill
stop
start "restart 1: loads log.1, writes the first full snapshot"
SNAP_A=$(newest "$V2"/snapshot.*)
N=$(node_count)
((N >= MIN_NODES)) || { echo "tree has only $N nodes after phase 1" >&2; exit 1; }
loadgen churn
stop
start "restart 2: writes the second full snapshot"
N=$(node_count)
stop
SNAP_B=$(newest "$V2"/snapshot.*)
LOG=$(for f in "$V2"/log.*; do echo "$f"; done | while read -r f; do z=${f##*.}; echo "$((16#$z)) $f"; done | sort -n | head -n1 | cut -d' ' -f2)
LOG2=$(newest "$V2"/log.*)
[[ $SNAP_A != "$SNAP_B" && $LOG != "$LOG2" ]] || { echo "unexpected file layout in $V2" >&2; ls -l "$V2" >&2; exit 1; }

# a data dir whose restore is "snapshot A + the whole churn log"
mkdir -p "$DIR/replay/version-2"
ln "$SNAP_A" "$LOG2" "$DIR/replay/version-2/"

cat >"$DIR/inputs.env" <<EOF
# written by benches/generate.sh on $(date -u +%FT%TZ) ($((SECONDS - T0)) s)
DATA=$DATA
LOG=$LOG
LOG2=$LOG2
SNAP=$SNAP_B
SNAP_A=$SNAP_A
SNAP_B=$SNAP_B
REPLAY_DIR=$DIR/replay
NODES=$N
EOF
ls -l "$V2" >&2
log "done in $((SECONDS - T0)) s: $DIR/inputs.env"
binary
