#!/usr/bin/env bash
# Fleet capacity and scaling (issue #6): one promsnmp replica polling N simulated devices of 48
# interfaces every 30 s (collection mode `all`), for N in SIZES. The devices are served by
# snmp-fleet-sim (tests/tools/fleet-sim) from one socket on 127.2.0.0/16 and up.
# For each N: after the first collection cycle (it also walks the label columns), two cycles are
# measured from the end of one cycle to the end of the second next (promsnmp_collection_cycles_total):
# polls done (promsnmp_snmp_polls_total{trigger="interval"}, should be 2 N), cycle duration and
# overruns, CPU (utime + stime) and RSS of the collector.
# With SCRAPED_SIZE (default 10000; "" for none), one more run of that size in which every device
# is also scraped once per interval with gzip, as Prometheus does (curl, spread over the interval):
# the cost of rendering and compressing, which the poll-only rows do not include.
# Usage: bench/fleet_bench.sh BUILD_DIR [SIZES [SCRAPED_SIZE]]   (SIZES default "1000 5000 10000 20000")
# Prints a Markdown section on stdout; progress and diagnostics go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_NAME="fleet bench"
# shellcheck source=bench/common.sh
. bench/common.sh
top=$(pwd)
build=${1:?usage: bench/fleet_bench.sh BUILD_DIR [SIZES [SCRAPED_SIZE]]}
sizes=${2:-1000 5000 10000 20000}
scraped_size=${3-10000}
interval_ms=${BENCH_FLEET_INTERVAL_MS:-30000}
interval_s=$((interval_ms / 1000))
interfaces=48
bin=$top/$build/bin
community=fleet

work=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-fleet-bench.XXXXXX")
trap bench_cleanup EXIT
trap 'exit 130' INT TERM HUP

hz=$(getconf CLK_TCK)
# Scrapes every device once per interval, spread over it: each second, one curl --parallel for
# 1/interval of the devices; stops after SECONDS seconds (or when killed).
scraper() { # URL NAMES_FILE SECONDS
  local url=$1 list=$2 seconds=$3 n per k part
  n=$(wc -l <"$list")
  per=$(((n + interval_s - 1) / interval_s))
  split -l "$per" -d -a 3 "$list" "$list.part."
  for part in "$list".part.???; do
    sed "s|.*|url = \"$url/snmp?target=&\"\noutput = /dev/null|" "$part" >"$part.cfg"
  done
  for ((k = 0; k < seconds; k++)); do
    part=$(printf '%s.part.%03d.cfg' "$list" $((k % interval_s)))
    if [[ -f $part ]]; then
      curl -sS --parallel --parallel-max 8 -H 'Accept-Encoding: gzip' -K "$part" &
    fi
    sleep 1
  done
  wait
}

[[ -x $bin/snmp-fleet-sim ]] || die "missing $bin/snmp-fleet-sim"
gzip -dc /usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz >"$work/$community.snmprec"

rows=""
declare -A share per_poll rss_mib done_pct missed # by size, poll-only runs
run_size() { # N SCRAPED(0|1)
  local n=$1 scraped=$2 dir port sim_pid pid url scraper_pid="" label=""
  local sim_ticks
  ((scraped)) && label=", each scraped once per interval"
  log "$n devices x $interfaces interfaces, every $interval_s s$label..."
  dir=$work/$n-$scraped
  mkdir -p "$dir/share" "$dir/state"
  port=$(free_port udp)
  # The inventory: N devices, one v2c agent each, on consecutive loopback addresses.
  fleet_inventory "$n" "$port" "$community" "$dir/names" >"$dir/inventory.json"
  export PROM_INV_FILE=$dir/share/promsnmp-inventory.json PROM_ENCRYPT_KEY=fleet-bench-key \
    PROMSNMP_STATE_DIR=$dir/state
  "$bin/promsnmp-inventory" init --import "$dir/inventory.json" >/dev/null
  "$bin/snmp-fleet-sim" --data-dir "$work" --port "$port" \
    --devices "$(device_address 0)-$(device_address $((n - 1)))" \
    --interfaces "$interfaces" >"$dir/sim.log" 2>&1 &
  pids+=($!)
  sim_pid=${pids[-1]}
  COLLECTION_INTERVAL=$interval_ms PROMSNMP_COLLECTION_MODE=all CACHE_ENTRY_CNT=$((n * 2)) \
    CACHE_EXP_MILLIS=$((interval_ms * 4)) start_promsnmp "$top/$build" "$dir/promsnmp.log"
  pid=$promsnmp_pid
  url=$promsnmp_url
  if ((scraped)); then
    scraper "$url" "$dir/names" $((4 * interval_s)) >"$dir/scraper.log" 2>&1 &
    pids+=($!)
    scraper_pid=${pids[-1]}
  fi
  # Warm-up: the first cycle (it starts at once). Then two whole cycles, end to end.
  local measured cycles polls overruns d1 scrapes cpu wall rss
  measured=$(two_cycles "$url" "$pid" "$interval_s") || die "$n devices: no measurement"
  read -r cycles polls overruns d1 scrapes cpu wall rss <<<"$measured"
  sim_ticks=$(cpu_ticks "$sim_pid")
  if [[ -n $scraper_pid ]]; then
    kill "$scraper_pid" 2>/dev/null || true
  fi
  kill "$pid" "$sim_pid" 2>/dev/null || true
  wait "$pid" "$sim_pid" 2>/dev/null || true
  local expected=$((cycles * n))
  rows+=$(printf '| %d%s | %d / %d (%.0f %%) | %.1f s (%d) | %.1f %% | %.3f ms | %.0f MiB | %.1f KiB |' \
    "$n" "${label:+, scraped}" "$polls" "$expected" \
    "$(echo "100 * $polls / ($expected + 0.000001)" | bc -l)" "$d1" "$overruns" \
    "$(echo "100 * $cpu / $wall" | bc -l)" "$(echo "1000 * $cpu / ($polls + 0.000001)" | bc -l)" \
    "$(echo "$rss / 1024" | bc -l)" "$(echo "$rss / $n" | bc -l)")$'\n'
  if ((!scraped)); then
    share[$n]=$(echo "100 * $cpu / $wall" | bc -l)
    per_poll[$n]=$(echo "1000 * $cpu / ($polls + 0.000001)" | bc -l)
    rss_mib[$n]=$(echo "$rss / 1024" | bc -l)
    done_pct[$n]=$(echo "100 * $polls / ($expected + 0.000001)" | bc -l)
    missed[$n]=$((expected - polls))
  fi
  log "$n devices$label: $polls of $expected polls in $cycles cycles (last $d1 s, $overruns overruns, $scrapes scrapes served), CPU $(printf '%.2f' "$cpu") s over $(printf '%.1f' "$wall") s, RSS $((rss / 1024)) MiB (simulator CPU total $((sim_ticks / hz)) s)"
}

