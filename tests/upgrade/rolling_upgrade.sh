#!/usr/bin/env bash
# upgrade.rolling_two_versions: a rolling upgrade of the `make run` site (scripts/run-site.sh:
# Redis, snmpsimd, three elector + promsnmp pairs on one inventory share, HAProxy with the
# shipped haproxy/haproxy.cfg) from the previous release (tests/upgrade/previous-release, built
# by tests/upgrade/build_previous.sh) to this tree, while scrapes (/snmp?target= and
# /metrics?target=) and inventory writes (POST /promsnmp/inventory, each adding a device) go
# through HAProxy the whole time. The leader is included, last: followers first, then the old
# leader hands leadership over by a restart and is upgraded as a follower.
#   0. the whole site starts on the previous release (its CLI creates the share; its etc/);
#   1. follower A, then follower B, get this tree's binaries: a write the old leader commits is
#      served by each upgraded follower;
#   2. the old leader restarts (still the previous release): an upgraded replica takes over, and
#      a write it commits is served by the old replica, now a follower;
#   3. while the site is mixed, a version of envelope format 4 (a newer release's) is put at the
#      head: every daemon of either release says "unsupported format 4" in its health and log
#      and keeps serving its last good version, the leader takes no write, nothing is written
#      on the share, and both releases' promsnmp-inventory refuse it with the same message;
#      then the format-4 version is taken away and writes resume;
#   4. the old replica gets this tree's binaries: the site is upgraded.
# Then: no scrape answered other than 200 (HAProxy retries as configured), every write answered
# 200 is in the final inventory of every replica, and `promsnmp-inventory verify` of both
# releases passes on the chain both wrote.
# Usage: tests/upgrade/rolling_upgrade.sh  (BIN_DIR: this tree's bin; PREVIOUS_DIR: the output
# directory of build_previous.sh). Every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
BENCH_NAME=upgrade
# shellcheck source=bench/common.sh
. bench/common.sh # free_port, free_port_base
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh" # fail, eventually, now_ms

new_bin=${BIN_DIR:-$top/build/bin}
previous=${PREVIOUS_DIR:-$top/build/upgrade-previous}
old_bin=$previous/build/bin
old_etc=$previous/src/etc
commit=$(grep -v '^#' tests/upgrade/previous-release | tr -d '[:space:]')
old_name="previous release ${commit:0:7}"
new_name="this tree"

for b in promsnmp elector promsnmp-inventory; do
  [ -x "$new_bin/$b" ] || fail "$new_bin/$b is missing (build this tree first)"
  [ -x "$old_bin/$b" ] ||
    fail "$old_bin/$b is missing: run tests/upgrade/build_previous.sh $previous (CTest runs it as upgrade.build_previous_release)"
done

export RUN_DIR
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-upgrade.XXXXXX")
export LEASE_TTL_MS=3000 COLLECTION_INTERVAL=4000 CACHE_EXP_MILLIS=20000 SCRAPE_INTERVAL=2s
export PROMSNMP_INVENTORY_POLL_INTERVAL_MS=1000
export PORT_BASE SNMP_PORT
PORT_BASE=$(free_port_base)
SNMP_PORT=$(free_port udp)
haproxy=http://127.0.0.1:$PORT_BASE
stats=http://127.0.0.1:$((PORT_BASE + 4))
share=$RUN_DIR/share
replica() { echo "http://127.0.0.1:$((PORT_BASE + $1))"; }
loop_pids=()
canary_pid=""

finish() {
  local code=$? pid
  : >"$RUN_DIR/stop"
  for pid in "${loop_pids[@]}" $canary_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  "$top/scripts/run-site.sh" stop >/dev/null 2>&1 || true
  # On failure, the last lines of our daemons' logs (and HAProxy's).
  [ "$code" = 0 ] || tail -n 5 "$RUN_DIR"/logs/{promsnmp,elector,canary,haproxy}*.log 2>/dev/null
  rm -rf "$RUN_DIR"
  exit "$code"
}
trap finish EXIT
trap 'exit 130' INT TERM

