#!/usr/bin/env bash
# Scenario `nodigest`: moderate workload (wl_basic.py), one restart; server props: -Dzookeeper.digest.enabled=false
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_deps
setup_work
run_basic_scenario nodigest 40 0 -Dzookeeper.digest.enabled=false
