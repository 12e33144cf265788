#!/usr/bin/env bash
# Discovery sweep benchmark (issue #4): one promsnmp (standalone leader) sweeps a /16 of
# loopback addresses (65,536 probes) in which a few dozen addresses run real agents (one
# snmpsimd bound to each of them). Two cases:
#   unreachable: the empty addresses answer ICMP "port unreachable" (what Linux does for a
#                closed UDP port on loopback);
#   silent:      an iptables rule drops the probes to the empty addresses, so each one waits
#                for its timeout (1 s) and retry; skipped with a message without iptables.
# Usage: bench/discovery_bench.sh BUILD_DIR
# Prints a Markdown section on stdout; progress and diagnostics go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_NAME="sweep bench"
# shellcheck source=bench/common.sh
. bench/common.sh
build=${1:?usage: bench/discovery_bench.sh BUILD_DIR}
block=127.77.0.0/16
agents=${BENCH_SWEEP_AGENTS:-32}
in_flight=${BENCH_SWEEP_IN_FLIGHT:-8192}
timeout_ms=1000
retries=1
community=sweep-bench
tag="promsnmp-sweep-bench-$$"


work=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-sweep-bench.XXXXXX")
chmod 755 "$work"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM HUP

for tool in snmpsimd snmpget curl python3; do
  command -v "$tool" >/dev/null || die "missing $tool (scripts/deps.sh installs it)"
done

# --- the agents: one snmpsimd on $agents addresses spread over the block ----------------------
port=$(free_port udp)
mkdir -p "$work/data" "$work/cache"
chmod 777 "$work/cache"
gzip -dc /usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz >"$work/data/$community.snmprec"
chmod 644 "$work/data/$community.snmprec"
agent_addresses=()
for ((i = 0; i < agents; i++)); do
  agent_addresses+=("127.77.$(((i * 7919) % 256)).$((1 + (i * 104729) % 254))")
done
mapfile -t agent_addresses < <(printf '%s\n' "${agent_addresses[@]}" | sort -u)
endpoints=()
for a in "${agent_addresses[@]}"; do
  endpoints+=(--agent-udpv4-endpoint="$a:$port")
done
snmpsimd_cmd=(snmpsimd --data-dir="$work/data" --cache-dir="$work/cache" "${endpoints[@]}")
((EUID == 0)) && snmpsimd_cmd+=(--process-user=nobody --process-group=nogroup)
log "snmpsimd on ${#agent_addresses[@]} addresses of $block, port $port..."
"${snmpsimd_cmd[@]}" >"$work/snmpsimd.log" 2>&1 &
pids+=($!)
export MIBS="" MIBDIRS="" SNMP_PERSISTENT_DIR="$work/net-snmp"
last=${agent_addresses[-1]}
wait_for snmpsimd "${pids[-1]}" 120 snmpget -v2c -c "$community" -t 1 -r 0 "$last:$port" 1.3.6.1.2.1.1.5.0

# --- promsnmp, standalone (it leads) ----------------------------------------------------------
mkdir -p "$work/inventory" "$work/state"
export PROM_INV_FILE="$work/inventory/promsnmp-inventory.json" PROM_ENCRYPT_KEY=bench-key \
  PROMSNMP_STATE_DIR="$work/state" DISCOVERY_CRON=- COLLECTION_INTERVAL=3600000 \
  PROMSNMP_DISCOVERY_MAX_IN_FLIGHT=$in_flight PROMSNMP_DISCOVERY_TIMEOUT_MS=$timeout_ms \
  PROMSNMP_DISCOVERY_RETRIES=$retries PROMSNMP_DISCOVERY_MAX_ADDRESSES=65536
"$build/bin/promsnmp-inventory" init >/dev/null
http_port=$(free_port tcp)
"$build/bin/promsnmp" --web.listen-address="127.0.0.1:$http_port" >"$work/promsnmp.log" 2>&1 &
pids+=($!)
promsnmp_pid=${pids[-1]}
url=http://127.0.0.1:$http_port
wait_for promsnmp "$promsnmp_pid" 60 curl -sf "$url/-/ready"

cpu_seconds() { # utime + stime of promsnmp, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$promsnmp_pid/stat"
}

