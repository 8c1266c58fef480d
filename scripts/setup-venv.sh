#!/usr/bin/env bash
# Creates .venv (if missing) with the pinned dev tools, and builds + installs usegolib into it.
# Needs: python3 (>= 3.11) with venv, Rust (cargo), Go, a C compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
for tool in "$PY" cargo go cc; do
  command -v "$tool" >/dev/null || { echo "setup: $tool not found: install it first (see README)" >&2; exit 1; }
done
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r scripts/dev-requirements.txt
# Build the abi3 extension (release) and install the package in the venv, editable, so that
# python/usegolib changes apply without a rebuild.
.venv/bin/maturin develop --release -q
# The prebuilt usegolib-build tool for this Go, as a platform wheel ships it (docs/adr/0028):
# a first build then copies it instead of compiling it. Rebuilt when the Go sources or Go change.
.venv/bin/python -c "import sys; from usegolib import _native; _native.bundle_tool(sys.argv[1])" python/usegolib/_bin
.venv/bin/python -c "import usegolib; print('usegolib', usegolib.__version__, 'installed in .venv')"
