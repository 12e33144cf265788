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
#      `scraped`: the (device, module set) pairs scraped once): polls done, cycle, CPU, RSS;
#   4. a fleet row with profiles (issue #15): as many devices, half serving cisco_16_switch and
#      half recorded/linux-full-walk (one snmp-fleet-sim, the community picks the recording),
#      found and classified by promsnmp's own discovery with the shipped etc/profiles.yml, each
#      then polled with its profile's modules in collection mode `all`: the same figures.
# Module files: the catalogue's etc/modules/{mib2,host-resources,ucd}.yml and the project's test
# modules, tests/data/modules/peer-current.yml (current format,
# for promsnmp), and its 0.21 conversion by tests/tools/modules_to_v021.py for the peer (one
# copy of each module per auth, "<module>@<auth>"; the auths are the recordings' communities).
# Usage: bench/modules_bench.sh BUILD_DIR [POLLS]   (POLLS per collector and device, default 30)
# Environment: BENCH_WRK_SECONDS (10), BENCH_MODULES_FLEET (10000 devices; 0 skips the fleet row),
# BENCH_PROFILES_FLEET (devices of the fleet row with profiles; default BENCH_MODULES_FLEET, 0
# skips it), BENCH_FLEET_INTERVAL_MS (30000), BENCH_MODULES_PEER (1; 0 skips parts 1 and 2, the
# live polls and cached scrapes next to snmp_exporter, to run the fleet rows alone:
# `BENCH_MODULES_PEER=0 bench/modules_bench.sh build-bench`).
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
profiles_size=${BENCH_PROFILES_FLEET:-$fleet_size}
peer=${BENCH_MODULES_PEER:-1}
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
# The fleet with profiles: the whole catalogue and the shipped profiles, as a site has them; the
# first half of the addresses serves cisco_16_switch, the second linux-full-walk (the community
# discovery is given for each half picks the recording). A device's answer must hold these
# series of its recording's tables (what the profile's modules poll there).
profiles_catalogue="$top/etc/modules/*.yml"
profiles_files=$top/etc/profiles.yml
profile_kinds=(cisco linux)
declare -A profile_tables=(
  [cisco]="sysUpTime ifHCInOctets entPhysicalDescr cpmCPUTotal5minRev ciscoMemoryPoolUsed"
  [linux]="sysUpTime ifHCInOctets hrStorageUsed hrProcessorLoad hrSystemProcesses laLoad memAvailReal ssCpuRawIdle")

work=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-modules-bench.XXXXXX")
chmod 755 "$work" # snmpsimd drops to nobody: its data must be readable through the whole path
trap bench_cleanup EXIT
trap 'exit 130' INT TERM HUP # so that cleanup runs on a signal too

export MIBS="" MIBDIRS="" SNMP_PERSISTENT_DIR="$work/net-snmp"
tools=(curl python3)
((peer)) && tools+=(snmpsimd snmpget wrk "$exporter")
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || die "missing $tool (scripts/deps.sh installs it)"
done
for bin in promsnmp promsnmp-inventory snmp-fleet-sim; do
  [[ -x $build/bin/$bin ]] || die "missing $build/bin/$bin"
done
for file in "${modules_files[@]}"; do
  [[ -r $file ]] || die "missing $file (the catalogue's or the project's test modules)"
done

# --- parts 1 and 2, next to snmp_exporter (BENCH_MODULES_PEER=0 skips them) -------------------------
peer_devices=()
if ((peer)); then
  peer_devices=("${devices[@]}")
  # --- the module files ---------------------------------------------------------------------------
  python3 "$converter" "${modules_files[@]}" "$work/peer-0.21.yml" || die "$converter failed"

  # --- the agent: one snmpsimd, one address per device ---------------------------------------------
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

  # --- promsnmp: the two devices in its inventory, modules from the current-format file --------------
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

  # --- snmp_exporter 0.21 --------------------------------------------------------------------------
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

  # --- live polls ----------------------------------------------------------------------------------
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

  # --- cached scrapes under wrk (promsnmp) and live scrapes of the set (snmp_exporter) --------------
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
fi

