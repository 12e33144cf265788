# shellcheck shell=bash disable=SC2034,SC2154
# (globals shared with the drivers: work and wrk_seconds in; batch, batches, polls, snmpsimd_*,
# promsnmp_* and exporter_* out.)
# Shared by the bench/*.sh drivers (sourced). Each driver sets BENCH_NAME first.
# log/die write to stderr (stdout carries the Markdown section); free_port finds a port free on
# 127.0.0.1 right now (free_port_base: a run of 21 for run-site.sh); wait_for polls a command
# while the process it waits on is alive.

log() { echo "${BENCH_NAME:-bench}: $*" >&2; }
die() {
  log "$*"
  exit 1
}

free_port() { # tcp|udp
  python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

wait_for() { # NAME PID SECONDS COMMAND...: until COMMAND succeeds, or die if PID exits
  local name=$1 pid=$2 limit=$3 deadline=$((SECONDS + $3))
  shift 3
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || die "$name exited during start-up"
    ((SECONDS < deadline)) || die "$name not ready after ${limit}s"
    sleep 0.2
  done
}

free_port_base() { # a multiple of 10 whose TCP ports +0..+20 are free on 127.0.0.1 (run-site.sh's PORT_BASE)
  python3 - <<'PY'
import random, socket
for _ in range(200):
    base = random.randrange(20000, 40000, 10)
    try:
        for off in range(0, 21):
            s = socket.socket(); s.bind(("127.0.0.1", base + off)); s.close()
        print(base); break
    except OSError:
        continue
PY
}

# --- processes and their cleanup ------------------------------------------------------------------
# A driver sets `work` (its temporary directory), appends every process it starts to `pids` and
# every iptables rule it adds to `iptables_rules` ("CHAIN rule-spec"), and runs
# `trap bench_cleanup EXIT; trap 'exit 130' INT TERM HUP`: the processes are stopped, the rules
# deleted and the directory removed, on any exit.
pids=()
bench_cleanup() {
  local pid spec
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  for spec in "${iptables_rules[@]}"; do
    # shellcheck disable=SC2086 # a chain and a rule spec, as words
    iptables -D $spec 2>/dev/null || true
  done
  [[ -n ${work:-} ]] && rm -rf "$work"
  return 0
}
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; } # PID: utime + stime
sys_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $13}'; }       # PID: stime only
cpu_ns() { # PID: run time of all its threads (schedstat); %.0f, not %d: mawk caps %d at 2^31-1
  cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {printf "%.0f\n", s}'
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; } # PID
tick_ms=$(awk -v hz="$(getconf CLK_TCK)" 'BEGIN {print 1000 / hz}')

# --- snmpsimd ---------------------------------------------------------------------------------------
start_snmpsimd() { # DATA_DIR ENDPOINT...: snmpsimd serving DATA_DIR's recordings on each UDP
  # ENDPOINT (host:port), its cache in $work/snmpsimd-cache, log in $work/snmpsimd.log; sets
  # snmpsimd_cmd and snmpsimd_pid. snmpsimd drops to nobody as root: its data must be readable
  # along the whole path and its cache writable. Returns at once (snmpsimd indexes its data
  # before it answers: wait_for an answer).
  local data=$1 endpoint
  shift
  mkdir -p "$work/snmpsimd-cache"
  chmod 777 "$work/snmpsimd-cache"
  chmod -R a+rX "$data"
  snmpsimd_cmd=(snmpsimd --data-dir="$data" --cache-dir="$work/snmpsimd-cache")
  for endpoint in "$@"; do
    snmpsimd_cmd+=(--agent-udpv4-endpoint="$endpoint")
  done
  ((EUID == 0)) && snmpsimd_cmd+=(--process-user=nobody --process-group=nogroup) # it refuses root
  "${snmpsimd_cmd[@]}" >"$work/snmpsimd.log" 2>&1 &
  pids+=($!)
  snmpsimd_pid=${pids[-1]}
}