# One sweep: prints "wall found scanned timeouts unreachable cpu" of the finished run.
sweep() {
  local body run cpu0 cpu1 t0 t1 state="" deadline=$((SECONDS + 600))
  body='{"potentialTargets":["'$block'"],"agentType":"snmp-community","version":"v2c","port":'$port',"readCommunity":"'$community'"}'
  cpu0=$(cpu_seconds)
  t0=$(date +%s.%N)
  curl -sf -X POST -H 'Content-Type: application/json' -d "$body" "$url/promsnmp/discovery" >/dev/null ||
    die "POST /promsnmp/discovery failed"
  until [[ $state == succeeded || $state == failed ]]; do
    ((SECONDS < deadline)) || die "the sweep did not finish in 600 s"
    sleep 0.1
    run=$(curl -sf "$url/promsnmp/discovery/runs" | python3 -c 'import json, sys
r = json.load(sys.stdin)[0]
print(r["state"], r["durationSeconds"], r["found"], r["targetsScanned"], r["timeouts"], r["unreachable"])')
    state=${run%% *}
  done
  t1=$(date +%s.%N)
  cpu1=$(cpu_seconds)
  [[ $state == succeeded ]] || die "the sweep failed: $run"
  read -r _ duration found scanned timeouts unreachable <<<"$run"
  echo "$duration $found $scanned $timeouts $unreachable $(echo "$cpu1 - $cpu0" | bc -l)"
}

log "sweep 1: closed ports answer ICMP unreachable..."
read -r u_wall u_found u_scanned u_timeouts u_unreachable u_cpu <<<"$(sweep)"

silent_row="| silent (iptables DROP) | skipped: iptables is not usable here | | | | | |"
silent_note="The silent case needs iptables (root); it was skipped."
if iptables -L INPUT -n >/dev/null 2>&1; then
  for a in "${agent_addresses[@]}"; do
    iptables_rules+=("INPUT -d $a/32 -p udp --dport $port -m comment --comment $tag -j ACCEPT")
  done
  iptables_rules+=("INPUT -d $block -p udp --dport $port -m comment --comment $tag -j DROP")
  for rule in "${iptables_rules[@]}"; do
    # shellcheck disable=SC2086 # a chain and a rule spec, as words
    iptables -A $rule
  done
  log "sweep 2: empty addresses silently dropped (iptables)..."
  read -r s_wall s_found s_scanned s_timeouts s_unreachable s_cpu <<<"$(sweep)"
  silent_row=$(printf '| silent (iptables DROP) | %.2f s | %.0f | %s / %s | %s | %s | %.2f s |' \
    "$s_wall" "$(echo "$s_scanned / $s_wall" | bc -l)" "$s_found" "${#agent_addresses[@]}" \
    "$s_timeouts" "$s_unreachable" "$s_cpu")
  goal=$(echo "$s_wall < 30" | bc -l)
  silent_note="Goal: the silent sweep under 30 s. Measured $(printf '%.2f' "$s_wall") s: $([[ $goal == 1 ]] && echo met || echo MISSED)."
fi

cat <<EOT
## Discovery sweep (issue #4)

Command: \`bench/discovery_bench.sh $build\` — one run per case. One promsnmp (standalone, so
it leads) sweeps \`$block\` (65,536 addresses) on UDP port $port with \`POST /promsnmp/discovery\`
(community \`$community\`, timeout ${timeout_ms} ms, ${retries} retry, ${in_flight} probes in
flight: \`discovery.max_in_flight\`). ${#agent_addresses[@]} of the addresses run an agent (one
\`snmpsimd\` bound to each, serving the cisco_16_switch recording); every agent found is then
read (system group) through net-snmp and merged into the inventory in one commit. *wall* is
the run's own duration (\`/promsnmp/discovery/runs\`), *CPU* the collector's user+system time
over the sweep.

| case | wall | probes/s | found | timeouts | unreachable | CPU |
|---|---|---|---|---|---|---|
$(printf '| closed ports (ICMP unreachable) | %.2f s | %.0f | %s / %s | %s | %s | %.2f s |' \
  "$u_wall" "$(echo "$u_scanned / $u_wall" | bc -l)" "$u_found" "${#agent_addresses[@]}" \
  "$u_timeouts" "$u_unreachable" "$u_cpu")
$silent_row

$silent_note
The Java PromSNMP probes one address at a time in the request thread (1 s timeout, 1 retry):
a silent /16 would take it 65,536 × 2 s ≈ 36 h (computed from its code, not measured here).
EOT
