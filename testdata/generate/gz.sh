#!/usr/bin/env bash
# Scenario `gz`: moderate workload (wl_basic.py), one restart; server props: -Dzookeeper.snapshot.compression.method=gz
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_deps
setup_work
run_basic_scenario gz 40 0 -Dzookeeper.snapshot.compression.method=gz