# site RELEASE COMMAND...: run-site.sh with that release's binaries, configs, module catalogue
# and profiles (as a package upgrade replaces them).
site() {
  local release=$1
  shift
  if [ "$release" = old ]; then
    BIN_DIR=$old_bin ETC_DIR=$old_etc PROMSNMP_PROFILES_FILES=$old_etc/profiles.yml \
      PROMSNMP_MODULES_FILES="$old_etc/modules/*.yml,$previous/src/tests/data/modules/peer-current.yml" \
      "$top/scripts/run-site.sh" "$@"
  else
    BIN_DIR=$new_bin ETC_DIR=$top/etc "$top/scripts/run-site.sh" "$@"
  fi
}
cli() { # RELEASE ARGS...: that release's promsnmp-inventory on the site's share
  local release=$1
  shift
  local bin=$new_bin
  [ "$release" = old ] && bin=$old_bin
  PROM_INV_FILE=$share/promsnmp-inventory.json \
    PROM_ENCRYPT_KEY_FILE=$RUN_DIR/secrets/promsnmp-encrypt-key "$bin/promsnmp-inventory" "$@"
}
leader() { site new leader 2>/dev/null; }
release_of() { # N: which release's collector replica N runs (from its process)
  local exe
  exe=$(readlink "/proc/$(cat "$RUN_DIR/pids/promsnmp-$1.pid")/exe" 2>/dev/null) || exe=""
  case "$exe" in
    "$(readlink -f "$old_bin/promsnmp")") echo "$old_name" ;;
    "$(readlink -f "$new_bin/promsnmp")") echo "$new_name" ;;
    *) echo "unknown ($exe)" ;;
  esac
}
expect_release() { # N RELEASE-NAME
  [ "$(release_of "$1")" = "$2" ] || fail "replica $1 runs $(release_of "$1"), want $2"
}
up_backends() {
  [ "$(curl -fsS "$stats/stats;csv" | awk -F, '$1 == "be_scrape" && $2 != "BACKEND" && $18 == "UP" {n++} END {print n + 0}')" = 3 ]
}
metric() { # N NAME: replica N's own sample of NAME
  curl -fsS -K "$RUN_DIR/secrets/prometheus.curlrc" "$(replica "$1")/metrics" |
    awk -v n="$2" '$1 == n {print $2}'
}
serves_at() { # URL DEVICE: the replica at URL has DEVICE in its inventory
  curl -fsS -K "$RUN_DIR/secrets/prometheus.curlrc" "$1/promsnmp/inventory" |
    grep -qF "\"sysName\":\"$2\""
}
serves() { serves_at "$(replica "$1")" "$2"; } # N DEVICE
acked() { grep ' 200$' "$RUN_DIR/writes.txt" | cut -d' ' -f1; }
more_acked() { [ "$(acked | wc -l)" -gt "$1" ]; } # COUNT: more writes acknowledged than COUNT
# replace N RELEASE: stops replica N's pair and starts it on RELEASE; back in HAProxy.
replace() {
  local t0
  t0=$(now_ms)
  site "$2" replica-stop "$1"
  site "$2" replica-start "$1" >/dev/null
  eventually 40 up_backends || fail "replica $1 is not back in HAProxy"
  echo "   replica $1 now runs $(release_of "$1"), back in HAProxy after $(($(now_ms) - t0)) ms"
}
# reads_across WRITER READER: a write answered 200 while WRITER led (before and after the answer)
# is served by READER, which runs the other release.
reads_across() {
  local writer=$1 reader=$2 before name
  [ "$(leader)" = "$writer" ] || fail "replica $writer does not lead"
  before=$(acked | wc -l)
  eventually 20 more_acked "$before" || fail "no write acknowledged"
  name=$(acked | sed -n "$((before + 1))p")
  [ "$(leader)" = "$writer" ] || fail "leadership moved while $name was written"
  eventually 20 serves "$reader" "$name" || fail "replica $reader never served $name"
  echo "   $name, committed by the leader (replica $writer, $(release_of "$writer")), is served by replica $reader ($(release_of "$reader"))"
}
share_listing() { # every file of the share with its inode, size and checksum
  (cd "$share" && for f in .cluster-id promsnmp-inventory.json v*; do
    echo "$f $(stat -c '%i %s' "$f") $(md5sum <"$f" | cut -d' ' -f1)"
  done)
}

