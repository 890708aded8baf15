#!/usr/bin/env bash
# Graph-store benchmark of issue 3, end to end: fetch and convert WordNet 3.0, set up
# networkx, build `graph-bench` in release, run it on WordNet and on the demo atlas,
# compare personalised PageRank with networkx, and print the Markdown recorded in
# BENCHMARKS.md (also written to target/bench-data/graph-bench.md).
#
#   bench/graph.sh                      # from the repository root
#   PPR_EPSILONS=1e-6,1e-5 NX_QUERIES=30 bench/graph.sh
#
# Needs apt-get (Debian/Ubuntu), python3 with venv, cargo; network access to the Debian
# archive and PyPI on the first run only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DATA=$ROOT/target/bench-data
VENV=$ROOT/target/bench-venv
PPR_EPSILONS=${PPR_EPSILONS:-1e-6,1e-5}
NX_QUERIES=${NX_QUERIES:-30}
mkdir -p "$DATA"
log() { echo "graph.sh: $*" >&2; }

# 1. WordNet 3.0 from the Debian archive.
bench/wordnet_data.sh >/dev/null
DEB=$(ls "$DATA"/wordnet-base_*.deb | head -n1)

# 2. networkx in a virtual environment.
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import networkx, scipy, numpy' 2>/dev/null; then
    log "installing networkx, scipy, numpy into $VENV"
    python3 -m venv "$VENV" && "$VENV/bin/pip" install -q networkx scipy numpy >&2
fi

# 3. The benchmark binary.
log "building graph-bench (release)"
cargo build --release -p braid-bench --bin graph-bench >&2
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/graph-bench

# 4. Run.
OUT=$DATA/graph-bench.md
{
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'):" \
        "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))," \
        "$(free -g | awk '/^Mem:/ {print $2}') GiB RAM, load average before the run $(cut -d' ' -f1-3 /proc/loadavg)," \
        "$(rustc --version | cut -d' ' -f1-2), Python $("$VENV/bin/python" -c 'import sys; print(sys.version.split()[0])')."
    echo
    python3 - "$DATA/wordnet/counts.json" "$(basename "$DEB")" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
print(f"WordNet 3.0 ({sys.argv[2]}): {c['synsets']:,} synsets, {c['lemmas']:,} lemma entries, "
      f"{c['pointers']:,} pointers ({c['self_pointers']} to their own synset).")
PY
    echo
    for name in wordnet atlas; do
        if [ "$name" = wordnet ]; then dir=$DATA/wordnet; else dir=$ROOT/examples/data/atlas; fi
        log "running graph-bench on $name"
        "$BIN" --name "$name" --entities "$dir/entities.jsonl" --relations "$dir/relations.jsonl" \
            --out "$DATA/out-$name" --ppr-epsilons "$PPR_EPSILONS"
        echo
        log "running networkx on $name"
        "$VENV/bin/python" bench/scripts/networkx_ppr.py "$DATA/out-$name" --name "$name" --nx-queries "$NX_QUERIES"
    done
    echo "Load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee "$OUT"
log "written to $OUT"