# --- the collectors -------------------------------------------------------------------------------
start_promsnmp() { # BUILD_DIR LOG: promsnmp on a free port of 127.0.0.1 (environment as given by
  # the caller: `VAR=value start_promsnmp ...`), ready within 60 s; sets promsnmp_pid, promsnmp_url
  local port
  port=$(free_port tcp)
  log "promsnmp on 127.0.0.1:$port..."
  "$1/bin/promsnmp" --web.listen-address="127.0.0.1:$port" >"$2" 2>&1 &
  pids+=($!)
  promsnmp_pid=${pids[-1]}
  promsnmp_url=http://127.0.0.1:$port
  wait_for promsnmp "$promsnmp_pid" 60 curl -sf -o /dev/null "$promsnmp_url/-/ready"
}
exporter=/usr/bin/prometheus-snmp-exporter
start_exporter() { # CONFIG: Debian's prometheus-snmp-exporter with CONFIG on a free port, after a
  # --dry-run of CONFIG; sets exporter_pid, exporter_url, exporter_version
  local port
  "$exporter" --config.file="$1" --dry-run >"$work/dry-run.log" 2>&1 ||
    die "$1 does not load: $(cat "$work/dry-run.log")"
  port=$(free_port tcp)
  "$exporter" --config.file="$1" --web.listen-address="127.0.0.1:$port" >"$work/snmp_exporter.log" 2>&1 &
  pids+=($!)
  exporter_pid=${pids[-1]}
  exporter_url=http://127.0.0.1:$port
  wait_for snmp_exporter "$exporter_pid" 30 curl -sf "$exporter_url/metrics"
  exporter_version=$(curl -s "$exporter_url/metrics" |
    sed -n 's/^snmp_exporter_build_info{.*version="\([^"]*\)".*/\1/p')
  log "snmp_exporter $exporter_version on $exporter_url"
}

# --- packets to and from the agents (iptables) -------------------------------------------------------
# Two rules per agent port that accept (and so count) UDP to and from it; on loopback both
# directions pass OUTPUT. Read as deltas of `packets` around what is measured.
iptables_rules=()
packet_tag="promsnmp-bench-$$"
count_packets() { # PORT: returns 1, with a log line, when iptables cannot (packets then says n/a)
  local port=$1 err q a
  q="-p udp --dport $port -m comment --comment $packet_tag-$port -j ACCEPT"
  a="-p udp --sport $port -m comment --comment $packet_tag-$port-answers -j ACCEPT"
  # shellcheck disable=SC2086 # a rule spec is words
  if ! err=$(iptables -I OUTPUT $q 2>&1); then
    log "no iptables counter ($err): packets from the collectors' own counts only"
    return 1
  fi
  iptables_rules+=("OUTPUT $q")
  # shellcheck disable=SC2086
  if err=$(iptables -I OUTPUT $a 2>&1); then
    iptables_rules+=("OUTPUT $a")
  else
    log "no iptables counter for answers ($err)"
  fi
}
packets() { port_packets ""; } # → "requests answers answer_bytes" so far, every counted port
port_packets() { # PORT → the same for PORT ("": every counted port); n/a when not counted
  iptables -L OUTPUT -v -x -n 2>/dev/null | awk -v tag="$packet_tag" -v port="$1" '
    match($0, /\/\* [^ ]+ \*\//) {
      c = substr($0, RSTART + 3, RLENGTH - 6); answer = sub(/-answers$/, "", c)
      if (port == "" ? index(c, tag "-") != 1 : c != tag "-" port) next
      if (answer) {p += $1; b += $2; a = 1} else {r += $1; q = 1}
    }
    END {print (q ? r : "n/a"), (a ? p : "n/a"), (a ? b : "n/a")}'
}

