#!/usr/bin/env bash
# The cases are scripts for a child bash: their $1 and $2 expand there.
# shellcheck disable=SC2016
# sanitizer.reports_fail_the_test (PROMSNMP_SANITIZE builds, label unit): the sanitizer stage of
# `make test` must fail a test when a process that test starts has a sanitizer report, so that
# the detection cannot break silently. Each case runs tests/tools/run_sanitized.sh — the wrapper
# of every test of that build — on a shell (standing for a test runner) that starts
# sanitizer-canary as a child and ignores how the child ended:
#   leak, overflow, undefined  one-shot children (a CLI): the wrapper must fail and name the report
#   daemon                     a daemon stopped with SIGTERM that leaked: LeakSanitizer at its exit
#   clean                      the negative control: no report, the wrapper passes
# Usage: sanitizer_selftest.sh CANARY WORK_DIR
set -u
canary=$1
work=$2
wrapper=$(dirname "$0")/run_sanitized.sh
rm -rf "${work:?}"
mkdir -p "$work"
failures=0

# expect NAME WANT_STATUS(pass|fail) WANT_TEXT SHELL_SCRIPT
expect() {
  local name=$1 want=$2 text=$3 script=$4 out code
  out=$("$wrapper" "$work/$name" bash -c "$script" selftest "$canary" "$work" 2>&1)
  code=$?
  if [ "$want" = fail ] && [ "$code" = 0 ]; then
    echo "FAIL $name: a report in a child did not fail the test"
    failures=$((failures + 1))
  elif [ "$want" = pass ] && [ "$code" != 0 ]; then
    echo "FAIL $name: a clean run failed (exit $code): $out"
    failures=$((failures + 1))
  elif [ -n "$text" ] && ! grep -q -- "$text" <<<"$out"; then
    echo "FAIL $name: the output does not name the report ($text): $out"
    failures=$((failures + 1))
  else
    echo "ok   $name (exit $code)"
  fi
}

expect leak fail "ERROR: LeakSanitizer" '"$1" leak || true; exit 0'
expect overflow fail "heap-buffer-overflow" '"$1" overflow >/dev/null 2>&1 || true; exit 0'
expect undefined fail "runtime error: signed integer overflow" '"$1" undefined || true; exit 0'
expect daemon fail "ERROR: LeakSanitizer" '
  "$1" daemon "$2/ready" & pid=$!
  for _ in $(seq 500); do [ -e "$2/ready" ] && break; sleep 0.02; done
  kill -TERM "$pid"; wait "$pid"; echo "daemon exit $?"; exit 0'
expect clean pass "" '"$1" clean'
# A test that fails by itself keeps its own status.
code=0
"$wrapper" "$work/status" bash -c 'exit 5' || code=$?
[ "$code" = 5 ] || { echo "FAIL status: exit 5 came back as $code"; failures=$((failures + 1)); }

rm -rf "${work:?}"
[ "$failures" = 0 ] || exit 1
echo "sanitizer self-test: every report failed its test, the clean run passed"