echo "== 0. the site on the $old_name (ports from $PORT_BASE, devices on UDP $SNMP_PORT)"
site old start --background >/dev/null
# Prometheus (part of the make-run site) would scrape every device the writes add, through the
# replicas, as live polls of snmpsimd: this test scrapes with its own loop instead.
kill "$(cat "$RUN_DIR/pids/prometheus.pid")"
for n in 1 2 3; do
  expect_release "$n" "$old_name"
done
old_leader=$(leader) || fail "no leader"
followers=()
for n in 1 2 3; do
  [ "$n" = "$old_leader" ] || followers+=("$n")
done
echo "   replicas 1-3 run the $old_name; replica $old_leader leads"

# The scrapes: each device, alternately as /snmp?target= and /metrics?target=, until stopped.
curl -fsS -K "$RUN_DIR/secrets/prometheus.curlrc" "$haproxy/targets" | python3 -c '
import json, sys, urllib.parse
for g in json.load(sys.stdin):
    for t in g["targets"]:
        for path in ("/snmp", "/metrics"):
            print(sys.argv[1] + path + "?target=" + urllib.parse.quote(t))' "$haproxy" \
  >"$RUN_DIR/urls.txt"
[ "$(wc -l <"$RUN_DIR/urls.txt")" = 12 ] || fail "/targets: $(cat "$RUN_DIR/urls.txt")"
(
  set +e
  deadline=$(($(date +%s) + 400))
  while [ ! -e "$RUN_DIR/stop" ] && (($(date +%s) < deadline)); do
    while read -r url; do
      echo "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 \
        -K "$RUN_DIR/secrets/prometheus.curlrc" "$url") $url"
    done <"$RUN_DIR/urls.txt"
    sleep 0.05
  done
) >"$RUN_DIR/scrapes.txt" &
loop_pids+=($!)

# The writes: each POST replaces the inventory with the six devices, every device acknowledged
# so far and one new one; one at a time, through HAProxy's write backend. `writes.pause` makes
# the loop stop between two writes (it answers with `writes.paused`).
curl -fsS -K "$RUN_DIR/secrets/admin.curlrc" "$haproxy/promsnmp/inventory?includeCredentials=true" \
  >"$RUN_DIR/base.json"
: >"$RUN_DIR/writes.txt"
python3 - "$haproxy/promsnmp/inventory" "$RUN_DIR" "$SNMP_PORT" <<'PY' &
import base64, json, os, sys, time, urllib.error, urllib.request
url, run, snmp_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
password = open(f"{run}/secrets/admin-password").read().strip()
auth = "Basic " + base64.b64encode(f"admin:{password}".encode()).decode()
base = json.load(open(f"{run}/base.json"))
acked = []
deadline = time.time() + 400
out = open(f"{run}/writes.txt", "a", buffering=1)
i = 0
while time.time() < deadline and not os.path.exists(f"{run}/stop"):
    if os.path.exists(f"{run}/writes.pause"):
        open(f"{run}/writes.paused", "w").close()
        time.sleep(0.1)
        continue
    i += 1
    device = {"sysName": f"upgrade-{i:04d}", "sysLocation": "rolling upgrade test",
              "agents": [{"type": "snmp-community", "version": 1, "readCommunity": "demo-public-b83f",
                          "endpoint": {"address": "127.0.10.7", "port": snmp_port}}]}
    body = dict(base, devices=base["devices"] + acked + [device])
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": auth, "Content-Type": "application/json"})
    why = ""
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            code = answer.status
    except urllib.error.HTTPError as e:
        code = e.code
    except OSError as e:  # no HTTP answer: code 0 and the reason
        code, why = 0, f" {type(e).__name__}:{str(e).replace(' ', '_')}"
    if code == 200:
        acked.append(device)
    print(f"{device['sysName']} {code}{why}", file=out)
    time.sleep(0.3)
