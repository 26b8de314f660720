#!/usr/bin/env bash
# Set up unspin on a fresh Debian machine: system packages, .venv, data tools; then run it or its tests.
#   ./install.sh          install everything and restore the built-in spun example
#   ./install.sh --test   also install the test needs and run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"
MODE=${1:-run}

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# Thesauri (lexicon rebuilds and the benchmark's spinners) and the compilers for KenLM's tools.
DEBS="wordnet-base mythes-en-us libaiksaurus-1.2-data build-essential cmake zlib1g-dev libbz2-dev liblzma-dev
      libboost-program-options-dev libboost-system-dev libboost-thread-dev libboost-test-dev"
# The service's browser tests drive Debian's Chromium (Playwright's own browser download is not used).
[ "$MODE" = "--test" ] && DEBS="$DEBS chromium"
missing=$(for p in $DEBS; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"; done)
if [ -n "$missing" ]; then
  echo "install.sh: apt-get install $missing" >&2
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

PY=${PYTHON:-python3}
"$PY" -c 'import sys; assert sys.version_info >= (3, 11), "unspin needs Python 3.11+"'
[ -x .venv/bin/python ] || "$PY" -m venv .venv
export PIP_DISABLE_PIP_VERSION_CHECK=1
if [ "$MODE" = "--test" ]; then
  # The benchmark's BERT-cost baseline: torch pinned to the CPU build this machine kind carries on disk
  # (an unpinned torch would pull a multi-GB CUDA build).
  .venv/bin/pip install -q 'torch==2.13.0' 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/pip install -q -e '.[test,bert,trace,corpus,datatrove,ray,serve]' 2>&1 | grep -v "^WARNING: Location" || true
else
  .venv/bin/pip install -q -e '.[trace,corpus,serve]' 2>&1 | grep -v "^WARNING: Location" || true
fi
.venv/bin/python -c 'import unspin, kenlm' || { echo "install.sh: pip install failed" >&2; exit 1; }

# KenLM's estimator and binariser, for `unspin lm build` (compiled once from the kenlm source on PyPI).
bash scripts/build_kenlm_tools.sh .venv/bin

if [ "$MODE" = "--test" ]; then
  .venv/bin/ruff check src tests scripts
  .venv/bin/mypy src
  exec .venv/bin/python -m pytest -q
fi
.venv/bin/unspin restore example
