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
#        scripts/run-site.sh redis-kill|redis-start      kill -9 Redis / start it again
#        scripts/run-site.sh leader                      prints the leading replica's number
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

# --- process bookkeeping: one pid file per process under $run/pids ----------------------------
pidfile() { echo "$run/pids/$1.pid"; }
alive() { [ -f "$(pidfile "$1")" ] && kill -0 "$(cat "$(pidfile "$1")")" 2>/dev/null; }
launch() { # NAME COMMAND...: starts COMMAND in the background, output to $run/logs/NAME.log
  local name=$1
  shift
  "$@" >>"$run/logs/$name.log" 2>&1 &
  echo $! >"$(pidfile "$name")"
}
signal_process() { # NAME SIGNAL
  if alive "$1"; then
    kill "-$2" "$(cat "$(pidfile "$1")")" 2>/dev/null || true
  fi
}
wait_gone() { # NAME SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    alive "$1" || { rm -f "$(pidfile "$1")"; return 0; }
    sleep 0.1
  done
  signal_process "$1" KILL
  rm -f "$(pidfile "$1")"
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
  local name stopped=0
  [ -d "$run/pids" ] || return 0
  # Prometheus and HAProxy first, then the collectors (they drain), electors, Redis, devices.
  for name in prometheus haproxy promsnmp-1 promsnmp-2 promsnmp-3 elector-1 elector-2 elector-3 \
    redis snmpsimd; do
    if alive "$name"; then
      signal_process "$name" TERM
      stopped=1
    fi
  done
  for name in prometheus haproxy promsnmp-1 promsnmp-2 promsnmp-3 elector-1 elector-2 elector-3 \
    redis snmpsimd; do
    wait_gone "$name" 15
  done
  [ "$stopped" = 1 ] && log "site stopped" || true
}

# --- one replica: its elector and its collector ---------------------------------------------
replica_start() {
  local n=$1 dir=$run/replica-$1
  mkdir -p "$dir/state"
  rm -f "$dir/elector.sock"
  launch "elector-$n" "$bin/elector" --config.file="$etc/elector.cfg" --backend=redis \
    --redis.address="127.0.0.1:$redis_port" --id="replica-$n" --socket="$dir/elector.sock" \
    --lease.ttl="$lease_ttl" --web.listen-address="127.0.0.1:$(elector_port "$n")"
  PROMSNMP_ELECTOR_SOCKET=$dir/elector.sock PROMSNMP_STATE_DIR=$dir/state \
    PROMSNMP_WEB_CONFIG_FILE=$run/secrets/web.yml PROMSNMP_WEB_ADMIN_USERS=admin \
    launch "promsnmp-$n" "$bin/promsnmp" --config.file="$etc/promsnmp.cfg" \
    --web.listen-address="127.0.0.1:$(replica_port "$n")"
  wait_until 30 "replica $n to be ready" \
    curl -fsS "http://127.0.0.1:$(replica_port "$n")/actuator/health/readiness"
}
replica_stop() { # graceful: SIGTERM drains the collector; the elector releases its lease
  signal_process "promsnmp-$1" TERM
  signal_process "elector-$1" TERM
  wait_gone "promsnmp-$1" 15
  wait_gone "elector-$1" 15
}
replica_kill() {
  signal_process "promsnmp-$1" KILL
  signal_process "elector-$1" KILL
  wait_gone "promsnmp-$1" 5
  wait_gone "elector-$1" 5
}
leader() {
  local n
  for n in 1 2 3; do
    if curl -fsS "http://127.0.0.1:$(replica_port "$n")/promsnmp/leader" >/dev/null 2>&1; then
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
  signal_process redis KILL
  wait_gone redis 5
}

# --- the site --------------------------------------------------------------------------------
prepare() {
  mkdir -p "$run/share" "$run/secrets" "$run/logs" "$run/pids" "$run/redis" \
    "$run/snmpsim/data" "$run/snmpsim/cache" "$run/prometheus"
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

  HAPROXY_BIND=127.0.0.1:$haproxy_port HAPROXY_STATS_BIND=127.0.0.1:$stats_port \
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

print_site() {
  local n
  n=$(leader || echo "?")
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
replicas       http://127.0.0.1:$(replica_port 1)/  http://127.0.0.1:$(replica_port 2)/  http://127.0.0.1:$(replica_port 3)/
electors       http://127.0.0.1:$(elector_port 1)/metrics  http://127.0.0.1:$(elector_port 2)/metrics  http://127.0.0.1:$(elector_port 3)/metrics
leader         replica $n (elector lease in Redis on 127.0.0.1:$redis_port, TTL ${lease_ttl} ms)
Prometheus     http://127.0.0.1:$prometheus_port/   (alerts: /alerts; config $run/prometheus/prometheus.yml)
Grafana        import $top/etc/grafana/promsnmp-dashboard.json (the site) and
               $top/etc/grafana/device-health-dashboard.json (the devices), data source http://127.0.0.1:$prometheus_port
devices        snmpsimd on 127.0.10.1-6:$snmp_port (in the inventory), 127.0.10.7 and the lab 127.0.11.1-8 (not yet)

Ctrl-C (or make run-stop) stops the site.
EOT
}

case "${1:-start}" in
  stop) stop_all ;;
  status)
    for name in snmpsimd redis elector-1 promsnmp-1 elector-2 promsnmp-2 elector-3 promsnmp-3 \
      haproxy prometheus; do
      alive "$name" && echo "$name running" || echo "$name stopped"
    done
    echo "leader: replica $(leader || echo none)"
    ;;
  leader) leader ;;
  replica-start) replica_start "${2:?replica number}" ;;
  replica-stop) replica_stop "${2:?replica number}" ;;
  replica-kill) replica_kill "${2:?replica number}" ;;
  redis-kill) redis_kill ;;
  redis-start)
    redis_start
    wait_until 20 "redis" redis-cli -p "$redis_port" ping
    ;;
  start)
    stop_all >/dev/null
    for tool in snmpsimd snmpget redis-server redis-cli haproxy prometheus curl; do
      command -v "$tool" >/dev/null || { log "missing $tool (scripts/deps.sh installs it)"; exit 1; }
    done
    if ! start_site; then
      stop_all
      exit 1
    fi
    print_site
    if [ "${2:-}" = "--background" ]; then
      exit 0
    fi
    trap 'stop_all; exit 0' INT TERM
    while alive haproxy; do
      sleep 1
    done
    stop_all
    ;;
  *)
    echo "usage: $0 [start [--background]|stop|status|leader|replica-start N|replica-stop N|replica-kill N|redis-kill|redis-start]" >&2
    exit 2
    ;;
esac
