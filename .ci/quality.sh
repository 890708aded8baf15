#!/usr/bin/env bash
# Quality gates (issue 21): measured figures with floors, one PASS/FAIL line per gate, exit
# non-zero on any FAIL. Run by .ci/run after the test suite, on the debug binary it built:
#
#   .ci/quality.sh                      # every gate (about 3 minutes on 2 cores)
#   BRAID_BIN=path/to/braid .ci/quality.sh
#
# Gates (floors and the figures they were set from: .ci/quality.py):
# 1. routing accuracy (all queries and worst domain) and relational answer hit@5 on the test
#    splits of the seven domains of datasets/routing-suite.toml, with the shipped weights and
#    with weights fitted leaving the domain out (`braid router eval --suite`);
# 2. the gate's own proof: the same evaluation with one feature (relation_cue) dropped from the
#    shipped policy must FAIL gate 1, else this script fails;
# 3. the atlas fusion check through a live `braid demo`: on 200 relational questions, fused
#    results (both routes forced, and the router's choice) are not worse than the best single
#    route on hit@5 and nDCG@10;
# 4. Cranfield nDCG@10 through a live `braid serve` (the vector route: BM25 + dense, fused).
# Every gate uses the hashing embedder (BRAID_EMBEDDER=hash): MiniLM on Cranfield needs about
# 10 CPU-minutes of embedding in a release build, over this script's budget; QUALITY_MINILM=1
# adds it (5. below).
# 5. (QUALITY_MINILM=1 only) Cranfield nDCG@10 through a live `braid serve` with MiniLM.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BRAID="${BRAID_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/braid}"
[ -x "$BRAID" ] || { echo "quality: no braid binary at $BRAID (build it first)"; exit 1; }
export BRAID_EMBEDDER=hash
unset BRAID_ROUTER_WEIGHTS BRAID_API_KEY BRAID_WEB_PROVIDER
WORK=$(mktemp -d /tmp/braid-quality-XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

started=$(date +%s)
say() { echo "-- $* ($(( $(date +%s) - started ))s)"; }
status=0
# Runs one gate command; a failing gate marks the run failed but the others still run.
gate() {
  local rc
  set +e
  "$@" | tee -a "$WORK/gates.txt"
  rc=${PIPESTATUS[0]}
  set -e
  [ "$rc" -eq 0 ] || status=1
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts `braid ARGS... --addr` on a free port; sets URL.
start() {
  local port log=$WORK/server-$#-$RANDOM.log
  port=$(free_port)
  "$BRAID" "$@" --addr "127.0.0.1:$port" >"$log" 2>&1 &
  PIDS+=($!)
  URL="http://127.0.0.1:$port"
  for _ in $(seq 1 600); do
    curl -fsS "$URL/healthz" >/dev/null 2>&1 && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.5
  done
  echo "quality: braid $* did not come up; log:"; cat "$log"; return 1
}

SUITE=datasets/routing-suite.toml

say "routing, shipped weights"
"$BRAID" router eval --suite "$SUITE" --on test --json >"$WORK/shipped.json"
gate python3 .ci/quality.py routing "$WORK/shipped.json"

say "routing, leave one domain out"
"$BRAID" router eval --suite "$SUITE" --on test --leave-one-out --json >"$WORK/loo.json"
gate python3 .ci/quality.py routing --leave-one-out "$WORK/loo.json"

say "the routing gate without one feature (must fail)"
python3 - "$ROOT/router/weights/default.json" "$WORK/ablated.json" relation_cue <<'EOF'
import json, sys
w = json.load(open(sys.argv[1]))
i = w["features"].index(sys.argv[3])
for route in ("graph", "vector", "web"):
    w[route][i] = 0.0
w["provenance"] = f"{w.get('provenance', '')}; {sys.argv[3]} dropped by .ci/quality.sh"
json.dump(w, open(sys.argv[2], "w"))
EOF
"$BRAID" router eval --suite "$SUITE" --on test --weights "$WORK/ablated.json" --json >"$WORK/ablated-report.json"
if python3 .ci/quality.py routing --expect-fail --label "relation_cue dropped" "$WORK/ablated-report.json"; then
  echo "PASS routing gate detects a dropped feature: relation_cue removed from the policy fails it" | tee -a "$WORK/gates.txt"
else
  echo "FAIL routing gate detects a dropped feature: with relation_cue removed every routing gate still passed" \
    | tee -a "$WORK/gates.txt"
  status=1
fi

say "atlas fusion, braid demo"
start demo --data "$WORK/atlas"
gate python3 .ci/quality.py fusion --url "$URL"
kill "${PIDS[-1]}" 2>/dev/null || true

say "Cranfield, braid ingest + braid serve"
python3 examples/notebooks/make_cranfield_jsonl.py "$WORK/cranfield.jsonl" >/dev/null
"$BRAID" ingest --data "$WORK/cranfield" "$WORK/cranfield.jsonl" >/dev/null 2>"$WORK/ingest.log" \
  || { cat "$WORK/ingest.log"; exit 1; }
start serve --data "$WORK/cranfield"
gate python3 .ci/quality.py cranfield --url "$URL"
kill "${PIDS[-1]}" 2>/dev/null || true

# Opt-in (minutes of embedding): the same through MiniLM, with BRAID_MODEL_DIR set.
if [ "${QUALITY_MINILM:-0}" = 1 ]; then
  say "Cranfield with MiniLM, braid ingest + braid serve"
  [ -n "${BRAID_MODEL_DIR:-}" ] || { echo "QUALITY_MINILM=1 needs BRAID_MODEL_DIR"; exit 1; }
  BRAID_EMBEDDER=minilm "$BRAID" ingest --data "$WORK/cranfield-minilm" "$WORK/cranfield.jsonl" >/dev/null \
    2>"$WORK/ingest-minilm.log" || { cat "$WORK/ingest-minilm.log"; exit 1; }
  BRAID_EMBEDDER=minilm start serve --data "$WORK/cranfield-minilm"
  gate python3 .ci/quality.py cranfield --embedder minilm --url "$URL"
fi

say "done"
passed=$(grep -c '^PASS' "$WORK/gates.txt" || true)
failed=$(grep -c '^FAIL' "$WORK/gates.txt" || true)
echo "quality gates: $passed passed, $failed failed"
exit "$status"
