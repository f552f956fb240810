#!/usr/bin/env bash
# Regenerate every fixture under testdata/zk-3.8 with a real ZooKeeper 3.8.0 (Debian package).
# usage: testdata/generate/generate-all.sh [scenario...]   (default: all, in this order)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
SCENARIOS=("$@")
[[ ${#SCENARIOS[@]} -gt 0 ]] || SCENARIOS=(standalone crash nodigest gz snappy ensemble)
source ./lib.sh
ensure_deps
mkdir -p "$OUT_ROOT"
for s in "${SCENARIOS[@]}"; do
    log "=== scenario $s"
    ./"$s".sh
done
zk_version > "$OUT_ROOT/VERSION.txt"
$PY ./summarize.py "$OUT_ROOT"
log "all done: $(du -sh "$OUT_ROOT" | cut -f1)"
