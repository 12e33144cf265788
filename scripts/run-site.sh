#!/usr/bin/env bash
# `make run`: a whole promsnmp site on this machine, as processes on loopback, with the shipped
# configs (etc/promsnmp.cfg, etc/elector.cfg, haproxy/haproxy.cfg, etc/prometheus/) and only
# their addresses changed:
#
#   snmpsimd      simulated devices (recorded walks of real devices from the snmpsim package)
#                 on 127.0.10.1-6 (SNMP_PORT), and a seventh agent on 127.0.10.7 that is not in
#                 the inventory (for trying discovery); and a mixed lab on 127.0.11.1-8 that
#                 answers one community with a different device on each address (Catalyst,
#                 Linux, Windows, BGP peers, ASR router, Arista leaf, APC UPS, a Linux database
#                 host), for trying discovery's classification (etc/profiles.yml)
#   redis-server  the lease store of the electors
#   3 pairs       elector (Redis backend) + promsnmp, sharing one inventory directory
#   HAProxy       scrapes sharded by target, writes to the leader, reads round robin
#   Prometheus    discovers the devices through HAProxy (/targets) and scrapes them through it
#
# Usage: scripts/run-site.sh [start|stop|status]         start runs in the foreground (Ctrl-C
#        scripts/run-site.sh start --background          stops the site); --background returns
#        scripts/run-site.sh replica-start|replica-stop|replica-kill N   (N = 1..3)
#        scripts/run-site.sh collector-restart N         SIGTERM replica N's collector and start it
#                                                        again (its elector keeps running)
#        scripts/run-site.sh redis-kill|redis-start      kill -9 Redis / start it again
#        scripts/run-site.sh leader                      prints the leading replica's number
#        scripts/run-site.sh reset                       stops the site, removes its state (RUN_DIR)
# Every command acts on what runs, found in /proc (site_scan), pid file or not: status lists the
# processes the pid files no longer track; start, replica-start, collector-restart (without its
# elector) and redis-start refuse, starting nothing, when what they would start still runs.
#
# Environment: RUN_DIR (default run/), PORT_BASE (default 8080: HAProxy; replicas +1..+3,
# HAProxy stats +4, electors +11..+13, Redis +20, Prometheus +10), SNMP_PORT (11161),
# LEASE_TTL_MS (elector lease, default 5000), COLLECTION_INTERVAL (ms, default 10000),
# CACHE_EXP_MILLIS (default 60000), SCRAPE_INTERVAL (Prometheus, default 10s); BIN_DIR (default
# build/bin) and ETC_DIR (promsnmp.cfg and elector.cfg, default etc/), read by each command, so a
# replica can be started with another release's binaries and configs (tests/upgrade/).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
run=${RUN_DIR:-$top/run}
# One spelling of the run directory: the processes are recognised by the paths they were given.
[[ $run == /* ]] || run=$top/$run
while [[ $run == */ && $run != / ]]; do run=${run%/}; done
bin=${BIN_DIR:-$top/build/bin}
etc=${ETC_DIR:-$top/etc}
base=${PORT_BASE:-8080}
haproxy_port=$base
stats_port=$((base + 4))
prometheus_port=$((base + 10))
redis_port=$((base + 20))
snmp_port=${SNMP_PORT:-11161}
lease_ttl=${LEASE_TTL_MS:-5000}
scrape_interval=${SCRAPE_INTERVAL:-10s}
replica_port() { echo $((base + $1)); }
elector_port() { echo $((base + 10 + $1)); }