# --- the collectors' own numbers ------------------------------------------------------------------------
metric_sum() { # FILE... NAME: the sum of the samples of NAME (any labels) in exposition FILEs; "" if none
  local name=${*: -1}
  awk -v n="$name" '{k = $1; sub(/\{.*/, "", k)} k == n {s += $NF; f = 1} END {if (f) printf "%.0f\n", s}' \
    "${@:1:$#-1}"
}
own_counter() { # METRICS_URL NAME: the sum of NAME's samples on the collector's /metrics
  curl -s "$1" >"$work/own-metrics.txt"
  metric_sum "$work/own-metrics.txt" "$2"
}

# --- live polls --------------------------------------------------------------------------------------
poll_batches() { # POLLS: sets batch (10 polls, as /proc/PID/stat has 10 ms ticks), batches (at least
  # 3) and polls (POLLS rounded up to whole batches)
  batch=10
  batches=$((($1 + batch - 1) / batch))
  ((batches < 3)) && batches=3
  polls=$((batches * batch))
}
# live_polls NAME PID METRICS_URL EVICT_URL URL...: $batches batches of $batch sequential polls of
# the collector PID. A poll is GET EVICT_URL (so the next scrape polls live; "-" for none), then
# GET each URL in turn (a module set the peer scrapes module by module). Writes $work/NAME.polls,
# one line a poll: cpu_ms (schedstat, the whole poll) wall_ms (the URLs' curl time_total summed)
# requests answers answer_bytes (iptables deltas) varbinds (the answers' snmp_scrape_pdus_returned
# summed; - when absent); $work/NAME.batches, one line a batch: cpu_ms_per_poll (/proc/PID/stat
# ticks) own_packets_per_poll cpu_ms_per_poll (schedstat) own_varbinds_per_poll (the own ones: the
# collector's promsnmp_snmp_packets_sent_total and promsnmp_snmp_varbinds_received_total from
# METRICS_URL; 0 for METRICS_URL "-"); and the last poll's answers in $work/NAME.last, concatenated.
live_polls() {
  local name=$1 pid=$2 metrics=$3 evict=$4 b i k t0 t1 n0 n1 b0 b1 s0 s1 v0 v1 wall w c0 c1 vb
  shift 4
  local urls=("$@") files=()
  for k in "${!urls[@]}"; do files+=("$work/$name.out.$k"); done
  : >"$work/$name.polls"
  : >"$work/$name.batches"
  for ((b = 0; b < batches; b++)); do
    s0=0 v0=0 s1=0 v1=0
    if [[ $metrics != - ]]; then
      s0=$(own_counter "$metrics" promsnmp_snmp_packets_sent_total)
      v0=$(own_counter "$metrics" promsnmp_snmp_varbinds_received_total)
    fi
    b0=$(cpu_ns "$pid")
    t0=$(cpu_ticks "$pid")
    for ((i = 0; i < batch; i++)); do
      c0=$(packets)
      n0=$(cpu_ns "$pid")
      if [[ $evict != - ]]; then
        curl -sf -o /dev/null "$evict" || die "$name: $evict failed"
      fi
      wall=0
      for k in "${!urls[@]}"; do
        w=$(curl -sf -o "$work/$name.out.$k" -w '%{time_total}' "${urls[k]}") ||
          die "$name: scrape ${urls[k]} failed"
        wall=$(awk -v a="$wall" -v b="$w" 'BEGIN {print a + b}')
      done
      n1=$(cpu_ns "$pid")
      c1=$(packets)
      vb=$(metric_sum "${files[@]}" snmp_scrape_pdus_returned)
      echo "$n0 $n1 $wall $c0 $c1 ${vb:--}" |
        awk '{printf "%.3f %.1f", ($2 - $1) / 1e6, $3 * 1000
          for (k = 4; k <= 6; k++) printf " %s", ($k == "n/a" ? "n/a" : $(k + 3) - $k)
          printf " %s\n", $10}' >>"$work/$name.polls"
    done
    t1=$(cpu_ticks "$pid")
    b1=$(cpu_ns "$pid")
    if [[ $metrics != - ]]; then
      s1=$(own_counter "$metrics" promsnmp_snmp_packets_sent_total)
      v1=$(own_counter "$metrics" promsnmp_snmp_varbinds_received_total)
    fi
    awk -v t="$((t1 - t0))" -v ms="$tick_ms" -v n="$batch" -v s="$((${s1:-0} - ${s0:-0}))" \
      -v v="$((${v1:-0} - ${v0:-0}))" -v ns="$((b1 - b0))" \
      'BEGIN {printf "%.2f %.1f %.3f %.1f\n", t * ms / n, s / n, ns / 1e6 / n, v / n}' >>"$work/$name.batches"
  done
  cat "${files[@]}" >"$work/$name.last"
}

