#!/usr/bin/env bash
# Multi-version fixtures: real data dirs written by ZooKeeper 3.4.14, 3.5.9, 3.6.3 and 3.9.3
# servers, with expected outputs from each version's own tools and restore code.
#
# usage: testdata/generate/versions.sh [VERSION[:SCENARIO,...]]...
#   VERSION  3.4 | 3.5 | 3.6 | 3.9            (default: all four, all their scenarios)
#   SCENARIO standalone | gz | snappy          (gz/snappy only for 3.6+: default 3.6:snappy 3.9:gz)
#   e.g. versions.sh 3.4 3.9:standalone
# Jars: testdata/generate/fetch-jars.sh first (downloads from PyPI into a cache outside the repo).
# Each scenario wipes and rewrites testdata/zk-<version>/<scenario>. KEEP_WORK=1 keeps /tmp/zkdd-gen.*.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$GEN_DIR/vlib.sh"
ensure_deps   # Debian zookeeper package: slf4j/log4j/snappy/commons-cli jars, kazoo, TxnLogToolkit 3.8 (chop for 3.4/3.5)

default_scenarios() {
    case $1 in
        3.4 | 3.5) echo standalone ;;
        3.6) echo standalone snappy ;;
        3.9) echo standalone gz ;;
    esac
}

# server JVM properties of a version
server_props() {
    PROPS=()
    if ((HAS_EXT)); then
        PROPS+=(-Dzookeeper.extendedTypesEnabled=true -Dznode.container.checkIntervalMs=1000)
    fi
}

# this version's own ZooKeeperMain as a JSON argv list (for wl_versions.py setquota). Except 3.4:
# the 3.4.14 client cannot connect on JDK 14+ (StaticHostProvider leaves the address unresolved:
# java.nio.channels.UnresolvedAddressException, ZOOKEEPER-3779, fixed in 3.5.8), so 3.4 uses the
# 3.5.9 zkCli, whose setquota does the same creates (StatsTrack "count=N,bytes=-1").
zkcli_json() {
    local cp=$TOOL_CP cls=$(zkclass org.apache.zookeeper.ZooKeeperMain)
    if [[ $ZKV == 3.4 ]]; then
        cp=$ZK_JARS/3.5/flink-shaded-zookeeper-3.5.9.jar:$DEB_NOP_CP:$J/commons-cli-1.5.0.jar
        [[ -s ${cp%%:*} ]] || { echo "3.4 needs the 3.5.9 jar for zkCli: fetch-jars.sh 3.5" >&2; return 1; }
        cls=org.apache.flink.shaded.zookeeper3.org.apache.zookeeper.ZooKeeperMain
    fi
    $PY -c 'import json,sys; print(json.dumps(sys.argv[1:]))' java "${COMMON_PROPS[@]}" -cp "$cp" "$cls"
}

# run_phases NAME SNAPCOUNT "PHASES" WORKLOAD [WORKLOAD ARGS after PORT PHASE...] [-- server props]
run_phases() {
    local name=$1 snap=$2 phases=$3 wl=$4; shift 4
    local wlargs=() extra=()
    while (($#)); do
        if [[ $1 == -- ]]; then shift; extra=("$@"); break; fi
        wlargs+=("$1"); shift
    done
    local dd=$WORK/$ZKV-$name/data port cfg slog phase mode
    mkdir -p "$dd"
    port=$(free_port); cfg=$WORK/$ZKV-$name/zoo.cfg; slog=$WORK/$ZKV-$name/server.log
    write_cfg "$cfg" "$dd" "$port" "$snap" maxSessionTimeout=10000   # 3.4 needs it with minSessionTimeout
    server_props
    for phase in $phases; do
        start_standalone "$cfg" "$slog" "${PROPS[@]}" "${extra[@]}"
        mode=$(wait_mode "$port") || { KEEP_WORK=1; tail -20 "$slog" >&2; exit 1; }
        log "mode: $mode"
        ZKCLI=$(zkcli_json) $PY "$GEN_DIR/$wl" "$port" "$phase" "${wlargs[@]}"
        sleep 1
        stop_server "$SERVER_PID"
        # a server whose main thread died still answers ruok: make sure it logged no fatal error
        if grep -E 'Unexpected exception, exiting abnormally|ClassNotFound|NoClassDefFound|Exception in thread' "$slog"; then
            echo "server $ZKV failed, see $slog" >&2; KEEP_WORK=1; exit 1
        fi
    done
    finish_scenario "$dd" "$OUT_ROOT/$name"
    log "$ZKV/$name done: $(du -sh --apparent-size "$OUT_ROOT/$name" | cut -f1)"
}

# 3.4 snapshots only when the log rolls (no start-up snapshot): a smaller snapCount gives it several
scenario_standalone() { run_phases standalone "$([[ $ZKV == 3.4 ]] && echo 40 || echo 100)" "1 2 3" wl_versions.py "$ZKV"; }
scenario_gz()         { run_phases gz 100 "1 2 3" wl_compress.py 0 -- -Dzookeeper.snapshot.compression.method=gz; }
scenario_snappy()     { run_phases snappy 100 "1 2 3" wl_compress.py 2 -- -Dzookeeper.snapshot.compression.method=snappy; }

WORK=$(mktemp -d /tmp/zkdd-gen.XXXXXX)   # (not lib.sh setup_work: Restore is built per version)
trap cleanup EXIT INT TERM
ARGS=("$@")
[[ ${#ARGS[@]} -gt 0 ]] || ARGS=(3.4 3.5 3.6 3.9)
for a in "${ARGS[@]}"; do
    v=${a%%:*}
    if [[ $a == *:* ]]; then scen=${a#*:}; scen=${scen//,/ }; else scen=$(default_scenarios "$v"); fi
    zk_select "$v"
    build_restore
    mkdir -p "$OUT_ROOT"
    for s in $scen; do
        if [[ $s != standalone ]] && ((!HAS_COMPRESS)); then echo "$s needs 3.6+" >&2; exit 1; fi
        log "=== ZooKeeper $ZK_FULLVER: scenario $s"
        "scenario_$s"
    done
    zk_version > "$OUT_ROOT/VERSION.txt"
    $PY "$GEN_DIR/summarize.py" "$OUT_ROOT"
done
log "all done"
