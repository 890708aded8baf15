#!/usr/bin/env bash
# Retrieval quality side by side (issue 19): Braid's vector route through `braid serve` with
# MiniLM next to an independent BM25, sentence-transformers dense, RRF and relative-score
# fusion computed by bench/scripts/fusion_peer.py on the same documents and queries, for
# Cranfield and the descriptive queries of the domain knowledge bases.
#
#   BRAID_MODEL_DIR=/path/to/all-MiniLM-L6-v2 bench/retrieval.sh [cranfield debian rustdoc ...]
#
# Needs a release build (target-release/release/braid, or BIN=...) and a Python with numpy,
# nltk and sentence-transformers (PY=..., default target/venv/bin/python). Keeps its data in
# target/bench-data/retrieval/. Domain test sets are reported in aggregate only.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BRAID_MODEL_DIR:?set BRAID_MODEL_DIR to the all-MiniLM-L6-v2 folder}"
BIN=${BIN:-target-release/release/braid}
PY=${PY:-target/venv/bin/python}
OUT=target/bench-data/retrieval
mkdir -p "$OUT"
collections=("$@")
[ ${#collections[@]} -gt 0 ] || collections=(cranfield debian rustdoc pystdlib mime tz locales)
export BRAID_EMBEDDER=minilm BRAID_LOG=warn

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for c in "${collections[@]}"; do
  data="$OUT/$c"
  if [ ! -f "$data/braid.redb" ]; then
    if [ "$c" = cranfield ]; then
      "$PY" bench/scripts/fusion_peer.py --model-dir "$BRAID_MODEL_DIR" --collection cranfield --write-jsonl "$OUT/cranfield.jsonl"
      "$BIN" ingest --data "$data" "$OUT/cranfield.jsonl"
    else
      d="datasets/domains/$c"
      "$BIN" ingest --data "$data" "$d/entities.jsonl" "$d/relations.jsonl" "$d/documents.jsonl"
    fi
  fi
  port=$(free_port)
  "$BIN" serve --addr "127.0.0.1:$port" --data "$data" >"$OUT/$c.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 1; done
  splits=(dev)
  [ "$c" = cranfield ] || splits=(dev test)
  for split in "${splits[@]}"; do
    "$PY" bench/scripts/fusion_peer.py --model-dir "$BRAID_MODEL_DIR" --collection "$c" --split "$split" \
      --braid-url "http://127.0.0.1:$port" ${PEERS_ONLY_BRAID:+--braid-only}
    echo
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  trap - EXIT
done
