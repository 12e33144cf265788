#!/usr/bin/env bash
# Runs every fuzzer for SECONDS each, starting from its committed corpus in tests/fuzz/corpus/<name>
# (new inputs go to a scratch copy, not into the repository). A crash fails the run and leaves
# the reproducer in tests/fuzz/crashes/. Usage: tests/fuzz/run.sh BUILD_DIR SECONDS
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$1
seconds=${2:-60}
cmake --build "$build" -j "$(nproc)" --target fuzzers
mkdir -p tests/fuzz/crashes
status=0
for bin in "$build"/bin/fuzz_*; do
  name=$(basename "$bin")
  corpus=tests/fuzz/corpus/${name#fuzz_}
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
  echo "== $name: ${seconds}s from $(ls "$work" | wc -l) corpus inputs"
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix=tests/fuzz/crashes/"$name"- -print_final_stats=1 "$work" 2>"$work.log"; then
    tail -40 "$work.log"
    echo "$name: FAILED (reproducer in tests/fuzz/crashes/)"
    status=1
  else
    grep -E 'stat::number_of_executed_units|cov:' "$work.log" | tail -2
  fi
  rm -rf "$work" "$work.log"
done
exit $status
