#!/usr/bin/env bash
# Soak test of issue 9 (not CI): `braid demo` on a fresh copy of the atlas, then
# bench/scripts/soak.py for SECONDS (default 600) at a steady QPS (default 40) of mixed
# reads (80 %, POST /v1/query) and writes (20 %, POST /v1/documents upserting a fixed pool
# of 500 ids), sampling the server's resident set every 10 s. Prints Markdown (kept in
# target/bench-data/soak/soak.md) and fails if any 5xx was answered.
#
#   bench/soak.sh
#   SECONDS_TOTAL=120 QPS=20 bench/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target-release}
OUT=$ROOT/target/bench-data/soak
SECONDS_TOTAL=${SECONDS_TOTAL:-600}
QPS=${QPS:-40}
WARMUP=${WARMUP:-120}
mkdir -p "$OUT"
if [ "${SKIP_BUILD:-0}" != 1 ]; then cargo build --release -p braid >&2; fi
BIN=${BRAID_BIN:-$CARGO_TARGET_DIR/release/braid}
rm -rf "$OUT/data"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BRAID_LOG=warn "$BIN" demo --addr "127.0.0.1:$PORT" --data "$OUT/data" >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done
{
echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'):" \
     "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(free -h | awk '/^Mem:/ {print $2}') RAM;" \
     "load average before $(cut -d' ' -f1-3 /proc/loadavg)."
echo
python3 bench/scripts/soak.py --url "http://127.0.0.1:$PORT" --pid "$SERVER" --seconds "$SECONDS_TOTAL" \
    --qps "$QPS" --warmup "$WARMUP" --json "$OUT/soak.json"
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg). Server log lines at warn or above: $(grep -c . "$OUT/server.log" || true)."
} | tee "$OUT/soak.md"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(1 if s["5xx"] else 0)' "$OUT/soak.json"
