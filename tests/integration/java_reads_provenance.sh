#!/usr/bin/env bash
# The provenance promsnmp keeps beside a device ("operatorSet", "discovered": which fields the
# operator set, what the agent reported) is extra JSON the Java PromSNMP must still load: an
# inventory with both, exported as plain JSON and in the Java encrypted format, is read by the
# Java model and mapper (tests/tools/java-fixture/read.sh) with every device intact.
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
  --sys-location "rack 7" >/dev/null || fail "add-device"
# A device as discovery leaves it after keeping an operator's name: the agent's values beside.
cat >"$work/discovered.json" <<'JSON'
{"devices":[{"sysName":"edge-1","sysLocation":"cage 2","sysContact":null,
 "agents":[{"type":"snmp-community","endpoint":{"address":"192.0.2.2","port":161},"version":1,
            "readCommunity":"public"}],
 "primaryAgent":{"type":"snmp-community","endpoint":{"address":"192.0.2.2","port":161},
                 "version":1,"readCommunity":"public"},
 "operatorSet":["sysName"],
 "discovered":{"sysName":"zeus","sysDescr":"Linux zeus","sysContact":null,
               "sysLocation":"San Francisco","at":"2026-01-02T03:04:05Z"}}],
 "discoverySeeds":[]}
JSON
"$cli" import "$work/discovered.json" --merge >/dev/null || fail "import --merge"

"$cli" export --pretty --include-credentials -o "$work/plain.json" 2>/dev/null || fail "export"
grep -q '"operatorSet"' "$work/plain.json" || fail "export has no operatorSet"
grep -q '"discovered"' "$work/plain.json" || fail "export has no discovered"
grep -q '"San Francisco"' "$work/plain.json" || fail "export lost the agent's location"
"$cli" export --legacy -o "$work/java.enc" 2>/dev/null || fail "export --legacy"

for f in plain.json:plaintext java.enc:"$PROM_ENCRYPT_KEY"; do
  file=${f%%:*}
  key=${f#*:}
  [ "$key" = plaintext ] && key=""
  if ! "$read_java" "$work/$file" "$key" >"$work/read.out" 2>"$work/read.err"; then
    fail "Java does not load $file: $(head -3 "$work/read.err")"
    continue
  fi
  for line in "core-router|rack 7|null|192.0.2.1:161" "edge-1|cage 2|null|192.0.2.2:161"; do
    grep -qxF "$line" "$work/read.out" || fail "Java read of $file lacks '$line': $(cat "$work/read.out")"
  done
  [ "$(wc -l <"$work/read.out")" -eq 2 ] || fail "Java read of $file: $(cat "$work/read.out")"
  echo "ok: Java loads $file with its provenance"
done

[ "$failures" -eq 0 ] && echo "all ok" || echo "$failures failure(s)"
exit $((failures > 0))
