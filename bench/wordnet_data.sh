#!/usr/bin/env bash
# Fetches WordNet 3.0 (`wordnet-base` from the Debian archive, with apt-get download) and
# converts it to Braid's JSON Lines in target/bench-data/wordnet, once. Used by bench/graph.sh
# and bench/check.sh. Prints the data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=$PWD/target/bench-data
mkdir -p "$DATA"
log() { echo "wordnet_data.sh: $*" >&2; }
if ! ls "$DATA"/wordnet-base_*.deb >/dev/null 2>&1; then
    log "downloading wordnet-base"
    (cd "$DATA" && { apt-get download wordnet-base || { apt-get update -qq && apt-get download wordnet-base; }; }) >&2
fi
DEB=$(ls "$DATA"/wordnet-base_*.deb | head -n1)
if [ ! -s "$DATA/wordnet/counts.json" ] || [ ! -s "$DATA/wordnet/relations.jsonl" ]; then
    log "extracting $(basename "$DEB") and converting to JSONL"
    rm -rf "$DATA/wn" && dpkg-deb -x "$DEB" "$DATA/wn"
    mkdir -p "$DATA/wordnet"
    python3 bench/scripts/wordnet.py "$DATA/wn/usr/share/wordnet" "$DATA/wordnet" > "$DATA/wordnet/counts.tmp"
    mv "$DATA/wordnet/counts.tmp" "$DATA/wordnet/counts.json"
fi
echo "$DATA/wordnet"
