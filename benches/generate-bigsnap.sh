#!/usr/bin/env bash
# Generates the big-snapshot benchmark input (issue 18) with a real ZooKeeper 3.8 server: one
# multi-GiB snapshot, written by the server itself raw, gzip and snappy (its
# zookeeper.snapshot.compression.method), to show that dump and verify stay flat in memory
# whatever the snapshot's size and compression. Not part of generate.sh (it takes ~10 GB of
# disk); run it on its own.
#
#   benches/generate-bigsnap.sh [DIR]     DIR defaults to ${ZKDD_BENCH_DIR:-/tmp/zkdd-bench}
#
# Leaves, in DIR (never inside the repo):
#   bigsnap/data/version-2/snapshot.Z{,.gz,.snappy}  the same tree at zxid Z, as the server
#                                  wrote it at three start-ups (it snapshots after loading)
#   bigsnap/data/version-2/log.1   LoadGen's fill: ZKDD_BENCH_BIG_NODES creates with
#                                  ZKDD_BENCH_BIG_FILL (MIN:MAX) bytes of JSON-ish text each
#   bigsnap.env                    BIG_DATA, BIG_SNAP, BIG_SNAP_GZ, BIG_SNAP_SNAPPY
# Skips everything when DIR/bigsnap.env exists (delete it to regenerate).
#
# Knobs: ZKDD_BENCH_BIG_NODES (default 1000000), ZKDD_BENCH_BIG_FILL (default 2000:4000, so
# ~3 GiB raw).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR=${1:-${ZKDD_BENCH_DIR:-/tmp/zkdd-bench}}
NODES=${ZKDD_BENCH_BIG_NODES:-1000000}
FILL=${ZKDD_BENCH_BIG_FILL:-2000:4000}

prepare_input bigsnap

# start_server [COMPRESSION] : a 3.8 server on $CFG, snapshots written with COMPRESSION
start_server() {
    java "${JAVA_PROPS[@]}" -Xmx12g -Dzookeeper.root.logger=INFO,CONSOLE \
        -Dzookeeper.snapshot.compression.method="${1:-}" \
        -cp "$SERVER_CP" org.apache.zookeeper.server.ZooKeeperServerMain "$CFG" >>"$WORKD/server.log" 2>&1 &
    SERVER_PID=$!
    log "server pid $SERVER_PID on 127.0.0.1:$PORT (snapshot compression: ${1:-none})"
    wait_ready "$PORT" "$SERVER_PID" 1800
}

T0=$SECONDS
start_server
java "${JAVA_PROPS[@]}" -Xmx2g -Dloadgen.fill="$FILL" \
    -cp "$WORKD/classes:$J/zookeeper.jar:$J/zookeeper-jute.jar:$J/slf4j-nop.jar" \
    LoadGen fill "$PORT" "$V2" "$NODES" 0 &
LOADGEN_PID=$!
wait "$LOADGEN_PID"
LOADGEN_PID=""
stop_pid "$SERVER_PID"
# Each start-up loads the tree and snapshots it at the same zxid, in that start's format.
for c in "" gz snappy; do
    start_server "$c"
    stop_pid "$SERVER_PID"
done
SERVER_PID=""

BIG_SNAP=$(newest "$V2"/snapshot.*)
BIG_SNAP=${BIG_SNAP%.gz}; BIG_SNAP=${BIG_SNAP%.snappy}
for f in "$BIG_SNAP" "$BIG_SNAP.gz" "$BIG_SNAP.snappy"; do
    [[ -f $f ]] || { echo "no $f" >&2; ls -l "$V2" >&2; exit 1; }
done
cat >"$DIR/bigsnap.env" <<EOF
# written by benches/generate-bigsnap.sh on $(date -u +%FT%TZ) ($((SECONDS - T0)) s)
BIG_DATA=$DATA
BIG_SNAP=$BIG_SNAP
BIG_SNAP_GZ=$BIG_SNAP.gz
BIG_SNAP_SNAPPY=$BIG_SNAP.snappy
EOF
ls -l "$V2" >&2
log "done in $((SECONDS - T0)) s: $DIR/bigsnap.env"
