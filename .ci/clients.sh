#!/usr/bin/env bash
# Real clients against a real `braid`: the MCP Inspector CLI (stdio and streamable HTTP), the
# official Python MCP SDK (tests/clients/mcp_client.py) and schemathesis (property-based tests
# of /openapi.json: no 5xx, responses conform to the documented schemas and statuses).
# Needs target/debug/braid (cargo build). Installs its tools locally: npm into .ci/node,
# pip into target/ci-venv. Stops everything it started; exits non-zero on any failure.
set -euo pipefail
passed=0
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/braid"
VENV="${CARGO_TARGET_DIR:-$ROOT/target}/ci-venv"
ATLAS="$ROOT/examples/data/atlas"

say() { echo; echo "--> $*"; }
[ -x "$BIN" ] || { echo "no $BIN: run cargo build first"; exit 1; }

SERVER_PID=""
WORK=$(mktemp -d /tmp/braid-clients-XXXXXX)
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

say "installing the MCP Inspector (npm) and mcp + schemathesis (pip)"
npm install --prefix .ci/node --no-audit --no-fund --loglevel=error @modelcontextprotocol/inspector@0.15 >/dev/null
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check mcp schemathesis
inspector() { npx --prefix .ci/node mcp-inspector "$@"; }

say "MCP Inspector CLI over stdio: tools/list and tools/call"
"$BIN" ingest --data "$WORK/data" "$ATLAS" >/dev/null 2>"$WORK/ingest.log" || { cat "$WORK/ingest.log"; exit 1; }
out=$(inspector --cli "$BIN" mcp --data "$WORK/data" --method tools/list)
for t in knowledge_query graph_neighbors graph_path vector_search web_search add_document add_entity add_relation; do
  grep -q "\"$t\"" <<<"$out" || { echo "stdio tools/list lacks $t"; echo "$out" | head -50; exit 1; }
done
out=$(inspector --cli "$BIN" mcp --data "$WORK/data" --method tools/call --tool-name graph_neighbors \
  --tool-arg id=country:KEN --tool-arg relation=borders)
grep -q "Ethiopia" <<<"$out" || { echo "stdio graph_neighbors lacks Ethiopia"; echo "$out" | head -50; exit 1; }
echo "stdio ok"
passed=$((passed + 1))

say "starting braid demo (no key: Inspector 0.15 cannot send headers; /mcp auth is covered by the e2e tests)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
"$BIN" demo --addr "127.0.0.1:$PORT" --data "$WORK/data" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break; sleep 1; done
curl -fsS "$BASE/healthz" >/dev/null || { echo "braid demo did not come up"; cat "$WORK/server.log"; exit 1; }

say "MCP Inspector CLI over streamable HTTP: knowledge_query"
out=$(inspector --cli "$BASE/mcp" --transport http \
  --method tools/call --tool-name knowledge_query --tool-arg query="Which countries border Kenya?")
for c in Ethiopia Somalia "South Sudan" Tanzania Uganda; do
  grep -q "$c" <<<"$out" || { echo "http knowledge_query lacks $c"; echo "$out" | head -50; exit 1; }
done
echo "http ok"
passed=$((passed + 1))

say "Python MCP SDK over streamable HTTP"
"$VENV/bin/python" tests/clients/mcp_client.py "$BASE/mcp"
passed=$((passed + 1))

say "schemathesis against /openapi.json"
schemathesis_run() {
  "$VENV/bin/schemathesis" run "$BASE/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples 20 --workers 2 --request-timeout 30 --seed 7 \
    --suppress-health-check all --warnings off 2>&1 | tee "$1"
}
st_log=$(mktemp)
if ! schemathesis_run "$st_log"; then
  # A check that failed against Braid is a FAILURES section: that fails the suite. A crash
  # inside schemathesis/Hypothesis while generating cases (seen once: CPython 3.11's "AST
  # constructor recursion depth mismatch" on the recursive `props` schema) is reported as a
  # Runtime Error and says nothing about Braid, so it gets one more run.
  if grep -q "= FAILURES =" "$st_log" || ! grep -q "Runtime Error" "$st_log"; then
    exit 1
  fi
  echo "schemathesis crashed internally (Runtime Error, no failed check): running it once more"
  schemathesis_run "$st_log"
fi
passed=$((passed + 1))

say "clients hold"
# Each step above exits on failure, so reaching here means all of them passed.
echo "clients: $passed passed, 0 failed"
