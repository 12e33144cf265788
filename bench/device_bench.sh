#!/usr/bin/env bash
# Issue #6, benchmark item 1: the live poll of ONE device, on our simulator (snmp-fleet-sim, the
# cisco_16_switch recording with a synthesized IF-MIB) at 48 and at 5,000 interfaces, by promsnmp
# and by its peer, Debian's prometheus-snmp-exporter 0.21, in ONE run against the same agents:
# wall time, collector CPU, request packets to the agent (iptables rule counters) and the number
# of interfaces in the answer (completeness).
# Usage: bench/device_bench.sh BUILD_DIR [POLLS [POLLS_5000]]
#   POLLS: sequential live polls per collector and device (default 10 on 48 interfaces, 5 on
#   5,000); POLLS_5000 overrides it for the 5,000-interface device (default: POLLS if given).
# Prints a Markdown section on stdout; progress and diagnostics go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_NAME="device bench"
# shellcheck source=bench/common.sh
. bench/common.sh
build=${1:?usage: bench/device_bench.sh BUILD_DIR [POLLS [POLLS_5000]]}
polls_small=${2:-10}
polls_large=${3:-${2:-5}}
[[ $polls_small =~ ^[1-9][0-9]*$ && $polls_large =~ ^[1-9][0-9]*$ ]] ||
  die "POLLS must be positive integers"
sizes=(48 5000)
declare -A polls=([48]=$polls_small [5000]=$polls_large)
shipped_yml=bench/snmp_exporter/snmp.yml
recording=/usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz
# snmp.yml's module if_mib sends this community; the simulator picks the recording by community,
# so the recording file is named after it.
community=$(sed -n 's/^    community: *\(.*\)$/\1/p' "$shipped_yml" | head -1)
[[ -n $community ]] || die "no community in $shipped_yml"
address=127.0.0.1
scrape_timeout=30           # X-Prometheus-Scrape-Timeout-Seconds sent to both collectors
curl_limit=$((scrape_timeout + 30)) # curl --max-time: every request is bounded
goal_seconds=10

work=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-device-bench.XXXXXX")
trap bench_cleanup EXIT
trap 'exit 130' INT TERM HUP # so that cleanup runs on a signal too

export MIBS="" MIBDIRS="" SNMP_PERSISTENT_DIR="$work/net-snmp"
for tool in snmpget curl python3; do
  command -v "$tool" >/dev/null || die "missing $tool (scripts/deps.sh installs it)"
done
for bin in promsnmp promsnmp-inventory snmp-fleet-sim; do
  [[ -x $build/bin/$bin ]] || die "missing $build/bin/$bin"
done
[[ -r $recording ]] || die "missing $recording (Debian package snmpsim)"

# --- the agents: one simulator instance per device (--interfaces is per instance) --------------
mkdir -p "$work/data"
gzip -dc "$recording" >"$work/data/$community.snmprec"
declare -A agent_port sim_pid name sim_cmd
for n in "${sizes[@]}"; do
  agent_port[$n]=$(free_port udp)
  name[$n]=device-$n
  sim_cmd[$n]="$build/bin/snmp-fleet-sim --data-dir \$W/data --listen $address --port ${agent_port[$n]} --devices $address --interfaces $n --stats-interval 0"
  log "snmp-fleet-sim with $n interfaces on $address:${agent_port[$n]}..."
  "$build/bin/snmp-fleet-sim" --data-dir "$work/data" --listen "$address" --port "${agent_port[$n]}" \
    --devices "$address" --interfaces "$n" --stats-interval 0 >"$work/sim-$n.log" 2>&1 &
  pids+=($!)
  sim_pid[$n]=${pids[-1]}
  wait_for "snmp-fleet-sim ($n interfaces)" "${sim_pid[$n]}" 30 \
    snmpget -v2c -c "$community" -t 1 -r 0 "$address:${agent_port[$n]}" 1.3.6.1.2.1.1.5.0
  if_number=$(snmpget -v2c -c "$community" -t 2 -r 1 -On -Oqv "$address:${agent_port[$n]}" 1.3.6.1.2.1.2.1.0)
  [[ $if_number == "$n" ]] || die "the $n-interface agent says ifNumber.0 = '$if_number'"
done

# --- promsnmp: both devices in its inventory, no background poll --------------------------------
mkdir -p "$work/inventory" "$work/state"
export PROM_INV_FILE="$work/inventory/promsnmp-inventory.json" PROM_ENCRYPT_KEY=bench-key \
  PROMSNMP_STATE_DIR="$work/state" COLLECTION_INTERVAL=3600000 CACHE_EXP_MILLIS=3600000
