#!/usr/bin/env bash
# Fleet capacity (issue #6): one promsnmp replica polling N simulated devices of 48 interfaces
# every 30 s (collection mode `all`), for N in SIZES. The devices are served by
# snmp-fleet-sim (tests/tools/fleet-sim) from one socket on 127.2.0.0/16 and 127.3.0.0/16.
# For each N: after one warm-up interval, CPU (utime + stime) and RSS of the collector over two
# intervals, and whether every device was polled in every interval (interval polls counted by
# promsnmp_snmp_polls_total{trigger="interval"}).
# Usage: bench/fleet_bench.sh BUILD_DIR [SIZES]   (SIZES default "1000 5000 10000 20000")
# Prints a Markdown section on stdout; progress and diagnostics go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_NAME="fleet bench"
# shellcheck source=bench/common.sh
. bench/common.sh
top=$(pwd)
build=${1:?usage: bench/fleet_bench.sh BUILD_DIR [SIZES]}
sizes=${2:-1000 5000 10000 20000}
interval_ms=${BENCH_FLEET_INTERVAL_MS:-30000}
interfaces=48
bin=$top/$build/bin
community=fleet


work=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-fleet-bench.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
interval_polls() {
  curl -fsS "$1/metrics" | awk '/^promsnmp_snmp_polls_total\{.*trigger="interval"/ {n += $2} END {printf "%d\n", n}'
}
device_address() { # index → 127.2.0.1 ... (256 per /24, skipping .0 and .255)
  python3 -c 'import sys
i = int(sys.argv[1]); o = 2 + i // 64516; r = i % 64516
print(f"127.{o}.{r // 254}.{r % 254 + 1}")' "$1"
}

[[ -x $bin/snmp-fleet-sim ]] || die "missing $bin/snmp-fleet-sim"
gzip -dc /usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz >"$work/$community.snmprec"

rows=""
for n in $sizes; do
  log "$n devices x $interfaces interfaces, every $((interval_ms / 1000)) s..."
  dir=$work/$n
  mkdir -p "$dir/share" "$dir/state"
  port=$(free_port udp)
  # The inventory: N devices, one v2c agent each, on consecutive loopback addresses.
  python3 - "$n" "$port" "$community" >"$dir/inventory.json" <<'EOF'
import json, sys
n, port, community = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
devices = []
for i in range(n):
    o, r = 2 + i // 64516, i % 64516
    address = f"127.{o}.{r // 254}.{r % 254 + 1}"
    agent = {"type": "snmp-community", "endpoint": {"address": address, "port": port},
             "version": 1, "timeout": 2000, "retries": 1, "readCommunity": community}
    devices.append({"sysName": "sim-" + address.replace(".", "-"), "agents": [agent],
                    "primaryAgent": agent})
print(json.dumps({"devices": devices, "discoverySeeds": []}))
EOF
  export PROM_INV_FILE=$dir/share/promsnmp-inventory.json PROM_ENCRYPT_KEY=fleet-bench-key \
    PROMSNMP_STATE_DIR=$dir/state
  "$bin/promsnmp-inventory" init --import "$dir/inventory.json" >/dev/null
  last=$(device_address $((n - 1)))
  first=$(device_address 0)
  "$bin/snmp-fleet-sim" --data-dir "$work" --port "$port" --devices "$first-$last" \
    --interfaces "$interfaces" >"$dir/sim.log" 2>&1 &
  pids+=($!)
  sim_pid=${pids[-1]}
  http=$(free_port tcp)
  COLLECTION_INTERVAL=$interval_ms PROMSNMP_COLLECTION_MODE=all CACHE_ENTRY_CNT=$((n * 2)) \
    CACHE_EXP_MILLIS=$((interval_ms * 4)) \
    "$bin/promsnmp" --web.listen-address="127.0.0.1:$http" >"$dir/promsnmp.log" 2>&1 &
  pids+=($!)
  pid=${pids[-1]}
  url=http://127.0.0.1:$http
  for _ in $(seq 1 100); do
    curl -fsS "$url/-/ready" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fsS "$url/-/ready" >/dev/null || die "promsnmp did not start ($dir/promsnmp.log)"
  sleep $((interval_ms / 1000 + 2)) # one warm-up interval
  p0=$(interval_polls "$url")
  t0=$(ticks "$pid")
  s0=$(date +%s%N)
  sleep $((2 * interval_ms / 1000))
  p1=$(interval_polls "$url")
  t1=$(ticks "$pid")
  s1=$(date +%s%N)
  rss=$(rss_kib "$pid")
  sim_ticks=$(ticks "$sim_pid")
  kill "$pid" "$sim_pid" 2>/dev/null || true
  wait "$pid" "$sim_pid" 2>/dev/null || true
  wall=$(echo "($s1 - $s0) / 1000000000" | bc -l)
  cpu=$(echo "($t1 - $t0) / $hz" | bc -l)
  polls=$((p1 - p0))
  expected=$((2 * n))
  rows+=$(printf '| %d | %d / %d (%.0f %%) | %.1f %% | %.3f ms | %.0f MiB | %.1f KiB |' \
    "$n" "$polls" "$expected" "$(echo "100 * $polls / $expected" | bc -l)" \
    "$(echo "100 * $cpu / $wall" | bc -l)" "$(echo "1000 * $cpu / ($polls + 0.000001)" | bc -l)" \
    "$(echo "$rss / 1024" | bc -l)" "$(echo "$rss / $n" | bc -l)")$'\n'
  log "$n devices: $polls of $expected interval polls, CPU $(printf '%.2f' "$cpu") s over $(printf '%.1f' "$wall") s, RSS $((rss / 1024)) MiB (simulator CPU total $((sim_ticks / hz)) s)"
done

cat <<EOT
## Fleet capacity (issue #6)

Command: \`bench/fleet_bench.sh $build "$sizes"\`. One promsnmp replica (collection mode
\`all\`, interval $((interval_ms / 1000)) s) polls N devices of $interfaces interfaces each, served by
\`snmp-fleet-sim\` (tests/tools/fleet-sim: the cisco_16_switch recording with a synthesized
IF-MIB of $interfaces interfaces, counters advancing) on consecutive loopback addresses from one
socket. After one warm-up interval, two intervals are measured: interval polls done (each device
should be polled once per interval), the collector's CPU share of one core (utime + stime from
/proc), CPU per device poll, and RSS.

| devices | interval polls done | CPU (one core = 100 %) | CPU per poll | RSS | RSS per device |
|---:|---:|---:|---:|---:|---:|
${rows}
Goal (issue #6): 10,000 devices polled every 30 s by one replica using at most one core on
average and at most 1 GiB RSS; cost per device flat (within 1.5×) from 1k to 20k devices.
EOT