PY
loop_pids+=($!)
pause_writes() {
  rm -f "$RUN_DIR/writes.paused"
  : >"$RUN_DIR/writes.pause"
  eventually 40 test -e "$RUN_DIR/writes.paused" || fail "the write loop did not pause"
}
resume_writes() { rm -f "$RUN_DIR/writes.pause" "$RUN_DIR/writes.paused"; }
sleep 3

echo "== 0b. a canary of this tree: a follower that never leads, outside HAProxy (README \"Canary\")"
mkdir -p "$RUN_DIR/canary"
canary=http://127.0.0.1:$((PORT_BASE + 5))
PROM_INV_FILE=$share/promsnmp-inventory.json PROM_ENCRYPT_KEY_FILE=$RUN_DIR/secrets/promsnmp-encrypt-key \
  PROMSNMP_ROLE=follower PROMSNMP_COLLECTION_MODE=scraped PROMSNMP_STATE_DIR=$RUN_DIR/canary \
  PROMSNMP_WEB_CONFIG_FILE=$RUN_DIR/secrets/web.yml PROMSNMP_WEB_ADMIN_USERS=admin \
  PROMSNMP_MODULES_FILES="$top/etc/modules/*.yml,$top/tests/data/modules/peer-current.yml" \
  PROMSNMP_PROFILES_FILES=$top/etc/profiles.yml \
  "$new_bin/promsnmp" --config.file="$top/etc/promsnmp.cfg" \
  --web.listen-address="127.0.0.1:$((PORT_BASE + 5))" >"$RUN_DIR/logs/canary.log" 2>&1 &
canary_pid=$!
eventually 30 curl -fsS -o /dev/null "$canary/actuator/health/readiness" || fail "the canary is not ready"
canary_reads() { # the canary serves the newest acknowledged write, and reads the share without error
  serves_at "$canary" "$(acked | tail -1)" &&
    [ "$(curl -fsS -K "$RUN_DIR/secrets/prometheus.curlrc" "$canary/metrics" |
      awk '$1 == "promsnmp_inventory_read_failing" {print $2}')" = 0 ]
}
eventually 20 more_acked 0 || fail "no write acknowledged"
eventually 20 canary_reads || fail "the canary does not read the old leader's writes"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$canary/promsnmp/leader")" = 503 ] ||
  fail "the canary claims to lead"
series() { # URL: the ifHCInOctets series (labels) of Profiler3750 it serves
  curl -fsS -K "$RUN_DIR/secrets/prometheus.curlrc" "$1/snmp?target=Profiler3750" |
    grep '^ifHCInOctets{' | sed 's/ [^ ]*$//' | sort
}
canary_series=$(series "$canary")
if [ -z "$canary_series" ] || [ "$canary_series" != "$(series "$(replica "$old_leader")")" ]; then
  fail "the canary's scrape differs from the $old_name's"
fi
echo "   the canary reads the $old_name leader's writes, does not lead, and scrapes Profiler3750 as the $old_name does ($(wc -l <<<"$canary_series") ifHCInOctets series)"
kill "$canary_pid"
canary_gone() { ! kill -0 "$canary_pid" 2>/dev/null; }
eventually 15 canary_gone || fail "the canary did not stop"
wait "$canary_pid" || true
canary_pid=""

echo "== 1. the followers get this tree's binaries, one at a time"
for n in "${followers[@]}"; do
  replace "$n" new
  reads_across "$old_leader" "$n"
done

