#!/usr/bin/env bash
# Times zkdd against ZooKeeper's own tools on the inputs made by benches/generate.sh and
# prints a table with the ratios and the targets (see benches/README.md).
#
#   benches/run.sh [DIR]          DIR defaults to ${ZKDD_BENCH_DIR:-/tmp/zkdd-bench}
#
# Knobs: ZKDD_BENCH_RUNS (runs per command, median wall time reported; default 3),
# ZKDD_BENCH_ONLY (space-separated sections: dump binary iterate snapshot rss replay verify diff
# history report bigsnap; `binary` and `bigsnap` need generate-binary.sh's and
# generate-bigsnap.sh's inputs, and run only when named or when those inputs exist), ZKDD_BENCH_NO_BUILD=1 (use the
# existing target/release/zkdd), ZKDD_BENCH_ZKDD=PATH (time that zkdd binary, e.g. an older
# build for a before/after; implies no build).
# Wall time and peak RSS come from /usr/bin/time; every command's stdout goes to /dev/null.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR=${1:-${ZKDD_BENCH_DIR:-/tmp/zkdd-bench}}
RUNS=${ZKDD_BENCH_RUNS:-3}
ONLY=${ZKDD_BENCH_ONLY:-dump binary iterate snapshot rss replay verify diff history report $([[ -f $DIR/bigsnap.env ]] && echo bigsnap)}
if [[ " $ONLY " == *" binary "* ]]; then
    [[ -f $DIR/binary.env ]] || { echo "no binary input in $DIR: run benches/generate.sh $DIR first" >&2; exit 2; }
    # shellcheck disable=SC1091
    source "$DIR/binary.env"
fi
if [[ " $ONLY " == *" bigsnap "* ]]; then
    [[ -f $DIR/bigsnap.env ]] || { echo "no big snapshot in $DIR: run benches/generate-bigsnap.sh $DIR first" >&2; exit 2; }
    # shellcheck disable=SC1091
    source "$DIR/bigsnap.env"
fi
if [[ -f $DIR/inputs.env ]]; then
    # shellcheck disable=SC1091
    source "$DIR/inputs.env"
elif [[ -n $(tr ' ' '\n' <<<"$ONLY" | grep -vx -e binary -e bigsnap -e '') ]]; then
    echo "no inputs in $DIR: run benches/generate.sh $DIR first" >&2
    exit 2
fi
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time (GNU time) is required: apt-get install time" >&2; exit 2; }
need_java

if [[ -z ${ZKDD_BENCH_NO_BUILD:-} && -z ${ZKDD_BENCH_ZKDD:-} ]]; then
    log "cargo build --release"
    (cd "$REPO" && cargo build --release --quiet)
fi
ZKDD=${ZKDD_BENCH_ZKDD:-${CARGO_TARGET_DIR:-$REPO/target}/release/zkdd}
[[ -x $ZKDD ]] || { echo "$ZKDD not found" >&2; exit 2; }
CLASSES=$DIR/work/classes
compile_java "$CLASSES" "$BENCH_SRC/gen/RestoreBench.java"

