#!/usr/bin/env bash
# The Milvus backend (issue 10) against Milvus Lite 3.2.2 on loopback:
#   - a virtual environment in target/ci-venv (reused) with milvus-lite==3.2.2 and pymilvus from PyPI,
#   - `milvus-lite server --data-dir D --host 127.0.0.1 --port P` on a free port, in a temp dir,
#   - the backend's tests (cargo test -p braid-vector --features milvus milvus) and the end-to-end
#     tests of `braid demo` on Milvus (cargo test -p braid --features milvus --test e2e milvus),
#   - the server is stopped with SIGTERM on exit, whatever happened.
# Prints `milvus: N passed, M failed` and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TERM_COLOR=never
VENV="$CARGO_TARGET_DIR/ci-venv"

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("milvus-lite") != "3.2.2")' 2>/dev/null \
  || ! "$VENV/bin/python" -c 'import pymilvus' 2>/dev/null; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "milvus-lite==3.2.2" pymilvus
fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATA=$(mktemp -d /tmp/braid-milvus-XXXXXX)
LOG="$DATA.log"
"$VENV/bin/milvus-lite" server --data-dir "$DATA" --host 127.0.0.1 --port "$PORT" >"$LOG" 2>&1 &
MILVUS_PID=$!
stop_milvus() {
  if kill -0 "$MILVUS_PID" 2>/dev/null; then
    kill -TERM "$MILVUS_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$MILVUS_PID" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -rf "$DATA"
}
trap stop_milvus EXIT

export BRAID_MILVUS_URI="http://127.0.0.1:$PORT"
# The tests fail (rather than skip) when the server is missing.
export CI="${CI:-1}"
ready=0
for _ in $(seq 1 120); do
  if ! kill -0 "$MILVUS_PID" 2>/dev/null; then
    echo "milvus-lite exited early; log:"; cat "$LOG"; exit 1
  fi
  if "$VENV/bin/python" - "$BRAID_MILVUS_URI" <<'EOF' >/dev/null 2>&1
import sys
from pymilvus import MilvusClient
MilvusClient(uri=sys.argv[1], timeout=2).list_collections()
EOF
  then ready=1; break; fi
  sleep 0.5
done
if [ "$ready" != 1 ]; then echo "milvus-lite did not answer on $BRAID_MILVUS_URI; log:"; cat "$LOG"; exit 1; fi
echo "milvus-lite 3.2.2 answering on $BRAID_MILVUS_URI (data $DATA)"

OUT="$CARGO_TARGET_DIR/milvus-test-output.txt"
set +e
{
  # Only the Milvus tests (braid-vector's unit tests in milvus.rs and tests/milvus/, Braid's
  # e2e milvus module): the other suites run in .ci/run. One cargo call for both packages,
  # so their dependencies are resolved and compiled with the milvus features once.
  cargo test -p braid-vector -p braid --features braid-vector/milvus,braid/milvus --lib --tests milvus 2>&1
  echo "rc=$?"
} | tee "$OUT"
set -e
passed=$({ grep -Eo '[0-9]+ passed' "$OUT" || true; } | awk '{s+=$1} END {print s+0}')
failed=$({ grep -Eo '[0-9]+ failed' "$OUT" || true; } | awk '{s+=$1} END {print s+0}')
bad_rc=$(grep -c '^rc=[1-9]' "$OUT" || true)
echo "milvus: $passed passed, $failed failed"
if [ "$failed" -gt 0 ] || [ "$bad_rc" -gt 0 ]; then exit 1; fi