# --- the fleets: measured alike ---------------------------------------------------------------------
# fleet_measure SIZE URL PID AFTER: two whole collection cycles after the AFTER-th (two_cycles) of the
# collector at URL (PID) polling SIZE devices, one poll per device and cycle, and what a fleet row
# shows of them. Sets fm_cycles, fm_polls (interval polls done in the window), fm_expected (those
# due: every device once per cycle that ran in it; with overruns, by wall time, once per
# interval, as a cycle then starts late), fm_overruns, fm_last (the last cycle, s), fm_wall (s),
# fm_share (CPU, % of one core), fm_rss_mib, fm_needed (% of one core that every device once per
# interval would take at the measured CPU per poll), fm_cells (the row's cells from polls done to
# RSS per device) and fm_bounds (met, or MISSED: polls done < 99 % of those due, an overrun,
# more than one core or more than 1.5 GiB RSS).
fleet_measure() {
  local size=$1 measured fcpu frss
  measured=$(two_cycles "$2" "$3" "$interval_s" "$4") || die "fleet: no measurement"
  read -r fm_cycles fm_polls fm_overruns fm_last _ fcpu fm_wall frss <<<"$measured"
  # The window runs from the end of one cycle to the end of the second after it, so it is two
  # intervals plus the difference of those cycles' durations; counting by wall time would call
  # the polls of a cycle that ends later than the one before "missing".
  if ((fm_overruns > 0)); then
    fm_expected=$(awk -v n="$size" -v w="$fm_wall" -v i="$interval_s" 'BEGIN {printf "%.0f", n * w / i}')
  else
    fm_expected=$((size * fm_cycles))
  fi
  fm_share=$(awk -v c="$fcpu" -v w="$fm_wall" 'BEGIN {printf "%.1f", 100 * c / w}')
  fm_rss_mib=$(awk -v r="$frss" 'BEGIN {printf "%.0f", r / 1024}')
  fm_needed=$(awk -v c="$fcpu" -v p="$fm_polls" -v n="$size" -v i="$interval_s" \
    'BEGIN {printf "%.0f", (p > 0 ? 100 * c / p * n / i : 0)}')
  fm_cells=$(printf '%d / %d (%.0f %%) | %s s (%d) | %s %% | %.3f ms | %s MiB | %.1f KiB' \
    "$fm_polls" "$fm_expected" \
    "$(awk -v p="$fm_polls" -v e="$fm_expected" 'BEGIN {print (e > 0 ? 100 * p / e : 0)}')" \
    "$fm_last" "$fm_overruns" "$fm_share" \
    "$(awk -v c="$fcpu" -v p="$fm_polls" 'BEGIN {print (p > 0 ? 1000 * c / p : 0)}')" \
    "$fm_rss_mib" "$(awk -v r="$frss" -v n="$size" 'BEGIN {print r / n}')")
  fm_bounds=met
  if ((fm_overruns > 0)) || awk -v p="$fm_polls" -v e="$fm_expected" -v s="$fm_share" -v r="$fm_rss_mib" \
    'BEGIN {exit !(p < 0.99 * e || s > 100 || r > 1536)}'; then
    fm_bounds=MISSED
  fi
  log "fleet: $fm_polls of $fm_expected polls due in $fm_cycles cycles (last $fm_last s, $fm_overruns overruns), CPU $fcpu s over $fm_wall s, RSS $fm_rss_mib MiB"
}
fleet_window_text="two whole cycles are measured, end to end, or when cycles
overrun those that end within three intervals: polls done against those due in
that window (every device once per cycle started in it; by wall time, every device once per
interval, when a cycle overran), the last cycle's duration and the overruns (cycles longer than
the interval), the collector's CPU share of one core (utime + stime over the window), CPU per
poll, RSS at the end, and the series in one device's answer (without promsnmp's own)."
fleet_header="| polls done / due in the window | last cycle (overruns) | CPU (one core = 100 %) | CPU per poll | RSS | RSS per device | series per device |"
fleet_align="---:|---:|---:|---:|---:|---:|---:|"
# Series of an answer without promsnmp's own, and whether it has each name given (a series of it);
# answer_lacks prints the first it lacks.
answer_series() { grep -v -E '^(#|snmp_scrape_|promsnmp_)' "$1" | sed 's/ [^ ]*$//' | sort -u | wc -l; }
answer_lacks() {
  local file=$1 name
  shift
  for name in "$@"; do
    grep -qE "^${name}[{ ]" "$file" || {
      echo "$name"
      return
    }
  done
}
stop_processes() { # PID...
  kill "$@" 2>/dev/null || true
  wait "$@" 2>/dev/null || true
}

