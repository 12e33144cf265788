#!/usr/bin/env bash
# Issue #14 modules benchmark, called by bench/run.sh: promsnmp serving snmp_exporter modules and
# its peer, Debian's prometheus-snmp-exporter 0.21, in ONE run:
#   1. live polls of a module set, sequentially, on ONE snmpsimd serving two recordings:
#      recorded/linux-full-walk with if_mib, system, the HOST-RESOURCES modules and the UCD ones;
#      cisco_16_switch with if_mib and system. promsnmp polls the whole set for one scrape
#      (`module=a,b,...`); 0.21 has one module per scrape, so the peer's poll of the set is one
#      scrape per module, in turn. Collector CPU, request packets (iptables rule counters) and
#      varbinds per poll of the set;
#   2. promsnmp's cached scrapes of the set under wrk, next to the peer's live scrapes of it;
#   3. a fleet row: 10,000 snmp-fleet-sim devices (48 interfaces, --host-resources) polled every
#      30 s with if_mib + system + hrStorage + hrProcessor by one promsnmp (collection mode
#      `scraped`: the (device, module set) pairs scraped once): polls done, cycle, CPU, RSS.
# Module files: the catalogue's etc/modules/{mib2,host-resources,ucd}.yml and the project's test
# modules, tests/data/modules/peer-current.yml (current format,
# for promsnmp), and its 0.21 conversion by tests/tools/modules_to_v021.py for the peer (one
# copy of each module per auth, "<module>@<auth>"; the auths are the recordings' communities).
# Usage: bench/modules_bench.sh BUILD_DIR [POLLS]   (POLLS per collector and device, default 30)
# Environment: BENCH_WRK_SECONDS (10), BENCH_MODULES_FLEET (10000 devices; 0 skips the fleet row),
# BENCH_FLEET_INTERVAL_MS (30000).
# Prints a Markdown section on stdout; progress and diagnostics go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_NAME="modules bench"
# shellcheck source=bench/common.sh
. bench/common.sh
top=$(pwd)
build=${1:?usage: bench/modules_bench.sh BUILD_DIR [POLLS]}
poll_batches "${2:-30}"
wrk_seconds=${BENCH_WRK_SECONDS:-10}
fleet_size=${BENCH_MODULES_FLEET:-10000}
interval_ms=${BENCH_FLEET_INTERVAL_MS:-30000}
interval_s=$((interval_ms / 1000))
# The catalogue's modules the devices poll, and the test auths (peer-current.yml).
modules_files=(etc/modules/mib2.yml etc/modules/host-resources.yml etc/modules/ucd.yml
  tests/data/modules/peer-current.yml)
modules_list=$(printf "%s," "${modules_files[@]/#/$top/}")
modules_list=${modules_list%,}
converter=tests/tools/modules_to_v021.py
examples=/usr/share/doc/snmpsim/examples/data
# The devices: name, recording (below $examples), community (the recording's file name, as
# snmpsimd derives it, and the module file's auth of that name), address, module set.
devices=(linux cisco)
declare -A recording=([linux]=recorded/linux-full-walk [cisco]=cisco_16_switch)
declare -A community=([linux]=linux-full-walk [cisco]=cisco_16_switch)
declare -A address=([linux]=127.0.0.1 [cisco]=127.0.0.2)
declare -A module_set=(
  [linux]="if_mib,system,hrStorage,hrDevice,hrProcessor,hrSWRun,hrSystem,ucd_la_table,ucd_memory,ucd_system_stats"
  [cisco]="if_mib,system")
fleet_set=if_mib,system,hrStorage,hrProcessor
fleet_interfaces=48

work=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-modules-bench.XXXXXX")
chmod 755 "$work" # snmpsimd drops to nobody: its data must be readable through the whole path
trap bench_cleanup EXIT
trap 'exit 130' INT TERM HUP # so that cleanup runs on a signal too

