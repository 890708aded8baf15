#!/usr/bin/env bash
# Re-executes the notebooks in examples/notebooks headless against live Braid servers and
# fails on any cell error.
#
#   .ci/notebooks.sh            execute into a temp folder (the committed notebooks are untouched)
#   .ci/notebooks.sh --write    execute in place: refreshes the committed outputs
#
# Sets up a venv in target/ci-venv (reused when present) with the braid_client package from
# clients/python, uses target/debug/braid (built if missing), starts `braid demo` and a
# Cranfield server on free loopback ports in fresh temp data dirs, and stops both on exit. Prints "notebooks: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BRAID="$CARGO_TARGET_DIR/debug/braid"
NB_DIR="$ROOT/examples/notebooks"
VENV="$CARGO_TARGET_DIR/ci-venv"

WRITE=0
[ "${1:-}" = "--write" ] && WRITE=1

WORK=$(mktemp -d /tmp/braid-notebooks-XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "--- python venv ($VENV)"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import matplotlib, numpy, nbclient, nbconvert, ipykernel' 2>/dev/null; then
  "$VENV/bin/pip" install -q --disable-pip-version-check matplotlib numpy nbclient nbconvert ipykernel
fi
# The notebooks use the Python client package (clients/python), reinstalled from the work tree.
"$VENV/bin/pip" install -q --disable-pip-version-check "$ROOT/clients/python"
export PATH="$VENV/bin:$PATH"
# Prefer the venv's kernels over any user-level ones, and register python3 there if needed.
export JUPYTER_PATH="$VENV/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
if [ ! -f "$VENV/share/jupyter/kernels/python3/kernel.json" ]; then
  python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
fi
export MPLBACKEND=Agg MPLCONFIGDIR="$WORK/mpl"

echo "--- braid binary"
if [ ! -x "$BRAID" ]; then
  cargo build -p braid
fi

free_port() { python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { # URL LOG PID
  for _ in $(seq 1 300); do
    curl -fsS "$1/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$3" 2>/dev/null || break
    sleep 1
  done
  echo "braid at $1 did not come up; log:"; cat "$2"; return 1
}

echo "--- servers"
demo_port=$(free_port)
"$BRAID" demo --addr "127.0.0.1:$demo_port" --data "$WORK/demo" >"$WORK/demo.log" 2>&1 &
demo_pid=$!; PIDS+=("$demo_pid")

python "$NB_DIR/make_cranfield_jsonl.py" "$WORK/cranfield.jsonl"
"$BRAID" ingest --data "$WORK/cran" "$WORK/cranfield.jsonl" 2>&1 | tail -1
cran_port=$(free_port)
while [ "$cran_port" = "$demo_port" ]; do cran_port=$(free_port); done
"$BRAID" serve --addr "127.0.0.1:$cran_port" --data "$WORK/cran" >"$WORK/cran.log" 2>&1 &
cran_pid=$!; PIDS+=("$cran_pid")

export BRAID_URL="http://127.0.0.1:$demo_port"
export BRAID_CRANFIELD_URL="http://127.0.0.1:$cran_port"
wait_up "$BRAID_CRANFIELD_URL" "$WORK/cran.log" "$cran_pid"
wait_up "$BRAID_URL" "$WORK/demo.log" "$demo_pid"
echo "demo on $BRAID_URL, cranfield on $BRAID_CRANFIELD_URL"

echo "--- notebooks"
passed=0; failed=0
mkdir -p "$WORK/out"
for nb in "$NB_DIR"/[0-9][0-9]_*.ipynb; do
  name=$(basename "$nb")
  if [ "$WRITE" = 1 ]; then
    args=(--inplace); result="$nb"
  else
    args=(--output-dir "$WORK/out"); result="$WORK/out/$name"
  fi
  start=$(date +%s)
  if (cd "$NB_DIR" && jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 \
        "${args[@]}" "$nb" >"$WORK/$name.log" 2>&1) \
     && python - "$result" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1], encoding="utf-8"))
outs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
errors = [o for o in outs if o.get("output_type") == "error"]
images = sum(1 for o in outs if {"image/png", "image/svg+xml"} & set(o.get("data", {})))
print(f"    {len(outs)} outputs, {images} images, {len(errors)} errors")
sys.exit(1 if errors else 0)
PY
  then
    echo "ok   $name ($(( $(date +%s) - start ))s)"; passed=$((passed + 1))
  else
    echo "FAIL $name ($(( $(date +%s) - start ))s)"; tail -40 "$WORK/$name.log"; failed=$((failed + 1))
  fi
done

echo "notebooks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
