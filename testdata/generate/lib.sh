#!/usr/bin/env bash
# Shared helpers for the zkdd fixture generators. Source this file; do not run it.
# Everything talks to servers on 127.0.0.1 only and kills the servers it started (by PID).
set -euo pipefail

GEN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTDATA=$(dirname "$GEN_DIR")
OUT_ROOT=$TESTDATA/zk-3.8
J=/usr/share/java
PY=/usr/bin/python3
# slf4j-log4j12 is added so the server's own log (kept in the temp work dir) is readable.
SERVER_CP=$J/zookeeper.jar:$J/log4j-1.2.jar:$J/slf4j-log4j12.jar:$J/snappy-java.jar:/etc/zookeeper/conf
TOOL_CP=$J/zookeeper.jar:$J/zookeeper-jute.jar:$J/slf4j-nop.jar:$J/snappy-java.jar
JNI_PROP=-Djava.library.path=/usr/lib/x86_64-linux-gnu/jni
# Same JVM settings for servers and tools: UTF-8 default charset (the digest hashes
# String.getBytes() with the default charset!) and UTC dates.
COMMON_PROPS=(-Dfile.encoding=UTF-8 -Duser.timezone=UTC "$JNI_PROP")
export LC_ALL=C.UTF-8 TZ=UTC

SERVER_PIDS=()
WORK=""

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

ensure_deps() {
    if [[ ! -f $J/zookeeper.jar || ! -d /usr/lib/python3/dist-packages/kazoo ]]; then
        log "installing zookeeper + python3-kazoo"
        apt-get update && apt-get install -y zookeeper python3-kazoo
    fi
    command -v javac >/dev/null || { echo "javac (JDK) required" >&2; exit 1; }
}

zk_version() {
    java -cp "$TOOL_CP" org.apache.zookeeper.version.VersionInfoMain 2>/dev/null \
      || unzip -p $J/zookeeper.jar META-INF/maven/org.apache.zookeeper/zookeeper/pom.properties | grep version
}

# compile Restore.java once per run into $WORK/classes
build_restore() {
    mkdir -p "$WORK/classes"
    javac -d "$WORK/classes" -cp $J/zookeeper.jar "$GEN_DIR/Restore.java"
}

setup_work() {
    WORK=$(mktemp -d /tmp/zkdd-gen.XXXXXX)
    trap cleanup EXIT INT TERM
    build_restore
}

cleanup() {
    local rc=$?
    for pid in "${SERVER_PIDS[@]:-}"; do
        [[ -n $pid ]] || continue
        if kill -0 "$pid" 2>/dev/null; then
            log "cleanup: killing server pid $pid"
            kill -9 "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [[ -n $WORK && -d $WORK && -z ${KEEP_WORK:-} ]]; then rm -rf "$WORK"; fi
    exit $rc
}

