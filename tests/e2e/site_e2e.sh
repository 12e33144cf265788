#!/usr/bin/env bash
# End-to-end test of the `make run` site (scripts/run-site.sh): Redis, snmpsimd devices, three
# elector + promsnmp pairs, HAProxy with the shipped config and a real Prometheus, on loopback
# ports of their own. Checks, in order:
#   1. Prometheus discovers every device through HAProxy's /targets and scrapes all with up 1;
#   2. in steady state each device is polled by exactly one replica (promsnmp_target_polls_total);
#   3. kill -9 of the leader pair: a new leader within TTL + renew interval + 1 s; a discovery
#      POSTed to HAProxy afterwards reaches the leader (202) and its device lands on every replica;
#   4. discovery of a seed range holding a mixed lab (Catalyst, Linux, Windows, BGP peers, ASR
#      router, Arista leaf, APC UPS, Linux host) classifies each device with the shipped profiles,
#      and Prometheus scrapes each one's profile series (CPU, memory, storage, interfaces, BGP,
#      sensors, UPS) through HAProxy with no per-device configuration;
#   5. a rolling restart of the three replicas under continuous scraping of all 14 devices
#      through HAProxy: no failed scrape (ours and Prometheus'), and resets() shows no counter
#      reset on any series (a device's scrapes move to another replica and back: takeovers);
#   6. no secret of the site in any log or answer.
# Usage: tests/e2e/site_e2e.sh   (needs build/bin; every process it starts is stopped on exit)
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
BENCH_NAME=e2e
# shellcheck source=bench/common.sh
. bench/common.sh # free_port_base
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh" # fail, eventually, now_ms

export RUN_DIR
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-e2e.XXXXXX")
export LEASE_TTL_MS=3000 COLLECTION_INTERVAL=4000 CACHE_EXP_MILLIS=20000 SCRAPE_INTERVAL=2s
export PORT_BASE SNMP_PORT
PORT_BASE=$(free_port_base)
SNMP_PORT=$(free_port udp)
site=$top/scripts/run-site.sh
haproxy=http://127.0.0.1:$PORT_BASE
stats=http://127.0.0.1:$((PORT_BASE + 4))
prometheus=http://127.0.0.1:$((PORT_BASE + 10))
replica() { echo "http://127.0.0.1:$((PORT_BASE + $1))"; }
loop_pid=""

