#!/usr/bin/env bash
# Failover and follower catch-up (issues #4 and #6), measured on the `make run` site
# (scripts/run-site.sh: Redis, three elector + promsnmp pairs, HAProxy) on ports of its own:
#   failover:  kill -9 of the leader's elector and collector; time until another replica answers
#              200 on /promsnmp/leader, and until a discovery POSTed through HAProxy is accepted;
#              the killed pair is restarted between runs;
#   catch-up:  an inventory change committed through HAProxy (the leader); time until every
#              follower serves the new version (promsnmp_inventory_version).
# Usage: bench/site_bench.sh BUILD_DIR [RUNS]
# Prints a Markdown section on stdout; progress and diagnostics go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_NAME="site bench"
# shellcheck source=bench/common.sh
. bench/common.sh
top=$(pwd)
build=${1:?usage: bench/site_bench.sh BUILD_DIR [RUNS]}
runs=${2:-10}
ttl=${BENCH_LEASE_TTL_MS:-5000}


export RUN_DIR BIN_DIR=$top/$build/bin LEASE_TTL_MS=$ttl COLLECTION_INTERVAL=30000
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-site-bench.XXXXXX")
export PORT_BASE SNMP_PORT
PORT_BASE=$(free_port_base)
SNMP_PORT=$(free_port udp)
site=$top/scripts/run-site.sh
haproxy=http://127.0.0.1:$PORT_BASE
replica() { echo "http://127.0.0.1:$((PORT_BASE + $1))"; }
cleanup() {
  "$site" stop >/dev/null 2>&1 || true
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

now_ms() { date +%s%3N; }
max() { sort -n | tail -1; }
version_of() { curl -fsS -K "$RUN_DIR/secrets/prometheus.curlrc" "$(replica "$1")/metrics" | awk '$1 == "promsnmp_inventory_version" {print $2}'; }

log "starting the site (ports from $PORT_BASE, lease TTL $ttl ms)..."
"$site" start --background >/dev/null || die "the site did not start"

# --- failover ----------------------------------------------------------------------------------
body='{"potentialTargets":["127.0.0.1"],"agentType":"snmp-community","version":"v2c","port":9,"readCommunity":"x"}'
: >"$RUN_DIR/leader.ms"
: >"$RUN_DIR/discovery.ms"
for ((run = 1; run <= runs; run++)); do
  old=$("$site" leader) || die "no leader before run $run"
  t0=$(now_ms)
  "$site" replica-kill "$old"
  until new=$("$site" leader) && [ "$new" != "$old" ]; do
    (($(now_ms) - t0 < 30000)) || die "no new leader 30 s after run $run's kill"
    sleep 0.02
  done
  echo $(($(now_ms) - t0)) >>"$RUN_DIR/leader.ms"
  until [ "$(curl -s -o /dev/null -w '%{http_code}' -K "$RUN_DIR/secrets/admin.curlrc" -X POST \
    -H 'Content-Type: application/json' -d "$body" "$haproxy/promsnmp/discovery")" = 202 ]; do
    (($(now_ms) - t0 < 30000)) || die "no discovery accepted through HAProxy in run $run"
    sleep 0.05
  done
  echo $(($(now_ms) - t0)) >>"$RUN_DIR/discovery.ms"
  log "failover $run: replica $old killed, replica $new leads after $(tail -1 "$RUN_DIR/leader.ms") ms, discovery through HAProxy after $(tail -1 "$RUN_DIR/discovery.ms") ms"
  "$site" replica-start "$old" >/dev/null
done

# --- follower catch-up ---------------------------------------------------------------------------
: >"$RUN_DIR/catchup.ms"
# The current inventory with its credentials (the API masks them), read with the site's key.
inventory=$(PROM_INV_FILE=$RUN_DIR/share/promsnmp-inventory.json \
  PROM_ENCRYPT_KEY_FILE=$RUN_DIR/secrets/promsnmp-encrypt-key \
  "$BIN_DIR/promsnmp-inventory" show --json --include-credentials)
for ((run = 1; run <= runs; run++)); do
  leader=$("$site" leader) || die "no leader for catch-up run $run"
  before=$(version_of "$leader")
  # The same devices with a changed sysLocation: a real change, one commit.
  change=$(echo "$inventory" | python3 -c '
import json, sys
inv = json.load(sys.stdin)
for d in inv["devices"]:
    d["sysLocation"] = "catch-up run " + sys.argv[1]
print(json.dumps(inv))' "$run")
  t0=$(now_ms)
  status=$(curl -s -o /dev/null -w '%{http_code}' -K "$RUN_DIR/secrets/admin.curlrc" -X POST \
    -H 'Content-Type: application/json' -d "$change" "$haproxy/promsnmp/inventory")
  [ "$status" = 200 ] || die "inventory commit through HAProxy answered $status"
  target=$(version_of "$leader")
  ((target > before)) || die "the leader's version did not move"
  for n in 1 2 3; do
    [ "$n" = "$leader" ] && continue
    until [ "$(version_of "$n")" -ge "$target" ] 2>/dev/null; do
      (($(now_ms) - t0 < 30000)) || die "replica $n did not load version $target in 30 s"
      sleep 0.02
    done
  done
  echo $(($(now_ms) - t0)) >>"$RUN_DIR/catchup.ms"
done

l_med=$(median "$RUN_DIR/leader.ms" 1)
l_max=$(max <"$RUN_DIR/leader.ms")
d_med=$(median "$RUN_DIR/discovery.ms" 1)
d_max=$(max <"$RUN_DIR/discovery.ms")
c_med=$(median "$RUN_DIR/catchup.ms" 1)
c_max=$(max <"$RUN_DIR/catchup.ms")
budget=$((ttl + ttl / 3 + 1000))
poll_ms=$(awk -F= '/^ *# *poll_interval_ms *=/ {gsub(/[ ;]/, "", $2); print $2}' etc/promsnmp.cfg)
cat <<EOT
## Failover and follower catch-up (issues #4, #6)

Command: \`bench/site_bench.sh $build $runs\` — the \`make run\` site (Redis, three elector +
promsnmp pairs, HAProxy with the shipped config) on loopback, elector lease TTL ${ttl} ms
(renew every TTL/3), ${runs} runs each.

| figure | median | max | goal |
|---|---:|---:|---|
| kill -9 of the leader pair → another replica leads (\`/promsnmp/leader\` 200) | ${l_med} ms | ${l_max} ms | ≤ TTL + renew + 1 s = ${budget} ms |
| kill -9 of the leader pair → a discovery POSTed to HAProxy is accepted (202) | ${d_med} ms | ${d_max} ms | |
| inventory change committed through HAProxy → both followers serve it | ${c_med} ms | ${c_max} ms | within the follower poll interval (${poll_ms:-5000} ms) + one load |

The discovery row includes HAProxy noticing the new leader (\`/promsnmp/leader\` health check,
inter 2 s, rise 1).
EOT
