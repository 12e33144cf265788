#!/usr/bin/env bash
# Builds the previous release (tests/upgrade/previous-release) for upgrade.rolling_two_versions:
# its source from this clone's git history (git archive, no worktree), only the collector, the
# elector and the CLI, at -O1 without debug information (about 70 s on 2 cores instead of ~4 min
# at RelWithDebInfo). A stamp makes a second run free while the commit stays the same.
# Usage: tests/upgrade/build_previous.sh OUT_DIR   (binaries in OUT_DIR/build/bin)
# Fails with a message saying how to fix it when the commit is not in the clone (a shallow
# clone): the upgrade test must not pass without the release it compares against.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
out=${1:?usage: $0 OUT_DIR}
commit=$(grep -v '^#' tests/upgrade/previous-release | tr -d '[:space:]')
targets=(promsnmp-bin elector-bin promsnmp-inventory)
flags="-O1 -DNDEBUG"

fail() {
  echo "build_previous: $*" >&2
  exit 1
}

git -C "$top" rev-parse --git-dir >/dev/null 2>&1 ||
  fail "$top is not a git clone: the previous release ($commit) is built from the clone's history; clone the repository with git"
if ! git -C "$top" cat-file -e "$commit^{commit}" 2>/dev/null &&
  [ "$(git -C "$top" rev-parse --is-shallow-repository)" = true ]; then
  # A shallow clone (CI systems make them): fetch the history once, if the origin answers.
  echo "build_previous: a shallow clone; fetching the previous release $commit from origin" >&2
  timeout 120 git -C "$top" fetch --quiet --unshallow origin 2>/dev/null ||
    timeout 120 git -C "$top" fetch --quiet origin "$commit" 2>/dev/null || true
fi
if ! git -C "$top" cat-file -e "$commit^{commit}" 2>/dev/null; then
  if [ "$(git -C "$top" rev-parse --is-shallow-repository)" = true ]; then
    fail "the previous release $commit is not in this shallow clone: run 'git fetch --unshallow' (or clone without --depth) and run again"
  fi
  fail "the previous release $commit (tests/upgrade/previous-release) is not in this clone: run 'git fetch origin' and run again"
fi

stamp="$commit $flags ${targets[*]}"
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] &&
  [ -x "$out/build/bin/promsnmp" ] && [ -x "$out/build/bin/elector" ] &&
  [ -x "$out/build/bin/promsnmp-inventory" ]; then
  echo "build_previous: ${commit:0:7} is built already ($out/build/bin)"
  exit 0
fi

start=$(date +%s)
rm -rf "$out/src" "$out/build" "$out/stamp"
mkdir -p "$out/src"
git -C "$top" archive "$commit" | tar -x -C "$out/src"
log=$out/build.log
if ! { cmake -S "$out/src" -B "$out/build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="$flags" &&
  cmake --build "$out/build" -j "$(nproc)" --target "${targets[@]}"; } >"$log" 2>&1; then
  tail -40 "$log" >&2
  fail "building the previous release ${commit:0:7} failed (log: $log)"
fi
echo "$stamp" >"$out/stamp"
echo "build_previous: built ${commit:0:7} (${targets[*]}) in $(($(date +%s) - start)) s: $out/build/bin"