# --- statistics and formatting ---------------------------------------------------------------------
median() { # FILE COLUMN: the median of the column's numbers (n/a and - skipped)
  awk -v c="$2" '$c != "n/a" && $c != "-" {print $c}' "$1" | sort -g |
    awk '{v[NR] = $1} END {if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2];
      else printf "%g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
fmt() { # NUMBER [DECIMALS]: n/a stays n/a
  awk -v v="$1" -v d="${2:-2}" 'BEGIN {if (v == "n/a" || v == "" || v == "-") print "n/a"; else printf "%.*f", d, v}'
}
rate() { awk -v v="$1" 'BEGIN {if (v == "" || v == "n/a") print "n/a"; else printf (v >= 100 ? "%.0f" : "%.1f"), v}'; }
ratio() { # A B [DECIMALS]: "A/B×", n/a when either is missing or B is 0
  awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN {if (a == "n/a" || b == "n/a" || a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) print "n/a"; else printf "%.*f×", d, a / b}'
}
verdict() { # VALUE OP LIMIT: met, MISSED, or "not measured"
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {if (v == "n/a" || v == "") {print "not measured"; exit}
    ok = (op == "<=" ? v <= l : op == "<" ? v < l : v >= l); print (ok ? "met" : "MISSED")}'
}

# --- wrk ---------------------------------------------------------------------------------------------
# wrk_run NAME CONNECTIONS URL PID [WRK ARGS]: ${wrk_seconds}s of wrk at CONNECTIONS against URL
# (2 threads, --latency); $work/NAME.wrk holds wrk's output, $work/NAME.wrk-extra "requests_to_agents
# cpu_ticks sys_ticks" of the run (the collector PID's ticks).
wrk_run() {
  local c0 c1 t0 t1 s0 s1
  c0=$(packets)
  t0=$(cpu_ticks "$4")
  s0=$(sys_ticks "$4")
  wrk -t2 -c"$2" -d"${wrk_seconds}s" --latency "${@:5}" "$3" >"$work/$1.wrk" 2>&1 || die "wrk $1 failed"
  t1=$(cpu_ticks "$4")
  s1=$(sys_ticks "$4")
  c1=$(packets)
  echo "$c0 $c1" | awk -v t=$((t1 - t0)) -v s=$((s1 - s0)) \
    '{print ($1 == "n/a" ? "n/a" : $4 - $1), t, s}' >"$work/$1.wrk-extra"
}
wrk_rps() { awk '/^Requests\/sec:/ {print $2}' "$work/$1.wrk"; }
wrk_requests() { awk '/ requests in / {print $1}' "$work/$1.wrk"; }
wrk_p99() { # NAME: p99 latency in ms
  awk '$1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
    f = (u == "us" ? 0.001 : u == "ms" ? 1 : u == "s" ? 1000 : u == "m" ? 60000 : 0)
    printf "%.2f", v * f}' "$work/$1.wrk"
}
wrk_cpu() { # NAME: collector CPU ms per request during the run
  awk -v r="$(wrk_requests "$1")" -v ms="$tick_ms" '{if (r > 0) printf "%.3f", $2 * ms / r; else print "n/a"}' \
    "$work/$1.wrk-extra"
}
wrk_sys_share() { # NAME: percent of the collector's CPU spent in the kernel during the run
  awk '{if ($2 > 0) printf "%.0f", 100 * $3 / $2; else print "n/a"}' "$work/$1.wrk-extra"
}
wrk_errors() { grep -E 'Non-2xx|Socket errors' "$work/$1.wrk" | sed 's/^ *//' | paste -sd';' || true; }

