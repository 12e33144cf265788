#!/usr/bin/env bash
# e2e.site_page: the site page (every replica's `/`, issue 17) in headless Chromium, on a real
# `make run` site on ports of its own (tests/e2e/browser.py drives the browser over the DevTools
# protocol). Through HAProxy's front door and on one follower directly, as the admin:
#   - every replica is shown, up; exactly one is marked leader, the one that leads, and its link
#     points to that replica's address; every device of the inventory is shown, up, polled by
#     a replica whose promsnmp_target_polls_total counts it;
#   - a follower's collector killed (kill -9), the same open pages, not reloaded, show it down
#     within 2 refresh periods (the time it took is printed); the others stay up;
#   - the read-only user (prometheus) gets the page without admin-only elements ([data-admin]),
#     with basic auth and with the credentials in the URL (user:pass@, also refreshed);
#   - without JavaScript the replicas and devices tables are there and a <noscript> meta refresh
#     reloads the page;
#   - no console error, uncaught exception or failed load in any tab during the whole session.
# A screenshot of the front door's page (every replica up) is kept: $PROMSNMP_TEST_OUTPUT_DIR,
# else OUTPUT_DIR (ctest passes <build>/tests/test-output), else build/tests/test-output;
# site-page-failure.png beside it when a browser check fails.
# Usage: tests/e2e/site_page_test.sh [OUTPUT_DIR]   (needs build/bin and chromium; every process
# it starts is stopped on exit)
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
BENCH_NAME=e2e.site_page
# shellcheck source=bench/common.sh
. bench/common.sh # free_port_base, free_port
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh" # fail, eventually, site_finish

export RUN_DIR PORT_BASE SNMP_PORT
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-page.XXXXXX")
PORT_BASE=$(free_port_base)
SNMP_PORT=$(free_port udp)
site=$top/scripts/run-site.sh
output=${PROMSNMP_TEST_OUTPUT_DIR:-${1:-$top/build/tests/test-output}}
refresh_seconds=5 # the site page's period on make run's site
haproxy=http://127.0.0.1:$PORT_BASE
replica() { echo "http://127.0.0.1:$((PORT_BASE + $1))"; }

trap site_finish EXIT
trap 'exit 130' INT TERM

command -v chromium >/dev/null || fail "no chromium (scripts/deps.sh test installs it)"
started=$(date +%s)

echo "== start the site (ports from $PORT_BASE, devices on UDP $SNMP_PORT)"
out=$("$site" start --background 2>&1) || fail "the site did not start: $out"

# The inventory's device names, from the API, as the page names them.
read_only=$RUN_DIR/secrets/prometheus.curlrc
devices=$(curl -fsS --max-time 5 -K "$read_only" "$haproxy/promsnmp/inventory" |
  python3 -c 'import json, sys
print(",".join(d["sysName"] for d in json.load(sys.stdin)["devices"]))')
[ -n "$devices" ] || fail "the inventory has no device"
count=$(tr , '\n' <<<"$devices" | wc -l)
served() { # N: prints "devices version epoch" of the inventory replica N serves
  curl -fsS --max-time 2 -K "$read_only" "$(replica "$1")/promsnmp/site/replica" |
    python3 -c 'import json, sys
r = json.load(sys.stdin)
print(r["inventoryDevices"], r["version"], r["epoch"])'
}
# Every replica serves the inventory's devices from one version, the one the leader wrote when
# it took the lead (epoch 1 on): until then the page says that the replicas differ.
settled() {
  local first
  first=$(served 1) && [ "${first%% *}" = "$count" ] && [ "${first##* }" -ge 1 ] &&
    [ "$(served 2)" = "$first" ] && [ "$(served 3)" = "$first" ]
}
scraped() { # NAME: its scrape through HAProxy answers (its poller has polled it)
  curl -fsS --max-time 5 -o /dev/null -K "$read_only" "$haproxy/snmp?target=$1"
}
eventually 15 settled ||
  fail "the replicas do not serve $count devices of one version: $(served 1), $(served 2), $(served 3)"
for name in ${devices//,/ }; do
  eventually 15 scraped "$name" || fail "$name is not served through HAProxy"
done

# Which replica polls each device, from the replicas' own counters (one expected; the page
# must show one of those that did).
pollers=$(for n in 1 2 3; do
  curl -fsS --max-time 5 -K "$read_only" "$(replica "$n")/metrics" |
    sed -n "s/^promsnmp_target_polls_total{target=\"\([^\"]*\)\"} [1-9].*/\1 promsnmp-$n/p"
done | awk '{if ($1 in ids) ids[$1] = ids[$1] "/" $2; else ids[$1] = $2}
    END {for (d in ids) print d "=" ids[d]}' | sort | paste -sd ,)

lead=$("$site" leader) || fail "no leader"
others=()
for n in 1 2 3; do [ "$n" = "$lead" ] || others+=("$n"); done
victim=${others[0]} viewer=${others[1]}
victim_pid=$(cat "$RUN_DIR/pids/promsnmp-$victim.pid")
grep -qa -- "--web.listen-address=127.0.0.1:$((PORT_BASE + victim))" "/proc/$victim_pid/cmdline" ||
  fail "promsnmp-$victim.pid ($victim_pid) is not replica $victim's collector"
echo "   $(($(date +%s) - started)) s: $count devices, one version everywhere; promsnmp-$lead leads," \
  "promsnmp-$viewer is viewed directly, promsnmp-$victim will be killed"
echo "   polled by: ${pollers//,/ }"

echo "== the page in headless Chromium"
mkdir -p "$output"
screenshot=$output/site-page.png
rm -f "$screenshot" "${screenshot%.png}-failure.png"
timeout 90 python3 "$top/tests/e2e/browser.py" check \
  --url "$haproxy/" --replica-url "$(replica "$viewer")/" \
  --admin-auth "$RUN_DIR/secrets/admin.curlrc" --read-auth "$read_only" \
  --replicas promsnmp-1,promsnmp-2,promsnmp-3 --devices "$devices" --pollers "$pollers" \
  --leader "promsnmp-$lead=127.0.0.1:$((PORT_BASE + lead))" --refresh-seconds "$refresh_seconds" \
  --min-admin-elements 1 --kill-cmd "kill -9 $victim_pid" --killed "promsnmp-$victim" \
  --screenshot "$screenshot" ||
  fail "the site page (screenshots in $output)"
[ -s "$screenshot" ] || fail "no screenshot in $screenshot"
echo "   screenshot: $screenshot"
echo "PASS e2e.site_page in $(($(date +%s) - started)) s"
