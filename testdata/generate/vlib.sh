#!/usr/bin/env bash
# Per-version settings for the multi-version fixtures (zk-3.4, zk-3.5, zk-3.6, zk-3.9).
# Source after lib.sh, then call `zk_select <3.4|3.5|3.6|3.9>`; it overrides the 3.8 globals
# of lib.sh (OUT_ROOT, SERVER_CP, TOOL_CP) and the functions that name classes or jars.
# Jars come from fetch-jars.sh (cache ${ZKDD_ZK_JARS:-$HOME/.cache/zkdd/zk-jars}/<version>/).

ZK_JARS=${ZKDD_ZK_JARS:-$HOME/.cache/zkdd/zk-jars}
# Debian jars used as the runtime dependencies of every version (slf4j 1.7 + log4j 1.2 for the
# server log; metrics-core and snappy-java for 3.6+; commons-cli for TxnLogToolkit of 3.5+).
DEB_LOG_CP=$J/slf4j-api-1.7.32.jar:$J/slf4j-log4j12-1.7.32.jar:$J/log4j-1.2-1.2.17.jar:/etc/zookeeper/conf
DEB_NOP_CP=$J/slf4j-api-1.7.32.jar:$J/slf4j-nop-1.7.32.jar

ZKV=""         # 3.4 | 3.5 | 3.6 | 3.9
ZK_FULLVER=""  # 3.4.14 ...
ZK_CP=""       # the ZooKeeper jar(s) of that version
PFX=""         # class-name prefix (3.5.9 from flink-shaded is relocated)
HAS_EXT=0      # createContainer / createTTL / create2 (3.5+)
HAS_DIGEST=0   # TxnDigest in logs, ZxidDigest in snapshots (3.6+)
HAS_COMPRESS=0 # zookeeper.snapshot.compression.method gz|snappy (3.6+)
HAS_CHOP=0     # TxnLogToolkit -c -z (3.6+)

zk_select() {
    ZKV=$1 PFX="" HAS_EXT=0 HAS_DIGEST=0 HAS_COMPRESS=0 HAS_CHOP=0
    case $ZKV in
        3.4) ZK_FULLVER=3.4.14; ZK_CP=$ZK_JARS/3.4/zookeeper-3.4.14.jar ;;
        3.5) ZK_FULLVER=3.5.9; ZK_CP=$ZK_JARS/3.5/flink-shaded-zookeeper-3.5.9.jar; PFX=org.apache.flink.shaded.zookeeper3.
             HAS_EXT=1 ;;
        3.6) ZK_FULLVER=3.6.3; ZK_CP=$ZK_JARS/3.6/zookeeper-3.6.3.jar:$ZK_JARS/3.6/zookeeper-jute-3.6.3.jar
             HAS_EXT=1; HAS_DIGEST=1; HAS_COMPRESS=1; HAS_CHOP=1 ;;
        3.9) ZK_FULLVER=3.9.3; ZK_CP=$ZK_JARS/3.9/zookeeper-3.9.3.jar:$ZK_JARS/3.9/zookeeper-jute-3.9.3.jar
             HAS_EXT=1; HAS_DIGEST=1; HAS_COMPRESS=1; HAS_CHOP=1 ;;
        *) echo "unknown version $ZKV (3.4, 3.5, 3.6, 3.9)" >&2; return 1 ;;
    esac
    local j
    for j in ${ZK_CP//:/ }; do
        [[ -s $j ]] || { echo "missing $j: run testdata/generate/fetch-jars.sh $ZKV" >&2; return 1; }
    done
    OUT_ROOT=$TESTDATA/zk-$ZKV
    local extra=""
    ((HAS_COMPRESS)) && extra=:$J/metrics-core-3.2.6.jar:$J/snappy-java-1.1.8.3.jar
    [[ $ZKV == 3.4 ]] || extra=$extra:$J/commons-cli-1.5.0.jar
    SERVER_CP=$ZK_CP:$DEB_LOG_CP$extra
    TOOL_CP=$ZK_CP:$DEB_NOP_CP$extra
}

zkclass() { echo "$PFX$1"; }

# Log dumpers run on every log; the first one is the one pick_zxids.py / summarize.py read.
#   3.4: LogFormatter (3.4.14's TxnLogToolkit prints the same lines without the blank line
#        after each txn, so it is not run too); 3.5, 3.6, 3.9: TxnLogToolkit (3.5: plus
#        LogFormatter for each log on which the toolkit fails);
#   (3.6.3 also has LogFormatter, which prints each txn's digest; it is not run, to keep the
#   fixtures small: its hex dump of the 100 KB value alone is 200 KB.)
log_tools() {
    case $ZKV in
        3.4) LOG_TOOLS=(logformatter) ;;
        *) LOG_TOOLS=(txnlogtoolkit) ;;
    esac
}

