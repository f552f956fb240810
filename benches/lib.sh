#!/usr/bin/env bash
# Shared helpers for benches/generate.sh and benches/run.sh. Source it; do not run it.
set -euo pipefail

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_SRC")
J=/usr/share/java
PY=${PY:-/usr/bin/python3}
SERVER_CP=$J/zookeeper.jar:$J/log4j-1.2.jar:$J/slf4j-log4j12.jar:$J/snappy-java.jar:/etc/zookeeper/conf
TOOL_CP=$J/zookeeper.jar:$J/zookeeper-jute.jar:$J/slf4j-nop.jar:$J/snappy-java.jar
# UTF-8 default charset (the digest hashes String.getBytes()) and UTC, as for the fixtures.
JAVA_PROPS=(-Dfile.encoding=UTF-8 -Duser.timezone=UTC -Djava.library.path=/usr/lib/x86_64-linux-gnu/jni)
export LC_ALL=C.UTF-8 TZ=UTC

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

need_java() {
    [[ -f $J/zookeeper.jar ]] || { echo "ZooKeeper jars not found in $J (apt-get install zookeeper)" >&2; exit 2; }
    command -v javac >/dev/null || { echo "javac (a JDK) is required" >&2; exit 2; }
}

# compile_java OUTDIR FILE.java... : javac into OUTDIR unless the classes are newer than the sources
compile_java() {
    local out=$1 f stale=0; shift
    mkdir -p "$out"
    for f in "$@"; do
        local cls=$out/$(basename "${f%.java}").class
        [[ -f $cls && $cls -nt $f ]] || stale=1
    done
    if ((stale)); then
        javac -nowarn -cp "$J/zookeeper.jar:$J/zookeeper-jute.jar" -d "$out" "$@"
    fi
}

free_port() {
    $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# fourlw PORT WORD : prints the answer of a four-letter word (empty if the server is not up)
fourlw() {
    $PY - "$1" "$2" <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(sys.argv[2].encode()); data = b""
    while True:
        c = s.recv(65536)
        if not c: break
        data += c
    sys.stdout.write(data.decode("utf-8", "replace"))
except Exception:
    pass
PY
}

# wait_ready PORT PID [timeout_s] : until `srvr` shows a Mode: line (i.e. the data is loaded)
wait_ready() {
    local port=$1 pid=$2 t=${3:-900} i
    for ((i = 0; i < t * 2; i++)); do
        [[ $(fourlw "$port" srvr) == *"Mode: "* ]] && return 0
        kill -0 "$pid" 2>/dev/null || { echo "server pid $pid died" >&2; return 1; }
        sleep 0.5
    done
    echo "server on port $port not ready after ${t}s" >&2
    return 1
}

# stop_pid PID : SIGTERM, SIGKILL after 60 s
stop_pid() {
    local pid=$1 i
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# newest FILEGLOB... : the file with the largest hex zxid suffix (log.N / snapshot.N)
newest() {
    local f best="" bz=-1 z
    for f in "$@"; do
        [[ -e $f ]] || continue
        z=${f##*/}; z=${z#*.}; z=${z%%.*}; z=$((16#$z))
        if ((z > bz)); then bz=$z; best=$f; fi
    done
    echo "$best"
}

# The zoo.cfg of the load generators: one big log, no syncs, no snapshots.
write_load_cfg() { # CFG DATADIR PORT
    cat >"$1" <<EOF
tickTime=2000
dataDir=$2
clientPort=$3
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=*
maxClientCnxns=0
forceSync=no
snapCount=100000000
snapSizeLimitInKb=-1
EOF
}

# EXIT trap of the generators: stops $LOADGEN_PID and $SERVER_PID if still running.
kill_load_on_exit() {
    local rc=$?
    [[ -n ${LOADGEN_PID:-} ]] && kill "$LOADGEN_PID" 2>/dev/null || true
    [[ -n ${SERVER_PID:-} ]] && kill -0 "$SERVER_PID" 2>/dev/null && { log "cleanup: killing server $SERVER_PID"; kill -9 "$SERVER_PID" 2>/dev/null || true; }
    exit $rc
}

# prepare_input NAME : the start of an extra generator (generate-binary.sh, generate-bigsnap.sh):
# refuses a DIR inside the repository, exits 0 when DIR/NAME.env exists, then sets DIR (real
# path), DATA=DIR/NAME/data, V2, WORKD (emptied), compiles LoadGen, writes the load zoo.cfg
# ($CFG on a free $PORT) and arms the exit trap that stops SERVER_PID and LOADGEN_PID.
prepare_input() {
    local name=$1
    case $(realpath -m "$DIR")/ in
        "$(realpath "$REPO")"/*) echo "refusing to generate inside the repository: $DIR" >&2; exit 2 ;;
    esac
    if [[ -f $DIR/$name.env ]]; then
        log "$name input already generated in $DIR (remove $DIR/$name.env to regenerate)"
        exit 0
    fi
    need_java
    mkdir -p "$DIR"
    DIR=$(realpath "$DIR")
    DATA=$DIR/$name/data
    V2=$DATA/version-2
    WORKD=$DIR/$name/work
    rm -rf "${DIR:?}/$name"
    mkdir -p "$DATA" "$WORKD"
    compile_java "$WORKD/classes" "$BENCH_SRC/gen/LoadGen.java"
    PORT=$(free_port)
    CFG=$WORKD/zoo.cfg
    write_load_cfg "$CFG" "$DATA" "$PORT"
    SERVER_PID=""
    LOADGEN_PID=""
    trap kill_load_on_exit EXIT INT TERM
}
