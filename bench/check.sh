#!/usr/bin/env bash
# The cheap benchmarks (minutes, not hours), each checked against its targets from the table
# in BENCHMARKS.md: one PASS/FAIL line per target, and a non-zero exit on any miss. Run it on
# a quiet machine; speed targets mean nothing on a loaded one or in a debug build.
#
#   bench/check.sh                          # release build (the default)
#   BENCH_PROFILE=dev bench/check.sh        # debug build: checks the plumbing, not the speed
#   BRAID_MODEL_DIR=/path/to/all-MiniLM-L6-v2 bench/check.sh   # adds Cranfield with MiniLM
#
# What runs (section of BENCHMARKS.md: targets):
# - graph-bench on WordNet 3.0 (fetched by bench/wordnet_data.sh) and on the atlas ("Graph
#   store": linking p50 < 20 µs, 2-hop p50 < 200 µs, PPR top-20 p50 < 2 ms at ε = 1e-5);
# - cranfield-bench with the hashing embedder, and with MiniLM when BRAID_MODEL_DIR is set
#   ("Retrieval quality on Cranfield": BM25 alone nDCG@10 ≥ 0.50; with MiniLM the hybrid
#   ≥ 0.54 and ≥ the better single ranking). MiniLM embeds 1,398 abstracts: minutes on a
#   quiet machine (620 s under load in session 3).
# - ann-bench on ANN_N (default 100,000) clustered 384-d vectors, as session 3's quiet run
#   ("ANN": Braid / raw usearch QPS ≥ 0.9 at recall@10 ≥ 0.95 unfiltered; issue 21: filtered
#   ≥ 1,000 QPS with recall@10 ≥ 0.99 at 1 %, 10 % and 50 % selectivity). About 5 minutes in
#   release on a quiet machine (building both indexes dominates). ANN_N=0 skips it.
# Not here (long or needing peers installed): ann-bench at 1M, embed-bench against PyTorch,
# the networkx comparison (bench/graph.sh), e2e/soak/fuzz (bench/*.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PROFILE=${BENCH_PROFILE:-release}
DIR=$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/$DIR
OUT=$ROOT/target/bench-data/check
mkdir -p "$OUT"
log() { echo "check.sh: $*" >&2; }

log "building graph-bench, cranfield-bench and ann-bench ($PROFILE)"
cargo build --profile "$PROFILE" -p braid-bench --bin graph-bench --bin cranfield-bench --bin ann-bench >&2

echo "bench/check.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
  "profile $PROFILE, $(nproc) cores, load average before the run $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
# Runs one benchmark; its PASS/FAIL lines are echoed and kept, its tables go to $OUT/NAME.md.
run() {
  local name=$1; shift
  log "running $name"
  set +e
  "$@" >"$OUT/$name.md" 2>"$OUT/$name.log"
  local rc=$?
  set -e
  grep -E '^(PASS|FAIL|INFO) ' "$OUT/$name.md" || true
  if [ "$rc" -ne 0 ]; then
    status=1
    grep -qE '^FAIL ' "$OUT/$name.md" || { echo "FAIL $name: exited $rc"; tail -5 "$OUT/$name.log"; }
  fi
}

WORDNET=$(bench/wordnet_data.sh)
for name in wordnet atlas; do
  if [ "$name" = wordnet ]; then dir=$WORDNET; else dir=$ROOT/examples/data/atlas; fi
  run "graph-$name" "$BIN/graph-bench" --check --name "$name" \
    --entities "$dir/entities.jsonl" --relations "$dir/relations.jsonl"
done
run cranfield-hash "$BIN/cranfield-bench" --check --embedder hash
if [ -n "${BRAID_MODEL_DIR:-}" ]; then
  run cranfield-minilm "$BIN/cranfield-bench" --check --embedder minilm --model-dir "$BRAID_MODEL_DIR"
else
  echo "SKIP cranfield-bench with MiniLM: set BRAID_MODEL_DIR"
fi

ANN_N=${ANN_N:-100000}
if [ "$ANN_N" -gt 0 ]; then
  run ann "$BIN/ann-bench" --check --n "$ANN_N" --queries 300 --warmup 20 --quant-n 10 --ef-sweep 64 \
    --data-dir "$OUT/ann-data" --report "$OUT/ann-report.md"
  rm -rf "$OUT/ann-data"
else
  echo "SKIP ann-bench: ANN_N=0"
fi

echo "load average after the run $(cut -d' ' -f1-3 /proc/loadavg); tables in $OUT"
exit "$status"
