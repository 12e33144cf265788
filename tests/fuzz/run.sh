#!/usr/bin/env bash
# Builds every fuzzer in BUILD_DIR and runs each for SECONDS (default 60), one at a time,
# starting from its committed corpus in tests/fuzz/corpus/<name> (run_one.sh; new inputs go to
# a scratch copy, not into the repository). A crash fails the run and leaves the reproducer in
# tests/fuzz/crashes/. `make fuzz` uses this for long runs; `make test` runs the same fuzzers
# briefly as the CTest tests fuzz.<name>. Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$1
seconds=${2:-60}
cmake --build "$build" -j "$(nproc)" --target fuzzers
status=0
for bin in "$build"/bin/fuzz_*; do
  name=$(basename "$bin")
  tests/fuzz/run_one.sh "$bin" "tests/fuzz/corpus/${name#fuzz_}" "$seconds" || status=1
done
exit $status