TMP=$(mktemp -d "$( [[ -d /dev/shm ]] && echo /dev/shm || echo /tmp)/zkdd-run.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

JTOOL=(java "${JAVA_PROPS[@]}" -cp "$TOOL_CP:$J/commons-cli.jar")
JRESTORE=(java "${JAVA_PROPS[@]}" -cp "$CLASSES:$TOOL_CP")

# bytes of a log up to its last non-zero byte (ZooKeeper pads logs with zeros in 64 MiB steps)
data_bytes() {
    $PY - "$1" <<'PY'
import os, sys
f = open(sys.argv[1], "rb"); end = os.fstat(f.fileno()).st_size; step = 1 << 20
while end > 0:
    start = max(0, end - step); f.seek(start); b = f.read(end - start).rstrip(b"\0")
    if b: print(start + len(b)); break
    end = start
else:
    print(0)
PY
}
mib() { echo $(($1 >> 20)); }

# measure NAME CMD... : runs CMD $RUNS times; sets WALL (median s), RSS (max KiB over the
# runs) and RC (exit code of the last run). stdout goes to /dev/null (writing a GB of
# dump output into tmpfs cost more than zkdd's own work and varied by a second between
# runs), except for the restore runs, whose one-line report is kept in $TMP/NAME.out;
# stderr of the last run is kept in $TMP/NAME.err.
measure() {
    local name=$1 i; shift
    local walls=()
    RSS=0
    for ((i = 0; i < RUNS; i++)); do
        RC=0
        local out=/dev/null
        [[ $name == restore* ]] && out=$TMP/$name.out
        /usr/bin/time -f '%e %M' -o "$TMP/$name.time" "$@" >"$out" 2>"$TMP/$name.err" || RC=$?
        # GNU time puts "Command exited with non-zero status N" first on a failure.
        read -r w r < <(tail -n 1 "$TMP/$name.time")
        walls+=("$w")
        ((r > RSS)) && RSS=$r
        log "  $name run $((i + 1)): ${w}s, ${r} KiB max RSS, exit $RC"
    done
    WALL=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
}

ROWS=()
row() { ROWS+=("$(printf '| %s | %s | %s | %s | %s | %s |' "$@")"); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", (b > 0 ? a / b : 0) }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v + 0 >= t + 0 ? "met" : "**missed**") }'; }
section() { [[ " $ONLY " == *" $1 "* ]]; }

# built SUBCOMMAND : true when `zkdd SUBCOMMAND` is implemented
built() {
    local h
    h=$("$ZKDD" "$1" --help 2>&1) || return 1
    ! grep -qi 'not built yet' <<<"$h"
}

warm() { cat "$@" >/dev/null; }

if [[ -n ${LOG:-} ]]; then
    LOG_BYTES=$(data_bytes "$LOG")
    log "inputs: $LOG ($(mib "$LOG_BYTES") MiB of txns), $SNAP ($(mib "$(stat -c %s "$SNAP")") MiB, $NODES nodes)"
fi

if section dump; then
    log "dump --json of the big log vs TxnLogToolkit"
    warm "$LOG"
    measure zkdd-dump-log "$ZKDD" dump --json "$LOG"; Z=$WALL; ZR=$RSS; ZRC=$RC
    measure tlt "${JTOOL[@]}" org.apache.zookeeper.server.persistence.TxnLogToolkit "$LOG"; B=$WALL; BR=$RSS
    TLT_LOG=$B
    row "dump --json log ($(mib "$LOG_BYTES") MiB)" "${Z} s, $((ZR / 1024)) MiB (exit $ZRC)" \
        "TxnLogToolkit ${B} s, $((BR / 1024)) MiB" "$(ratio "$B" "$Z")" "≥ 30×" \
        "$(verdict "$(awk -v a="$B" -v b="$Z" 'BEGIN{print a/b}')" 30)"
fi

if section binary; then
    # Every value of this log is random bytes, so `dump --json` writes it as base64. Besides
    # the ratio to TxnLogToolkit, compare MB/s of JSON written with the text log (log.1, data
    # that is JSON-ish text), when generate.sh's inputs are there: base64 should cost no more
    # per output byte than escaping text.
    BIN_BYTES=$(data_bytes "$BIN_LOG")
    log "dump --json of the random-byte log ($BIN_LOG, $(mib "$BIN_BYTES") MiB of txns) vs TxnLogToolkit"
    warm "$BIN_LOG"
    BOUT=$("$ZKDD" dump --json "$BIN_LOG" | wc -c)
    measure zkdd-dump-bin "$ZKDD" dump --json "$BIN_LOG"; Z=$WALL; ZR=$RSS; ZRC=$RC
    measure tlt-bin "${JTOOL[@]}" org.apache.zookeeper.server.persistence.TxnLogToolkit "$BIN_LOG"; B=$WALL; BR=$RSS
    BMBS=$(awk -v b="$BOUT" -v t="$Z" 'BEGIN { printf "%.0f", b / t / 1e6 }')
    row "dump --json log, random-byte data ($(mib "$BIN_BYTES") MiB → $(mib "$BOUT") MiB of JSON)" \
        "${Z} s = ${BMBS} MB/s out, $((ZR / 1024)) MiB (exit $ZRC)" \
        "TxnLogToolkit ${B} s, $((BR / 1024)) MiB" "$(ratio "$B" "$Z")" "≥ 40×" \
        "$(verdict "$(awk -v a="$B" -v b="$Z" 'BEGIN{print a/b}')" 40)"
    if [[ -n ${LOG:-} ]]; then
        warm "$LOG"
        TOUT=$("$ZKDD" dump --json "$LOG" | wc -c)
        measure zkdd-dump-text "$ZKDD" dump --json "$LOG"; T=$WALL
        TMBS=$(awk -v b="$TOUT" -v t="$T" 'BEGIN { printf "%.0f", b / t / 1e6 }')
        row "dump --json per output byte: random-byte log vs text log.1 ($(mib "$TOUT") MiB of JSON in ${T} s)" \
            "${BMBS} vs ${TMBS} MB/s" "—" "$(ratio "$BMBS" "$TMBS")" "≈ 1× (≥ 0.9×)" \
            "$(verdict "$(awk -v a="$BMBS" -v b="$TMBS" 'BEGIN{print a/b}')" 0.9)"
    fi
fi

if section iterate; then
    log "iterating with checksums"
    warm "$LOG"
    measure zkdd-stats "$ZKDD" dump --stats "$LOG"; Z=$WALL
    GBS=$(awk -v b="$LOG_BYTES" -v t="$Z" 'BEGIN { printf "%.2f", b / t / 1e9 }')
    row "iterate + checksums: dump --stats log" "${Z} s = ${GBS} GB/s" "—" "—" "≥ 3 GB/s" "$(verdict "$GBS" 3)"
    # --op reconfig matches nothing in this log: every entry is read, checked and decoded,
    # nothing is printed or counted, so this is the bare iteration cost.
    measure zkdd-iter "$ZKDD" dump --op reconfig "$LOG"; Z=$WALL
    GBS=$(awk -v b="$LOG_BYTES" -v t="$Z" 'BEGIN { printf "%.2f", b / t / 1e9 }')
    row "iterate + checksums: dump --op reconfig log (prints nothing)" "${Z} s = ${GBS} GB/s" "—" "—" "≥ 3 GB/s" "$(verdict "$GBS" 3)"
fi

if section snapshot; then
    log "dump --json of the big snapshot vs SnapshotFormatter -d"
    warm "$SNAP"
    measure zkdd-dump-snap "$ZKDD" dump --json "$SNAP"; Z=$WALL; ZR=$RSS; ZRC=$RC
    measure sf "${JTOOL[@]}" org.apache.zookeeper.server.SnapshotFormatter -d "$SNAP"; B=$WALL; BR=$RSS
    row "dump --json snapshot ($NODES nodes, $(mib "$(stat -c %s "$SNAP")") MiB)" "${Z} s, $((ZR / 1024)) MiB (exit $ZRC)" \
        "SnapshotFormatter -d ${B} s, $((BR / 1024)) MiB" "$(ratio "$B" "$Z")" "≥ 60×" \
        "$(verdict "$(awk -v a="$B" -v b="$Z" 'BEGIN{print a/b}')" 60)"
fi

if section rss; then
    log "peak RSS of dump: small fixture log vs the big log (flat in file size?)"
    SMALL=$(ls "$REPO"/testdata/zk-3.8/standalone/data/version-2/log.* | head -n1)
    RUNS_SAVED=$RUNS; RUNS=1
    measure rss-small "$ZKDD" dump --json "$SMALL"; SR=$RSS
    measure rss-big "$ZKDD" dump --json "$LOG"; BR=$RSS
    measure rss-big-nommap "$ZKDD" dump --no-mmap --json "$LOG"; NR=$RSS; NRC=$RC
    measure rss-all "$ZKDD" dump --json "$DATA"; AR=$RSS
    RUNS=$RUNS_SAVED
    row "peak RSS dump --json: fixture log / 1 GB log / whole dir (2 logs)" \
        "$((SR / 1024)) / $((BR / 1024)) / $((AR / 1024)) MiB" "—" "—" "flat, < 100 MiB" \
        "$(verdict "$(awk -v r="$BR" 'BEGIN{print (r < 100 * 1024) ? 1 : 0}')" 1)"
    row "peak RSS dump --json --no-mmap: 1 GB log (read through a 16 MiB window)" "$((NR / 1024)) MiB (exit $NRC)" "—" "—" "flat, < 100 MiB" \
        "$(verdict "$(awk -v r="$NR" -v c="$NRC" 'BEGIN{print (r < 100 * 1024 && c == 0) ? 1 : 0}')" 1)"
fi

if section replay; then
    if built replay; then
        log "replay (snapshot + 1 GB log -> snapshot) vs FileTxnSnapLog.restore"
        warm "$REPLAY_DIR"/version-2/*
        # outputs go next to the inputs (same disk), not to /dev/shm
        OUT=$DIR/work/replay-out
        rm -rf "$OUT"; mkdir -p "$OUT/zkdd" "$OUT/zk"
        measure zkdd-replay bash -c 'rm -rf "$2"/*; exec "$1" replay "$3" --output "$2/"' _ "$ZKDD" "$OUT/zkdd" "$REPLAY_DIR"
        Z=$WALL; ZR=$RSS; ZRC=$RC
        measure restore bash -c 'rm -rf "$1"/*; shift; exec "$@"' _ "$OUT/zk" "${JRESTORE[@]}" RestoreBench "$REPLAY_DIR" "$OUT/zk"
        B=$WALL; BR=$RSS
        SPLIT=$(grep -o 'restore_ms=[0-9]* save_ms=[0-9]*' "$TMP/restore.out" || true)
        rm -rf "$OUT"
        row "replay snapshot + 1 GB log → snapshot" "${Z} s, $((ZR / 1024)) MiB (exit $ZRC)" \
            "restore + save ${B} s, $((BR / 1024)) MiB ($SPLIT)" "$(ratio "$B" "$Z")" "≥ 10×, less RSS" \
            "$(verdict "$(awk -v a="$B" -v b="$Z" -v zr="$ZR" -v br="$BR" 'BEGIN{print (zr < br) ? a/b : 0}')" 10)"
    else
        log "replay: skipped, zkdd replay is not built yet"
        row "replay snapshot + log → snapshot" "skipped: zkdd replay not built yet" "" "" "≥ 5×" "—"
    fi
fi

if section verify; then
    if built verify; then
        log "verify --no-digest on the whole data dir"
        warm "$DATA"/version-2/*
        ALL=$(du -cb "$DATA"/version-2/* | tail -n1 | cut -f1)
        measure zkdd-verify "$ZKDD" verify "$DATA" --no-digest; Z=$WALL; ZRC=$RC
        GBS=$(awk -v b="$ALL" -v t="$Z" 'BEGIN { printf "%.2f", b / t / 1e9 }')
        row "verify --no-digest data dir ($(mib "$ALL") MiB on disk)" "${Z} s = ${GBS} GB/s (exit $ZRC)" "—" "—" "≥ 2 GB/s" "$(verdict "$GBS" 2)"
        # Issue 18: checking a log is Adler-32 speed, ≥ 100× TxnLogToolkit reading the same log.
        warm "$LOG"
        measure zkdd-verify-log "$ZKDD" verify --no-digest "$LOG"; Z=$WALL; ZR=$RSS; ZRC=$RC
        if [[ -z ${TLT_LOG:-} ]]; then
            measure tlt "${JTOOL[@]}" org.apache.zookeeper.server.persistence.TxnLogToolkit "$LOG"; TLT_LOG=$WALL
        fi
        GBS=$(awk -v b="$LOG_BYTES" -v t="$Z" 'BEGIN { printf "%.2f", b / t / 1e9 }')
        row "verify --no-digest log.1 ($(mib "$LOG_BYTES") MiB)" "${Z} s = ${GBS} GB/s, $((ZR / 1024)) MiB (exit $ZRC)" \
            "TxnLogToolkit ${TLT_LOG} s" "$(ratio "$TLT_LOG" "$Z")" "≥ 100×" \
            "$(verdict "$(awk -v a="$TLT_LOG" -v b="$Z" 'BEGIN{print a/b}')" 100)"
        # With digests verify replays the snapshot ZooKeeper would load plus the
        # logs after it: the issue asks for no slower than ZooKeeper's own
        # start-up restore of the same dir (RestoreBench without an output dir).
        log "verify with digests vs FileTxnSnapLog.restore of the same dir"
        measure zkdd-verify-digest "$ZKDD" verify "$DATA"; Z=$WALL; ZR=$RSS; ZRC=$RC
        measure restore-data "${JRESTORE[@]}" RestoreBench "$DATA"; B=$WALL; BR=$RSS
        row "verify with digests, same dir" "${Z} s, $((ZR / 1024)) MiB (exit $ZRC)" "restore ${B} s, $((BR / 1024)) MiB" \
            "$(ratio "$B" "$Z")" "≥ 1×" "$(verdict "$(awk -v a="$B" -v b="$Z" 'BEGIN{print a/b}')" 1)"
    else
        log "verify: skipped, zkdd verify is not built yet"
        row "verify --no-digest data dir" "skipped: zkdd verify not built yet" "" "" "≥ 2 GB/s" "—"
    fi
fi

if section diff; then
    if built diff; then
        log "diff of two 1M-node snapshots vs SnapshotComparer"
        warm "$SNAP_A" "$SNAP_B"
        measure zkdd-diff "$ZKDD" diff "$SNAP_A" "$SNAP_B"; Z=$WALL; ZR=$RSS; ZRC=$RC
        measure comparer "${JTOOL[@]}" org.apache.zookeeper.server.SnapshotComparer -l "$SNAP_A" -r "$SNAP_B" -b 0 -n 0
        B=$WALL; BR=$RSS
        row "diff two snapshots" "${Z} s, $((ZR / 1024)) MiB (exit $ZRC)" "SnapshotComparer ${B} s, $((BR / 1024)) MiB" \
            "$(ratio "$B" "$Z")" "≥ 10×" "$(verdict "$(awk -v a="$B" -v b="$Z" 'BEGIN{print a/b}')" 10)"
    else
        log "diff: skipped, zkdd diff is not built yet"
        row "diff two snapshots" "skipped: zkdd diff not built yet" "" "" "≥ 10×" "—"
    fi
fi

if section history; then
    # One znode's changes across the whole data dir (snapshots and both logs), against the
    # pipeline an operator would use without zkdd: TxnLogToolkit over each log, grep.
    # /config/team0/key.50 is a LoadGen node created by fill and set by churn.
    HPATH=/config/team0/key.50
    log "history of $HPATH vs TxnLogToolkit | grep"
    warm "$DATA"/version-2/*
    HOUT=$("$ZKDD" history "$HPATH" "$DATA" | wc -l)
    measure zkdd-history "$ZKDD" history "$HPATH" "$DATA"; Z=$WALL; ZR=$RSS; ZRC=$RC
    measure tlt-grep bash -c 'p=$1 a=$2 b=$3; shift 3; for l in "$a" "$b"; do "$@" org.apache.zookeeper.server.persistence.TxnLogToolkit "$l"; done | grep -F -- "$p"' \
        _ "$HPATH" "$LOG" "$LOG2" "${JTOOL[@]}"
    B=$WALL; BR=$RSS
    row "history of one znode, data dir (2 logs, $((HOUT)) lines)" "${Z} s, $((ZR / 1024)) MiB (exit $ZRC)" \
        "TxnLogToolkit \| grep ${B} s, $((BR / 1024)) MiB" "$(ratio "$B" "$Z")" "recorded" "—"
fi

if section bigsnap; then
    # Issue 18: one multi-GiB snapshot, raw (mapped and --no-mmap), gzip and snappy, as the
    # server wrote it: dump and verify must stay flat in memory whatever the size and container.
    RUNS_SAVED=$RUNS; RUNS=1
    BIG_MIB=$(mib "$(stat -c %s "$BIG_SNAP")")
    for v in "raw:$BIG_SNAP:" "raw --no-mmap:$BIG_SNAP:--no-mmap" "gz:$BIG_SNAP_GZ:" "snappy:$BIG_SNAP_SNAPPY:"; do
        IFS=: read -r what f flag <<<"$v"
        log "big snapshot ($what): dump --json and verify --no-digest"
        warm "$f"
        # shellcheck disable=SC2086
        measure big-dump "$ZKDD" dump --json $flag "$f"; DW=$WALL; DR=$RSS; DRC=$RC
        # shellcheck disable=SC2086
        measure big-verify "$ZKDD" verify --no-digest $flag "$f"; VW=$WALL; VR=$RSS; VRC=$RC
        row "big snapshot $what ($(mib "$(stat -c %s "$f")") MiB on disk, $BIG_MIB MiB raw): dump --json / verify --no-digest" \
            "${DW} s, $((DR / 1024)) MiB (exit $DRC) / ${VW} s, $((VR / 1024)) MiB (exit $VRC)" "—" "—" "flat, < 100 MiB" \
            "$(verdict "$(awk -v a="$DR" -v b="$VR" -v c="$DRC$VRC" 'BEGIN{print (a < 100 * 1024 && b < 100 * 1024 && c == "00") ? 1 : 0}')" 1)"
    done
    if [[ -n ${ZKDD_BENCH_BIG_FORMATTER:-} ]]; then
        log "SnapshotFormatter -d of the big .gz snapshot"
        measure big-sf "${JTOOL[@]}" -Xmx16g org.apache.zookeeper.server.SnapshotFormatter -d "$BIG_SNAP_GZ"; B=$WALL; BR=$RSS
        row "SnapshotFormatter -d of the big .gz snapshot" "—" "${B} s, $((BR / 1024)) MiB (exit $RC)" "—" "—" "—"
    fi
    RUNS=$RUNS_SAVED
fi

if section report; then
    if built report; then
        # One HTML page of the whole data dir: verify (with digests), a pass over every
        # log, the purge plan and the newest snapshot's space. The page must stay small.
        log "report: one HTML page of the whole data dir"
        warm "$DATA"/version-2/*
        measure zkdd-report "$ZKDD" report "$DATA" -o "$TMP/report.html"; Z=$WALL; ZR=$RSS; ZRC=$RC
        PAGE=$(stat -c %s "$TMP/report.html")
        row "report data dir → one HTML page ($((PAGE >> 10)) KiB)" "${Z} s, $((ZR / 1024)) MiB (exit $ZRC)" "—" "—" \
            "≤ 10 s, page < 1 MiB" "$(awk -v t="$Z" -v p="$PAGE" 'BEGIN { print (t <= 10 && p < 1048576 ? "met" : "**missed**") }')"
    else
        log "report: skipped, zkdd report is not built yet"
        row "report data dir → one HTML page" "skipped: zkdd report not built yet" "" "" "≤ 10 s, page < 1 MiB" "—"
    fi
fi

echo
WHICH="zkdd $(cd "$REPO" && git describe --always --dirty 2>/dev/null || echo '?')"
[[ -n ${ZKDD_BENCH_ZKDD:-} ]] && WHICH="$ZKDD_BENCH_ZKDD (scripts at ${WHICH#zkdd })"
echo "$WHICH, $(date -u +%F), $(nproc) cores, median of $RUNS runs, load avg $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| benchmark | zkdd (wall, peak RSS) | ZooKeeper | speed-up | target | |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