export MIBS="" MIBDIRS="" SNMP_PERSISTENT_DIR="$work/net-snmp"
for tool in snmpsimd snmpget curl wrk python3 "$exporter"; do
  command -v "$tool" >/dev/null || die "missing $tool (scripts/deps.sh installs it)"
done
for bin in promsnmp promsnmp-inventory snmp-fleet-sim; do
  [[ -x $build/bin/$bin ]] || die "missing $build/bin/$bin"
done
for file in "${modules_files[@]}"; do
  [[ -r $file ]] || die "missing $file (the catalogue's or the project's test modules)"
done

# --- the module files ---------------------------------------------------------------------------
python3 "$converter" "${modules_files[@]}" "$work/peer-0.21.yml" || die "$converter failed"

# --- the agent: one snmpsimd, one address per device -----------------------------------------------
mkdir -p "$work/data"
for d in "${devices[@]}"; do
  gzip -dc "$examples/${recording[$d]}.snmprec.gz" >"$work/data/${community[$d]}.snmprec"
done
agent_port=$(free_port udp)
endpoints=()
for d in "${devices[@]}"; do endpoints+=("${address[$d]}:$agent_port"); done
log "snmpsimd on ${endpoints[*]}..."
start_snmpsimd "$work/data" "${endpoints[@]}"
for d in "${devices[@]}"; do
  wait_for snmpsimd "$snmpsimd_pid" 120 snmpget -v2c -c "${community[$d]}" -t 1 -r 0 \
    "${address[$d]}:$agent_port" 1.3.6.1.2.1.1.5.0
done

# --- promsnmp: the two devices in its inventory, modules from the current-format file ----------------
mkdir -p "$work/inventory" "$work/state"
export PROM_INV_FILE="$work/inventory/promsnmp-inventory.json" PROM_ENCRYPT_KEY=bench-key \
  PROMSNMP_STATE_DIR="$work/state"
"$build/bin/promsnmp-inventory" init >/dev/null
for d in "${devices[@]}"; do
  "$build/bin/promsnmp-inventory" add-device --sys-name "$d" --address "${address[$d]}" \
    --port "$agent_port" --community "${community[$d]}" --timeout 5000 >/dev/null
done
PROMSNMP_MODULES_FILES="$modules_list" COLLECTION_INTERVAL=3600000 CACHE_EXP_MILLIS=3600000 \
  start_promsnmp "$build" "$work/promsnmp.log"
evict_url=$promsnmp_url/promsnmp/evictCache

# --- snmp_exporter 0.21 ----------------------------------------------------------------------------
start_exporter "$work/peer-0.21.yml"

declare -A scrape_promsnmp scrape_exporter # the peer's: one URL per module, space-separated
for d in "${devices[@]}"; do
  scrape_promsnmp[$d]="$promsnmp_url/snmp?target=$d&module=${module_set[$d]}"
  scrape_exporter[$d]=""
  IFS=, read -r -a mods <<<"${module_set[$d]}"
  for m in "${mods[@]}"; do
    scrape_exporter[$d]+="$exporter_url/snmp?target=${address[$d]}:$agent_port&module=$m@${community[$d]} "
  done
done

# Series of a scrape, without either collector's own (snmp_scrape_*, promsnmp_*): name{labels}.
series() { grep -v -E '^(#|snmp_scrape_|promsnmp_)' "$@" | sed 's/ [^ ]*$//' | sort -u; }

# --- live polls ------------------------------------------------------------------------------------
count_packets "$agent_port" || true
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for d in "${devices[@]}"; do
  read -r -a urls <<<"${scrape_exporter[$d]}"
  log "$d (${module_set[$d]}): $batches batches of $batch live polls, promsnmp then snmp_exporter (${#urls[@]} scrapes a poll)..."
  curl -sf -o /dev/null "$evict_url"
  curl -sf -o /dev/null "${scrape_promsnmp[$d]}" || die "promsnmp: ${scrape_promsnmp[$d]} failed"
  for u in "${urls[@]}"; do curl -sf -o /dev/null "$u" || die "snmp_exporter: $u failed"; done
  live_polls "promsnmp-$d" "$promsnmp_pid" "$promsnmp_url/metrics" \
    "$evict_url" "${scrape_promsnmp[$d]}"
  live_polls "exporter-$d" "$exporter_pid" - - "${urls[@]}"
  series "$work/promsnmp-$d.last" >"$work/promsnmp-$d.series"
  series "$work/exporter-$d.last" >"$work/exporter-$d.series"