"$build/bin/promsnmp-inventory" init >/dev/null
for n in "${sizes[@]}"; do
  "$build/bin/promsnmp-inventory" add-device --sys-name "${name[$n]}" --address "$address" \
    --port "${agent_port[$n]}" --community "$community" --timeout 3000 >/dev/null
done
start_promsnmp "$build" "$work/promsnmp.log"

# --- snmp_exporter 0.21 (if installed) ----------------------------------------------------------
# The shipped module asks for 5 s per request and 3 retries; the 5,000-interface walk is thousands
# of requests, each well under that. Its copy here only raises the per-request timeout, so that
# a busy machine does not fail the walk; the columns and max_repetitions stay the shipped ones.
exporter_yml=$work/snmp.yml
sed 's/^  timeout: .*/  timeout: 10s/' "$shipped_yml" >"$exporter_yml"
exporter_version=""
exporter_note=""
if [[ ! -x $exporter ]]; then
  exporter_note="not installed ($exporter missing)"
  log "snmp_exporter: $exporter_note; its columns say so"
elif ! "$exporter" --config.file="$exporter_yml" --dry-run >"$work/dry-run.log" 2>&1; then
  exporter_note="did not load its config ($(tr '\n' ' ' <"$work/dry-run.log" | cut -c1-200))"
  log "snmp_exporter: $exporter_note"
else
  start_exporter "$exporter_yml"
fi

# --- measurement helpers (common.sh has the rest) ---------------------------------------------
iptables_ok=1
for n in "${sizes[@]}"; do
  count_packets "${agent_port[$n]}" || { iptables_ok=0; break; }
done
counters() { port_packets "$1"; } # PORT → "requests answers answer_bytes" so far (n/a without iptables)
evict() { curl -sf -m 10 -o /dev/null "$promsnmp_url/promsnmp/evictCache"; }
sample() { # FILE METRIC: the value of the first sample of METRIC (name up to '{' or ' ')
  awk -v m="$2" '{k = $1; sub(/\{.*/, "", k)} k == m {print $NF; exit}' "$1"
}
distinct_if() { # FILE: distinct ifIndex labels of ifHCInOctets, else of ifInOctets
  local metric count
  for metric in ifHCInOctets ifInOctets; do
    count=$(awk -v m="$metric" 'index($0, m "{") == 1 && match($0, /ifIndex="[^"]*"/) {
      seen[substr($0, RSTART, RLENGTH)] = 1} END {print length(seen)}' "$1")
    if ((count > 0)); then
      echo "$count"
      return
    fi
  done
  echo 0
}

live_polls() { # COLLECTOR SIZE PID URL COUNT: one line a poll in COLLECTOR-SIZE.polls
  local who=$1 n=$2 pid=$3 url=$4 count=$5 i c0 c1 n0 n1 out status wall own ifs
  local file=$work/$who-$n.polls last=$work/$who-$n.last
  : >"$file"
  for ((i = 0; i < count; i++)); do
    read -r -a c0 <<<"$(counters "${agent_port[$n]}")"
    n0=$(cpu_ns "$pid")
    if [[ $who == promsnmp ]]; then evict || log "promsnmp: evictCache failed"; fi
    out=$(curl -s -m "$curl_limit" -o "$last" -w '%{http_code} %{time_total}' \
      -H "X-Prometheus-Scrape-Timeout-Seconds: $scrape_timeout" "$url") || true
    n1=$(cpu_ns "$pid")
    read -r -a c1 <<<"$(counters "${agent_port[$n]}")"
    read -r status wall <<<"$out"
    [[ -f $last ]] || : >"$last"
    if [[ $who == promsnmp ]]; then
      own=$(sample "$last" promsnmp_target_poll_duration_seconds)
      ifs=$(sample "$last" promsnmp_target_interfaces)
      [[ $(sample "$last" promsnmp_target_up) == 1 ]] || status="$status,down"
      # A poll that overran an earlier scrape's budget lands in the cache late: not this poll.
      grep -q '^snmp_scrape_duration_seconds{source="live"}' "$last" || status="$status,not-live"
    else
      own=$(sample "$last" snmp_scrape_duration_seconds)
      ifs=$(distinct_if "$last")
    fi
    # cpu_ms wall_ms own_ms requests answers interfaces bytes status
    awk -v n0="$n0" -v n1="$n1" -v w="${wall:-n/a}" -v o="${own:-n/a}" -v q0="${c0[0]}" -v q1="${c1[0]}" \
      -v a0="${c0[1]}" -v a1="${c1[1]}" -v i="${ifs:-0}" -v b="$(wc -c <"$last")" -v s="${status:-000}" \
      'BEGIN {printf "%.3f %s %s %s %s %d %d %s\n", (n1 - n0) / 1e6,
        (w == "n/a" ? "n/a" : sprintf("%.1f", w * 1000)), (o == "n/a" ? "n/a" : sprintf("%.1f", o * 1000)),
        (q0 == "n/a" || q1 == "n/a" ? "n/a" : q1 - q0), (a0 == "n/a" || a1 == "n/a" ? "n/a" : a1 - a0),
        i, b, s}' >>"$file"
    log "$who, $n interfaces, poll $((i + 1))/$count: $(tail -1 "$file")"
  done
}
column_max() { # FILE COLUMN
  awk -v c="$2" '$c != "n/a" {if (m == "" || $c + 0 > m + 0) m = $c} END {print (m == "" ? "n/a" : m)}' "$1"
}
seconds() { awk -v v="$1" 'BEGIN {if (v == "n/a" || v == "") print "n/a"; else printf "%.2f", v / 1000}'; } # ms →
size() { awk -v v="$1" 'BEGIN {if (v == "n/a" || v == "") print "n/a"; else if (v >= 1e6) printf "%.1f MB", v / 1e6; else printf "%.0f kB", v / 1e3}'; }
completeness() { # FILE SIZE: "N" when every poll answered 200 with SIZE interfaces, else what went wrong
  awk -v n="$2" '{t++; if ($8 == "200" && $6 == n) ok++; else bad = bad (bad == "" ? "" : ", ") $6 " (HTTP " $8 ")"}
    END {if (ok == t) printf "%d in %d of %d polls", n, ok, t
      else printf "**INCOMPLETE** in %d of %d polls: %s", t - ok, t, bad}' "$1"
}

