#!/usr/bin/env bash
# Build KenLM's lmplz (modified Kneser-Ney estimator) and build_binary into BINDIR.
#
# Usage: scripts/build_kenlm_tools.sh BINDIR
# The source is the kenlm sdist from PyPI (the same release as the Python query module);
# lmplz needs Boost, zlib and cmake from Debian, which are apt-installed when missing.
# Idempotent: does nothing when both tools are already in BINDIR.
set -euo pipefail

log() { echo "build_kenlm_tools: $*" >&2; }

if [ $# -ne 1 ]; then
    echo "usage: $0 BINDIR" >&2
    exit 2
fi
mkdir -p "$1"
BINDIR=$(cd "$1" && pwd)
if [ -x "$BINDIR/lmplz" ] && [ -x "$BINDIR/build_binary" ]; then
    log "lmplz and build_binary already in $BINDIR; nothing to do"
    exit 0
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PIP=${PIP:-}
if [ -z "$PIP" ]; then
    if [ -x "$BINDIR/pip" ]; then PIP="$BINDIR/pip"
    elif [ -x "$ROOT/.venv/bin/pip" ]; then PIP="$ROOT/.venv/bin/pip"
    else PIP="python3 -m pip"; fi
fi
KENLM_VERSION=${KENLM_VERSION:-0.3.0}

# Debian packages lmplz needs (boost test is only named because kenlm's CMakeLists requires it).
DEBS="cmake g++ make zlib1g-dev libbz2-dev liblzma-dev libboost-program-options-dev libboost-system-dev libboost-thread-dev libboost-test-dev"
missing=""
for p in $DEBS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    log "apt-get install:$missing"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >&2
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
log "fetching kenlm==$KENLM_VERSION sdist with $PIP"
# --no-build-isolation: pip must not compile the sdist's build requirements (cmake) just to download it;
# it then prepares the sdist's metadata with this environment's setuptools and wheel, so make sure of them.
$PIP install --quiet "setuptools>=61" wheel >&2
$PIP download --quiet --no-deps --no-build-isolation --no-binary :all: "kenlm==$KENLM_VERSION" -d "$WORK" >&2
tar xzf "$WORK"/kenlm-*.tar.gz -C "$WORK"
SRC=$(echo "$WORK"/kenlm-*/)

JOBS=$(nproc 2>/dev/null || echo 2)
log "compiling lmplz and build_binary with $JOBS jobs (a few minutes)"
cmake -S "$SRC" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DKENLM_MAX_ORDER=6 >"$WORK/cmake.log" 2>&1 \
    || { cat "$WORK/cmake.log" >&2; exit 1; }
cmake --build "$WORK/build" --target lmplz build_binary -j "$JOBS" >"$WORK/make.log" 2>&1 \
    || { tail -50 "$WORK/make.log" >&2; exit 1; }
install -m 755 "$WORK/build/bin/lmplz" "$WORK/build/bin/build_binary" "$BINDIR/"
log "installed $BINDIR/lmplz and $BINDIR/build_binary"
