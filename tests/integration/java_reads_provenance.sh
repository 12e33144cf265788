#!/usr/bin/env bash
# What promsnmp keeps beside a device is extra JSON the Java PromSNMP must still load: the
# provenance ("operatorSet", "discovered": which fields the operator set, what the agent
# reported) and what the device is polled with ("sysObjectID", "profile": how discovery
# classified it, "modules" and "auth": the snmp_exporter modules and module file auth, set by
# add-device/set-modules or discovery). An inventory with all of them, exported as plain JSON and
# in the Java encrypted format, is read by the Java model and mapper
# (tests/tools/java-fixture/read.sh) with every device intact.
# Usage: java_reads_provenance.sh CLI READ_SH
set -uo pipefail
cli=$1
read_java=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-java-read.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

export PROM_INV_FILE=$work/share/promsnmp-inventory.json
export PROM_ENCRYPT_KEY=JavaReadsOurs16k  # 16 characters: the Java format encrypts
unset PROM_ENCRYPT_KEY_FILE PROM_ENCRYPT_KEY_PREVIOUS PROM_ENCRYPT_KEY_PREVIOUS_FILE CREDENTIALS_DIRECTORY

"$cli" init >/dev/null || fail "init"
"$cli" add-device --sys-name core-router --address 192.0.2.1 --community public \
  --sys-location "rack 7" --modules system,if_mib --auth public_v2 >/dev/null || fail "add-device"
# A device as discovery leaves it after keeping an operator's name: the agent's values beside.
cat >"$work/discovered.json" <<'JSON'
{"devices":[{"sysName":"edge-1","sysLocation":"cage 2","sysContact":null,
 "agents":[{"type":"snmp-community","endpoint":{"address":"192.0.2.2","port":161},"version":1,
            "readCommunity":"public"}],
 "primaryAgent":{"type":"snmp-community","endpoint":{"address":"192.0.2.2","port":161},
                 "version":1,"readCommunity":"public"},
 "operatorSet":["sysName"],
 "discovered":{"sysName":"zeus","sysDescr":"Linux zeus","sysContact":null,
               "sysLocation":"San Francisco","at":"2026-01-02T03:04:05Z"}},
 {"sysName":"ups-3","sysLocation":"plant room","sysContact":"facilities",
  "agents":[{"type":"snmp-community","endpoint":{"address":"192.0.2.3","port":161},"version":1,
             "readCommunity":"public"}],
  "primaryAgent":{"type":"snmp-community","endpoint":{"address":"192.0.2.3","port":161},
                  "version":1,"readCommunity":"public"},
  "sysObjectID":"1.3.6.1.4.1.318.1.3.27",
  "profile":{"name":"apc-ups","vendor":"APC","os":"AOS",
             "reason":"sysObjectID 1.3.6.1.4.1.318.1.3.27 under 1.3.6.1.4.1.318",
             "at":"2026-01-02T03:04:05Z"},
  "modules":["system","ups_mib"],"auth":"public_v1"}],
 "discoverySeeds":[]}
JSON
"$cli" import "$work/discovered.json" --merge >/dev/null || fail "import --merge"

"$cli" export --pretty --include-credentials -o "$work/plain.json" 2>/dev/null || fail "export"
grep -q '"operatorSet"' "$work/plain.json" || fail "export has no operatorSet"
grep -q '"discovered"' "$work/plain.json" || fail "export has no discovered"
grep -q '"San Francisco"' "$work/plain.json" || fail "export lost the agent's location"
for key in '"sysObjectID"' '"profile"' '"apc-ups"' '"ups_mib"' '"public_v1"' '"if_mib"' '"public_v2"' \
  '"modules"'; do
  grep -q "$key" "$work/plain.json" || fail "export has no $key"
done
"$cli" export --legacy -o "$work/java.enc" 2>/dev/null || fail "export --legacy"
# Decrypted, the Java format carries the same extra properties, for Jackson to ignore.
"$cli" decrypt "$work/java.enc" -o "$work/java.json" 2>/dev/null || fail "decrypt the Java file"
grep -q '"ups_mib"' "$work/java.json" || fail "the Java file has no modules"
grep -q '"apc-ups"' "$work/java.json" || fail "the Java file has no profile"

for f in plain.json:plaintext java.enc:"$PROM_ENCRYPT_KEY"; do
  file=${f%%:*}
  key=${f#*:}
  [ "$key" = plaintext ] && key=""
  if ! "$read_java" "$work/$file" "$key" >"$work/read.out" 2>"$work/read.err"; then
    fail "Java does not load $file: $(head -3 "$work/read.err")"
    continue
  fi
  for line in "core-router|rack 7|null|192.0.2.1:161" "edge-1|cage 2|null|192.0.2.2:161" \
    "ups-3|plant room|facilities|192.0.2.3:161"; do
    grep -qxF "$line" "$work/read.out" || fail "Java read of $file lacks '$line': $(cat "$work/read.out")"
  done
  [ "$(wc -l <"$work/read.out")" -eq 3 ] || fail "Java read of $file: $(cat "$work/read.out")"
  echo "ok: Java loads $file with its provenance"
done

[ "$failures" -eq 0 ] && echo "all ok" || echo "$failures failure(s)"
exit $((failures > 0))