# --- live polls ---------------------------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$SECONDS
rows=""
declare -A p_max p_walls p_own p_complete
for n in "${sizes[@]}"; do
  p_url="$promsnmp_url/snmp?target=${name[$n]}"
  log "$n interfaces: one warm-up poll each, then ${polls[$n]} live polls by promsnmp, then by snmp_exporter..."
  evict || true
  curl -s -m "$curl_limit" -o /dev/null -H "X-Prometheus-Scrape-Timeout-Seconds: $scrape_timeout" "$p_url" || true
  live_polls promsnmp "$n" "$promsnmp_pid" "$p_url" "${polls[$n]}"
  if [[ -z $exporter_note ]]; then
    e_url="$exporter_url/snmp?module=if_mib&target=$address:${agent_port[$n]}"
    curl -s -m "$curl_limit" -o /dev/null -H "X-Prometheus-Scrape-Timeout-Seconds: $scrape_timeout" "$e_url" || true
    live_polls exporter "$n" "$exporter_pid" "$e_url" "${polls[$n]}"
  fi

  pf=$work/promsnmp-$n.polls
  ef=$work/exporter-$n.polls
  p_cpu=$(median "$pf" 1)
  p_wall=$(median "$pf" 2)
  p_max[$n]=$(column_max "$pf" 2)
  p_walls[$n]=$p_wall
  p_own[$n]=$(median "$pf" 3)
  p_complete[$n]=$(completeness "$pf" "$n")
  rows+="| $n | promsnmp | $(fmt "$p_wall" 1) ms | $(fmt "$(median "$pf" 3)" 1) ms (\`promsnmp_target_poll_duration_seconds\`) | $(fmt "$p_cpu") ms | $(median "$pf" 4) | $(median "$pf" 5) | ${p_complete[$n]} | $(size "$(median "$pf" 7)") |"
  if [[ -z $exporter_note ]]; then
    e_cpu=$(median "$ef" 1)
    e_wall=$(median "$ef" 2)
    rows+=" $(ratio "$p_cpu" "$e_cpu" 3) | $(ratio "$p_wall" "$e_wall") |"$'\n'
    rows+="| $n | snmp_exporter $exporter_version | $(fmt "$e_wall" 1) ms | $(fmt "$(median "$ef" 3)" 1) ms (\`snmp_scrape_duration_seconds\`) | $(fmt "$e_cpu") ms | $(median "$ef" 4) | $(median "$ef" 5) | $(completeness "$ef" "$n") | $(size "$(median "$ef" 7)") | | |"$'\n'
  else
    rows+=" n/a | n/a |"$'\n'
    rows+="| $n | snmp_exporter: $exporter_note | n/a | n/a | n/a | n/a | n/a | n/a | n/a | | |"$'\n'
  fi
done
elapsed=$((SECONDS - started))

# --- the section ---------------------------------------------------------------------------------
goal_ok=$(awk -v m="${p_max[5000]}" -v g="$goal_seconds" -v c="${p_complete[5000]}" 'BEGIN {
  if (m == "n/a") print "not measured"; else print ((m / 1000 < g && index(c, "INCOMPLETE") == 0) ? "met" : "MISSED")}')
