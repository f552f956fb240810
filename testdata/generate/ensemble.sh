#!/usr/bin/env bash
# Scenario `ensemble`: 3 QuorumPeerMain members on 127.0.0.1. Workload (epoch 1), stop the
# leader, new leader elected (epoch 2, log.2000000xx), workload, restart the old leader
# (rejoins as follower), workload, stop all.  Output: testdata/zk-3.8/ensemble/member{1,2,3}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_deps
setup_work
NAME=ensemble
OUT=$OUT_ROOT/$NAME
declare -A CPORT PID
SERVERS=()
for id in 1 2 3; do
    CPORT[$id]=$(free_port)
    SERVERS+=("server.$id=127.0.0.1:$(free_port):$(free_port)")
done
PROPS=(-Dzookeeper.extendedTypesEnabled=true -Dznode.container.checkIntervalMs=1000)
for id in 1 2 3; do
    mkdir -p "$WORK/m$id/data"
    echo "$id" > "$WORK/m$id/data/myid"
    write_cfg "$WORK/m$id/zoo.cfg" "$WORK/m$id/data" "${CPORT[$id]}" 40 "${SERVERS[@]}"
done
start_member() { start_quorum "$WORK/m$1/zoo.cfg" "$WORK/m$1/server.log" "${PROPS[@]}"; PID[$1]=$SERVER_PID; }
hosts_of() { local h="" id; for id in "$@"; do h+="${h:+,}127.0.0.1:${CPORT[$id]}"; done; echo "$h"; }
leader_of() { local id; for id in "$@"; do [[ $(fourlw "${CPORT[$id]}" srvr) == *"Mode: leader"* ]] && { echo "$id"; return; }; done; echo ""; }
wait_leader() { local i l; for ((i = 0; i < 300; i++)); do l=$(leader_of "$@"); [[ -n $l ]] && { echo "$l"; return; }; sleep 0.2; done; echo "no leader" >&2; return 1; }

for id in 1 2 3; do start_member $id; done
for id in 1 2 3; do log "member $id: $(wait_mode "${CPORT[$id]}" 120)"; done
L1=$(wait_leader 1 2 3)
log "epoch-1 leader: member $L1"
$PY "$GEN_DIR/wl_ensemble.py" "$(hosts_of 1 2 3)" 1
REST=(); for id in 1 2 3; do [[ $id == "$L1" ]] || REST+=("$id"); done
stop_server "${PID[$L1]}"
L2=$(wait_leader "${REST[@]}")
for id in "${REST[@]}"; do log "member $id: $(wait_mode "${CPORT[$id]}" 120)"; done
log "new leader after stopping member $L1: member $L2"
$PY "$GEN_DIR/wl_ensemble.py" "$(hosts_of "${REST[@]}")" 2
start_member "$L1"
log "old leader $L1 rejoined as: $(wait_mode "${CPORT[$L1]}" 120)"
$PY "$GEN_DIR/wl_ensemble.py" "$(hosts_of "$L1" "${REST[@]}")" 3
sleep 1
for id in 1 2 3; do stop_server "${PID[$id]}"; done

rm -rf "$OUT"; mkdir -p "$OUT"
for id in 1 2 3; do
    copy_datadir "$WORK/m$id/data" "$OUT/member$id/data"
    mkdir -p "$OUT/member$id/expected"
    run_tools "$OUT/member$id/data/version-2" "$OUT/member$id/expected"
    restore_json "$OUT/member$id/data" "$OUT/member$id/expected/restore.jsonl"
done
restore_points "$OUT/member1/data" "$OUT/member1/expected"
printf 'epoch-1 leader: member %s\nepoch-2 leader: member %s\nmember %s was stopped and rejoined as a follower\n' "$L1" "$L2" "$L1" > "$OUT/roles.txt"
log "$NAME done: $(du -sh "$OUT" | cut -f1)"
