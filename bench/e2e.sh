#!/usr/bin/env bash
# End-to-end benchmark of issue 9, one run, side by side:
#   1. ingest throughput: `braid ingest` of each atlas file into a fresh data directory
#      (and WordNet through `ingest-bench` when bench/graph.sh has produced it);
#   2. library latency: `overhead-bench` times `Braid::query` for the bodies in
#      bench/e2e/bodies.jsonl on that data directory (no HTTP);
#   3. peer: bench/scripts/llamaindex_peer.py (LlamaIndex RouterRetriever +
#      EmbeddingSingleSelector over the vectors Braid uses, dumped by `embed-dump`);
#   4. HTTP: `braid demo` on a free loopback port, wrk posting each body at concurrency
#      1, 8 and 64 (bench/e2e/post.lua);
#   5. memory: `ingest-bench memory-*` (synthetic documents / relations, extrapolated).
# Prints Markdown (also kept in target/bench-data/e2e/e2e.md).
#
#   bench/e2e.sh                       # from the repository root
#   DURATION=15 ITERS=300 PEERS=0 MEMORY=0 bench/e2e.sh
#
# Needs apt-get (installs wrk), python3 with venv, cargo; PyPI on the first run (llama-index-core).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target-release}
OUT=$ROOT/target/bench-data/e2e
DATA=$OUT/atlas-data
VENV=$ROOT/target/bench-venv
DURATION=${DURATION:-12}
ITERS=${ITERS:-300}
PEERS=${PEERS:-1}
PEER_ITERS=${PEER_ITERS:-50}
MEMORY=${MEMORY:-1}
MEM_DOCS=${MEM_DOCS:-100000}
MEM_RELATIONS=${MEM_RELATIONS:-1000000}
ATLAS=$ROOT/examples/data/atlas
mkdir -p "$OUT"
log() { echo "e2e.sh: $*" >&2; }

command -v wrk >/dev/null || { log "installing wrk"; apt-get install -y -qq wrk >&2 || { apt-get update -qq && apt-get install -y -qq wrk >&2; }; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building braid and braid-bench (release, $CARGO_TARGET_DIR)"
    cargo build --release -p braid -p braid-bench >&2
fi
BIN=$CARGO_TARGET_DIR/release
machine() {
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'):" \
        "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(free -h | awk '/^Mem:/ {print $2}') RAM," \
        "$(rustc --version | cut -d' ' -f1-2), wrk $(wrk -v 2>&1 | head -n1 | awk '{print $2}')"
}

{
echo "Run $(machine); load average before the run $(cut -d' ' -f1-3 /proc/loadavg)."
echo

# 1. Ingest through the CLI, one file at a time, into a fresh data directory.
rm -rf "$DATA"
echo "### Ingest (\`braid ingest --data DIR FILE\`, one process per file, wall time including start-up)"
echo
echo "| file | records | seconds | records/s |"
echo "|---|---:|---:|---:|"
for f in entities relations documents images; do
    n=$(grep -c . "$ATLAS/$f.jsonl")
    t0=$(date +%s.%N)
    "$BIN/braid" ingest --data "$DATA" "$ATLAS/$f.jsonl" >/dev/null 2>"$OUT/ingest-$f.log"
    t1=$(date +%s.%N)
    python3 -c "import sys; n,s=int(sys.argv[1]),float(sys.argv[3])-float(sys.argv[2]); print(f'| atlas {sys.argv[4]}.jsonl | {n:,} | {s:.2f} | {n/s:,.0f} |')" "$n" "$t0" "$t1" "$f"
done
echo
echo "Library (\`ingest-bench ingest\`: \`braid::ingest::ingest_paths\` per file, no process start-up):"
echo
WN=()
# WordNet (117,659 entities, 377,592 relations from bench/graph.sh) is opt-in: WORDNET=1.
if [ "${WORDNET:-0}" = 1 ] && [ -s "$ROOT/target/bench-data/wordnet/relations.jsonl" ]; then WN=(--wordnet "$ROOT/target/bench-data/wordnet"); fi
"$BIN/ingest-bench" ingest --atlas "$ATLAS" ${WN[@]+"${WN[@]}"}
echo

# 2. Library latency on the same data directory.
echo "### Library: \`overhead-bench --data DIR --bodies bench/e2e/bodies.jsonl --iters $ITERS\`"
echo
"$BIN/overhead-bench" --data "$DATA" --bodies bench/e2e/bodies.jsonl --iters "$ITERS" --warmup 30 --json "$OUT/library.json"
echo

# 3. Peer.
if [ "$PEERS" = 1 ]; then
    if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
    if ! "$VENV/bin/python" -c 'import llama_index.core, networkx' 2>/dev/null; then
        log "installing llama-index-core and networkx into $VENV"
        "$VENV/bin/pip" install -q llama-index-core networkx >&2
    fi
    python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.loads(l)["body"]["query"])' bench/e2e/bodies.jsonl > "$OUT/texts.txt"
    "$VENV/bin/python" bench/scripts/llamaindex_peer.py --print-descriptions >> "$OUT/texts.txt"
    "$BIN/embed-dump" --data "$DATA" --atlas "$ATLAS" --texts "$OUT/texts.txt" --out "$OUT/vectors.jsonl"
    echo "### Peer: LlamaIndex (\`bench/scripts/llamaindex_peer.py\`)"
    echo
    "$VENV/bin/python" bench/scripts/llamaindex_peer.py --vectors "$OUT/vectors.jsonl" --atlas "$ATLAS" \
        --bodies bench/e2e/bodies.jsonl --library "$OUT/library.json" --iters "$PEER_ITERS" --warmup 3
    echo
fi

# 4. HTTP under wrk.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BRAID_LOG=warn "$BIN/braid" demo --addr "127.0.0.1:$PORT" --data "$DATA" >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { log "server did not start"; cat "$OUT/server.log" >&2; exit 1; }
RESULTS=$OUT/wrk.jsonl
: > "$RESULTS"
for c in 1 8 64; do
    threads=$(( c < 2 ? 1 : 2 ))
    while IFS= read -r line; do
        name=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["name"])' "$line")
        body=$(python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])["body"]))' "$line")
        log "wrk $name c=$c ${DURATION}s (load $(cut -d' ' -f1 /proc/loadavg))"
        res=$(WRK_BODY=$body wrk -t "$threads" -c "$c" -d "${DURATION}s" --timeout 10s -s bench/e2e/post.lua \
            "http://127.0.0.1:$PORT/v1/query" | tail -n1)
        echo "{\"name\":\"$name\",\"c\":$c,\"load\":\"$(cut -d' ' -f1 /proc/loadavg)\",\"wrk\":$res}" >> "$RESULTS"
    done < bench/e2e/bodies.jsonl