yml_note="\`$shipped_yml\` (module \`if_mib\`: v2c, \`max_repetitions: 25\`, 3 retries; the GET of 3 scalars and the walks of the 21 IF-MIB columns promsnmp reads in a live poll), copied with its per-request \`timeout\` raised from $(sed -n 's/^  timeout: *//p' "$shipped_yml") to 10s"
[[ -n $exporter_note ]] && yml_note="not run: prometheus-snmp-exporter $exporter_note"

cat <<EOT
## Live poll on the simulator: 48 and 5,000 interfaces (issue #6)

Command: \`bench/device_bench.sh $build${2:+ $2}${3:+ $3}\` (${polls[48]} polls on 48 interfaces, ${polls[5000]} on 5,000).
One run: two devices, each its own \`snmp-fleet-sim\` (tests/tools/fleet-sim) on $address
serving the snmpsim package's \`cisco_16_switch.snmprec\` (community \`$community\`) with a synthesized
IF-MIB of 48 and of 5,000 interfaces (counters advancing; at most 64 varbinds per response),
polled by \`$build/bin/promsnmp\` and by Debian's prometheus-snmp-exporter ${exporter_version:-(not run)},
one collector and one poll at a time. The machine's $(nproc) cores are shared by the agents, the
collector under test, curl and this script (load average before the run: $load_before).

\`\`\`sh
${sim_cmd[48]}
${sim_cmd[5000]}
export PROM_INV_FILE=\$W/inventory/promsnmp-inventory.json PROM_ENCRYPT_KEY=bench-key \\
  PROMSNMP_STATE_DIR=\$W/state COLLECTION_INTERVAL=3600000 CACHE_EXP_MILLIS=3600000  # no background poll
$build/bin/promsnmp-inventory init
$build/bin/promsnmp-inventory add-device --sys-name ${name[48]} --address $address --port ${agent_port[48]} --community $community --timeout 3000
$build/bin/promsnmp-inventory add-device --sys-name ${name[5000]} --address $address --port ${agent_port[5000]} --community $community --timeout 3000
$build/bin/promsnmp --web.listen-address=${promsnmp_url#http://}${exporter_url:+
$exporter --config.file=\$W/snmp.yml --web.listen-address=${exporter_url#http://}}
\`\`\`

snmp_exporter's configuration: $yml_note.
A live poll, after one warm-up poll per collector and device: promsnmp
\`curl $promsnmp_url/promsnmp/evictCache\`, then
\`curl -H 'X-Prometheus-Scrape-Timeout-Seconds: $scrape_timeout' '$promsnmp_url/snmp?target=NAME'\`
(the cache miss polls synchronously, within a budget of $scrape_timeout s less the 0.25 s margin);
snmp_exporter \`curl -H 'X-Prometheus-Scrape-Timeout-Seconds: $scrape_timeout' '${exporter_url:-http://127.0.0.1:PORT}/snmp?module=if_mib&target=$address:PORT'\`.
Medians over the polls:
- *wall*: curl's \`time_total\` of the whole scrape (poll, rendering, transfer of the answer);
  *poll*: the collector's own duration from the answer;
- *CPU*: the collector's CPU time across one scrape, the sum over its threads of
  \`/proc/PID/task/*/schedstat\` (ns resolution; promsnmp's includes the evictCache request);
- *packets*: UDP datagrams to and from the agent's port, counted by two iptables rules
  (\`-p udp --dport PORT\` and \`-p udp --sport PORT\`, ACCEPT, read before and
  after each poll)$( ((iptables_ok)) || echo "; iptables was not usable in this run, so n/a");
- *interfaces*: promsnmp's \`promsnmp_target_interfaces\`, snmp_exporter's count of distinct
  \`ifIndex\` labels of \`ifHCInOctets\`; every poll checked (HTTP 200, and for promsnmp
  \`promsnmp_target_up 1\` and \`snmp_scrape_duration_seconds{source="live"}\`: the answer is this
  scrape's own poll, not a late one from the cache).

| interfaces | collector | wall per scrape | poll (own figure) | CPU per poll | request packets | answers | interfaces in the answer | response size | CPU promsnmp / snmp_exporter | wall promsnmp / snmp_exporter |
|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|
${rows}
promsnmp's answer is larger than the peer's for the same columns: it carries the
\`interface_utilization\` histograms of the Java PromSNMP too (see the SNMP section); the wall
time includes moving those bytes to curl.

Goal (issue #6): the 5,000-interface device polled completely within $goal_seconds s through the simulator:
promsnmp's slowest of ${polls[5000]} live scrapes took $(seconds "${p_max[5000]}") s (median $(seconds "${p_walls[5000]}") s, of which the
poll $(seconds "${p_own[5000]}") s), interfaces: ${p_complete[5000]} — **$goal_ok**.
(The polls took ${elapsed} s in all.)
EOT
log "done"