finish() {
  local code=$?
  [ -n "$loop_pid" ] && kill "$loop_pid" 2>/dev/null || true
  "$site" stop >/dev/null 2>&1 || true
  if [ "$code" != 0 ]; then
    echo "--- logs (last lines) ---"
    for f in "$RUN_DIR"/logs/*.log; do
      echo "== $f"
      tail -5 "$f"
    done
  fi
  rm -rf "$RUN_DIR"
  exit "$code"
}
trap finish EXIT
trap 'exit 130' INT TERM

promql() { # QUERY: prints the vector as "labels value" lines
  curl -fsS "$prometheus/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["data"]["result"]:
    print(",".join(f"{k}={v}" for k, v in sorted(r["metric"].items())), r["value"][1])'
}
polls_snapshot() { # prints "target replica count" for every replica
  local n
  for n in 1 2 3; do
    curl -fsS -K "$RUN_DIR/secrets/prometheus.curlrc" "$(replica "$n")/metrics" |
      sed -n "s/^promsnmp_target_polls_total{target=\"\([^\"]*\)\"} \([0-9.e+]*\)/\1 $n \2/p"
  done
}
leader() { "$site" leader 2>/dev/null; }
all_scraped_up() {
  [ "$(promql 'count(up{job="promsnmp-devices"} == 1)' | awk '{print $NF}')" = "$1" ]
}

echo "== start the site (ports from $PORT_BASE, devices on UDP $SNMP_PORT)"
"$site" start --background >/dev/null

echo "== 0. access control: mutating requests through HAProxy need the admin user"
body='{"potentialTargets":["127.0.10.7"],"agentType":"snmp-community","version":"v2c","port":'$SNMP_PORT',"readCommunity":"demo-public-b83f","scheduleNow":false}'
for request in "POST /promsnmp/discovery" "POST /promsnmp/inventory" "GET /promsnmp/evictCache" \
  "POST /-/reload" "GET /promsnmp/inventory?includeCredentials=true"; do
  method=${request% *} path=${request#* }
  none=$(curl -s -o /dev/null -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' \
    -d "$body" "$haproxy$path")
  read_only=$(curl -s -o /dev/null -w '%{http_code}' -K "$RUN_DIR/secrets/prometheus.curlrc" \
    -X "$method" -H 'Content-Type: application/json' -d "$body" "$haproxy$path")
  [ "$none" = 401 ] && [ "$read_only" = 403 ] ||
    fail "$request through HAProxy: $none without credentials (want 401), $read_only as the read user (want 403)"
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$haproxy/snmp?target=Profiler3750")" = 401 ] ||
  fail "a scrape without credentials was served"
echo "   5 mutating requests: 401 without credentials, 403 as the read-only user; scrapes need credentials"

echo "== 1. Prometheus discovers and scrapes every device through HAProxy"
eventually 60 all_scraped_up 6 || fail "not all 6 devices up: $(promql 'up{job="promsnmp-devices"}')"
promql 'up{job="promsnmp-devices"}' | sed 's/^/   /'

echo "== 2. each device is polled by exactly one replica (over 3 collection intervals)"
sleep 4
before=$(polls_snapshot)
sleep 12
after=$(polls_snapshot)
sharding=$(join -j1 <(echo "$before" | awk '{print $1 "/" $2, $3}' | sort) \
  <(echo "$after" | awk '{print $1 "/" $2, $3}' | sort) -a2 -e0 -o 0,1.2,2.2 |
  awk '{split($1, k, "/"); if ($3 - $2 > 0) {n[k[1]]++; who[k[1]] = who[k[1]] " r" k[2]}}
       END {for (t in n) print t, n[t], who[t]}' | sort)
echo "$sharding" | sed 's/^/   polled: /'
[ "$(echo "$sharding" | wc -l)" = 6 ] || fail "not every device was polled: $sharding"
echo "$sharding" | awk '$2 != 1 {exit 1}' || fail "a device is polled by more than one replica"

echo "== 3. kill -9 of the leader pair"
old=$(leader) || fail "no leader"
killed_at=$(now_ms)
"$site" replica-kill "$old"
new=""
until new=$(leader) && [ "$new" != "$old" ]; do
  (($(now_ms) - killed_at < 15000)) || fail "no new leader 15 s after the kill"
  sleep 0.05
done
took=$(($(now_ms) - killed_at))
budget=$((LEASE_TTL_MS + LEASE_TTL_MS / 3 + 1000))
echo "   replica $old killed; replica $new leads after $took ms (budget $budget ms)"
((took <= budget)) || fail "failover took $took ms, over the budget of $budget ms"
body='{"potentialTargets":["127.0.10.7"],"agentType":"snmp-community","version":"v2c","port":'$SNMP_PORT',"readCommunity":"demo-public-b83f"}'
accepted=""
for attempt in $(seq 1 40); do
  status=$(curl -s -o /dev/null -w '%{http_code}' -K "$RUN_DIR/secrets/admin.curlrc" -X POST \
    -H 'Content-Type: application/json' -d "$body" "$haproxy/promsnmp/discovery")
  if [ "$status" = 202 ]; then
    accepted=$attempt
    break
  fi
  sleep 0.25
done
[ -n "$accepted" ] || fail "discovery through HAProxy never accepted (last status $status)"
echo "   discovery through HAProxy: 202 after $accepted attempt(s), $(($(now_ms) - killed_at)) ms after the kill"
has_new_device() { # replica number: the discovered agent is in its inventory
  curl -fsS -K "$RUN_DIR/secrets/prometheus.curlrc" "$(replica "$1")/promsnmp/inventory" |
    grep -q '"address":"127.0.10.7"'
}
for n in 1 2 3; do
  [ "$n" = "$old" ] && continue
  eventually 20 has_new_device "$n" || fail "replica $n never loaded the discovered device"
done
"$site" replica-start "$old" >/dev/null
eventually 20 has_new_device "$old" || fail "the restarted replica $old lacks the discovered device"
echo "   the discovered device (127.0.10.7) is in the inventory of all three replicas"
for attempt in 1 2 3 4 5; do
  status=$(curl -s -o /dev/null -w '%{http_code}' -K "$RUN_DIR/secrets/admin.curlrc" -X POST \
    -H 'Content-Type: application/json' -d "$body" "$haproxy/promsnmp/discovery")
  [ "$status" = 202 ] || fail "a discovery POST through HAProxy answered $status (not the leader?)"
done
echo "   5 more discovery POSTs through HAProxy: all 202 (they reach the leader)"
up_backends() {
  [ "$(curl -fsS "$stats/stats;csv" | awk -F, '$1 == "be_scrape" && $2 != "BACKEND" && $18 == "UP" {n++} END {print n + 0}')" = 3 ]
}
eventually 30 up_backends || fail "HAProxy does not see the restarted replica"
eventually 60 all_scraped_up 7 || fail "the discovered device is not scraped: $(promql 'up{job="promsnmp-devices"}')"

echo "== 4. discovery classifies a mixed lab, and Prometheus scrapes what each kind of device has"
# The lab (scripts/run-site.sh): eight different devices answer one community on 127.0.11.1-8;
# the seed range also holds six silent addresses. Nothing per device is configured anywhere:
# discovery classifies with the shipped etc/profiles.yml, the devices carry their profiles'
# modules, /targets lists them, and the plain /snmp?target= Prometheus asks serves the modules.
# address | profile (etc/profiles.yml) | series Prometheus must have for it (CPU, memory,
# storage, interfaces where the recording has them; the project's recordings under
# tests/data/recordings/ hold only their MIB: BGP, sensors, UPS, disk I/O)
lab_expect='127.0.11.1 cisco-ios cpmCPUTotal5minRev ciscoMemoryPoolUsed ifHCInOctets entPhysicalClass
127.0.11.2 net-snmp-linux hrProcessorLoad memAvailReal hrStorageUsed ifHCInOctets laLoad
127.0.11.3 windows hrProcessorLoad hrStorageUsed ifInOctets hrDeviceStatus
127.0.11.4 generic sysUpTime_absent
127.0.11.5 cisco-ios-xe bgpPeerState cbgpPeer2State
127.0.11.6 arista-eos entPhySensorValue entPhysicalClass
127.0.11.7 apc-powernet upsEstimatedChargeRemaining upsBatteryStatus sysUpTime
127.0.11.8 net-snmp-linux diskIONReadX sysUpTime'
body='{"potentialTargets":["127.0.11.0/28"],"agentType":"snmp-community","version":"v2c","port":'$SNMP_PORT',"readCommunity":"demo-lab-41f6"}'
location=$(curl -fsS -D - -o /dev/null -K "$RUN_DIR/secrets/admin.curlrc" -X POST \
  -H 'Content-Type: application/json' -d "$body" "$haproxy/promsnmp/discovery" |
  tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
[ -n "$location" ] || fail "the lab's discovery was not accepted"
run_done() {
  curl -fsS -K "$RUN_DIR/secrets/admin.curlrc" "$haproxy$location" >"$RUN_DIR/lab-run.json" &&
    grep -q '"state":"succeeded"' "$RUN_DIR/lab-run.json"
}
eventually 60 run_done || fail "the lab's discovery run did not succeed: $(head -c 400 "$RUN_DIR/lab-run.json")"
# The run report: each address found, with the expected profile and the reason it matched.
python3 - "$RUN_DIR/lab-run.json" "$lab_expect" <<'PY' || fail "the run report's classification"
import json, sys
run = json.load(open(sys.argv[1]))
want = {l.split()[0]: l.split()[1] for l in sys.argv[2].splitlines()}
got = {p["endpoint"].split(":")[0]: p for p in run["profiles"]}
assert run["found"] == 8 and run["new"] == 8, f"found {run['found']}, new {run['new']}"
for address, profile in sorted(want.items()):
    p = got.get(address)
    assert p, f"{address} not in the report's profiles"
    assert p["profile"] == profile, f"{address}: {p['profile']} ({p['reason']}), want {profile}"
    assert p["reason"] and p["modules"], f"{address}: no reason or no modules"
    print(f"   {address:11} {p['profile']:15} {len(p['modules'])} modules: {p['reason'][:70]}")
PY
# Every lab device's target name (sysName, or ip:port when another device has it) from /targets
# (through HAProxy: any replica, once it has loaded the run's inventory version).
lab_targets() {
  curl -fsS -K "$RUN_DIR/secrets/prometheus.curlrc" "$haproxy/targets" | python3 -c '
import json, sys
for g in json.load(sys.stdin):
    if g["labels"]["__meta_promsnmp_address"].startswith("127.0.11."):
        print(g["labels"]["__meta_promsnmp_address"], g["targets"][0])' >"$RUN_DIR/lab-targets.txt" &&
    [ "$(wc -l <"$RUN_DIR/lab-targets.txt")" = 8 ]
}
eventually 30 lab_targets || fail "/targets lists $(wc -l <"$RUN_DIR/lab-targets.txt") lab devices, not 8"
lab_scraped() { # every expectation holds in Prometheus
  local address profile names name instance
  while read -r address profile names; do
    instance=$(awk -v a="$address" '$1 == a {print $2}' "$RUN_DIR/lab-targets.txt")
    [ "$(promql "up{job=\"promsnmp-devices\",instance=\"$instance\"}" | awk '{print $NF}')" = 1 ] || return 1
    [ -n "$(promql "promsnmp_device_info{instance=\"$instance\",profile=\"$profile\"}")" ] || return 1
    for name in $names; do
      if [[ $name == *_absent ]]; then # the generic agent has no system group: no series at all
        [ -z "$(promql "${name%_absent}{instance=\"$instance\"}")" ] || return 1
      else
        [ -n "$(promql "${name}{job=\"promsnmp-devices\",instance=\"$instance\"}")" ] || return 1
      fi
    done
  done <<<"$lab_expect"
}
eventually 60 lab_scraped || {
  while read -r address profile names; do
    instance=$(awk -v a="$address" '$1 == a {print $2}' "$RUN_DIR/lab-targets.txt")
    echo "   $address ($instance): up $(promql "up{job=\"promsnmp-devices\",instance=\"$instance\"}" | awk '{print $NF}'), info: $(promql "promsnmp_device_info{instance=\"$instance\"}" | cut -c1-160)"
  done <<<"$lab_expect"
  fail "Prometheus lacks a lab device's series"
}
series=0
while read -r _ instance; do
  series=$((series + $(promql "count({job=\"promsnmp-devices\",instance=\"$instance\"})" | awk '{print $NF}')))
done <"$RUN_DIR/lab-targets.txt"
echo "   Prometheus scrapes all 8 through HAProxy with their profiles' series ($series series), no per-device configuration"


echo "== 5. rolling restart under continuous scraping through HAProxy"
# Every device's scrape URL (the discovered one's sysName has spaces: URL-encoded).
curl -fsS -K "$RUN_DIR/secrets/prometheus.curlrc" "$haproxy/targets" | python3 -c '
import json, sys, urllib.parse
for g in json.load(sys.stdin):
    for t in g["targets"]:
        print(sys.argv[1] + "/snmp?target=" + urllib.parse.quote(t))' "$haproxy" >"$RUN_DIR/urls.txt"
(
  set +e
  while true; do
    while read -r url; do
      curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -K "$RUN_DIR/secrets/prometheus.curlrc" "$url"
    done <"$RUN_DIR/urls.txt"
    sleep 0.05
  done
) >"$RUN_DIR/scrapes.txt" &
loop_pid=$!
roll_start=$(date +%s)
sleep 4
for n in 1 2 3; do
  t0=$(now_ms)
  "$site" replica-stop "$n"
  "$site" replica-start "$n" >/dev/null
  eventually 40 up_backends || fail "replica $n not back in HAProxy"
  echo "   replica $n restarted and back in HAProxy after $(($(now_ms) - t0)) ms"
done
sleep 6
kill "$loop_pid"
wait "$loop_pid" 2>/dev/null || true
loop_pid=""
window=$(($(date +%s) - roll_start + 2))
total=$(wc -l <"$RUN_DIR/scrapes.txt")
failed=$(grep -vc '^200$' "$RUN_DIR/scrapes.txt" || true)
echo "   our scrapes through HAProxy during the restarts: $total, failed: $failed; takeover polls" \
  "(a device's first scrape here after others served it):$(for n in 1 2 3; do
    curl -fsS -K "$RUN_DIR/secrets/prometheus.curlrc" "$(replica "$n")/metrics" |
      awk -v n="$n" '/^promsnmp_cache_takeover_polls_total / {printf " r%s %d", n, $2}'
  done)"
[ "$failed" = 0 ] || fail "$failed of $total scrapes failed: $(sort "$RUN_DIR/scrapes.txt" | uniq -c | tr '\n' ' ')"
missed=$(promql "count(min_over_time(up{job=\"promsnmp-devices\"}[${window}s]) == 0)")
[ -z "$missed" ] || fail "Prometheus saw a failed scrape: $(promql "min_over_time(up{job=\"promsnmp-devices\"}[${window}s]) == 0" | tr '\n' ' ')"
# resets() drops the metric name, so each counter metric is asked on its own.
names=$(curl -fsS "$prometheus/api/v1/label/__name__/values" | python3 -c '
import json, re, sys
for n in json.load(sys.stdin)["data"]:
    if re.fullmatch(r"ifHC\w+|if(In|Out)(Errors|Discards)", n):
        print(n)')
series=0
resets=0
for name in $names; do
  s=$(promql "count(count_over_time(${name}{job=\"promsnmp-devices\"}[${window}s]))" | awk '{print $NF}')
  r=$(promql "sum(resets(${name}{job=\"promsnmp-devices\"}[${window}s]))" | awk '{print $NF}')
  series=$((series + ${s:-0}))
  if [ "${r:-0}" != 0 ]; then
    echo "   resets of $name: $(promql "resets(${name}{job=\"promsnmp-devices\"}[${window}s]) > 0" | head -3)"
    if ((resets == 0)); then # the first reset series: its samples around the drop
      first=$(promql "resets(${name}{job=\"promsnmp-devices\"}[${window}s]) > 0" | head -1 |
        awk '{print $1}' | sed 's/\([a-zA-Z_]*\)=\([^,]*\)/\1="\2"/g')
      curl -fsS "$prometheus/api/v1/query" --data-urlencode "query=${name}{${first}}[${window}s]" |
        python3 -c '
import json, sys
for r in json.load(sys.stdin)["data"]["result"][:1]:
    v = [(float(t), float(x)) for t, x in r["values"]]
    for i in range(1, len(v)):
        if v[i][1] < v[i - 1][1]:
            print("    samples (s into the window=value):",
                  " ".join("%.1f=%d" % (t - v[0][0], x) for t, x in v[max(0, i - 3):i + 3]))' || true
    fi
    resets=$((resets + ${r%.*}))
  fi
done
echo "   Prometheus over ${window}s: every device up in every scrape; resets() on $series counter series of $(echo "$names" | wc -w) metrics: $resets"
[ "$series" -gt 0 ] || fail "no counter series found"
[ "$resets" = 0 ] || fail "false counter resets during the rolling restart"

echo "== 6. no secret in any log or answer of the site"
# Every answer a user or Prometheus can get, as the admin (the most any request sees without
# includeCredentials), saved beside the logs; then every secret searched for in all of it.
answers=$RUN_DIR/answers
mkdir -p "$answers"
for n in 1 2 3; do
  for path in /config /targets /metrics / /actuator/health /promsnmp/inventory \
    /promsnmp/discovery /promsnmp/discovery/runs "/snmp?target=Profiler3750" "/snmp?target=zeus"; do
    curl -s -K "$RUN_DIR/secrets/admin.curlrc" "$(replica "$n")$path" \
      >"$answers/replica-$n$(echo "$path" | tr '/?=' '___').txt" || true
  done
  curl -s "$(replica "$n")/promsnmp/discovery" >"$answers/replica-$n-unauthenticated.txt" || true
done
curl -s "$prometheus/api/v1/targets" >"$answers/prometheus-targets.json"
curl -s "$prometheus/api/v1/series" --data-urlencode 'match[]={job=~"promsnmp.*"}' \
  >"$answers/prometheus-series.json"
secrets=(demo-cisco-7c41 demo-linux-2e9d demo-public-b83f demo-lab-41f6
  "$(cat "$RUN_DIR/secrets/promsnmp-encrypt-key")" "$(cat "$RUN_DIR/secrets/admin-password")"
  "$(cat "$RUN_DIR/secrets/prometheus-password")")
# Our processes' logs and the site's other parts that see our answers (not snmpsimd's: it is the
# device, and it logs the communities it is asked with).
files=("$RUN_DIR"/logs/promsnmp-*.log "$RUN_DIR"/logs/elector-*.log "$RUN_DIR"/logs/haproxy.log
  "$RUN_DIR"/logs/prometheus.log "$answers"/*)
searched=${#files[@]}
bytes=$(cat "${files[@]}" | wc -c)
for secret in "${secrets[@]}"; do
  [ -n "$secret" ] || fail "a secret of the site is empty"
  if leaks=$(grep -lF -- "$secret" "${files[@]}"); then
    fail "a secret (${secret:0:4}...) appears in: $leaks"
  fi
done
# The control: the one answer that carries credentials (an admin asking for them) has them, so
# the search above would have found a leak.
curl -s -K "$RUN_DIR/secrets/admin.curlrc" "$(replica 1)/promsnmp/inventory?includeCredentials=true" |
  grep -qF demo-cisco-7c41 || fail "control: includeCredentials=true as admin lacks the community"
echo "   ${#secrets[@]} secrets (4 communities, the inventory key, 2 passwords) in none of $searched files ($bytes bytes of logs and answers)"
echo "PASS"
