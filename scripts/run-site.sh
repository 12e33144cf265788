#!/usr/bin/env bash
# `make run`: a working local site on this machine, from what exists so far.
#
# Simulated devices (snmpsimd serving recorded walks of real devices from the snmpsim package, on
# three loopback addresses), a shared inventory initialised with a generated key, and one
# promsnmp collector serving them. Leader election, HAProxy and Prometheus join with their
# issues. Ctrl-C or `make run-stop` stops everything. All state and logs live under run/.
#
# Environment: PROMSNMP_PORT (default 8080), SNMP_PORT (default 11161).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
run=$top/run
bin=$top/build/bin
http_port=${PROMSNMP_PORT:-8080}
snmp_port=${SNMP_PORT:-11161}
export PROM_INV_FILE=$run/share/promsnmp-inventory.json
export PROM_ENCRYPT_KEY_FILE=$run/secrets/promsnmp-encrypt-key
export PROMSNMP_STATE_DIR=$run/state
export COLLECTION_INTERVAL=${COLLECTION_INTERVAL:-10000}
unset PROM_ENCRYPT_KEY

stop() {
  local stopped=0
  for name in promsnmp snmpsimd; do
    if [ -f "$run/$name.pid" ]; then
      kill "$(cat "$run/$name.pid")" 2>/dev/null && stopped=1
      rm -f "$run/$name.pid"
    fi
  done
  [ "$stopped" = 1 ] && echo "site stopped" || true
}

case "${1:-start}" in
  stop) stop; exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac

stop >/dev/null
mkdir -p "$run/share" "$run/secrets" "$run/logs" "$run/snmpsim/data" "$run/snmpsim/cache"
chmod 700 "$run/secrets"
# snmpsimd drops to nobody: the recordings must be readable and its cache writable by it.
chmod 755 "$run" "$run/snmpsim" "$run/snmpsim/data"
chmod 777 "$run/snmpsim/cache"
examples=/usr/share/doc/snmpsim/examples/data
# The community selects the recording (its file name).
zcat "$examples/cisco_16_switch.snmprec.gz" > "$run/snmpsim/data/cisco_16_switch.snmprec"
zcat "$examples/recorded/linux-full-walk.snmprec.gz" > "$run/snmpsim/data/linux.snmprec"
zcat "$examples/public.snmprec.gz" > "$run/snmpsim/data/public.snmprec"
chmod 644 "$run"/snmpsim/data/*.snmprec

if [ ! -s "$PROM_ENCRYPT_KEY_FILE" ]; then
  # 32 random bytes as 64 hex digits: used as the AES-256 key directly.
  od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$PROM_ENCRYPT_KEY_FILE"
  chmod 600 "$PROM_ENCRYPT_KEY_FILE"
fi
if [ ! -f "$run/share/.cluster-id" ]; then
  "$bin/promsnmp-inventory" init --cluster-id local-demo >/dev/null
  # A Catalyst 3750 stack (59 interfaces), a Linux host, and a host whose counters move
  # (snmpsim's numeric variation), each on its own loopback address.
  "$bin/promsnmp-inventory" add-device --sys-name Profiler3750 --address 127.0.10.1 \
    --port "$snmp_port" --community cisco_16_switch --sys-location "demo rack 1" >/dev/null
  "$bin/promsnmp-inventory" add-device --sys-name tt --address 127.0.10.2 \
    --port "$snmp_port" --community linux --sys-location "demo rack 2" >/dev/null
  "$bin/promsnmp-inventory" add-device --sys-name zeus --address 127.0.10.3 \
    --port "$snmp_port" --community public --sys-location "demo rack 3" >/dev/null
fi

snmpsimd --data-dir="$run/snmpsim/data" --cache-dir="$run/snmpsim/cache" \
  --agent-udpv4-endpoint="127.0.10.1:$snmp_port" --agent-udpv4-endpoint="127.0.10.2:$snmp_port" \
  --agent-udpv4-endpoint="127.0.10.3:$snmp_port" --process-user=nobody --process-group=nogroup \
  --logging-method=file:"$run/logs/snmpsimd.log" >/dev/null 2>&1 &
echo $! > "$run/snmpsimd.pid"
for _ in $(seq 1 120); do  # indexing the recordings takes a few seconds the first time
  snmpget -v2c -c cisco_16_switch -t 1 -r 0 "127.0.10.1:$snmp_port" 1.3.6.1.2.1.1.5.0 \
    >/dev/null 2>&1 && break
  sleep 0.5
done

"$bin/promsnmp" --web.listen-address="127.0.0.1:$http_port" >>"$run/logs/promsnmp.log" 2>&1 &
echo $! > "$run/promsnmp.pid"
trap 'stop; exit 0' INT TERM
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$http_port/-/ready" >/dev/null 2>&1 && break
  if ! kill -0 "$(cat "$run/promsnmp.pid")" 2>/dev/null; then
    echo "promsnmp did not start; see $run/logs/promsnmp.log" >&2
    tail -5 "$run/logs/promsnmp.log" >&2
    stop
    exit 1
  fi
  sleep 0.2
done

"$bin/promsnmp-inventory" show
cat <<EOT

promsnmp       http://127.0.0.1:$http_port/            (landing page: targets and their state)
scrape         http://127.0.0.1:$http_port/snmp?target=Profiler3750
targets (SD)   http://127.0.0.1:$http_port/targets
health         http://127.0.0.1:$http_port/actuator/health
own metrics    http://127.0.0.1:$http_port/metrics
devices        snmpsimd on 127.0.10.1-3:$snmp_port (recordings from the snmpsim package)
inventory      $run/share   (key in $PROM_ENCRYPT_KEY_FILE)
logs           $run/logs
role           standalone leader (leader election arrives with the elector)

Try: PROM_INV_FILE=$PROM_INV_FILE PROM_ENCRYPT_KEY_FILE=$PROM_ENCRYPT_KEY_FILE \\
       $bin/promsnmp-inventory remove-device --sys-name zeus    # the collector follows in seconds
Ctrl-C (or make run-stop) stops the site.
EOT
wait "$(cat "$run/promsnmp.pid")" 2>/dev/null || true
stop
