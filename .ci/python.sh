#!/usr/bin/env bash
# The Python client (clients/python) against live Braid servers.
#
# Installs the package with both framework extras (langchain-core, llama-index-core, from PyPI)
# and pytest into a venv in target/python-venv (reused when present; kept apart from ci-venv,
# whose schemathesis and mcp pins are none of the client's business), type-checks it with mypy,
# starts two `braid demo`s on free loopback ports in fresh temp data dirs -- one open, one with a
# write key, a read key and BRAID_RATE_LIMIT for the auth and retry-on-429 tests -- runs the
# pytest suite in clients/python/tests, and stops both servers. Needs target/debug/braid.
# Prints "python: N passed, M failed"; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BRAID="$CARGO_TARGET_DIR/debug/braid"
VENV="$CARGO_TARGET_DIR/python-venv"
PKG="$ROOT/clients/python"
RATE=60   # requests per minute on the limited server: a burst of 60, then Retry-After: 1
MYPY=mypy==2.4.1

[ -x "$BRAID" ] || { echo "no $BRAID: run cargo build -p braid first"; exit 1; }

WORK=$(mktemp -d /tmp/braid-python-XXXXXX)
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
started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started ))s"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { # URL LOG PID
  for _ in $(seq 1 300); do
    curl -fsS "$1/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$3" 2>/dev/null || break
    sleep 1
  done
  echo "braid at $1 did not come up; log:"; cat "$2"; return 1
}

echo "--- servers"
# Started first: they load the atlas while pip works.
demo_port=$(free_port)
env -u BRAID_API_KEY -u BRAID_READ_KEY -u BRAID_RATE_LIMIT \
  "$BRAID" demo --addr "127.0.0.1:$demo_port" --data "$WORK/demo" >"$WORK/demo.log" 2>&1 &
demo_pid=$!; PIDS+=("$demo_pid")
limited_port=$(free_port)
while [ "$limited_port" = "$demo_port" ]; do limited_port=$(free_port); done
write_key=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
read_key=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
BRAID_API_KEY=$write_key BRAID_READ_KEY=$read_key BRAID_RATE_LIMIT=$RATE \
  "$BRAID" demo --addr "127.0.0.1:$limited_port" --data "$WORK/limited" >"$WORK/limited.log" 2>&1 &
limited_pid=$!; PIDS+=("$limited_pid")

echo "--- python venv ($VENV)"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# The package is reinstalled every run (it is built from the work tree); its dependencies
# only when missing or out of range.
"$VENV/bin/pip" install -q --disable-pip-version-check "$PKG[langchain,llamaindex,test]" "$MYPY"
"$VENV/bin/pip" list --disable-pip-version-check 2>/dev/null \
  | grep -iE '^(braid-client|httpx|pydantic|langchain-core|llama-index-core|pytest|mypy) ' | tr -s ' ' | paste -sd ',' -
echo "installed ($(elapsed))"

checks_passed=0; checks_failed=0
echo "--- mypy --strict"
if (cd "$PKG" && "$VENV/bin/mypy" --cache-dir "$CARGO_TARGET_DIR/mypy-cache" src/braid_client); then
  checks_passed=1
else
  checks_failed=1
fi
echo "mypy done ($(elapsed))"

export BRAID_URL="http://127.0.0.1:$demo_port"
export BRAID_LIMITED_URL="http://127.0.0.1:$limited_port"
export BRAID_LIMITED_WRITE_KEY=$write_key BRAID_LIMITED_READ_KEY=$read_key BRAID_LIMITED_RATE=$RATE
wait_up "$BRAID_URL" "$WORK/demo.log" "$demo_pid"
wait_up "$BRAID_LIMITED_URL" "$WORK/limited.log" "$limited_pid"
echo "demo on $BRAID_URL, rate-limited keyed demo on $BRAID_LIMITED_URL ($(elapsed))"

echo "--- pytest"
set +e
(cd "$PKG" && PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" -m pytest -p no:cacheprovider -q tests) 2>&1 \
  | tee "$WORK/pytest.log"
rc=${PIPESTATUS[0]}
set -e
last=$(grep -E '[0-9]+ (passed|failed|errors?)' "$WORK/pytest.log" | tail -1 || true)
passed=$({ grep -Eo '[0-9]+ passed' <<<"$last" || echo 0; } | awk '{print $1+0}')
failed=$({ grep -Eo '[0-9]+ failed' <<<"$last" || echo 0; } | awk '{print $1+0}')
errors=$({ grep -Eo '[0-9]+ errors?' <<<"$last" || echo 0; } | awk '{print $1+0}')
failed=$((failed + errors))
# pytest failing without a count (exit 5: no tests ran; a crash) is one failure.
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

echo "suite took $(elapsed)"
echo "python: $((passed + checks_passed)) passed, $((failed + checks_failed)) failed"
[ "$rc" -eq 0 ] && [ "$checks_failed" -eq 0 ]