start_standalone() { start_server "$(zkclass org.apache.zookeeper.server.ZooKeeperServerMain)" "$@"; }
start_quorum()     { start_server "$(zkclass org.apache.zookeeper.server.quorum.QuorumPeerMain)" "$@"; }

# zk_tool CLASS(without prefix) ARGS...
zk_tool() { local c=$1; shift; java "${COMMON_PROPS[@]}" -cp "$TOOL_CP" "$(zkclass "$c")" "$@"; }

zk_version() {
    local out
    out=$(zk_tool org.apache.zookeeper.version.VersionInfoMain 2>/dev/null) || out=""
    if [[ -z $out ]]; then
        # 3.4/3.5 have no VersionInfoMain: org.apache.zookeeper.Version.getFullVersion()
        mkdir -p "$WORK/classes-$ZKV"
        cat > "$WORK/PrintVersion.java" <<EOF
public class PrintVersion { public static void main(String[] a) { System.out.println("Apache ZooKeeper, version " + ${PFX}org.apache.zookeeper.Version.getFullVersion()); } }
EOF
        javac -d "$WORK/classes-$ZKV" -cp "$ZK_CP" "$WORK/PrintVersion.java"
        out=$(java -cp "$ZK_CP:$WORK/classes-$ZKV" PrintVersion)
    fi
    echo "$out"
}

# Restore program: Restore.java (3.6+: DataNode.getData, 3-arg PlayBackListener) or
# RestoreOld.java (3.4/3.5: DataNode.data by reflection, 2-arg listener, no tree digest);
# for 3.5 the imports are rewritten to the relocated package before compiling.
build_restore() {
    mkdir -p "$WORK/classes-$ZKV" "$WORK/src-$ZKV"
    if [[ $ZKV == 3.4 || $ZKV == 3.5 ]]; then
        sed -e "s/org\.apache\.zookeeper\./${PFX}org.apache.zookeeper./g" \
            -e "s/org\.apache\.jute\./${PFX}org.apache.jute./g" \
            "$GEN_DIR/RestoreOld.java" > "$WORK/src-$ZKV/Restore.java"
    else
        cp "$GEN_DIR/Restore.java" "$WORK/src-$ZKV/Restore.java"
    fi
    javac -nowarn -d "$WORK/classes-$ZKV" -cp "$ZK_CP" "$WORK/src-$ZKV/Restore.java"
}

run_restore() {   # run_restore DATADIR OUTFILE
    java "${COMMON_PROPS[@]}" -Dzookeeper.extendedTypesEnabled=true \
        -cp "$TOOL_CP:$WORK/classes-$ZKV" Restore "$1" "$2"
}

# dump_log TOOL LOG EXPECTEDDIR -> EXPECTEDDIR/TOOL/<log>.txt (stdout+stderr) and .rc
dump_log() {
    local t=$1 f=$2 exp=$3 rc=0 cls
    case $t in
        logformatter) cls=org.apache.zookeeper.server.LogFormatter ;;
        txnlogtoolkit) cls=org.apache.zookeeper.server.persistence.TxnLogToolkit ;;
    esac
    zk_tool "$cls" "$f" > "$exp/$t/${f##*/}.txt" 2>&1 || rc=$?
    echo "$rc" > "$exp/$t/${f##*/}.rc"
}

# run_tools V2DIR EXPECTEDDIR : every log through the version's log dumper(s), every snapshot
# through SnapshotFormatter (-d where supported)
run_tools() {
    local v2=$1 exp=$2 f rc t
    mkdir -p "$exp/snapshotformatter"
    log_tools
    for t in "${LOG_TOOLS[@]}"; do
        mkdir -p "$exp/$t"
        for f in "$v2"/log.*; do
            dump_log "$t" "$f" "$exp"
            # 3.5.9's TxnLogToolkit dies on some txns (NPE on null data): LogFormatter as fallback
            if [[ $t == txnlogtoolkit && $(cat "$exp/$t/${f##*/}.rc") != 0 && $ZKV == 3.5 ]]; then
                mkdir -p "$exp/logformatter"
                dump_log logformatter "$f" "$exp"
            fi
        done
    done
    # SnapshotFormatter -d (data as base64) exists from 3.6 on here: 3.4.14 and 3.5.9 only take
    # the file name (3.5.9 prints "USAGE: SnapshotFormatter snapshot_file" for -d)
    local sfopt=(-d)
    ((HAS_DIGEST)) || sfopt=()
    for f in "$v2"/snapshot.*; do
        rc=0
        zk_tool org.apache.zookeeper.server.SnapshotFormatter "${sfopt[@]}" "$f" \
            > "$exp/snapshotformatter/${f##*/}.txt" 2>&1 || rc=$?
        echo "$rc" > "$exp/snapshotformatter/${f##*/}.rc"
    done
    files_listing "$v2" "$exp/files.txt"
}

