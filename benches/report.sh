#!/usr/bin/env bash
# zkdd report on a big data dir (issue 19): wall time and peak RSS of writing the page, and
# the page's size, which must stay bounded however big the dir is.
#
# Usage: benches/report.sh [DATADIR]
#   DATADIR defaults to a synthetic dir made by examples/gen_big in a temporary directory
#   (1M-node snapshot + 1 GiB log, as benches/replay.sh uses; ~1.3 GB of scratch space).
# Knobs: ZKDD_BENCH_RUNS (default 3; the median wall time is reported, peak RSS is the max).
# Needs GNU time (/usr/bin/time). Reads the inputs once first so every run is from the page cache.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${ZKDD_BENCH_RUNS:-3}
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time (GNU time) is required: apt-get install time" >&2; exit 2; }
cargo build --release --quiet --bin zkdd --example gen_big
ZKDD=${CARGO_TARGET_DIR:-target}/release/zkdd
W=$(mktemp -d /tmp/zkdd-report-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
if [[ $# -ge 1 ]]; then
    D=$1
else
    "${CARGO_TARGET_DIR:-target}"/release/examples/gen_big "$W/data" 1000000 1024
    D=$W/data
fi
cat "$D"/version-2/* >/dev/null
# run LABEL ARGS... : RUNS runs of zkdd report; prints median wall, max RSS, exit code, page size
run() {
    local label=$1 i w r rc walls=() rss=0; shift
    for ((i = 0; i < RUNS; i++)); do
        rc=0
        /usr/bin/time -f '%e %M' -o "$W/time" "$ZKDD" report "$D" -o "$W/report.html" "$@" >/dev/null 2>"$W/err" || rc=$?
        read -r w r < <(tail -n 1 "$W/time")
        walls+=("$w")
        ((r > rss)) && rss=$r
    done
    w=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    printf '| %s | %s s | %s MiB | %s KiB | %s |\n' "$label" "$w" "$((rss / 1024))" "$(($(stat -c %s "$W/report.html") >> 10))" "$rc"
}
echo "zkdd $(git describe --always --dirty 2>/dev/null || echo '?'), $(date -u +%F), $(nproc) cores, median of $RUNS runs, load avg $(cut -d' ' -f1-3 /proc/loadavg)"
echo "input: $D ($(du -sh "$D/version-2" | cut -f1))"
echo
echo "| zkdd report | wall | peak RSS | page | exit |"
echo "|---|---|---|---|---|"
run "with digests (verify replays the tree)"
run "--no-digest" --no-digest
