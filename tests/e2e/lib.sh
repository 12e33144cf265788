#!/usr/bin/env bash
# Helpers of the site tests (tests/e2e/*.sh, tests/upgrade/rolling_upgrade.sh), sourced.

fail() { # MESSAGE...: the test fails with it
  echo "FAIL: $*"
  exit 1
}

eventually() { # SECONDS COMMAND...: polls COMMAND (its errors hidden) until it succeeds or time is up
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@" 2>/dev/null; do
    (($(date +%s) < deadline)) || return 1
    sleep 0.3
  done
}

now_ms() { date +%s%3N; }
