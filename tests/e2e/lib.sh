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

site_finish() { # [DIR...]: for `trap 'site_finish DIR...' EXIT` in a test of a run-site.sh site
  # ($site, $RUN_DIR): stops the site, shows the end of its logs if the test failed, removes
  # RUN_DIR and the DIRs, and exits with the test's status
  local code=$?
  "${site:?}" stop >/dev/null 2>&1 || true
  if [ "$code" != 0 ] && [ -d "$RUN_DIR/logs" ]; then
    echo "--- logs (last lines) ---"
    tail -n 5 "$RUN_DIR"/logs/*.log 2>/dev/null || true
  fi
  rm -rf "$RUN_DIR" "$@"
  exit "$code"
}
