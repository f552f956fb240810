#!/usr/bin/env bash
# Replay benchmark (issue 3): a data dir with a >=1M-node snapshot and a
# >=1 GiB log, replayed and written out as a snapshot by zkdd and by
# ZooKeeper 3.8.0's own restore (FileTxnSnapLog.restore + save, what a
# standalone server does at start-up). Prints wall time and peak RSS of each.
#
# Usage: benches/replay.sh [NODES] [LOG_MB]   (defaults 1000000 1024)
# Needs Debian's zookeeper (jars in /usr/share/java), a JDK and GNU time.
# Scratch space: ~/tmp unless BENCH_DIR is set (~4 GiB).
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=${1:-1000000}
LOG_MB=${2:-1024}
W=${BENCH_DIR:-$(mktemp -d /tmp/zkdd-bench.XXXXXX)}
J=/usr/share/java
CP=$J/zookeeper.jar:$J/zookeeper-jute.jar:$J/slf4j-nop.jar
cargo build --release --quiet --bin zkdd --example gen_big
rm -rf "$W/data" "$W/out-zkdd" "$W/out-zk" && mkdir -p "$W/out-zkdd" "$W/out-zk" "$W/classes"
target/release/examples/gen_big "$W/data" "$NODES" "$LOG_MB"
javac -d "$W/classes" -cp "$CP" benches/ZkRestore.java
sync
echo "== zkdd replay --output"
/usr/bin/time -f "wall %e s, peak RSS %M KB" target/release/zkdd replay "$W/data" --output "$W/out-zkdd" | grep -E 'final|digests|wrote'
echo "== ZooKeeper 3.8 restore + save"
/usr/bin/time -f "wall %e s, peak RSS %M KB" java -Dzookeeper.extendedTypesEnabled=true \
    -cp "$CP:$W/classes" ZkRestore "$W/data" "$W/out-zk"
[[ -n ${BENCH_DIR:-} ]] || rm -rf "$W"
