#!/usr/bin/env bash
# Cheap CI check for the benchmark suite: the scripts parse and the Java harnesses
# compile against the installed ZooKeeper jars. Runs no benchmark.
set -euo pipefail
cd "$(dirname "$0")"
for f in *.sh; do bash -n "$f"; done
if [[ -f /usr/share/java/zookeeper.jar ]] && command -v javac >/dev/null; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    javac -nowarn -cp /usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar -d "$out" gen/*.java ./*.java
    echo "benches: scripts parse, Java harnesses compile"
else
    echo "benches: scripts parse (no ZooKeeper jars or javac: Java not checked)"
fi
