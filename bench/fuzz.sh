#!/usr/bin/env bash
# Coverage-guided fuzzing of issue 9 with cargo-fuzz (libFuzzer + AddressSanitizer): each
# target in fuzz/ for SECONDS_EACH seconds (default 600), JOBS targets at a time. Starts
# from the committed seeds in fuzz/corpus/<target>/ and grows a working corpus in
# fuzz/target/corpus-work/<target>/ (not committed, so the committed corpora stay small);
# crashes land in fuzz/artifacts/<target>/. Prints one summary line per target.
#
#   bench/fuzz.sh                         # all three targets, 10 minutes each
#   SECONDS_EACH=60 JOBS=1 bench/fuzz.sh introspect
#
# Needs a nightly toolchain (`rustup toolchain install nightly`) and `cargo install cargo-fuzz`.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECONDS_EACH=${SECONDS_EACH:-600}
JOBS=${JOBS:-2}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(introspect jsonl_record request_body)
log() { echo "fuzz.sh: $*" >&2; }

log "building ${TARGETS[*]} (cargo +nightly fuzz build, AddressSanitizer)"
cargo +nightly fuzz build >&2
mkdir -p target/fuzz-logs
run() {
    local t=$1 work=target/corpus-work/$1
    mkdir -p "$work"
    log "fuzzing $t for ${SECONDS_EACH}s"
    # -rss_limit_mb: the request_body target plans queries against the atlas graph.
    if cargo +nightly fuzz run "$t" "$work" "corpus/$t" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 \
        -print_final_stats=1 >"target/fuzz-logs/$t.log" 2>&1; then
        status=ok
    else
        status="FAILED (see fuzz/target/fuzz-logs/$t.log and fuzz/artifacts/$t/)"
    fi
    local runs cov
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "target/fuzz-logs/$t.log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -o 'cov: [0-9]*' "target/fuzz-logs/$t.log" | tail -n1 | grep -o '[0-9]*' || echo '?')
    echo "| $t | ${SECONDS_EACH} s | ${runs} | ${cov} | $(find "$work" -type f | wc -l) | $status |"
}
echo "| target | time | executions | coverage (edges) | corpus after | result |"
echo "|---|---:|---:|---:|---:|---|"
running=0
for t in "${TARGETS[@]}"; do
    run "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait
