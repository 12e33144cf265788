#!/usr/bin/env bash
# Storage lost, then restored (issue 16), on the `make run` site (scripts/run-site.sh): Redis,
# three elector + promsnmp pairs, HAProxy with the shipped config, on loopback ports of their own.
# Checks, in order:
#   1. acknowledged writes: a CLI backup and a copy of the share are taken, then devices are
#      added through HAProxy (200) and every replica serves them;
#   2. the share is emptied (marker too) while the replicas run: each keeps serving the last
#      good inventory and says why (health "share": "missing", promsnmp_inventory_share_state,
#      a log line with a hint); writes through HAProxy get 503; a follower restarted meanwhile
#      serves its local copy; the leader is killed and another elected; nothing is ever written
#      into the empty directory (the mount guard);
#   3. the share comes back empty: a republish through HAProxy is refused (409) until the
#      operator confirms the mount, then the elected replica publishes its last good inventory
#      above every version and epoch seen, and every replica converges on it;
#   4. the share is restored from the older copy: every replica refuses it (rolled_back) and keeps
#      the newer inventory; no write lands (no silent rollback, no silent roll forward: writes and
#      discoveries get 503) until the republish, after which all converge and `verify` passes;
#   5. `promsnmp-inventory restore` of the CLI backup into the live site commits it as a new
#      version through the commit path: every replica serves the backup's devices, the leader
#      still writes afterwards.
# Usage: tests/e2e/storage_e2e.sh   (needs build/bin; every process it starts is stopped on exit)
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
BENCH_NAME=e2e-storage # read by bench/common.sh's log
export BENCH_NAME
# shellcheck source=bench/common.sh
. bench/common.sh # free_port_base
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh" # fail, eventually, now_ms

export RUN_DIR
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-storage.XXXXXX")
export LEASE_TTL_MS=3000 PROMSNMP_INVENTORY_POLL_INTERVAL_MS=300
export PORT_BASE SNMP_PORT
PORT_BASE=$(free_port_base)
SNMP_PORT=$(free_port udp)
site=$top/scripts/run-site.sh
cli=${BIN_DIR:-$top/build/bin}/promsnmp-inventory
haproxy=http://127.0.0.1:$PORT_BASE
share=$RUN_DIR/share
export PROM_INV_FILE=$share/promsnmp-inventory.json
export PROM_ENCRYPT_KEY_FILE=$RUN_DIR/secrets/promsnmp-encrypt-key
replica() { echo "http://127.0.0.1:$((PORT_BASE + $1))"; }

finish() {
  local code=$?
  "$site" stop >/dev/null 2>&1 || true
  if [ "$code" != 0 ]; then
    echo "--- logs (last lines) ---"
    for f in "$RUN_DIR"/logs/promsnmp-*.log; do
      echo "== $f"
      tail -8 "$f"
    done
  fi
  rm -rf "$RUN_DIR"
  exit "$code"
}
trap finish EXIT
trap 'exit 130' INT TERM

admin() { curl -sS -K "$RUN_DIR/secrets/admin.curlrc" "$@"; }
# The inventory part of replica N's health: "share version epoch devices source".
inventory_health() {
  admin "$(replica "$1")/actuator/health" | python3 -c '
import json, sys
d = json.load(sys.stdin)["components"]["inventory"]["details"]
print(d["share"], d["version"], d["epoch"], d["devices"], d["source"].replace(" ", "-"))'
}
all_health() {
  local n
  for n in 1 2 3; do
    echo "r$n $(inventory_health "$n" 2>/dev/null || echo down)"
  done
}
# Every replica reports share state $1 (and, when given, version $2).
all_report() {
  local n out
  for n in 1 2 3; do
    out=$(inventory_health "$n" 2>/dev/null) || return 1
    read -r state version _ <<<"$out"
    [ "$state" = "$1" ] || return 1
    [ -z "${2:-}" ] || [ "$version" = "$2" ] || return 1
  done
}
# Device names replica N serves (GET /promsnmp/inventory), one per line.
devices_of() {
  admin "$(replica "$1")/promsnmp/inventory" |
    python3 -c 'import json, sys; [print(d.get("sysName") or "") for d in json.load(sys.stdin)["devices"]]'
}
serves_everywhere() { # NAME...: every replica serves these devices
  local n name names
  for n in 1 2 3; do
    names=$(devices_of "$n") || return 1
    for name in "$@"; do
      grep -qx "$name" <<<"$names" || return 1
    done
  done
}
post_inventory() { # FILE: prints the HTTP status of a POST through HAProxy
  admin -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary "@$1" "$haproxy/promsnmp/inventory"
}
republish() { # [QUERY]: prints "status body" of a republish through HAProxy
  # Right after a leader change HAProxy's be_elected may have no server UP yet, or still the old
  # one (its check runs every second): 503, saying so, with Retry-After. An operator retries;
  # so does this, for 10 s.
  local body _
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    body=$(admin -w ' %{http_code}' -X POST "$haproxy/promsnmp/inventory/republish${1:-}")
    [[ $body == *' 503' ]] || break
    sleep 1
  done
  echo "${body##* } ${body% *}"
}
share_files() { find "$share" -mindepth 1 | sort; }
newest_slot() { find "$share" -name 'v*' -printf '%f\n' | sort | tail -1; }
with_devices() { # FILE NAME...: the served inventory plus these devices, as a POST body
  local file=$1
  shift
  admin "$haproxy/promsnmp/inventory?includeCredentials=true" | python3 -c '
import copy, json, sys, uuid
inv = json.load(sys.stdin)
for i, name in enumerate(sys.argv[1:]):
    device = copy.deepcopy(inv["devices"][0])  # a whole device, renamed and moved
    device["id"] = str(uuid.uuid4())
    device["sysName"] = name
    for agent in device["agents"] + [device["primaryAgent"]]:
        agent["id"] = device["agents"][0]["id"] if agent is device["primaryAgent"] else str(uuid.uuid4())
        agent["endpoint"]["address"] = "127.0.12.%d" % (len(inv["devices"]) + 1)
    inv["devices"].append(device)
print(json.dumps(inv))' "$@" >"$file"
}

echo "== start the site (ports from $PORT_BASE)"
"$site" start --background >/dev/null
eventually 30 all_report ok || fail "replicas not in step: $(all_health)"

echo "== 1. backups, then acknowledged writes"
"$cli" backup "$RUN_DIR/backup.inv" >/dev/null
cp -a "$share" "$RUN_DIR/share-copy"
backup_version=$(newest_slot)
with_devices "$RUN_DIR/body.json" ack-1 ack-2 ack-3
[ "$(post_inventory "$RUN_DIR/body.json")" = 200 ] || fail "POST inventory through HAProxy refused"
eventually 10 serves_everywhere ack-1 ack-2 ack-3 || fail "acknowledged devices not served everywhere"
read -r _ acked_version acked_epoch devices _ <<<"$(inventory_health 1)"
echo "   backup at $backup_version; acknowledged v$acked_version (epoch $acked_epoch, $devices devices) on every replica"

echo "== 2. the share is emptied while the replicas run"
find "$share" -mindepth 1 -delete
eventually 10 all_report missing || fail "the loss is not reported: $(all_health)"
serves_everywhere ack-1 ack-2 ack-3 || fail "a replica stopped serving the last good inventory"
self_metrics=$(admin "$(replica 2)/actuator/prometheus") # whole: grep -q would cut curl short
grep -qx 'promsnmp_inventory_share_state{state="missing"} 1' <<<"$self_metrics" ||
  fail "promsnmp_inventory_share_state does not say missing"
grep -q 'share=missing hint=' "$RUN_DIR/logs/promsnmp-1.log" || fail "no log line says the share is missing"
with_devices "$RUN_DIR/lost.json" lost-1
status=$(post_inventory "$RUN_DIR/lost.json")
[ "$status" = 503 ] || fail "a write with the share missing got $status, want 503"
leader=$("$site" leader || true)
[ -z "$leader" ] || fail "replica $leader claims to lead writes with the share missing"
elected=""
for n in 1 2 3; do
  if curl -fsS "$(replica "$n")/promsnmp/elected" >/dev/null 2>&1; then elected=$n; fi
done
[ -n "$elected" ] || fail "no replica is elected"
follower=$((elected % 3 + 1))
"$site" replica-stop "$follower" >/dev/null
"$site" replica-start "$follower" >/dev/null
read -r state _ _ _ source <<<"$(inventory_health "$follower")"
if [ "$state" != missing ] || [ "$source" != local-replica ]; then
  fail "restarted replica $follower: share $state, source $source (want missing, local-replica)"