for n in $sizes; do
  run_size "$n" 0
done
if [[ -n $scraped_size ]]; then
  run_size "$scraped_size" 1
fi

# The goals, from the poll-only rows.
goal_10k="not measured (no 10000 in SIZES)"
if [[ -n ${share[10000]:-} ]]; then
  verdict=met
  if ((missed[10000] > 0)) || (($(echo "${share[10000]} > 100 || ${rss_mib[10000]} > 1024" | bc -l))); then
    verdict=MISSED
  fi
  goal_10k=$(printf '%.0f %% of the interval polls done, %.1f %% of one core, %.0f MiB RSS: **%s**' \
    "${done_pct[10000]}" "${share[10000]}" "${rss_mib[10000]}" "$verdict")
fi
lo="" hi=""
for n in $sizes; do
  [[ -z $lo ]] || (($(echo "${per_poll[$n]} < ${per_poll[$lo]}" | bc -l))) && lo=$n
  [[ -z $hi ]] || (($(echo "${per_poll[$n]} > ${per_poll[$hi]}" | bc -l))) && hi=$n
done
spread=$(echo "${per_poll[$hi]} / ${per_poll[$lo]}" | bc -l)
verdict=met
(($(echo "$spread > 1.5" | bc -l))) && verdict=MISSED
goal_flat=$(printf 'CPU per poll from %.3f ms (%d devices) to %.3f ms (%d devices), %.2f×: **%s**' \
  "${per_poll[$lo]}" "$lo" "${per_poll[$hi]}" "$hi" "$spread" "$verdict")

cat <<EOT
## Fleet capacity and scaling (issue #6)

Command: \`bench/fleet_bench.sh $build "$sizes" "$scraped_size"\`. One promsnmp replica (collection
mode \`all\`, interval $interval_s s) polls N devices of $interfaces interfaces each, served by
\`snmp-fleet-sim\` (tests/tools/fleet-sim: the cisco_16_switch recording with a synthesized IF-MIB
of $interfaces interfaces, counters advancing) on consecutive loopback addresses from one socket.
After the first collection cycle, two whole cycles are measured, from the end of one to the end of
the second next: polls done (each device once per cycle), the last cycle's duration and the
overruns (cycles longer than the interval), the collector's CPU share of one core (utime + stime
from /proc, over the whole window of about two intervals), CPU per device poll, and RSS at the end.
The row marked *scraped* also has every device scraped once per interval with gzip (curl, spread
over the interval), as Prometheus would: its CPU includes rendering and compressing every answer,
which the poll-only rows leave out (a device's text is rendered on its first scrape after a poll,
on the HTTP thread, not by the poll).

| devices | interval polls done | last cycle (overruns) | CPU (one core = 100 %) | CPU per poll | RSS | RSS per device |
|---:|---:|---:|---:|---:|---:|---:|
${rows}
Goals (issue #6), measured in the poll-only rows of this run:
- 10,000 devices polled every 30 s by one replica with at most one core on average and at most
  1 GiB RSS — $goal_10k.
- Cost per device flat within 1.5× from the smallest to the largest fleet ($sizes) — $goal_flat.
EOT