# --- fleets of simulated devices (snmp-fleet-sim) ------------------------------------------------------
device_address() { # INDEX → 127.2.0.1 ... (254 per /24, skipping .0 and .255)
  local i=$1 o r
  o=$((2 + i / 64516))
  r=$((i % 64516))
  echo "127.$o.$((r / 254)).$((r % 254 + 1))"
}
fleet_inventory() { # N PORT COMMUNITY NAMES_FILE: the import JSON (stdout) of N v2c devices at
  # device_address 0..N-1 (sysName sim-<address with dashes>); their names, one a line, in NAMES_FILE
  python3 - "$@" <<'PY'
import json, sys
n, port, community, names = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
devices = []
for i in range(n):
    o, r = 2 + i // 64516, i % 64516
    address = f"127.{o}.{r // 254}.{r % 254 + 1}"
    agent = {"type": "snmp-community", "endpoint": {"address": address, "port": port},
             "version": 1, "timeout": 2000, "retries": 1, "readCommunity": community}
    devices.append({"sysName": "sim-" + address.replace(".", "-"), "agents": [agent],
                    "primaryAgent": agent})
print(json.dumps({"devices": devices, "discoverySeeds": []}))
with open(names, "w") as f:
    f.writelines(d["sysName"] + "\n" for d in devices)
PY
}
collection_state() { # URL → "cycles interval_polls overruns last_cycle_seconds scrapes" from its /metrics
  curl -fsS "$1/metrics" | awk '
    /^promsnmp_collection_cycles_total / {c = $2}
    /^promsnmp_snmp_polls_total\{.*trigger="interval"/ {p += $2}
    /^promsnmp_collection_overruns_total / {o = $2}
    /^promsnmp_collection_cycle_duration_seconds / {d = $2}
    /^cache_gets_total\{cache="metrics"/ {g += $2}
    END {printf "%.0f %.0f %.0f %.1f %.0f\n", c, p, o, d, g}'
}
two_cycles() { # URL PID INTERVAL_SECONDS [AFTER]: waits for the end of a collection cycle beyond the
  # first AFTER (default 0: the first cycle; within 2 intervals), then measures the next two whole
  # cycles, end to end (within 3 intervals). Prints "cycles polls overruns last_cycle_seconds
  # scrapes cpu_seconds wall_seconds rss_kib": the deltas of collection_state over the window, the
  # collector's utime + stime and wall time across it, and its RSS at the end.
  local url=$1 pid=$2 interval=$3 after=${4:-0} c0 p0 o0 g0 c1 p1 o1 d1 g1 t0 t1 s0 s1 deadline
  deadline=$((SECONDS + 2 * interval))
  read -r c0 p0 o0 _ g0 < <(collection_state "$url")
  while ((c0 <= after && SECONDS < deadline)); do
    sleep 0.5
    read -r c0 p0 o0 _ g0 < <(collection_state "$url")
  done
  ((c0 > after)) || die "no collection cycle ended within $((2 * interval)) s"
  t0=$(cpu_ticks "$pid")
  s0=$(date +%s%N)
  deadline=$((SECONDS + 3 * interval))
  read -r c1 p1 o1 d1 g1 < <(collection_state "$url")
  while ((c1 < c0 + 2 && SECONDS < deadline)); do
    sleep 0.5
    read -r c1 p1 o1 d1 g1 < <(collection_state "$url")
  done
  t1=$(cpu_ticks "$pid")
  s1=$(date +%s%N)
  awk -v c=$((c1 - c0)) -v p=$((p1 - p0)) -v o=$((o1 - o0)) -v d="$d1" -v g=$((g1 - g0)) \
    -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v w=$((s1 - s0)) -v r="$(rss_kib "$pid")" \
    'BEGIN {printf "%d %d %d %s %d %.2f %.2f %d\n", c, p, o, d, g, t / hz, w / 1e9, r}'
}