done
SERVER_RSS=$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)
kill $SERVER; wait $SERVER 2>/dev/null || true
trap - EXIT
echo "### HTTP: \`wrk -t {1,2} -c {1,8,64} -d ${DURATION}s -s bench/e2e/post.lua http://127.0.0.1:PORT/v1/query\` against \`braid demo\`"
echo
python3 - "$RESULTS" "$OUT/library.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
lib = json.load(open(sys.argv[2]))
print("| class | concurrency | requests/s | p50 | p90 | p99 | max | non-2xx | socket errors | load avg |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
ms = lambda us: f"{us/1000:.2f} ms"
for r in rows:
    w = r["wrk"]
    rps = w["requests"] / (w["duration_us"] / 1e6)
    sock = w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"]
    print(f"| {r['name']} | {r['c']} | {rps:,.0f} | {ms(w['p50_us'])} | {ms(w['p90_us'])} | {ms(w['p99_us'])} | {ms(w['max_us'])} | {w['non_2xx']} | {sock} | {r['load']} |")
print()
print("HTTP overhead at concurrency 1 (wrk p50 over the library's p50 for the same body; target ≤ 1.3×):")
print()
print("| class | library p50 (`Braid::query`) | library p50 incl. JSON | HTTP p50, c = 1 | ratio | ratio vs incl. JSON |")
print("|---|---:|---:|---:|---:|---:|")
for r in rows:
    if r["c"] != 1 or r["name"] not in lib: continue
    l = lib[r["name"]]; h = r["wrk"]["p50_us"]
    print(f"| {r['name']} | {l['p50_us']/1000:.3f} ms | {l['json_p50_us']/1000:.3f} ms | {h/1000:.3f} ms | {h/l['p50_us']:.2f}× | {h/l['json_p50_us']:.2f}× |")
PY
echo
echo "Server resident set after the HTTP runs: $((SERVER_RSS / 1024)) MiB."
echo

# 5. Memory.
if [ "$MEMORY" = 1 ]; then
    echo "### Memory (\`ingest-bench memory-vectors --n $MEM_DOCS\`, \`memory-store --n $MEM_DOCS\`, \`memory-relations --n $MEM_RELATIONS\`; one process each)"
    echo
    "$BIN/ingest-bench" memory-vectors --n "$MEM_DOCS"; echo
    "$BIN/ingest-bench" memory-store --n "$MEM_DOCS"; echo
    "$BIN/ingest-bench" memory-relations --n "$MEM_RELATIONS"; echo
fi
echo "Load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee "$OUT/e2e.md"
log "written to $OUT/e2e.md"
