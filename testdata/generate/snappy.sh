#!/usr/bin/env bash
# Scenario `snappy`: moderate workload (wl_basic.py), one restart; server props: -Dzookeeper.snapshot.compression.method=snappy
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_deps
setup_work
run_basic_scenario snappy 40 2 -Dzookeeper.snapshot.compression.method=snappy
