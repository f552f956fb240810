#!/usr/bin/env bash
# Scenario `standalone`: rich workload (every txn type), digest on (default),
# extended types (TTL) on, 2 restarts.  Output: testdata/zk-3.8/standalone
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_deps
setup_work
NAME=standalone
OUT=$OUT_ROOT/$NAME
DD=$WORK/$NAME/data
mkdir -p "$DD"
PORT=$(free_port)
CFG=$WORK/$NAME/zoo.cfg
write_cfg "$CFG" "$DD" "$PORT" 50
PROPS=(-Dzookeeper.extendedTypesEnabled=true -Dznode.container.checkIntervalMs=1000)
SLOG=$WORK/$NAME/server.log

for phase in 1 2 3; do
    start_standalone "$CFG" "$SLOG" "${PROPS[@]}"
    log "mode: $(wait_mode "$PORT")"
    $PY "$GEN_DIR/wl_standalone.py" "$PORT" "$phase"
    sleep 1
    stop_server "$SERVER_PID"
done

finish_scenario "$DD" "$OUT"
log "$NAME done: $(du -sh "$OUT" | cut -f1)"