done

# --- cached scrapes under wrk (promsnmp) and live scrapes of the set (snmp_exporter) ----------------
for d in "${devices[@]}"; do
  read -r -a urls <<<"${scrape_exporter[$d]}"
  log "$d: wrk ${wrk_seconds}s of cached scrapes at 64 connections, then ${wrk_seconds}s of snmp_exporter at 4..."
  curl -sf -o /dev/null "${scrape_promsnmp[$d]}" # the cache holds the set
  wrk_run "cached-$d" 64 "${scrape_promsnmp[$d]}" "$promsnmp_pid"
  # The peer's set is ${#urls[@]} scrapes: wrk cycles through them, the sets per second are its
  # requests per second divided by that.
  {
    echo 'local paths = {'
    for u in "${urls[@]}"; do echo "  \"/${u#http://*/}\","; done
    echo '}'
    echo 'local i = 0'
    echo 'request = function() i = i % #paths + 1; return wrk.format("GET", paths[i]) end'
  } >"$work/exporter-$d.lua"
  wrk_run "exporter-live-$d" 4 "$exporter_url/" "$exporter_pid" -s "$work/exporter-$d.lua" --timeout 30s
  for n in "cached-$d" "exporter-live-$d"; do sed "s/^/wrk $n: /" "$work/$n.wrk" >&2; done
done

