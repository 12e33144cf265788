#!/usr/bin/env bash
# Runs one fuzzer for SECONDS (default: $PROMSNMP_FUZZ_SECONDS, else 10) starting from its
# committed corpus. New inputs go to a scratch copy, never into the repository. First every
# corpus input is run once (-runs over the files: a regression input that crashes fails at once,
# whatever the time budget), then the fuzzer explores for SECONDS. A crash, leak, timeout (one
# input over 10 s), out-of-memory or sanitizer report fails the run and leaves the reproducer in
# tests/fuzz/crashes/<fuzzer>-crash-<sha1>. Prints executions and coverage.
# Usage: tests/fuzz/run_one.sh FUZZER_BINARY CORPUS_DIR [SECONDS]
set -euo pipefail
bin=$1
corpus=$2
seconds=${3:-${PROMSNMP_FUZZ_SECONDS:-10}}
name=$(basename "$bin")
crashes="$(cd "$(dirname "$0")" && pwd)/crashes"
mkdir -p "$crashes"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
[ -d "$corpus" ] && cp -r "$corpus"/. "$work/corpus"/
inputs=$(find "$work/corpus" -type f | wc -l)
echo "== $name: ${seconds}s from $inputs corpus inputs ($corpus)"
# Fixed options: one input may take 10 s, 2 GB RSS; -seed=0 would be time-based.
opts=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$crashes/$name-" -print_final_stats=1)
# Regression pass: each committed input exactly once.
if [ "$inputs" -gt 0 ] && ! "$bin" "${opts[@]}" $(find "$work/corpus" -type f | sort) \
    >"$work/replay.log" 2>&1; then
  tail -60 "$work/replay.log"
  echo "$name: FAILED on a committed corpus input (see above; reproducer in $crashes/)"
  exit 1
fi
if ! "$bin" "${opts[@]}" -max_total_time="$seconds" "$work/corpus" >"$work/fuzz.log" 2>&1; then
  tail -60 "$work/fuzz.log"
  echo "$name: FAILED (reproducer in $crashes/)"
  exit 1
fi
grep -E '^#[0-9]+.*(DONE|pulse)' "$work/fuzz.log" | tail -1 || true
grep -E 'stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb' "$work/fuzz.log" \
  | tr '\n' ' '
echo