export PROM_INV_FILE=$run/share/promsnmp-inventory.json
export PROM_ENCRYPT_KEY_FILE=$run/secrets/promsnmp-encrypt-key
# The simulated devices' communities (each selects a recording in snmpsimd).
community_cisco=demo-cisco-7c41
community_linux=demo-linux-2e9d
community_public=demo-public-b83f
# The lab's community: snmpsimd picks the recording by community and the address's endpoint.
community_lab=demo-lab-41f6
# snmp_exporter modules (/snmp?target=...&module=...): the catalogue (etc/modules/*.yml) and the
# project's test module file (IP-MIB, TCP-MIB and the recordings' auths).
export PROMSNMP_MODULES_FILES=${PROMSNMP_MODULES_FILES:-$top/etc/modules/*.yml,$top/tests/data/modules/peer-current.yml}
# The device profiles discovery classifies with (etc/profiles.yml, shipped): a device it finds
# gets its profile's modules.
export PROMSNMP_PROFILES_FILES=${PROMSNMP_PROFILES_FILES:-$top/etc/profiles.yml}
export COLLECTION_INTERVAL=${COLLECTION_INTERVAL:-10000}
export CACHE_EXP_MILLIS=${CACHE_EXP_MILLIS:-60000}
unset PROM_ENCRYPT_KEY

log() { echo "run-site: $*" >&2; }
marker=.run-site # in every run directory (prepare): reset removes nothing where it is missing
# This script, as the operator would call it again for this site.
self=""
[ -z "${RUN_DIR:-}" ] || self+="RUN_DIR=$(printf %q "$run") "
[ -z "${PORT_BASE:-}" ] || self+="PORT_BASE=$base "
self+="scripts/run-site.sh "
stop_hint="${self}stop"
[ -n "${RUN_DIR:-}${PORT_BASE:-}" ] || stop_hint="make run-stop ($stop_hint)"

# --- process bookkeeping: one pid file per process under $run/pids ----------------------------
# The pid files say what this script started; what runs is found in /proc (site_scan): a process
# whose pid file is missing or stale (a pid file overwritten by a second start, removed by hand)
# is still this site's, and every command below acts on what runs.
names=(snmpsimd redis elector-1 promsnmp-1 elector-2 promsnmp-2 elector-3 promsnmp-3 haproxy
  prometheus)
pidfile() { echo "$run/pids/$1.pid"; }
alive() { [ -f "$(pidfile "$1")" ] && kill -0 "$(cat "$(pidfile "$1")")" 2>/dev/null; }
launch() { # NAME COMMAND...: starts COMMAND in the background, output to $run/logs/NAME.log
  local name=$1
  shift
  "$@" >>"$run/logs/$name.log" 2>&1 &
  echo $! >"$(pidfile "$name")"
}
running() { # PID: the process exists and is not a zombie
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}
parent_of() { # PID: prints its parent's pid
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  stat=${stat#* }
  echo "${stat%% *}"
}

# site_scan fills found[NAME] with the pids of every process of this site that runs, recognised
# by what names this run directory or its ports: an elector's --socket, snmpsimd's --data-dir,
# Prometheus' --config.file, a collector's --web.listen-address port with its elector socket in
# its environment, HAProxy's RUN_SITE_DIR in its environment (start_site gives it: HAProxy's
# command line names no file of the run directory), and Redis' working directory (its --dir; it
# rewrites its command line).
declare -A found=()
environ=()
read_environ() { # PID: its environment into environ (empty if unreadable)
  environ=()
  mapfile -d '' -t environ 2>/dev/null <"/proc/$1/environ" || true
}
environ_has() { # ENTRY: environ holds ENTRY (NAME=VALUE), or a NAME= entry if ENTRY ends with =
  local e
  for e in "${environ[@]}"; do
    case $1 in
      *=) [[ $e == "$1"* ]] && return 0 ;;
      *) [ "$e" = "$1" ] && return 0 ;;
    esac
  done
  return 1
}
site_scan() {
  found=()
  local dir pid args a name n cwd
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    mapfile -d '' -t args 2>/dev/null <"$dir/cmdline" || continue
    ((${#args[@]})) || continue # a kernel thread or a zombie
    name=""
    case ${args[0]##*/} in
      redis-server*)
        cwd=$(readlink "$dir/cwd" 2>/dev/null) || cwd=""
        case $cwd in
          "$run/redis" | "$run/redis (deleted)") name=redis ;;
        esac
        ;;
      haproxy)
        # One started by an older script has no RUN_SITE_DIR: its pid file decides.
        read_environ "$pid"
        if environ_has "RUN_SITE_DIR=$run" || { ! environ_has RUN_SITE_DIR= &&
          grep -qxE "$pid|$(parent_of "$pid")" "$(pidfile haproxy)" 2>/dev/null; }; then
          name=haproxy
        fi
        ;;
      *)
        for a in "${args[@]:1}"; do
          case $a in
            "--socket=$run/replica-"[1-3]"/elector.sock")
              n=${a#"--socket=$run/replica-"}
              name=elector-${n%%/*}
              ;;
            "--data-dir=$run/snmpsim/data") name=snmpsimd ;;
            "--config.file=$run/prometheus/prometheus.yml") name=prometheus ;;
            "--web.listen-address=127.0.0.1:$((base + 1))" | \
              "--web.listen-address=127.0.0.1:$((base + 2))" | \
              "--web.listen-address=127.0.0.1:$((base + 3))")
              n=$((${a##*:} - base))
              # Another site's collector on this port has another socket (an unreadable
              # environment, another user's process: the port decides).
              read_environ "$pid"
              if ((${#environ[@]} == 0)) ||
                environ_has "PROMSNMP_ELECTOR_SOCKET=$run/replica-$n/elector.sock"; then
                name=promsnmp-$n
              fi
              ;;
          esac
          [ -n "$name" ] && break
        done
        ;;
    esac
    [ -n "$name" ] && running "$pid" && found[$name]+="${found[$name]:+ }$pid"
  done
  return 0
}
site_running() { # prints "NAME (pid PID...)" for each process of this site found running
  local name
  for name in "${names[@]}"; do
    [ -z "${found[$name]:-}" ] || echo "$name (pid ${found[$name]// /, })"
  done
}

stop_processes() { # SIGNAL SECONDS NAME...: signals every running process of the NAMEs (tracked
  # or not), waits up to SECONDS for all to exit, then kill -9s the rest; removes their pid files
  local signal=$1 limit=$2 name pid tracked pids=() left i
  shift 2
  site_scan
  for name; do
    tracked=$(cat "$(pidfile "$name")" 2>/dev/null) || tracked=""
    for pid in ${found[$name]:-}; do
      if [ "$pid" != "$tracked" ] && [ "$(parent_of "$pid")" != "$tracked" ]; then
        log "$name (pid $pid) runs untracked by $run/pids: stopping it too"
      fi
      pids+=("$pid")
    done
  done
  # Signalled once all are known (a worker's parent, once gone, no longer says whose it is).
  ((${#pids[@]} == 0)) || kill "-$signal" "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i <= limit * 10; i++)); do
    left=()
    for pid in "${pids[@]}"; do
      running "$pid" && left+=("$pid")
    done
    ((${#left[@]})) || break
    ((i < limit * 10)) && sleep 0.1
  done
  if ((${#left[@]})); then
    log "pid ${left[*]} did not exit within ${limit}s: kill -9"
    kill -KILL "${left[@]}" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      left=()
      for pid in "${pids[@]}"; do
        running "$pid" && left+=("$pid")
      done
      ((${#left[@]})) || break
      sleep 0.1
    done
  fi
  for name; do
    rm -f "$(pidfile "$name")"
  done
  ((${#pids[@]}))
}
wait_until() { # SECONDS WHAT COMMAND...: polls COMMAND every 0.2 s
  local limit=$1 what=$2 i
  shift 2
  for ((i = 0; i < limit * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  log "timed out after ${limit}s waiting for $what (logs: $run/logs)"
  return 1
}

stop_all() {
  # Prometheus and HAProxy first, then the collectors (they drain), electors, Redis, devices.
  if stop_processes TERM 15 prometheus haproxy promsnmp-1 promsnmp-2 promsnmp-3 elector-1 \
    elector-2 elector-3 redis snmpsimd; then
    log "site stopped"
  fi
  rm -f "$run"/pids/*.pid
}

# --- one replica: its elector and its collector ---------------------------------------------
valid_replica() { # N
  case ${1:-} in
    1 | 2 | 3) ;;
    *)
      log "replica number 1, 2 or 3 expected, not '${1:-}'"
      exit 2
      ;;
  esac
}
replica_start() { # refuses (nothing started) while the replica's elector or collector runs
  local n=$1 dir=$run/replica-$1
  site_scan
  if [ -n "${found[elector-$n]:-}${found[promsnmp-$n]:-}" ]; then
    log "replica $n still runs: $(site_running | grep -E "^(elector|promsnmp)-$n " | paste -sd ' ')"
    log "nothing started. Stop it first (${self}replica-stop $n), or restart its collector alone (${self}collector-restart $n)"
    return 1
  fi
  mkdir -p "$dir/state"
  rm -f "$dir/elector.sock"
  launch "elector-$n" "$bin/elector" --config.file="$etc/elector.cfg" --backend=redis \
    --redis.address="127.0.0.1:$redis_port" --id="promsnmp-$n" --socket="$dir/elector.sock" \
    --lease.ttl="$lease_ttl" --web.listen-address="127.0.0.1:$(elector_port "$n")"
  collector_launch "$n"
  wait_until 30 "replica $n to be ready" replica_ready "$n"
}
collector_launch() { # N: replica N's promsnmp, on its elector's socket
  local dir=$run/replica-$1
  PROMSNMP_ELECTOR_SOCKET=$dir/elector.sock PROMSNMP_STATE_DIR=$dir/state \
    PROMSNMP_WEB_CONFIG_FILE=$run/secrets/web.yml PROMSNMP_WEB_ADMIN_USERS=admin \
    PROMSNMP_REPLICA_ID=promsnmp-$1 PROMSNMP_WEB_TRUSTED_PROXIES=127.0.0.1 \
    PROMSNMP_PEERS="promsnmp-1=http://127.0.0.1:$(replica_port 1),promsnmp-2=http://127.0.0.1:$(replica_port 2),promsnmp-3=http://127.0.0.1:$(replica_port 3)" \
    launch "promsnmp-$1" "$bin/promsnmp" --config.file="$etc/promsnmp.cfg" \
    --web.listen-address="127.0.0.1:$(replica_port "$1")"
}
replica_ready() { curl -fsS --max-time 2 "http://127.0.0.1:$(replica_port "$1")/actuator/health/readiness"; }
elector_metric() { # N NAME: the value of the elector's metric NAME (no labels), or nothing
  curl -fsS --max-time 2 "http://127.0.0.1:$(elector_port "$1")/metrics" 2>/dev/null |
    awk -v m="$2" '$1 == m {print $2}'
}
collector_connected() { [ "$(elector_metric "$1" elector_collector_connected)" = 1 ]; }
collector_restart() { # N: SIGTERM replica N's collector, then start it again as replica-start
  # does; its elector keeps running (and, if it leads, its lease)
  local n=$1 elector
  site_scan
  elector=${found[elector-$n]:-}
  if [ -z "$elector" ]; then
    log "elector-$n does not run: nothing restarted (start the whole replica: ${self}replica-start $n)"
    return 1
  fi
  stop_processes TERM 15 "promsnmp-$n" || log "promsnmp-$n did not run"
  collector_launch "$n"
  wait_until 30 "replica $n to be ready" replica_ready "$n" || return 1
  # An elector that has no such metric (an older release) is not waited for.
  if [ -n "$(elector_metric "$n" elector_collector_connected)" ]; then
    wait_until 10 "promsnmp-$n to connect to elector-$n" collector_connected "$n" || return 1
  fi
  log "promsnmp-$n restarted (pid $(cat "$(pidfile "promsnmp-$n")")), connected to elector-$n (pid $elector, not restarted) and ready"
}
replica_stop() { # graceful: SIGTERM drains the collector; the elector releases its lease
  stop_processes TERM 15 "promsnmp-$1" "elector-$1" || true
}
replica_kill() {
  stop_processes KILL 5 "promsnmp-$1" "elector-$1" || true
}
leader() {
  local n
  for n in 1 2 3; do
    if curl -fsS --max-time 2 "http://127.0.0.1:$(replica_port "$n")/promsnmp/leader" >/dev/null 2>&1; then
      echo "$n"
      return 0
    fi
  done
  return 1
}

# --- Redis, the electors' lease store (restartable for the fault and load tests) ---------------
redis_start() { # keeps its append-only file in $run/redis: a restart keeps the lease keys
  launch redis redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$run/redis" \
    --appendonly yes --save "" --protected-mode yes
}
redis_kill() {
  stop_processes KILL 5 redis || true
}

# --- the site --------------------------------------------------------------------------------
prepare() {
  mkdir -p "$run/share" "$run/secrets" "$run/logs" "$run/pids" "$run/redis" \
    "$run/snmpsim/data" "$run/snmpsim/cache" "$run/prometheus"
  # What reset looks for before it removes anything here.
  [ -f "$run/$marker" ] || echo "a run directory of scripts/run-site.sh (its reset empties it)" \
    >"$run/$marker"
  chmod 700 "$run/secrets"
  # snmpsimd drops to nobody: the recordings must be readable and its cache writable by it.
  chmod 755 "$run" "$run/snmpsim" "$run/snmpsim/data"
  chmod 777 "$run/snmpsim/cache"
  local examples=/usr/share/doc/snmpsim/examples/data
  # The community selects the recording (its file name). Distinctive strings, so that the e2e
  # test can search every log and answer of the site for them (a leaked secret).
  zcat "$examples/cisco_16_switch.snmprec.gz" >"$run/snmpsim/data/$community_cisco.snmprec"
  zcat "$examples/recorded/linux-full-walk.snmprec.gz" >"$run/snmpsim/data/$community_linux.snmprec"
  zcat "$examples/public.snmprec.gz" >"$run/snmpsim/data/$community_public.snmprec"
  # The lab: one community, a recording per address. snmpsimd (its default SNMPv3 engine) knows
  # a community by a data file of that name (here empty: it answers nothing), then looks for
  # <md5 of the community>/<transport id>.snmprec, the transport id of the Nth
  # --agent-udpv4-endpoint being 1.3.6.1.6.1.1.<N-1>: 127.0.11.1-8 are endpoints 7-14.
  local lab
  lab=$run/snmpsim/data/$(printf %s "$community_lab" | md5sum | cut -d' ' -f1)
  : >"$run/snmpsim/data/$community_lab.snmprec"
  mkdir -p "$lab"
  chmod 755 "$lab"
  local i=7 recording
  for recording in cisco_16_switch.snmprec.gz recorded/linux-full-walk.snmprec.gz \
    recorded/winxp-full-walk.snmprec.gz bgp.snmprec "$top"/tests/data/recordings/cisco-asr1001x-bgp.snmprec \
    "$top"/tests/data/recordings/arista-7280-sensors.snmprec \
    "$top"/tests/data/recordings/apc-smartups-2200.snmprec \
    "$top"/tests/data/recordings/net-snmp-linux-diskio.snmprec; do
    [[ $recording == /* ]] || recording=$examples/$recording
    zcat -f "$recording" >"$lab/1.3.6.1.6.1.1.$i.snmprec"
    i=$((i + 1))
  done
  chmod 644 "$run"/snmpsim/data/*.snmprec "$lab"/*.snmprec

  if [ ! -s "$PROM_ENCRYPT_KEY_FILE" ]; then
    # 32 random bytes as 64 hex digits: used as the AES-256 key directly.
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$PROM_ENCRYPT_KEY_FILE"
    chmod 600 "$PROM_ENCRYPT_KEY_FILE"
  fi
  # Access control (README "Access control"): a web config with a read-only user for Prometheus
  # and an admin for you; random passwords in secrets/, curl configs beside them
  # (curl -K "$run/secrets/admin.curlrc" ...).
  if [ ! -s "$run/secrets/web.yml" ]; then
    local user
    for user in prometheus admin; do
      od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$run/secrets/$user-password"
      printf 'user = "%s:%s"\n' "$user" "$(cat "$run/secrets/$user-password")" \
        >"$run/secrets/$user.curlrc"
    done
    {
      echo "basic_auth_users:"
      for user in prometheus admin; do
        printf '  %s: %s\n' "$user" "$("$bin/promsnmp" hash-password <"$run/secrets/$user-password")"
      done
    } >"$run/secrets/web.yml.tmp"
    mv "$run/secrets/web.yml.tmp" "$run/secrets/web.yml"
    chmod 600 "$run"/secrets/*
  fi
  if [ ! -f "$run/share/.cluster-id" ]; then
    "$bin/promsnmp-inventory" init --cluster-id local-demo >/dev/null
    # Six devices on their own loopback addresses: a Catalyst 3750 stack (59 interfaces), a
    # Linux host and a host whose counters move (snmpsim's numeric variation), twice each.
    local i name community
    for i in 1 2 3 4 5 6; do
      case $i in
        1) name=Profiler3750 community=$community_cisco ;;
        2) name=tt community=$community_linux ;;
        3) name=zeus community=$community_public ;;
        4) name=Profiler3750-b community=$community_cisco ;;
        5) name=tt-b community=$community_linux ;;
        6) name=zeus-b community=$community_public ;;
      esac
      "$bin/promsnmp-inventory" add-device --sys-name "$name" --address "127.0.10.$i" \
        --port "$snmp_port" --community "$community" --sys-location "demo rack $i" >/dev/null
    done
  fi

  # Prometheus: the shipped config with loopback addresses and this site's scrape interval.
  local addresses=(-e "s/haproxy:8080/127.0.0.1:$haproxy_port/g"
    -e "s/haproxy:8404/127.0.0.1:$stats_port/g")
  for i in 1 2 3; do
    addresses+=(-e "s/promsnmp-$i:8080/127.0.0.1:$(replica_port "$i")/g"
      -e "s/elector-$i:9465/127.0.0.1:$(elector_port "$i")/g")
  done
  sed "${addresses[@]}" \
    -e "s|/run/secrets/promsnmp_password|$run/secrets/prometheus-password|g" \
    -e "s/^\(  *scrape_interval:\).*/\1 $scrape_interval/" \
    -e "s/^\(  *evaluation_interval:\).*/\1 $scrape_interval/" \
    -e "s/^\(  *scrape_timeout:\).*/\1 $scrape_interval/" \
    -e "s/^\(  *refresh_interval:\).*/\1 $scrape_interval/" \
    "$top/etc/prometheus/prometheus.yml" >"$run/prometheus/prometheus.yml"
  rm -rf "$run/prometheus/rules"
  cp -r "$top/etc/prometheus/rules" "$run/prometheus/rules"
}

start_site() {
  prepare
  local endpoints=() i
  for i in 1 2 3 4 5 6 7; do
    endpoints+=(--agent-udpv4-endpoint="127.0.10.$i:$snmp_port")
  done
  for i in 1 2 3 4 5 6 7 8; do # the lab (prepare)
    endpoints+=(--agent-udpv4-endpoint="127.0.11.$i:$snmp_port")
  done
  launch snmpsimd snmpsimd --data-dir="$run/snmpsim/data" --cache-dir="$run/snmpsim/cache" \
    "${endpoints[@]}" --process-user=nobody --process-group=nogroup --logging-method=stderr
  redis_start
  wait_until 120 "snmpsimd" snmpget -v2c -c "$community_cisco" -t 1 -r 0 "127.0.10.1:$snmp_port" \
    1.3.6.1.2.1.1.5.0
  wait_until 20 "redis" redis-cli -p "$redis_port" ping
  for i in 1 2 3; do
    replica_start "$i"
  done
  wait_until 30 "a leader" leader

  RUN_SITE_DIR=$run HAPROXY_BIND=127.0.0.1:$haproxy_port HAPROXY_STATS_BIND=127.0.0.1:$stats_port \
    PROMSNMP_1=127.0.0.1:$(replica_port 1) PROMSNMP_2=127.0.0.1:$(replica_port 2) \
    PROMSNMP_3=127.0.0.1:$(replica_port 3) \
    launch haproxy haproxy -W -db -f "$top/haproxy/haproxy.cfg"
  # All three replicas UP in the scrape backend before Prometheus starts, so no device is sent
  # to a replica that is only briefly its owner.
  wait_until 30 "HAProxy to see three ready replicas" bash -c \
    "curl -fsS 'http://127.0.0.1:$stats_port/stats;csv' | awk -F, '\$1 == \"be_scrape\" && \$2 != \"BACKEND\" && \$18 == \"UP\" {n++} END {exit n == 3 ? 0 : 1}'"

  launch prometheus prometheus --config.file="$run/prometheus/prometheus.yml" \
    --storage.tsdb.path="$run/prometheus/data" --web.listen-address="127.0.0.1:$prometheus_port" \
    --web.enable-lifecycle
  wait_until 60 "Prometheus" curl -fsS "http://127.0.0.1:$prometheus_port/-/ready"
}

page() { # BASE_URL NAME: the first of BASE_URL/NAME and BASE_URL/classic/NAME that answers 200
  local path
  for path in "/$2" "/classic/$2"; do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1$path")" = 200 ]; then
      echo "$1$path"
      return 0
    fi
  done
  return 1
}
elector_pages() { # N: replica N's elector pages that answer 200 (the same on every elector)
  local url path pages=()
  url=http://127.0.0.1:$(elector_port "$1")
  for path in / /health /healthz /metrics; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url$path")" = 200 ] &&
      pages+=("$url$path")
  done
  echo "${pages[*]}"
}