# --- the fleet row -----------------------------------------------------------------------------------
fleet_row="" fleet_goal="not measured (BENCH_MODULES_FLEET=0)" fleet_cmd=""
if ((fleet_size > 0)); then
  log "fleet: $fleet_size devices x $fleet_interfaces interfaces with --host-resources, $fleet_set every $interval_s s..."
  kill "$promsnmp_pid" "$exporter_pid" "$snmpsimd_pid" 2>/dev/null || true
  wait "$promsnmp_pid" "$exporter_pid" "$snmpsimd_pid" 2>/dev/null || true
  fdir=$work/fleet
  mkdir -p "$fdir/share" "$fdir/state"
  gzip -dc "$examples/cisco_16_switch.snmprec.gz" >"$fdir/fleet.snmprec"
  fport=$(free_port udp)
  fleet_inventory "$fleet_size" "$fport" fleet "$fdir/names" >"$fdir/inventory.json"
  export PROM_INV_FILE=$fdir/share/promsnmp-inventory.json PROM_ENCRYPT_KEY=fleet-bench-key \
    PROMSNMP_STATE_DIR=$fdir/state
  "$build/bin/promsnmp-inventory" init --import "$fdir/inventory.json" >/dev/null
  fleet_cmd="$build/bin/snmp-fleet-sim --recording \$W/fleet.snmprec --port $fport --devices $(device_address 0)-$(device_address $((fleet_size - 1))) --interfaces $fleet_interfaces --host-resources"
  "$build/bin/snmp-fleet-sim" --recording "$fdir/fleet.snmprec" --port "$fport" \
    --devices "$(device_address 0)-$(device_address $((fleet_size - 1)))" \
    --interfaces "$fleet_interfaces" --host-resources >"$fdir/sim.log" 2>&1 &
  pids+=($!)
  sim_pid=${pids[-1]}
  # Mode `scraped`: only the (device, module set) pairs scraped here are polled. The cache TTL
  # (which also ends the background polling of a set no longer scraped) outlasts the run.
  PROMSNMP_MODULES_FILES="$modules_list" COLLECTION_INTERVAL=$interval_ms \
    PROMSNMP_COLLECTION_MODE=scraped CACHE_ENTRY_CNT=$((fleet_size * 2)) \
    CACHE_EXP_MILLIS=$((interval_ms * 20)) start_promsnmp "$build" "$fdir/promsnmp.log"
  fpid=$promsnmp_pid
  furl=$promsnmp_url
  # Register every (device, module set): one scrape each (a live poll), 16 at a time, asking for
  # gzip as Prometheus does (the answer is kept in the cache as sent).
  sed "s|.*|url = \"$furl/snmp?target=&\&module=$fleet_set\"\noutput = /dev/null|" "$fdir/names" \
    >"$fdir/register.cfg"
  started=$SECONDS
  curl -sS --parallel --parallel-max 16 -H 'Accept-Encoding: gzip' -K "$fdir/register.cfg" \
    >"$fdir/register.log" 2>&1 ||
    log "fleet: some registration scrapes failed: $(head -3 "$fdir/register.log")"
  registered=$(curl -fsS "$furl/metrics" | awk '/^promsnmp_snmp_polls_total\{.*trigger="scrape"/ {s += $2} END {printf "%.0f", s}')
  log "fleet: $registered live polls for the registration in $((SECONDS - started)) s"
  read -r after _ < <(collection_state "$furl")
  measured=$(two_cycles "$furl" "$fpid" "$interval_s" "$after") || die "fleet: no measurement"
  read -r cycles fpolls overruns last_cycle _ fcpu fwall frss <<<"$measured"
  sim_cpu=$(awk -v t="$(cpu_ticks "$sim_pid")" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", t / hz}')
  # A device's answer now, for the row: series (without promsnmp's own) and bytes.
  curl -fsS -o "$fdir/one.txt" "$furl/snmp?target=$(head -1 "$fdir/names")&module=$fleet_set" || true
  one_series=$(series "$fdir/one.txt" | wc -l)
  kill "$fpid" "$sim_pid" 2>/dev/null || true
  wait "$fpid" "$sim_pid" 2>/dev/null || true
  # The polls due in the window: every set once per cycle that started in it. The window runs
  # from the end of one cycle to the end of the second after it, so it is two intervals plus the
  # difference of those cycles' durations; counting by wall time would call the polls of a cycle
  # that ends later than the one before "missing". With overruns, by wall time (a cycle then
  # starts late, and the sets wait).
  if ((overruns > 0)); then
    expected=$(awk -v n="$fleet_size" -v w="$fwall" -v i="$interval_s" 'BEGIN {printf "%.0f", n * w / i}')
  else
    expected=$((fleet_size * cycles))
  fi
  share=$(awk -v c="$fcpu" -v w="$fwall" 'BEGIN {printf "%.1f", 100 * c / w}')
  rss_mib=$(awk -v r="$frss" 'BEGIN {printf "%.0f", r / 1024}')
  fleet_row=$(printf '| %d | %s | %d / %d (%.0f %%) | %s s (%d) | %s %% | %.3f ms | %s MiB | %.1f KiB | %d |' \
    "$fleet_size" "\`$fleet_set\`" "$fpolls" "$expected" \
    "$(awk -v p="$fpolls" -v e="$expected" 'BEGIN {print (e > 0 ? 100 * p / e : 0)}')" \
    "$last_cycle" "$overruns" "$share" \
    "$(awk -v c="$fcpu" -v p="$fpolls" 'BEGIN {print (p > 0 ? 1000 * c / p : 0)}')" \
    "$rss_mib" "$(awk -v r="$frss" -v n="$fleet_size" 'BEGIN {print r / n}')" "$one_series")
  fleet_ok=met
  # The polls must be the module set's: its tables in a device's answer.
  for name in ifHCInOctets hrStorageUsed hrProcessorLoad sysUpTime; do
    grep -qE "^$name[{ ]" "$fdir/one.txt" || fleet_ok="MISSED (no $name series in a device's answer: not the module set)"
  done
  if [[ $fleet_ok != met ]]; then
    :
  elif ((overruns > 0)) || awk -v p="$fpolls" -v e="$expected" -v s="$share" -v r="$rss_mib" \
    'BEGIN {exit !(p < 0.99 * e || s > 100 || r > 1536)}'; then
    fleet_ok=MISSED
  fi
  # What polling every set every interval costs at the measured CPU per poll (the share above
  # is lower when the collector falls behind).
  needed=$(awk -v c="$fcpu" -v p="$fpolls" -v n="$fleet_size" -v i="$interval_s" \
    'BEGIN {printf "%.0f", (p > 0 ? 100 * c / p * n / i : 0)}')
  fleet_goal="$fpolls of $expected polls due done, $overruns overruns, $share % of one core, $rss_mib MiB RSS: **$fleet_ok**
  (at the measured CPU per poll, every set once per $interval_s s would take $needed % of one core)"
  log "fleet: $fpolls of $expected polls due in $cycles cycles (last $last_cycle s, $overruns overruns), CPU $fcpu s over $fwall s, RSS $rss_mib MiB (simulator CPU total $sim_cpu s)"
fi

# --- the section -----------------------------------------------------------------------------------
tables=""
goals=""
for d in "${devices[@]}"; do
  read -r -a urls <<<"${scrape_exporter[$d]}"
  p_cpu=$(median "$work/promsnmp-$d.polls" 1)
  e_cpu=$(median "$work/exporter-$d.polls" 1)
  p_cpub=$(median "$work/promsnmp-$d.batches" 1)
  e_cpub=$(median "$work/exporter-$d.batches" 1)
  p_pkts=$(median "$work/promsnmp-$d.polls" 3)
  e_pkts=$(median "$work/exporter-$d.polls" 3)
  p_ans=$(median "$work/promsnmp-$d.polls" 4)
  e_ans=$(median "$work/exporter-$d.polls" 4)
  p_own=$(median "$work/promsnmp-$d.batches" 2)
  e_own=$(metric_sum "$work/exporter-$d.last" snmp_scrape_packets_sent)
  p_vb=$(median "$work/promsnmp-$d.batches" 4)
  p_vb_own=$(median "$work/promsnmp-$d.polls" 6)
  e_vb=$(median "$work/exporter-$d.polls" 6)
  p_wall=$(median "$work/promsnmp-$d.polls" 2)
  e_wall=$(median "$work/exporter-$d.polls" 2)
  p_series=$(wc -l <"$work/promsnmp-$d.series")
  e_series=$(wc -l <"$work/exporter-$d.series")
  common=$(comm -12 "$work/promsnmp-$d.series" "$work/exporter-$d.series" | wc -l)
  c_rps=$(wrk_rps "cached-$d")
  c_p99=$(wrk_p99 "cached-$d")
  c_cpu=$(wrk_cpu "cached-$d")
  e_rps=$(awk -v r="$(wrk_rps "exporter-live-$d")" -v n="${#urls[@]}" 'BEGIN {if (r != "") printf "%.2f", r / n}')
  e_wcpu=$(awk -v c="$(wrk_cpu "exporter-live-$d")" -v n="${#urls[@]}" 'BEGIN {if (c != "n/a" && c != "") printf "%.3f", c * n; else print "n/a"}')
  cpu_ratio=$(ratio "$p_cpu" "$e_cpu" 3)
  pkts=$p_pkts
  [[ $pkts == n/a ]] && pkts=$p_own
  e_pkts_any=$e_pkts
  [[ $e_pkts_any == n/a ]] && e_pkts_any=$e_own
  pkt_ratio=$(ratio "$pkts" "$e_pkts_any")
  notes=""
  for n in "cached-$d" "exporter-live-$d"; do
    e=$(wrk_errors "$n")
    [[ -n $e ]] && notes+="
wrk ($n) reported: $e."
  done
  tables+="
### \`${recording[$d]}\`: \`${module_set[$d]//,/, }\`

promsnmp: \`curl $evict_url\`, then
\`curl '${scrape_promsnmp[$d]}'\`. snmp_exporter: one scrape per module, in turn:
\`curl '$exporter_url/snmp?target=${address[$d]}:$agent_port&module=M@${community[$d]}'\` for each M.
Series in the answers (without \`snmp_scrape_*\` and \`promsnmp_*\`): promsnmp $p_series,
snmp_exporter $e_series, $common of them the same name and labels.

| figure | promsnmp | snmp_exporter $exporter_version | promsnmp / snmp_exporter |
|---|---:|---:|---:|
| collector CPU per live poll of the set (schedstat, median of $polls) | $(fmt "$p_cpu") ms | $(fmt "$e_cpu") ms | $cpu_ratio |
| collector CPU per live poll of the set (/proc/PID/stat, median of $batches batches of $batch) | $p_cpub ms | $e_cpub ms | $(ratio "$p_cpub" "$e_cpub" 3) |
| request packets to the agent per poll of the set (iptables, median) | $p_pkts | $e_pkts | $(ratio "$p_pkts" "$e_pkts") |
| — the collector's own count | $p_own (\`promsnmp_snmp_packets_sent_total\`) | $e_own (\`snmp_scrape_packets_sent\`, summed) | |
| answers from the agent per poll (iptables, median) | $p_ans | $e_ans | $(ratio "$p_ans" "$e_ans") |
| varbinds received per poll of the set | $p_vb (\`promsnmp_snmp_varbinds_received_total\`; the answer's \`snmp_scrape_pdus_returned\` sum: $p_vb_own) | $e_vb (\`snmp_scrape_pdus_returned\`, summed) | $(ratio "$p_vb" "$e_vb") |
| wall time per live poll of the set (median; the agent's speed) | $(fmt "$p_wall" 0) ms | $(fmt "$e_wall" 0) ms | $(ratio "$p_wall" "$e_wall") |
| sets/s under wrk (promsnmp cached, 64 connections; snmp_exporter live, 4 connections cycling through the ${#urls[@]} modules) | $(rate "$c_rps") | $(rate "$e_rps") | $(ratio "$c_rps" "$e_rps" 0) |
| p99 latency of one scrape, same wrk runs | $c_p99 ms | $(wrk_p99 "exporter-live-$d") ms (one module) | |
| collector CPU per set, same wrk runs (/proc/PID/stat) | $c_cpu ms | $e_wcpu ms | $(ratio "$c_cpu" "$e_wcpu" 4) |
$notes
"
  cpu_verdict=$(verdict "${cpu_ratio%×}" "<=" 0.3)
  pkt_verdict=$(verdict "${pkt_ratio%×}" "<=" 0.5)
  if ((p_series != e_series || common != e_series)); then
    # Figures of answers that differ compare different work (a binary without modules
    # answers the interface set alone, at a fraction of the cost).
    cpu_verdict="NOT COMPARABLE: the answers differ ($p_series and $e_series series, $common the same)"
    pkt_verdict=$cpu_verdict
    log "$d: the answers differ ($p_series and $e_series series, $common the same): no verdict"
  fi
  goals+="
- \`${recording[$d]}\`: CPU per live poll $(fmt "$p_cpu") ms vs $(fmt "$e_cpu") ms = $cpu_ratio (goal ≤ 0.3×) — **$cpu_verdict**;
  request packets $pkts vs $e_pkts_any = $pkt_ratio (goal ≤ 0.5×) — **$pkt_verdict**."
done

fleet_text="**Fleet**: skipped (BENCH_MODULES_FLEET=0)."
if [[ -n $fleet_row ]]; then
  fleet_text="**Fleet**: \`$fleet_cmd\` (the
cisco_16_switch recording, $fleet_interfaces synthesized interfaces, and the synthesized
HOST-RESOURCES-MIB: 8 hrStorageTable rows and 4 processors, hrStorageUsed and hrProcessorLoad
moving), one promsnmp with the same module file, \`PROMSNMP_COLLECTION_MODE=scraped
COLLECTION_INTERVAL=$interval_ms\`, every device in its inventory. Each device is scraped once with
\`module=$fleet_set\` (curl, 16 at a time, with gzip as Prometheus asks) so that its (device, module set) is polled in the
background; after the cycle running when that ends, two whole cycles are measured, end to end,
or when cycles overrun those that end within three intervals (here: $cycles in $fwall s):
polls done against those due in that window (every set once per cycle started in it; by wall
time, every set once per interval, when a cycle overran), the last cycle's
duration and the overruns (cycles longer than the interval), the collector's CPU share of one
core (utime + stime over the window), CPU per poll, RSS at the end, and the series in one
device's answer (without promsnmp's own).

| devices | module set | polls done / due in the window | last cycle (overruns) | CPU (one core = 100 %) | CPU per poll | RSS | RSS per device | series per device |
|---:|---|---:|---:|---:|---:|---:|---:|---:|
$fleet_row"
fi

cat <<EOT
## Modules: live polls, cached scrapes and a fleet, vs snmp_exporter 0.21 (issue #14)

Generated by \`bench/modules_bench.sh $build $polls\` (called from \`bench/run.sh\`). One run, one
agent: \`snmpsimd\` $(dpkg-query -W -f '${Version}' snmpsim 2>/dev/null || echo '') serving the snmpsim package's
\`recorded/linux-full-walk\` on ${address[linux]} and \`cisco_16_switch\` on ${address[cisco]} (port $agent_port;
communities \`${community[linux]}\` and \`${community[cisco]}\` pick the recording; it answers at most 64 varbinds per response), polled by
\`$build/bin/promsnmp\` and by the peer, Debian's prometheus-snmp-exporter $exporter_version (\`$exporter\`),
one collector at a time. The machine's $(nproc) cores are shared by the agent, the collector under
test, curl or wrk, and this script (load average before the run: $load_before).

Modules: \`${modules_files[*]}\` (the catalogue's and the project's test modules, current format, written from the MIBs
for the side-by-side test) for promsnmp; for the peer, which has no \`auths\`, its conversion by
\`$converter\` (one copy of each module per auth, \`<module>@<auth>\`, the auth's community
embedded). promsnmp has both devices in its inventory (v2c, the same communities) and reads the
modules with \`PROMSNMP_MODULES_FILES\`; \`COLLECTION_INTERVAL\` and \`CACHE_EXP_MILLIS\` of an hour,
so no background poll runs.

**Live poll of the set**, $polls sequential polls per collector and device, in $batches batches of $batch.
promsnmp answers the whole set in one scrape; \`evictCache\` first makes it a live poll (no
previous poll: it walks the lookup columns too, as the peer does on every scrape). snmp_exporter
0.21 takes one module per scrape (several per scrape came in 0.24), so its poll of the set is one
scrape per module, in turn, and its figures are sums over them.
*CPU* is the collector's over the whole poll: the sum over its threads of
\`/proc/PID/task/*/schedstat\` run time, median of the polls; beside it utime+stime of
\`/proc/PID/stat\` over each batch divided by $batch. *Packets*: UDP datagrams to and from the agent's
port (\`iptables -I OUTPUT -p udp --dport $agent_port -j ACCEPT\` and \`--sport $agent_port\`, read before and
after each poll). *Varbinds*: promsnmp's own counter over each batch divided by $batch; the
peer's \`snmp_scrape_pdus_returned\` of each module summed. snmpsimd is written in Python: wall
time is mostly the agent's, compare CPU and packets.

**Cached scrapes**: \`wrk -t2 -c64 -d${wrk_seconds}s --latency\` on promsnmp's scrape of the set
(the cache holds the last poll). The peer has no cache: its figure is live scrapes, 4
connections (wrk \`--timeout 30s\`: a module takes seconds on snmpsimd under load), its wrk
script cycling through the set's modules; sets per second = its requests per second / the
number of modules.
$tables
$fleet_text

Goals (issue #14), measured in this run:
$goals
- Fleet: $fleet_size devices with \`$fleet_set\` every $interval_s s on at most one core and 1.5 GiB RSS — $fleet_goal.
EOT
log "done"