fi
serves_everywhere ack-1 ack-2 ack-3 || fail "the restarted replica lost the inventory"
"$site" replica-kill "$elected" >/dev/null
new_elected=""
find_elected() {
  local n
  for n in 1 2 3; do
    [ "$n" = "$elected" ] && continue
    if curl -fsS "$(replica "$n")/promsnmp/elected" >/dev/null 2>&1; then
      new_elected=$n
      return 0
    fi
  done
  return 1
}
eventually 15 find_elected || fail "no replica elected after killing replica $elected"
sleep 1 # the new leader's fence attempt
[ -z "$(share_files)" ] || fail "something was written into the empty directory: $(share_files)"
"$site" replica-start "$elected" >/dev/null
echo "   served the last good inventory (v$acked_version) throughout; writes 503; replica $follower restarted" \
  "from its local copy; replica $new_elected elected after killing $elected; the directory stayed empty"

echo "== 3. the share comes back empty: republish"
read -r status body <<<"$(republish)"
[ "$status" = 409 ] || fail "republish into an unmarked empty share: $status $body (want 409)"
[ -z "$(share_files)" ] || fail "a refused republish wrote: $(share_files)"
read -r status body <<<"$(republish '?empty=confirmed')"
[ "$status" = 200 ] || fail "confirmed republish: $status $body"
republished=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["version"], d["epoch"])' "$body")
read -r version epoch <<<"$republished"
((version > acked_version && epoch > acked_epoch)) ||
  fail "republished v$version epoch $epoch, not above v$acked_version epoch $acked_epoch"
eventually 10 all_report ok "$version" || fail "replicas did not converge on v$version: $(all_health)"
serves_everywhere ack-1 ack-2 ack-3 || fail "the republished inventory lacks acknowledged devices"
echo "   refused without confirmation (409); confirmed: v$version epoch $epoch on every replica"

echo "== 4. the share is restored from the older copy"
find "$share" -mindepth 1 -delete
cp -a "$RUN_DIR/share-copy/." "$share/"
eventually 10 all_report rolled_back "$version" || fail "the rollback is not refused: $(all_health)"
with_devices "$RUN_DIR/late.json" late-1
status=$(post_inventory "$RUN_DIR/late.json")
[ "$status" = 503 ] || fail "a write over the restored share got $status, want 503"
status=$(admin -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d '{"potentialTargets":["127.0.10.7"],"agentType":"snmp-community","version":"v2c","port":'"$SNMP_PORT"',"readCommunity":"x"}' \
  "$haproxy/promsnmp/discovery")
[ "$status" = 503 ] || fail "a discovery over the restored share got $status, want 503"
sleep 2
[ "$(newest_slot)" = "$backup_version" ] || fail "something wrote over the restored share: $(newest_slot)"
all_report rolled_back "$version" || fail "a replica rolled back or forward: $(all_health)"
serves_everywhere ack-1 ack-2 ack-3 || fail "a replica rolled back to the older copy"
read -r status body <<<"$(republish)"
[ "$status" = 200 ] || fail "republish over the restored share: $status $body"
read -r version2 epoch2 <<<"$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["version"], d["epoch"])' "$body")"
((version2 > version && epoch2 > epoch)) || fail "republished v$version2 epoch $epoch2, not above v$version epoch $epoch"
eventually 10 all_report ok "$version2" || fail "replicas did not converge on v$version2: $(all_health)"
serves_everywhere ack-1 ack-2 ack-3 || fail "the republished inventory lacks acknowledged devices"
"$cli" verify >/dev/null || fail "verify after the republish: $("$cli" verify 2>&1 | tail -3)"
read -r status body <<<"$(republish)"
[ "$status" = 409 ] || fail "a second republish: $status (want 409: nothing to do)"
echo "   refused by every replica for 2 s (writes and discoveries 503, nothing written);" \
  "republished as v$version2 epoch $epoch2; every replica converged; verify ok; a second republish 409"

echo "== 5. restore of the CLI backup into the live site"
"$cli" restore "$RUN_DIR/backup.inv" >/dev/null || fail "restore refused: $("$cli" restore "$RUN_DIR/backup.inv" 2>&1)"
restored_version=$(newest_slot)
restored_version=$((10#${restored_version#v}))
eventually 10 all_report ok "$restored_version" || fail "replicas did not take the restore: $(all_health)"
for n in 1 2 3; do
  names=$(devices_of "$n")
  if grep -qx ack-1 <<<"$names"; then fail "replica $n still serves ack-1 after the restore"; fi
done
with_devices "$RUN_DIR/after.json" after-restore
[ "$(post_inventory "$RUN_DIR/after.json")" = 200 ] || fail "the leader cannot write after the restore"
eventually 10 serves_everywhere after-restore || fail "the write after the restore is not served"
echo "   restored as v$restored_version on every replica (the acknowledged devices gone, as restored);" \
  "the leader writes on"
echo "PASS"
