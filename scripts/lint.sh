#!/usr/bin/env bash
# clang-tidy over the libraries and tools (tests are checked by clang-format only: the CppUnit
# macros trip several bugprone checks). Usage: scripts/lint.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
[ -f "$build/compile_commands.json" ] || { echo "no $build/compile_commands.json; run make build" >&2; exit 1; }
files=$(git ls-files 'common/*.cpp' 'inventoryfs/*.cpp' 'promsnmp/*.cpp' 'elector/*.cpp' 'tests/tools/*.cpp')
[ -n "$files" ] || exit 0
echo "$files" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet 2>&1 |
  grep -v -E '^[0-9]+ warnings? generated|^Suppressed|^Use -header-filter' | tee /tmp/promsnmp-lint.$$ >&2 || true
if grep -qE '(warning|error):' /tmp/promsnmp-lint.$$; then
  rm -f /tmp/promsnmp-lint.$$
  echo "lint: clang-tidy found problems" >&2
  exit 1
fi
rm -f /tmp/promsnmp-lint.$$
echo "lint: clean"