print_site() { # MODE (foreground or background)
  local n prometheus_pages=() name url
  n=$(leader || echo "?")
  # Which Prometheus pages exist depends on its version (Debian 12's 2.42 has only the classic
  # UI: /classic/targets, not /targets): asked, not assumed.
  for name in targets alerts rules graph; do
    url=$(page "http://127.0.0.1:$prometheus_port" "$name") && prometheus_pages+=("$name $url")
  done
  cat <<EOT

promsnmp site (logs: $run/logs, inventory share: $run/share, key: $PROM_ENCRYPT_KEY_FILE)

HAProxy        http://127.0.0.1:$haproxy_port/                 (scrapes, /targets, the API)
  scrape       curl -K $run/secrets/prometheus.curlrc http://127.0.0.1:$haproxy_port/snmp?target=Profiler3750
  modules      curl -K $run/secrets/prometheus.curlrc 'http://127.0.0.1:$haproxy_port/snmp?target=tt&module=system,hrStorage,ucd_memory'
               (snmp_exporter's interface; modules from $PROMSNMP_MODULES_FILES)
  users        prometheus (read) and admin (admin): passwords in $run/secrets/, web config $run/secrets/web.yml
  discovery    curl -K $run/secrets/admin.curlrc -X POST -H 'Content-Type: application/json' http://127.0.0.1:$haproxy_port/promsnmp/discovery \\
                 -d '{"potentialTargets":["127.0.10.0/29"],"agentType":"snmp-community","version":"v2c","port":$snmp_port,"readCommunity":"$community_public"}'
               every address of 127.0.10.0/29 answers this community (with one recording, sysName zeus.snmplabs.com):
               the six devices on 127.0.10.1-6 keep the names and locations you gave them (the agents' values go beside them,
               under "discovered"), and 127.0.10.7 becomes a new device; the report, at the Location of the answer
               (curl -K $run/secrets/admin.curlrc http://127.0.0.1:$haproxy_port/promsnmp/discovery/runs/ID), lists both
  profiles     the same with "potentialTargets":["127.0.11.0/28"] and "readCommunity":"$community_lab": a lab of eight
               different devices on 127.0.11.1-8 (Catalyst, Linux, Windows, BGP peers, ASR router, Arista leaf, APC UPS,
               a Linux host with disk I/O); each is classified (etc/profiles.yml), the run report's "profiles" says why,
               and each is polled with its profile's modules: CPU, memory, storage, sensors, BGP, UPS in its scrape
  stats        http://127.0.0.1:$stats_port/stats   (HAProxy metrics: /metrics)
CLI            export PROM_INV_FILE=$(printf %q "$PROM_INV_FILE") PROM_ENCRYPT_KEY_FILE=$(printf %q "$PROM_ENCRYPT_KEY_FILE")
               then: $(printf %q "$bin/promsnmp-inventory") show   (the devices; --help: the other commands)
replicas       http://127.0.0.1:$(replica_port 1)/  http://127.0.0.1:$(replica_port 2)/  http://127.0.0.1:$(replica_port 3)/
electors       1: $(elector_pages 1)
               2: $(elector_pages 2)
               3: $(elector_pages 3)
leader         replica $n (elector lease in Redis on 127.0.0.1:$redis_port, TTL ${lease_ttl} ms)
Prometheus     http://127.0.0.1:$prometheus_port/   (config $run/prometheus/prometheus.yml)
EOT
  for name in "${prometheus_pages[@]}"; do
    printf '  %-12s %s\n' "${name%% *}" "${name#* }"
  done
  cat <<EOT
Grafana        import $top/etc/grafana/promsnmp-dashboard.json (the site) and
               $top/etc/grafana/device-health-dashboard.json (the devices), data source http://127.0.0.1:$prometheus_port
devices        snmpsimd on 127.0.10.1-6:$snmp_port (in the inventory), 127.0.10.7 and the lab 127.0.11.1-8 (not yet)

commands       ${self}status | collector-restart N | replica-stop N | replica-start N | reset
               (status: every process of the site and the leader; collector-restart: one collector, its
               elector keeps running; reset: stops the site and removes its state in $run)

EOT
  if [ "$1" = foreground ]; then
    echo "Ctrl-C (or $stop_hint) stops the site."
  else
    echo "$stop_hint stops the site."
  fi
}

status_site() { # every process of the site, tracked by a pid file or not, and the leader
  local name tracked pid line untracked lead="" n
  site_scan
  for name in "${names[@]}"; do
    tracked=$(cat "$(pidfile "$name")" 2>/dev/null) || tracked=""
    if [ -z "${found[$name]:-}" ]; then
      line=stopped
      [ -z "$tracked" ] || line+=" (stale pid file: $tracked does not run)"
    else
      line=running
      untracked=()
      for pid in ${found[$name]}; do
        if [ "$pid" = "$tracked" ]; then
          line+=" pid $pid"
        elif [ -n "$tracked" ] && [ "$(parent_of "$pid")" = "$tracked" ]; then
          line+=" (worker $pid)"
        else
          untracked+=("$pid")
        fi
      done
      if ((${#untracked[@]})); then
        line="$line UNTRACKED pid ${untracked[*]}"
        if [ -z "$tracked" ]; then
          line+=" (no pid file)"
        elif ! running "$tracked"; then
          line+=" (its pid file names $tracked, which does not run)"
        elif ! [[ " ${found[$name]} " == *" $tracked "* ]]; then
          line+=" (its pid file names $tracked, another process)"
        else
          line+=" (a second one)"
        fi
      fi
    fi
    printf '%-11s %s\n' "$name" "$line"
  done
  for n in 1 2 3; do
    [ "$(elector_metric "$n" elector_is_leader)" = 1 ] && lead=$n && break
  done
  if n=$(leader); then
    echo "leader: replica $n${lead:+ (elector-$lead holds the lease)}"
  else
    echo "leader: none${lead:+ (elector-$lead holds the lease; its collector does not lead)}"
  fi
}

ports_in_use() { # prints "PORT (WHAT)" for each port of the site something else listens on
  command -v ss >/dev/null || return 0
  local tcp udp port what n
  tcp=$(ss -Hltn 2>/dev/null | awk '{print $4}')
  udp=$(ss -Hlun 2>/dev/null | awk '{print $4}')
  for port in "$haproxy_port HAProxy" "$stats_port HAProxy-stats" "$prometheus_port Prometheus" \
    "$redis_port Redis" "$(replica_port 1) promsnmp-1" "$(replica_port 2) promsnmp-2" \
    "$(replica_port 3) promsnmp-3" "$(elector_port 1) elector-1" "$(elector_port 2) elector-2" \
    "$(elector_port 3) elector-3"; do
    what=${port#* }
    port=${port%% *}
    grep -qE "^(127\.0\.0\.1|0\.0\.0\.0|\*|\[::\]|\[::ffff:127\.0\.0\.1\]):$port\$" <<<"$tcp" &&
      echo "TCP $port ($what)"
  done
  n=$(grep -cE "^(127\.0\.1[01]\.[0-9]+|0\.0\.0\.0|\*|\[::\]):$snmp_port\$" <<<"$udp" || true)
  ((n == 0)) || echo "UDP $snmp_port (the devices)"
}

reset_site() { # stops every process of the site, then removes the site's state under $run
  local real entry what failed=0 left=()
  if [ ! -d "$run" ]; then
    site_scan
    [ -z "$(site_running)" ] || stop_all
    log "nothing to remove: $run is not a directory"
    return 0
  fi
  real=$(realpath -e "$run")
  case $real in
    / | "$(realpath -e "$top")" | "$(realpath -e "${HOME:-/}")")
      log "refusing to reset $run ($real): not a run directory; nothing stopped or removed"
      return 1
      ;;
  esac
  # The marker prepare writes; a run directory of an older script has no marker but these.
  if ! [ -f "$real/$marker" ] && ! { [ -d "$real/pids" ] && [ -d "$real/secrets" ] &&
    [ -d "$real/logs" ]; }; then
    log "refusing to reset $run: no $marker (not a run directory of this script); nothing stopped or removed"
    log "(${self}stop stops the site's processes and removes nothing)"
    return 1
  fi
  stop_all
  site_scan
  if [ -n "$(site_running)" ]; then
    log "still running: $(site_running | paste -sd ' '); nothing removed"
    return 1
  fi
  log "reset: removing the site's state in $run (nothing outside it; a symbolic link, not what it points to):"
  for entry in share secrets logs pids redis snmpsim prometheus replica-1 replica-2 replica-3 "$marker"; do
    [ -e "$real/$entry" ] || [ -L "$real/$entry" ] || continue
    case $entry in
      share) what="the inventory share: every version, the cluster id" ;;
      secrets) what="the encryption key, the users' passwords and the web config" ;;
      logs) what="every process' log" ;;
      pids) what="the pid files" ;;
      redis) what="Redis' data: the electors' leases" ;;
      snmpsim) what="the devices' recordings and snmpsimd's cache" ;;
      prometheus) what="Prometheus' config, rules and data" ;;
      replica-*) what="the replica's local state (last good inventory, discovery history)" ;;
      *) what="the marker of a run directory" ;;
    esac
    [ -L "$real/$entry" ] && what+=" (a link to $(readlink "$real/$entry"): the link only)"
    log "  $run/$entry  $what"
  done
  for entry in share secrets logs pids redis snmpsim prometheus replica-1 replica-2 replica-3 "$marker"; do
    if [ -e "$real/$entry" ] || [ -L "$real/$entry" ]; then
      rm -rf --one-file-system -- "${real:?}/$entry" || failed=1
    fi
  done
  shopt -s nullglob dotglob
  left=("$real"/*)
  shopt -u nullglob dotglob
  if ((${#left[@]})); then
    log "kept (not the site's): ${left[*]}"
  elif rmdir -- "$real" 2>/dev/null; then
    log "removed $run (empty)"
  fi
  return "$failed"
}

refuse_if_running() { # the start of a site that runs, even in part, is refused
  site_scan
  local running
  running=$(site_running)
  [ -n "$running" ] || return 0
  if [ "$(wc -l <<<"$running")" = "${#names[@]}" ]; then
    log "the site already runs in $run: nothing started"
  else
    log "part of the site still runs in $run: nothing started"
  fi
  log "  $(paste -sd ' ' <<<"$running")"
  log "  HAProxy http://127.0.0.1:$haproxy_port/; ${self}status shows its processes and the leader"
  log "  $stop_hint stops it; ${self}reset stops it and removes its state (share, secrets, logs)"
  exit 1
}

case "${1:-start}" in
  stop) stop_all ;;
  status) status_site ;;
  leader) leader ;;
  replica-start)
    valid_replica "${2:-}"
    replica_start "$2"
    ;;
  replica-stop)
    valid_replica "${2:-}"
    replica_stop "$2"
    ;;
  replica-kill)
    valid_replica "${2:-}"
    replica_kill "$2"
    ;;
  collector-restart)
    valid_replica "${2:-}"
    collector_restart "$2"
    ;;
  redis-kill) redis_kill ;;
  redis-start)
    site_scan
    if [ -n "${found[redis]:-}" ]; then
      log "Redis still runs (pid ${found[redis]}): nothing started (redis-kill stops it)"
      exit 1
    fi
    redis_start
    wait_until 20 "redis" redis-cli -p "$redis_port" ping
    ;;
  reset) reset_site ;;
  start)
    for tool in snmpsimd snmpget redis-server redis-cli haproxy prometheus curl; do
      command -v "$tool" >/dev/null || { log "missing $tool (scripts/deps.sh installs it)"; exit 1; }
    done
    refuse_if_running
    busy=$(ports_in_use)
    if [ -n "$busy" ]; then
      log "in use by another program (another site? set PORT_BASE or SNMP_PORT): $(paste -sd ' ' <<<"$busy")"
      log "nothing started"
      exit 1
    fi
    rm -f "$run"/pids/*.pid
    if ! start_site; then
      stop_all
      exit 1
    fi
    if [ "${2:-}" = "--background" ]; then
      print_site background
      exit 0
    fi
    print_site foreground
    trap 'stop_all; exit 0' INT TERM
    while alive haproxy; do
      sleep 1
    done
    stop_all
    ;;
  *)
    echo "usage: $0 [start [--background]|stop|status|reset|leader|replica-start N|replica-stop N|replica-kill N|collector-restart N|redis-kill|redis-start]" >&2
    exit 2
    ;;
esac
