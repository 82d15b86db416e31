#!/usr/bin/env bash
# run.sh FUZZER CORPUS_DIR SEED_DIR SECONDS — a bounded libFuzzer run over the seeds and the corpus.
set -euo pipefail
fuzzer=$1 corpus=$2 seeds=$3 secs=$4
mkdir -p "$corpus"
cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
exec "$fuzzer" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 "$corpus"