echo "== 2. the old leader restarts on the $old_name; an upgraded replica takes over"
t0=$(now_ms)
site old replica-stop "$old_leader"
eventually 20 leader >/dev/null || fail "no new leader"
new_leader=$(leader)
site old replica-start "$old_leader" >/dev/null
eventually 40 up_backends || fail "replica $old_leader is not back in HAProxy"
expect_release "$new_leader" "$new_name"
expect_release "$old_leader" "$old_name"
echo "   replica $new_leader leads; replica $old_leader is a follower again after $(($(now_ms) - t0)) ms"
reads_across "$new_leader" "$old_leader"

echo "== 3. a version of format 4 (a newer release's) at the head of the mixed site"
pause_writes
head=$(cd "$share" && printf '%s\n' v* | tail -1)
good=$((10#${head#v}))
all_at_good() {
  local n
  for n in 1 2 3; do
    [ "$(metric "$n" promsnmp_inventory_version)" = "$good" ] || return 1
  done
}
eventually 20 all_at_good || fail "the replicas did not all load version $good"
devices=$(metric 1 promsnmp_inventory_device_count)
[ "$devices" -ge $((6 + $(acked | wc -l))) ] || fail "version $good has $devices devices"
# Version good+1: the newest version's bytes with format 4 and the next version number, claimed
# and published as a writer does (a slot, then the head replaced by rename).
python3 - "$share" "$good" <<'PY'
import os, sys
share, good = sys.argv[1], int(sys.argv[2])
data = bytearray(open(f"{share}/v{good:020d}", "rb").read())
assert data[:8] == b"PSNMPINV" and data[8:10] == (3).to_bytes(2, "big")
data[8:10] = (4).to_bytes(2, "big")             # format
data[16:24] = (good + 1).to_bytes(8, "big")     # version
with open(f"{share}/.tmp.format4", "wb") as f:
    f.write(data)
os.link(f"{share}/.tmp.format4", f"{share}/v{good + 1:020d}")
os.rename(f"{share}/.tmp.format4", f"{share}/promsnmp-inventory.json")
PY
before=$(share_listing)
old_message="unsupported format 4 (this build reads formats 2 and 3)"
new_message="$old_message: written by a newer promsnmp; upgrade this build to read it"
message_of() { # N: the message replica N's release gives
  if [ "$(release_of "$1")" = "$old_name" ]; then echo "$old_message"; else echo "$new_message"; fi
}
refuses() { # N: health says why, the failing gauge is 1, the last good version is served
  curl -fsS -K "$RUN_DIR/secrets/admin.curlrc" "$(replica "$1")/actuator/health" |
    grep -qF "\"error\":\"Inventory data error: $(message_of "$1")\"" &&
    [ "$(metric "$1" promsnmp_inventory_read_failing)" = 1 ]
}
for n in 1 2 3; do
  eventually 20 refuses "$n" || fail "replica $n ($(release_of "$n")) does not report the format-4 head: $(curl -s -K "$RUN_DIR/secrets/admin.curlrc" "$(replica "$n")/actuator/health" | head -c 600)"
  grep -F "msg=\"inventory unreadable, keeping the last good version\"" "$RUN_DIR/logs/promsnmp-$n.log" |
    grep -qF "error=\"Inventory data error: $(message_of "$n")\"" ||
    fail "replica $n's log lacks the warning: $(tail -3 "$RUN_DIR/logs/promsnmp-$n.log")"
  if [ "$(metric "$n" promsnmp_inventory_version)" != "$good" ] ||
    [ "$(metric "$n" promsnmp_inventory_device_count)" != "$devices" ] ||
    ! serves "$n" "$(acked | tail -1)"; then
    fail "replica $n does not serve its last good version $good ($devices devices)"
  fi
  echo "   replica $n ($(release_of "$n")): health and log say \"$(message_of "$n")\"; serves version $good"
done
answer=$(curl -s -w ' %{http_code}' -K "$RUN_DIR/secrets/admin.curlrc" -X POST \
  -H 'Content-Type: application/json' --data-binary @"$RUN_DIR/base.json" \
  "$(replica "$new_leader")/promsnmp/inventory")
if [ "${answer##* }" != 503 ] || ! grep -qF "cannot write the inventory" <<<"$answer" ||
  ! grep -qF "$new_message" <<<"$answer"; then
  fail "the leader's answer to a write: $answer"
fi
status=$(curl -s -o /dev/null -w '%{http_code}' -K "$RUN_DIR/secrets/admin.curlrc" -X POST \
  -H 'Content-Type: application/json' --data-binary @"$RUN_DIR/base.json" "$haproxy/promsnmp/inventory")
[ "$status" = 503 ] || fail "a write through HAProxy answered $status"
echo "   the leader refuses writes (503: \"cannot write the inventory: ... $new_message\"); through HAProxy: 503"
for release in old new; do
  message=$old_message
  [ "$release" = new ] && message=$new_message
  for command in verify show; do
    if out=$(cli "$release" "$command" 2>&1); then
      fail "promsnmp-inventory $command ($release) read the format-4 head: $out"
    fi
    grep -qF "$message" <<<"$out" || fail "promsnmp-inventory $command ($release): $out"
  done
  echo "   promsnmp-inventory verify and show ($release): \"$message\""
done
sleep 2 # two polls of every replica more
[ "$(share_listing)" = "$before" ] ||
  fail "the share changed while its head was unreadable: $(diff <(echo "$before") <(share_listing))"
echo "   nothing written on the share"
rm "$share/v$(printf '%020d' $((good + 1)))"
ln "$share/$head" "$share/.tmp.head"
mv "$share/.tmp.head" "$share/promsnmp-inventory.json"
resume_writes
before=$(acked | wc -l)
eventually 30 more_acked "$before" || fail "writes did not resume"
echo "   the format-4 version removed: writes resume"

echo "== 4. the old leader, now a follower, gets this tree's binaries"
replace "$old_leader" new
for n in 1 2 3; do
  expect_release "$n" "$new_name"
done
sleep 3
: >"$RUN_DIR/stop"
for pid in "${loop_pids[@]}"; do
  wait "$pid" || true
done
loop_pids=()

echo "== checks"
total=$(wc -l <"$RUN_DIR/scrapes.txt")
failed=$(grep -vc '^200 ' "$RUN_DIR/scrapes.txt" || true)
echo "   scrapes through HAProxy: $total, failed: $failed"
[ "$total" -gt 100 ] || fail "only $total scrapes"
[ "$failed" = 0 ] || fail "$failed scrapes failed: $(grep -v '^200 ' "$RUN_DIR/scrapes.txt" | sort | uniq -c | head -5)"
writes=$(wc -l <"$RUN_DIR/writes.txt")
acknowledged=$(acked | wc -l)
echo "   inventory writes through HAProxy: $writes, acknowledged: $acknowledged (others: $(grep -v ' 200$' "$RUN_DIR/writes.txt" | cut -d' ' -f2- | sort | uniq -c | tr -s ' \n' ' '))"
[ "$acknowledged" -gt 20 ] || fail "only $acknowledged writes acknowledged"
has_all() { # N: replica N's inventory holds every acknowledged device
  curl -fsS -K "$RUN_DIR/secrets/prometheus.curlrc" "$(replica "$1")/promsnmp/inventory" |
    python3 -c '
import json, sys
names = {d["sysName"] for d in json.load(sys.stdin)["devices"]}
missing = [n for n in open(sys.argv[1]).read().split() if n not in names]
sys.exit(1 if missing else 0)' <(acked)
}
for n in 1 2 3; do
  eventually 30 has_all "$n" || fail "replica $n lacks acknowledged writes"
done
echo "   all $acknowledged acknowledged devices are in the final inventory of replicas 1-3"
for release in old new; do
  out=$(cli "$release" verify 2>&1) || fail "promsnmp-inventory verify ($release): $out"
done
echo "   promsnmp-inventory verify of both releases: the chain is valid"
echo "PASS"