# --- the fleet row -----------------------------------------------------------------------------------
fleet_text="**Fleet**: skipped (BENCH_MODULES_FLEET=0)." fleet_goal="not measured (BENCH_MODULES_FLEET=0)"
if ((fleet_size > 0)); then
  log "fleet: $fleet_size devices x $fleet_interfaces interfaces with --host-resources, $fleet_set every $interval_s s..."
  ((peer)) && stop_processes "$promsnmp_pid" "$exporter_pid" "$snmpsimd_pid"
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
  fleet_measure "$fleet_size" "$furl" "$fpid" "$after"
  sim_cpu=$(awk -v t="$(cpu_ticks "$sim_pid")" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", t / hz}')
  log "fleet: simulator CPU total $sim_cpu s"
  # A device's answer now, for the row: series (without promsnmp's own) and bytes.
  curl -fsS -o "$fdir/one.txt" "$furl/snmp?target=$(head -1 "$fdir/names")&module=$fleet_set" || true
  stop_processes "$fpid" "$sim_pid"
  fleet_ok=$fm_bounds
  # The polls must be the module set's: its tables in a device's answer.
  missing=$(answer_lacks "$fdir/one.txt" ifHCInOctets hrStorageUsed hrProcessorLoad sysUpTime)
  [[ -n $missing ]] && fleet_ok="MISSED (no $missing series in a device's answer: not the module set)"
  fleet_goal="$fm_polls of $fm_expected polls due done, $fm_overruns overruns, $fm_share % of one core, $fm_rss_mib MiB RSS: **$fleet_ok**
  (at the measured CPU per poll, every set once per $interval_s s would take $fm_needed % of one core)"
  fleet_text="**Fleet**: \`$fleet_cmd\` (the
cisco_16_switch recording, $fleet_interfaces synthesized interfaces, and the synthesized
HOST-RESOURCES-MIB: 8 hrStorageTable rows and 4 processors, hrStorageUsed and hrProcessorLoad
moving), one promsnmp with the same module file, \`PROMSNMP_COLLECTION_MODE=scraped
COLLECTION_INTERVAL=$interval_ms\`, every device in its inventory. Each device is scraped once with
\`module=$fleet_set\` (curl, 16 at a time, with gzip as Prometheus asks) so that its (device, module set) is polled in the
background; after the cycle running when that ends, $fleet_window_text
Here: $fm_cycles cycles in $fm_wall s.

| devices | module set $fleet_header
|---:|---|$fleet_align
| $fleet_size | \`$fleet_set\` | $fm_cells | $(answer_series "$fdir/one.txt") |"
fi

# --- the fleet row with profiles ---------------------------------------------------------------------
profiles_text="**Fleet with profiles**: skipped (BENCH_PROFILES_FLEET=0)."
profiles_goal="- Fleet with profiles: not measured (BENCH_PROFILES_FLEET=0)" profiles_mix=""
if ((profiles_size > 0)); then
  ((profiles_size >= 2)) || die "BENCH_PROFILES_FLEET: at least 2 devices (one of each half), or 0"
  pdir=$work/profiles
  mkdir -p "$pdir/share" "$pdir/state"
  ((peer && fleet_size == 0)) && stop_processes "$promsnmp_pid" "$exporter_pid" "$snmpsimd_pid"
  # The halves: kind → first index and count (device_address numbering).
  declare -A first=([cisco]=0 [linux]=$((profiles_size / 2)))
  declare -A count=([cisco]=$((profiles_size / 2)) [linux]=$((profiles_size - profiles_size / 2)))
  sim_args=()
  for k in "${profile_kinds[@]}"; do
    gzip -dc "$examples/${recording[$k]}.snmprec.gz" >"$pdir/${community[$k]}.snmprec"
    sim_args+=(--recording "$pdir/${community[$k]}.snmprec")
  done
  pport=$(free_port udp)
  range="$(device_address 0)-$(device_address $((profiles_size - 1)))"
  log "fleet with profiles: $profiles_size devices (${count[cisco]} ${recording[cisco]}, ${count[linux]} ${recording[linux]}) x $fleet_interfaces interfaces, every $interval_s s..."
  profiles_cmd="$build/bin/snmp-fleet-sim --recording \$W/${community[cisco]}.snmprec --recording \$W/${community[linux]}.snmprec --port $pport --devices $range --interfaces $fleet_interfaces --host-resources"
  "$build/bin/snmp-fleet-sim" "${sim_args[@]}" --port "$pport" --devices "$range" \
    --interfaces "$fleet_interfaces" --host-resources >"$pdir/sim.log" 2>&1 &
  pids+=($!)
  sim_pid=${pids[-1]}
  # An empty inventory; promsnmp with the whole catalogue and the shipped profiles, polling every
  # device of its inventory (mode `all`) with the modules discovery gives it.
  export PROM_INV_FILE=$pdir/share/promsnmp-inventory.json PROM_ENCRYPT_KEY=profiles-bench-key \
    PROMSNMP_STATE_DIR=$pdir/state
  "$build/bin/promsnmp-inventory" init >/dev/null
  PROMSNMP_MODULES_FILES="$profiles_catalogue" PROMSNMP_PROFILES_FILES="$profiles_files" \
    PROMSNMP_COLLECTION_MODE=all COLLECTION_INTERVAL=$interval_ms \
    CACHE_ENTRY_CNT=$((profiles_size * 2)) CACHE_EXP_MILLIS=$((interval_ms * 20)) \
    start_promsnmp "$build" "$pdir/promsnmp.log"
  ppid_=$promsnmp_pid
  purl=$promsnmp_url
  # Discovery, as a site finds its devices: one request per half, with that half's community, its
  # addresses as ranges within each /24 (device_address skips .0 and .255). Both are queued at once
  # and run one after the other.
  started=$(date +%s%N)
  runs=()
  for k in "${profile_kinds[@]}"; do
    i=${first[$k]} end=$((${first[$k]} + ${count[$k]})) targets=()
    while ((i < end)); do
      n=$((254 - i % 64516 % 254))
      ((i + n > end)) && n=$((end - i))
      targets+=("\"$(device_address "$i")-$(device_address $((i + n - 1)))\"")
      i=$((i + n))
    done
    body=$(printf '{"potentialTargets":[%s],"agentType":"snmp-community","version":"v2c","port":%d,"readCommunity":"%s"}' \
      "$(
        IFS=,
        echo "${targets[*]}"
      )" "$pport" "${community[$k]}")
    location=$(curl -fsS -D - -o /dev/null -X POST -H 'Content-Type: application/json' -d "$body" \
      "$purl/promsnmp/discovery?scheduleNow=true&saveSeed=false" | tr -d '\r' |
      sed -n 's/^[Ll]ocation: *//p') || die "fleet with profiles: the discovery request was refused"
    [[ -n $location ]] || die "fleet with profiles: no run in the discovery answer"
    runs+=("$purl$location")
  done
  # Each run's "state seconds found": until both have ended (bounded: 2 s per address).
  deadline=$((SECONDS + 60 + 2 * profiles_size))
  run_states=""
  while ((SECONDS < deadline)); do
    run_states=$(for r in "${runs[@]}"; do
      curl -fsS "$r" | python3 -c 'import json, sys
r = json.load(sys.stdin)
print(r["state"], "%.2f" % (r.get("durationSeconds") or 0), r["found"])'
    done)
    grep -qE '^(queued|running) ' <<<"$run_states" || break
    sleep 0.2
  done
  discovery_s=$(awk -v t0="$started" -v t1="$(date +%s%N)" 'BEGIN {printf "%.1f", (t1 - t0) / 1e9}')
  run_list=$(awk '{printf "%s%s s (%s, %d found)", (NR > 1 ? ", " : ""), $2, $1, $3}' <<<"$run_states")
  log "fleet with profiles: discovery of $profiles_size addresses in $discovery_s s (runs: $run_list)"
  grep -qvE '^succeeded ' <<<"$run_states" && die "fleet with profiles: a discovery run did not succeed: $run_list"
  # What discovery gave the devices, from the inventory: per kind (the device's community half),
  # the profiles and module sets, with counts; and what `promsnmp-inventory classify` says of the
  # same sysObjectID and sysDescr with the same profiles file: the profile must be its, the modules
  # its modules plus some of its optional ones.
  curl -fsS -o "$pdir/inventory.json" "$purl/promsnmp/inventory" || die "fleet with profiles: no inventory"
  declare -A profile_of modules_of
  for k in "${profile_kinds[@]}"; do
    read -r sysoid sysdescr_hex found_profile found_modules found_n < <(python3 - "$pdir/inventory.json" \
      "$(device_address "${first[$k]}")" "$(device_address $((${first[$k]} + ${count[$k]} - 1)))" <<'PY'
import collections, ipaddress, json, sys
devices = json.load(open(sys.argv[1]))["devices"]
lo, hi = int(ipaddress.ip_address(sys.argv[2])), int(ipaddress.ip_address(sys.argv[3]))
half = [d for d in devices if lo <= int(ipaddress.ip_address(d["primaryAgent"]["endpoint"]["address"])) <= hi]
kinds = collections.Counter(((d.get("profile") or {}).get("name", "-"), ",".join(d.get("modules", [])) or "-") for d in half)
(profile, modules), _ = kinds.most_common(1)[0] if kinds else (("-", "-"), 0)
one = half[0] if half else {}
# The one profile and module set of the half when all its devices have them, else "mixed".
if len(kinds) != 1:
    profile, modules = "mixed:" + ";".join(f"{p}={n}" for (p, _), n in kinds.items()), "-"
print(one.get("sysObjectID", "-"), (one.get("sysDescr") or "-").encode().hex(), profile, modules, len(half))
PY
    )
    ((found_n == ${count[$k]})) ||
      die "fleet with profiles: $found_n devices in the ${recording[$k]} half of the inventory, not ${count[$k]}"
    sysdescr=$(python3 -c 'import sys; sys.stdout.write(bytes.fromhex(sys.argv[1]).decode())' "$sysdescr_hex")
    classified=$("$build/bin/promsnmp-inventory" --json classify --sys-object-id "$sysoid" \
      --sys-descr "$sysdescr" --profiles "$profiles_files") || die "fleet with profiles: classify failed"
    check=$(python3 -c 'import json, sys
c = json.loads(sys.argv[1]); got = sys.argv[3].split(",")
ok = c["profile"] == sys.argv[2] and got[:len(c["modules"])] == c["modules"] \
  and set(got[len(c["modules"]):]) <= set(c["optionalModules"])
print("ok" if ok else "classify says %s with %s (optional %s)" % (c["profile"], ",".join(c["modules"]), ",".join(c["optionalModules"])))' \
      "$classified" "$found_profile" "$found_modules")
    [[ $check == ok ]] ||
      die "fleet with profiles: discovery gave the ${recording[$k]} half $found_profile with $found_modules, but $check"
    profile_of[$k]=$found_profile
    modules_of[$k]=$found_modules
    profiles_mix+="${profiles_mix:+, }${count[$k]} \`${profile_of[$k]}\`"
    log "fleet with profiles: ${recording[$k]}: ${count[$k]} devices $found_profile, modules $found_modules"
  done
  # The first polls of every device (with the lookups a first poll walks) are not measured: wait
  # until each device was polled once, then for the end of the cycle running then.
  deadline=$((SECONDS + 3 * interval_s))
  read -r _ polled _ < <(collection_state "$purl")
  while ((polled < profiles_size && SECONDS < deadline)); do
    sleep 0.5
    read -r _ polled _ < <(collection_state "$purl")
  done
  ((polled >= profiles_size)) || die "fleet with profiles: $polled of $profiles_size devices polled within $((3 * interval_s)) s"
  read -r after _ < <(collection_state "$purl")
  fleet_measure "$profiles_size" "$purl" "$ppid_" "$after"
  sim_cpu=$(awk -v t="$(cpu_ticks "$sim_pid")" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", t / hz}')
  log "fleet with profiles: simulator CPU total $sim_cpu s"
  # One device of each half, its plain scrape (no module: the device's own modules): the tables
  # of its recording, every module of its set up, and the series.
  profiles_ok=$fm_bounds
  series_cells="" empty_modules=""
  for k in "${profile_kinds[@]}"; do
    name="sim-$(device_address "${first[$k]}" | tr . -)"
    curl -fsS -o "$pdir/$k.txt" "$purl/snmp?target=$name" || : >"$pdir/$k.txt"
    # shellcheck disable=SC2086 # a list of names
    missing=$(answer_lacks "$pdir/$k.txt" ${profile_tables[$k]})
    IFS=, read -r -a mods <<<"${modules_of[$k]}"
    for m in "${mods[@]}"; do
      grep -qxF "promsnmp_module_up{module=\"$m\"} 1" "$pdir/$k.txt" || missing+="${missing:+, }promsnmp_module_up{module=\"$m\"} 1"
      grep -qxF "snmp_scrape_pdus_returned{module=\"$m\"} 0" "$pdir/$k.txt" &&
        empty_modules+="${empty_modules:+, }\`$m\` on ${recording[$k]}"
    done
    [[ -n $missing ]] &&
      profiles_ok="MISSED (no $missing in the answer of $name, a ${profile_of[$k]} device: not its profile's modules)"
    series_cells+="${series_cells:+ / }$(answer_series "$pdir/$k.txt")"
  done
  stop_processes "$ppid_" "$sim_pid"
  profiles_goal="- Fleet with profiles: $profiles_size devices ($profiles_mix), each with its profile's modules, every $interval_s s on at most one core and 1.5 GiB RSS — $fm_polls of $fm_expected polls due done, $fm_overruns overruns, $fm_share % of one core, $fm_rss_mib MiB RSS: **$profiles_ok**
  (at the measured CPU per poll, every device once per $interval_s s would take $fm_needed % of one core)"
  sets=""
  for k in "${profile_kinds[@]}"; do
    sets+="
- ${recording[$k]} (${count[$k]} devices, \`$(device_address "${first[$k]}")\` to \`$(device_address $((${first[$k]} + ${count[$k]} - 1)))\`, community \`${community[$k]}\`): \`${profile_of[$k]}\`, \`${modules_of[$k]//,/, }\`"
  done
  profiles_text="**Fleet with profiles** (issue #15): \`$profiles_cmd\`, one simulator
serving both recordings on every address (the community picks the recording), $fleet_interfaces
synthesized interfaces and the synthesized HOST-RESOURCES-MIB as above; the CISCO-PROCESS-MIB,
CISCO-MEMORY-POOL-MIB, ENTITY-MIB and UCD-SNMP-MIB rows are the recordings' own. One promsnmp
with an empty inventory, the whole catalogue and the shipped profiles:
\`PROMSNMP_MODULES_FILES=etc/modules/*.yml PROMSNMP_PROFILES_FILES=etc/profiles.yml
PROMSNMP_COLLECTION_MODE=all COLLECTION_INTERVAL=$interval_ms\`. Its own discovery finds the
devices (\`POST /promsnmp/discovery\`, one request per half with that half's community, the
addresses as ranges) and classifies each by sysObjectID and sysDescr, setting its modules: the
profile's and the optional ones the agent answers. Discovery of the $profiles_size addresses took
$discovery_s s from the first request to the end of the second run (runs: $run_list). What each
half got (the same as \`promsnmp-inventory classify\` says for its sysObjectID and sysDescr):
$sets

No scrape registers anything: every device is polled in the background with its own modules.
Once every device has had its first poll (which walks the lookup columns too) and the cycle
running then has ended, $fleet_window_text
Each device's answer is its plain \`/snmp?target=\`, checked for its recording's tables
(\`${profile_tables[cisco]// /, }\`; \`${profile_tables[linux]// /, }\`) and every module of its set up.
Here: $fm_cycles cycles in $fm_wall s.${empty_modules:+ Modules that found no rows on the simulator: $empty_modules.}

| devices | profiles ${fleet_header/series per device/series per device (${profile_of[cisco]} / ${profile_of[linux]})}
|---:|---|$fleet_align
| $profiles_size | $profiles_mix | $fm_cells | $series_cells |"
fi

# --- the section -----------------------------------------------------------------------------------
tables=""
goals=""
for d in "${peer_devices[@]}"; do
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


peer_text="Live polls and cached scrapes next to snmp_exporter: skipped (BENCH_MODULES_PEER=0)."
if ((peer)); then
  peer_text="One run, one agent: \`snmpsimd\` $(dpkg-query -W -f '${Version}' snmpsim 2>/dev/null || echo '') serving the snmpsim package's
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
$tables"
fi

cat <<EOT
## Modules: live polls, cached scrapes and fleets, vs snmp_exporter 0.21 (issues #14, #15)

Generated by \`bench/modules_bench.sh $build $polls\` (called from \`bench/run.sh\`).
$peer_text

$fleet_text

$profiles_text

Goals (issues #14 and #15), measured in this run:
$goals
- Fleet: $fleet_size devices with \`$fleet_set\` every $interval_s s on at most one core and 1.5 GiB RSS — $fleet_goal.
$profiles_goal.
EOT
log "done"