free_port() {
    $PY - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# write_cfg FILE DATADIR CLIENTPORT SNAPCOUNT [extra cfg lines...]
write_cfg() {
    local f=$1 dd=$2 port=$3 snap=$4; shift 4
    {
        echo "tickTime=500"
        echo "initLimit=20"
        echo "syncLimit=10"
        echo "minSessionTimeout=1000"
        echo "dataDir=$dd"
        echo "clientPort=$port"
        echo "clientPortAddress=127.0.0.1"
        echo "admin.enableServer=false"
        echo "4lw.commands.whitelist=*"
        echo "preAllocSize=64"
        echo "snapCount=$snap"
        echo "maxClientCnxns=0"
        for l in "$@"; do echo "$l"; done
    } > "$f"
}

# start_server MAINCLASS CFG LOGFILE [jvm props...]  -> sets SERVER_PID
start_server() {
    local main=$1 cfg=$2 logf=$3; shift 3
    java "${COMMON_PROPS[@]}" -Dzookeeper.root.logger=INFO,CONSOLE -Dzookeeper.console.threshold=INFO \
         "$@" -cp "$SERVER_CP" "$main" "$cfg" >>"$logf" 2>&1 &
    SERVER_PID=$!
    SERVER_PIDS+=("$SERVER_PID")
    log "started $main pid $SERVER_PID ($cfg)"
}
start_standalone() { start_server org.apache.zookeeper.server.ZooKeeperServerMain "$@"; }
start_quorum()     { start_server org.apache.zookeeper.server.quorum.QuorumPeerMain "$@"; }

# four-letter word
fourlw() {
    $PY - "$1" "$2" <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    s.sendall(sys.argv[2].encode()); data = b""
    while True:
        c = s.recv(4096)
        if not c: break
        data += c
    sys.stdout.write(data.decode("utf-8", "replace"))
except Exception:
    pass
PY
}

# wait_mode PORT [timeout_s] -> prints the mode (standalone/leader/follower)
wait_mode() {
    local port=$1 t=${2:-60} i out
    for ((i = 0; i < t * 5; i++)); do
        out=$(fourlw "$port" srvr)
        if [[ $out == *"Mode: "* ]]; then
            sed -n 's/^Mode: //p' <<<"$out"
            return 0
        fi
        sleep 0.2
    done
    echo "server on port $port did not become ready" >&2
    return 1
}

# stop_server PID  (SIGTERM, then SIGKILL after 20 s)
stop_server() {
    local pid=$1 i
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
    log "stopped pid $pid"
}

zk_tool() { java "${COMMON_PROPS[@]}" -cp "$TOOL_CP" "$@"; }

# files_listing V2DIR OUTFILE
files_listing() {
    (cd "$1" && for f in $(ls | LC_ALL=C sort); do printf '%10d  %s\n' "$(stat -c %s "$f")" "$f"; done) > "$2"
}

zxid_of() { local n=${1##*/}; n=${n#*.}; n=${n%%.*}; echo $((16#$n)); }

# run_tools V2DIR EXPECTEDDIR : TxnLogToolkit on every log, SnapshotFormatter -d on every snapshot
run_tools() {
    local v2=$1 exp=$2 f rc
    mkdir -p "$exp/txnlogtoolkit" "$exp/snapshotformatter"
    for f in "$v2"/log.*; do
        rc=0
        zk_tool org.apache.zookeeper.server.persistence.TxnLogToolkit "$f" \
            > "$exp/txnlogtoolkit/${f##*/}.txt" 2>&1 || rc=$?
        echo "$rc" > "$exp/txnlogtoolkit/${f##*/}.rc"
    done
    for f in "$v2"/snapshot.*; do
        rc=0
        zk_tool org.apache.zookeeper.server.SnapshotFormatter -d "$f" \
            > "$exp/snapshotformatter/${f##*/}.txt" 2>&1 || rc=$?
        echo "$rc" > "$exp/snapshotformatter/${f##*/}.rc"
    done
    files_listing "$v2" "$exp/files.txt"
}

# restore_json DATADIR OUTFILE : ZooKeeper's own restore on a copy of DATADIR
restore_json() {
    local src=$1 out=$2 tmp
    tmp=$(mktemp -d "$WORK/restore.XXXXXX")
    cp -a "$src/version-2" "$tmp/"
    java "${COMMON_PROPS[@]}" -Dzookeeper.extendedTypesEnabled=true \
        -cp "$J/zookeeper.jar:$J/slf4j-nop.jar:$J/snappy-java.jar:$WORK/classes" Restore "$tmp" "$out"
    rm -rf "$tmp"
}

# restore_at DATADIR ZXID(decimal or 0x..) OUTFILE : chopped-copy restore (snapshot.0 + logs <= ZXID)
restore_at() {
    local src=$1 z=$(($2)) out=$3 tmp f fz chosen="" rc
    tmp=$(mktemp -d "$WORK/chop.XXXXXX")
    cp -a "$src/version-2" "$tmp/"
    local v2=$tmp/version-2
    for f in "$v2"/snapshot.*; do   # keep only snapshot.0 (or snapshot.0.gz / .snappy)
        (( $(zxid_of "$f") == 0 )) || rm -f "$f"
    done
    ls "$v2" | grep -q '^snapshot\.0' || { echo "no snapshot.0 in $src" >&2; return 1; }
    # the log containing z = the one with the largest first-zxid <= z
    for f in $(ls "$v2" | grep '^log\.' | while read -r n; do echo "$(zxid_of "$n") $n"; done | sort -n | awk '{print $2}'); do
        fz=$(zxid_of "$f")
        if ((fz > z)); then rm -f "$v2/$f"; else chosen=$f; fi
    done
    [[ -n $chosen ]] || { echo "no log holds zxid $z" >&2; return 1; }
    rc=0
    zk_tool org.apache.zookeeper.server.persistence.TxnLogToolkit -c -z "$z" "$v2/$chosen" > "$tmp/chop.out" 2>&1 || rc=$?
    [[ -f $v2/$chosen.chopped$z ]] || { cat "$tmp/chop.out" >&2; echo "chop failed" >&2; return 1; }
    mv "$v2/$chosen.chopped$z" "$v2/$chosen"
    log "chopped $chosen at $(printf 0x%x "$z") (toolkit rc=$rc): $(grep -E 'Chopping|EOF|exception' "$tmp/chop.out" | tr '\n' ' ')"
    java "${COMMON_PROPS[@]}" -Dzookeeper.extendedTypesEnabled=true \
        -cp "$J/zookeeper.jar:$J/slf4j-nop.jar:$J/snappy-java.jar:$WORK/classes" Restore "$tmp" "$out"
    # sanity: restored last zxid must be z
    local got
    got=$(tail -n1 "$out" | sed -n 's/.*"last_zxid":\([0-9-]*\).*/\1/p')
    [[ $got == "$z" ]] || { echo "restore_at: expected last_zxid $z, got $got" >&2; return 1; }
    rm -rf "$tmp"
}

# copy_v2 SRCDATADIR DSTDATADIR : copy version-2 (and myid) into the fixture tree
copy_datadir() {
    local src=$1 dst=$2
    mkdir -p "$dst"
    cp -a "$src/version-2" "$dst/"
    [[ -f $src/myid ]] && cp "$src/myid" "$dst/" || true
}

# restore_points DATADIR EXPDIR : pick 3-5 zxids from the toolkit dumps, write
# EXPDIR/restore-points.txt and EXPDIR/restore-at-<zxidhex>.jsonl for each
restore_points() {
    local dd=$1 exp=$2 z why
    $PY "$GEN_DIR/pick_zxids.py" "$exp/txnlogtoolkit" > "$exp/restore-points.txt"
    while read -r z why; do
        restore_at "$dd" "$z" "$exp/restore-at-${z#0x}.jsonl"
    done < "$exp/restore-points.txt"
}

# finish_scenario WORKDATADIR OUTDIR : copy the data dir and make all expected outputs
finish_scenario() {
    local dd=$1 out=$2
    rm -rf "$out"; mkdir -p "$out/expected"
    copy_datadir "$dd" "$out/data"
    run_tools "$out/data/version-2" "$out/expected"
    restore_json "$out/data" "$out/expected/restore.jsonl"
    restore_points "$out/data" "$out/expected"
}

# run_basic_scenario NAME SNAPCOUNT BIGNODES [jvm props...] : wl_basic.py phase 1, restart, phase 2
run_basic_scenario() {
    local name=$1 snap=$2 big=$3; shift 3
    local out=$OUT_ROOT/$name dd=$WORK/$name/data port cfg phase
    mkdir -p "$dd"
    port=$(free_port); cfg=$WORK/$name/zoo.cfg
    write_cfg "$cfg" "$dd" "$port" "$snap"
    for phase in 1 2; do
        start_standalone "$cfg" "$WORK/$name/server.log" -Dzookeeper.extendedTypesEnabled=true \
            -Dznode.container.checkIntervalMs=1000 "$@"
        wait_mode "$port" >/dev/null
        $PY "$GEN_DIR/wl_basic.py" "$port" "$phase" "$big"
        sleep 0.5
        stop_server "$SERVER_PID"
    done
    finish_scenario "$dd" "$out"
    log "$name done: $(du -sh "$out" | cut -f1)"
}