restore_json() {
    local src=$1 out=$2 tmp
    tmp=$(mktemp -d "$WORK/restore.XXXXXX")
    cp -a "$src/version-2" "$tmp/"
    run_restore "$tmp" "$out"
    rm -rf "$tmp"
}

# chop_log LOG ZXID : leave LOG.chopped<ZXID> next to LOG (TxnLogToolkit -c of this version,
# or of Debian's 3.8.0 for 3.4/3.5, whose toolkits cannot chop; the log format is the same)
chop_log() {
    local f=$1 z=$2 rc=0
    if ((HAS_CHOP)); then
        zk_tool org.apache.zookeeper.server.persistence.TxnLogToolkit -c -z "$z" "$f" > "$f.chop.out" 2>&1 || rc=$?
    else
        java "${COMMON_PROPS[@]}" -cp "$J/zookeeper.jar:$J/zookeeper-jute.jar:$J/slf4j-nop.jar:$J/commons-cli.jar" \
            org.apache.zookeeper.server.persistence.TxnLogToolkit -c -z "$z" "$f" > "$f.chop.out" 2>&1 || rc=$?
    fi
    [[ -f $f.chopped$z ]] || { cat "$f.chop.out" >&2; echo "chop failed" >&2; return 1; }
    log "chopped ${f##*/} at $(printf 0x%x "$z") (toolkit rc=$rc): $(grep -E 'Chopping|EOF|exception' "$f.chop.out" | tr '\n' ' ')"
    rm -f "$f.chop.out"
}

# restore_at DATADIR ZXID OUTFILE : restore of a copy holding only snapshot.0 (3.5+; 3.4 writes
# none, and restores from the empty tree when there is no snapshot) and the logs up to ZXID,
# the log containing ZXID chopped there
restore_at() {
    local src=$1 z=$(($2)) out=$3 tmp f fz chosen="" got
    tmp=$(mktemp -d "$WORK/chop.XXXXXX")
    cp -a "$src/version-2" "$tmp/"
    local v2=$tmp/version-2
    for f in "$v2"/snapshot.*; do
        (($(zxid_of "$f") == 0)) || rm -f "$f"
    done
    if [[ $ZKV != 3.4 ]]; then
        ls "$v2" | grep -q '^snapshot\.0' || { echo "no snapshot.0 in $src" >&2; return 1; }
    fi
    for f in $(ls "$v2" | grep '^log\.' | while read -r n; do echo "$(zxid_of "$n") $n"; done | sort -n | awk '{print $2}'); do
        fz=$(zxid_of "$f")
        if ((fz > z)); then rm -f "$v2/$f"; else chosen=$f; fi
    done
    [[ -n $chosen ]] || { echo "no log holds zxid $z" >&2; return 1; }
    chop_log "$v2/$chosen" "$z"
    mv "$v2/$chosen.chopped$z" "$v2/$chosen"
    run_restore "$tmp" "$out"
    got=$(tail -n1 "$out" | sed -n 's/.*"last_zxid":\([0-9-]*\).*/\1/p')
    [[ $got == "$z" ]] || { echo "restore_at: expected last_zxid $z, got $got" >&2; return 1; }
    rm -rf "$tmp"
}

# restore_points DATADIR EXPDIR : as in lib.sh, reading the version's primary log dump
restore_points() {
    local dd=$1 exp=$2 z why
    log_tools
    local dirs=() t
    for t in txnlogtoolkit logformatter; do [[ -d $exp/$t ]] && dirs+=("$exp/$t"); done
    $PY "$GEN_DIR/pick_zxids.py" "${dirs[@]}" > "$exp/restore-points.txt"
    while read -r z why; do
        restore_at "$dd" "$z" "$exp/restore-at-${z#0x}.jsonl"
    done < "$exp/restore-points.txt"
}
