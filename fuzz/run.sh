#!/usr/bin/env bash
# Runs every fuzz target for SECONDS seconds each (default 20) and prints, per target, the
# executions, the coverage and the corpus size; fails on the first crash (the input is left
# in fuzz/artifacts/<target>/). cargo-fuzz needs nightly features: on a stable toolchain
# they are enabled with RUSTC_BOOTSTRAP=1. `bash fuzz/run.sh [SECONDS] [TARGET…]`
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
SECONDS_EACH="${1:-20}"
shift || true
TARGETS=("$@")
[ "${#TARGETS[@]}" -gt 0 ] || TARGETS=(load_native load_jsonl load_csv bundle prebuilt ask redact)
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --version 0.13.1
[ -f example-bundle.json ] || bash seed.sh
# No sanitizer: the code under test is safe Rust, and libFuzzer's own checks (panics,
# timeouts, memory) are what matter; the build is much faster.
cargo fuzz build -s none
for t in "${TARGETS[@]}"; do
    log="$(mktemp)"
    status=0
    cargo fuzz run -s none "$t" "corpus/$t" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=1024 \
        -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
    echo "fuzz ${t}: ${execs} executions in ${SECONDS_EACH} s, coverage ${cov} edges (${ft} features), corpus $(find "corpus/$t" -type f | wc -l) files, exit ${status}"
    if [ "$status" -ne 0 ]; then
        tail -40 "$log"
        rm -f "$log"
        exit "$status"
    fi
    rm -f "$log"
done
