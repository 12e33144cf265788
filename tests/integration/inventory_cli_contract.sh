#!/usr/bin/env bash
# The promsnmp-inventory contract as scripts see it: exit codes, --json output, masking, the
# Java formats both ways, history/rollback/verify, key rotation, and refusal to write without
# the share marker. Usage: inventory_cli_contract.sh CLI DATA_DIR
set -uo pipefail
cli=$1
data=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

export PROM_INV_FILE=$work/share/promsnmp-inventory.json
export PROM_ENCRYPT_KEY="contract test key"
unset PROM_ENCRYPT_KEY_FILE PROM_ENCRYPT_KEY_PREVIOUS PROM_ENCRYPT_KEY_PREVIOUS_FILE CREDENTIALS_DIRECTORY

# expect CODE DESCRIPTION -- COMMAND...: runs COMMAND, checks its exit code, keeps its output.
expect() {
  local want=$1 what=$2
  shift 3
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, expected $want"
    sed 's/^/  stdout: /' "$work/out" | head -5
    sed 's/^/  stderr: /' "$work/err" | head -5
    failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}

contains() {  # contains FILE TEXT DESCRIPTION
  if grep -qF -- "$2" "$1"; then
    echo "ok: $3"
  else
    echo "FAIL: $3: '$2' not in $(basename "$1")"
    head -5 "$1" | sed 's/^/  /'
    failures=$((failures + 1))
  fi
}

lacks() {  # lacks FILE TEXT DESCRIPTION
  if grep -qF -- "$2" "$1"; then
    echo "FAIL: $3: '$2' found in $(basename "$1")"
    failures=$((failures + 1))
  else
    echo "ok: $3"
  fi
}

# Usage errors: 2.
expect 2 "no command" -- "$cli"
expect 2 "unknown command" -- "$cli" frobnicate
expect 2 "unknown option" -- "$cli" show --colour
expect 2 "add-device without credentials" -- "$cli" add-device --sys-name a --address 127.0.0.1
expect 2 "add-device with a bad port" -- "$cli" add-device --sys-name a --address 127.0.0.1 --port 70000 --community c
expect 2 "unknown auth protocol" -- "$cli" add-device --sys-name a --address 127.0.0.1 --security-name u --auth-protocol SHA1024 --auth-passphrase x
expect 0 "--help" -- "$cli" --help
contains "$work/out" "Exit codes" "help lists the exit codes"

# No share marker: nothing is written (69), reading says what is wrong.
mkdir -p "$work/share"
expect 69 "write without the share marker" -- "$cli" add-device --sys-name a --address 127.0.0.1 --community c
expect 69 "read an uninitialised share" -- "$cli" show
[ -z "$(ls -A "$work/share")" ] && echo "ok: nothing written" || { echo "FAIL: files written without marker"; failures=$((failures + 1)); }

# Configuration: no key is 78.
expect 78 "no key configured" -- env -u PROM_ENCRYPT_KEY "$cli" show
contains "$work/err" "PROM_ENCRYPT_KEY" "the error names the setting"

# init, add, show, export.
expect 0 "init" -- "$cli" --json init --cluster-id contract
contains "$work/out" '"ok":true' "init --json says ok"
expect 69 "init twice" -- "$cli" init
expect 0 "add v2c device" -- "$cli" add-device --sys-name r1 --address 127.0.0.1 --community s3cr3t-community
expect 0 "add v3 device" -- "$cli" --json add-device --sys-name fw1 --address 127.0.0.2 --port 1161 \
  --security-name monitor --auth-protocol sha256 --auth-passphrase auth-pass-xyz \
  --priv-protocol aes --priv-passphrase priv-pass-xyz --engine-id 80:00:1f:88:04
contains "$work/out" '"version":3' "add-device --json reports the version"
expect 65 "duplicate sysName" -- "$cli" add-device --sys-name r1 --address 127.0.0.9 --community c
expect 0 "replace" -- "$cli" add-device --sys-name r1 --address 127.0.0.1 --community s3cr3t-community --replace
expect 0 "show" -- "$cli" show
contains "$work/out" "fw1" "show lists the devices"
lacks "$work/out" "s3cr3t-community" "show masks communities"
expect 0 "show --json" -- "$cli" show --json
contains "$work/out" '"sysName":"fw1"' "show --json is the Java schema"
contains "$work/out" '"privProtocol":"AES128"' "priv protocol normalised"
lacks "$work/out" "priv-pass-xyz" "show --json masks passphrases"
expect 0 "export with credentials" -- "$cli" export --include-credentials -o "$work/export.json"
contains "$work/export.json" "priv-pass-xyz" "export --include-credentials has them"
contains "$work/export.json" '"engineId" : "80:00:1f:88:04"' "export keeps the engine id"
expect 0 "remove-device" -- "$cli" remove-device --sys-name r1
expect 65 "remove a missing device" -- "$cli" remove-device --sys-name r1

# Modules per device: add-device --modules/--auth and set-modules make them the operator's
# ("modules" in operatorSet, which discovery keeps); --clear gives them back to classification.
expect 2 "--modules with an empty name" -- "$cli" add-device --sys-name u --address 127.0.0.3 --community c --modules system,,if_mib
contains "$work/err" "no spaces or commas" "the refusal says what a name is"
expect 2 "--modules empty" -- "$cli" add-device --sys-name u --address 127.0.0.3 --community c --modules ""
expect 2 "--modules with a space" -- "$cli" add-device --sys-name u --address 127.0.0.3 --community c --modules "system,if mib"
expect 2 "--modules naming one twice" -- "$cli" add-device --sys-name u --address 127.0.0.3 --community c --modules system,if_mib,system
contains "$work/err" "'system' is given twice" "the refusal names the repeated module"
expect 2 "--auth without --modules" -- "$cli" add-device --sys-name u --address 127.0.0.3 --community c --auth public_v1
expect 2 "--auth with a comma" -- "$cli" add-device --sys-name u --address 127.0.0.3 --community c --modules system --auth a,b
expect 0 "add-device with modules and an auth" -- "$cli" add-device --sys-name ups1 --address 127.0.0.3 --community c --modules ups_mib,system --auth public_v1
expect 0 "show --json after add-device --modules" -- "$cli" show --json
contains "$work/out" '"modules":["ups_mib","system"]' "the modules are kept in the order given"
contains "$work/out" '"auth":"public_v1"' "the auth is kept"
contains "$work/out" '"operatorSet":["sysName","modules"]' "the modules are the operator's"
expect 2 "set-modules without --modules or --clear" -- "$cli" set-modules --sys-name fw1
expect 2 "set-modules with both --modules and --clear" -- "$cli" set-modules --sys-name fw1 --modules system --clear
expect 2 "set-modules --clear with --auth" -- "$cli" set-modules --sys-name fw1 --clear --auth public_v1
expect 2 "set-modules with an unknown option" -- "$cli" set-modules --sys-name fw1 --modules system --community c
expect 65 "set-modules of a missing device" -- "$cli" set-modules --sys-name nosuch --modules system
contains "$work/err" "no device named 'nosuch'" "the refusal names the device"
expect 0 "set-modules" -- "$cli" set-modules --sys-name fw1 --modules if_mib,cisco_process
expect 0 "set-modules without --auth" -- "$cli" set-modules --sys-name ups1 --modules system
expect 0 "show after set-modules" -- "$cli" show
contains "$work/out" "MODULES" "show has a modules column"
contains "$work/out" "if_mib,cisco_process (operator)" "show lists the operator's modules"
expect 0 "show --json after set-modules" -- "$cli" show --json
contains "$work/out" '"modules":["if_mib","cisco_process"]' "set-modules sets the modules"
lacks "$work/out" '"auth":"public_v1"' "set-modules without --auth removes the auth"
# A device discovery classified: its profile and modules are shown; --clear removes both.
cat >"$work/classified.json" <<'JSON'
{"devices":[{"sysName":"srv1","agents":[{"type":"snmp-community",
 "endpoint":{"address":"127.0.0.4","port":161},"version":1,"readCommunity":"c"}],
 "sysObjectID":"1.3.6.1.4.1.8072.3.2.10","profile":{"name":"net-snmp-linux","vendor":"net-snmp"},
 "modules":["system","hrStorage"]}]}
JSON
expect 0 "import a classified device (merge)" -- "$cli" import --merge "$work/classified.json"
expect 0 "show a classified device" -- "$cli" show
contains "$work/out" "net-snmp-linux" "show lists the profile"
contains "$work/out" "system,hrStorage" "show lists the profile's modules"
expect 0 "set-modules --clear" -- "$cli" set-modules --sys-name srv1 --clear
expect 0 "set-modules --clear of the operator's" -- "$cli" set-modules --sys-name fw1 --clear
expect 0 "show --json after --clear" -- "$cli" show --json
lacks "$work/out" "hrStorage" "--clear removes the modules"
lacks "$work/out" "net-snmp-linux" "--clear removes the profile, so discovery classifies again"
lacks "$work/out" "cisco_process" "--clear removes the operator's modules"
contains "$work/out" '"operatorSet":["sysName"]' "--clear removes the modules' ownership, not the rest"
contains "$work/out" '"sysObjectID":"1.3.6.1.4.1.8072.3.2.10"' "--clear keeps the sysObjectID"
expect 0 "remove the modules' devices" -- "$cli" remove-device --sys-name ups1
expect 0 "remove the classified device" -- "$cli" remove-device --sys-name srv1

# Java legacy format both ways (16-character key), and the published test vector.
expect 0 "legacy export (16-character key)" -- env PROM_ENCRYPT_KEY=0123456789ABCDEF \
  PROM_ENCRYPT_KEY_PREVIOUS="contract test key" "$cli" export --legacy -o "$work/java.enc"
expect 0 "the legacy export decrypts with the Java key" -- env PROM_ENCRYPT_KEY=0123456789ABCDEF "$cli" decrypt "$work/java.enc"
contains "$work/out" '"type" : "snmp-user"' "legacy export is Jackson-shaped"
expect 78 "legacy export needs a 16-character key" -- "$cli" export --legacy -o "$work/never.enc"
expect 0 "legacy decrypt of a Java test vector" -- env PROM_ENCRYPT_KEY=0123456789ABCDEF "$cli" decrypt "$data/java/vector-empty-inventory.enc"
contains "$work/out" '"discoverySeeds" : [ ]' "test vector decrypts to the empty inventory"
printf '%s\n' "$(cat "$data/java/vector-empty-inventory.enc")" > "$work/vector-newline.enc"
expect 0 "trailing newline tolerated" -- env PROM_ENCRYPT_KEY=0123456789ABCDEF "$cli" decrypt "$work/vector-newline.enc"
expect 65 "legacy file, wrong 16-char key" -- env PROM_ENCRYPT_KEY=FEDCBA9876543210 "$cli" decrypt "$data/java/vector-empty-inventory.enc"
expect 0 "encrypt --legacy round trip" -- env PROM_ENCRYPT_KEY=0123456789ABCDEF "$cli" encrypt --legacy "$work/export.json" -o "$work/legacy.enc"
expect 0 "decrypt it again" -- env PROM_ENCRYPT_KEY=0123456789ABCDEF "$cli" decrypt "$work/legacy.enc"
contains "$work/out" "fw1" "legacy round trip keeps the content"
expect 0 "import a plain JSON file (merge)" -- "$cli" import --merge "$work/export.json"
expect 0 "import a Java encrypted file (replace)" -- env PROM_ENCRYPT_KEY_PREVIOUS=0123456789ABCDEF "$cli" import "$work/legacy.enc"

# A replace that removes every device (or more than half of them) needs --force: 69 and how many.
printf '{"devices":[]}' > "$work/empty.json"
expect 69 "import removing both devices, without --force" -- "$cli" import "$work/empty.json"
contains "$work/err" "would remove 2 of 2 devices" "the refusal says how many"
expect 0 "show after the refused import" -- "$cli" show --json
contains "$work/out" '"sysName":"fw1"' "the refused import changed nothing"
expect 0 "import removing every device, with --force" -- "$cli" import --force "$work/empty.json"
expect 0 "show after the forced import" -- "$cli" show --json
lacks "$work/out" '"sysName":"fw1"' "the forced import replaced the inventory"

# Corrupt inputs are refused with 65 and distinct messages.
printf 'not json at all' > "$work/garbage.json"
expect 65 "import garbage" -- "$cli" import "$work/garbage.json"
expect 0 "encrypt v2" -- "$cli" encrypt "$work/export.json" -o "$work/v2.bin"
head -c 100 "$work/v2.bin" > "$work/v2-truncated.bin"
expect 65 "truncated v2 file" -- "$cli" decrypt "$work/v2-truncated.bin"
contains "$work/err" "Truncated" "truncation is named"
expect 78 "v2 file, wrong key" -- env PROM_ENCRYPT_KEY=another "$cli" decrypt "$work/v2.bin"
contains "$work/err" "key id" "wrong key names the key id"
contains "$work/err" "wrong passphrase" "a passphrase file's wrong key says wrong passphrase"

# A passphrase seals with scrypt: format 3 (bytes 8-9), kdf 1 (byte 100), log2 N 14 (byte 101);
# the same passphrase opens it. 64 hex digits are the key: kdf 0.
byte_at() { od -An -tx1 -j "$2" -N 1 "$1" | tr -d ' \n'; }
is() {  # is GOT WANT DESCRIPTION
  if [ "$1" = "$2" ]; then
    echo "ok: $3"
  else
    echo "FAIL: $3: got '$1', expected '$2'"
    failures=$((failures + 1))
  fi
}
is "$(byte_at "$work/v2.bin" 9)" 03 "new files are format 3"
is "$(byte_at "$work/v2.bin" 100)" 01 "a passphrase key is derived with scrypt"
is "$(byte_at "$work/v2.bin" 101)" 0e "default scrypt cost N = 2^14"
expect 0 "the passphrase opens its scrypt file" -- "$cli" decrypt "$work/v2.bin"
raw=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
expect 0 "encrypt with a raw key" -- env PROM_ENCRYPT_KEY=$raw "$cli" encrypt "$work/export.json" -o "$work/raw.bin"
is "$(byte_at "$work/raw.bin" 100)" 00 "a 64-hex-digit key uses no KDF"
expect 0 "decrypt with the raw key" -- env PROM_ENCRYPT_KEY=$raw "$cli" decrypt "$work/raw.bin"

# history, rollback, verify.
expect 0 "history" -- "$cli" history
expect 0 "history --json" -- "$cli" history --json
contains "$work/out" '"ok":true' "history --json lists versions"
contains "$work/out" '"inventoryId":"' "history --json names the inventory id"
expect 0 "show" -- "$cli" show
contains "$work/out" "  inventory " "show names the inventory id"
expect 0 "rollback to v3" -- "$cli" rollback --to 3
expect 0 "show after rollback" -- "$cli" show --json
contains "$work/out" '"sysName":"fw1"' "rolled-back content is the old one"
expect 65 "rollback to a version never written" -- "$cli" rollback --to 999
expect 0 "verify" -- "$cli" verify
contains "$work/out" "chain complete" "verify reports the chain"

# Key rotation: new key current, old key previous; after rotation the old key alone fails.
expect 0 "rotate-key" -- env PROM_ENCRYPT_KEY=new-key PROM_ENCRYPT_KEY_PREVIOUS="contract test key" "$cli" rotate-key
expect 0 "read with the new key" -- env PROM_ENCRYPT_KEY=new-key "$cli" show
expect 78 "old key alone cannot read the newest" -- "$cli" show
expect 65 "verify with the new key only flags old versions" -- env PROM_ENCRYPT_KEY=new-key "$cli" verify

# A corrupted newest version: readers refuse, writers refuse to write over it.
export PROM_ENCRYPT_KEY=new-key
newest=$(ls "$work/share" | grep '^v' | sort | tail -1)
printf 'X' | dd of="$work/share/$newest" bs=1 seek=200 conv=notrunc status=none
expect 65 "corrupt newest version is refused" -- "$cli" show
expect 65 "no write over an unreadable head" -- "$cli" add-device --sys-name x --address 127.0.0.1 --community c
expect 65 "verify flags it" -- "$cli" verify

# classify: the device profile of a sysObjectID/sysDescr; needs no inventory file or key.
profiles=$data/../../etc/profiles.yml
expect 0 "classify a recorded Cisco IOS switch" -- env -u PROM_ENCRYPT_KEY PROM_INV_FILE="$work/none/inv.json" \
  "$cli" classify --profiles "$profiles" --sys-object-id 1.3.6.1.4.1.9.1.516 \
  --sys-descr "Cisco IOS Software, C3750 Software (C3750-IPSERVICESK9-M), Version 12.2(55)SE10"
contains "$work/out" "cisco-ios" "classify names the profile"
contains "$work/out" "cisco_process" "classify lists the modules"
contains "$work/out" "sysDescr matches" "classify says why"
expect 0 "classify --json, files from PROMSNMP_PROFILES_FILES" -- env PROMSNMP_PROFILES_FILES="$profiles" \
  "$cli" classify --json --sys-object-id .1.3.6.1.4.1.8072.3.2.10
contains "$work/out" '"profile":"net-snmp-linux","generic":false' "classify --json: net-snmp on Linux"
expect 0 "classify an unknown enterprise" -- "$cli" classify --json --profiles "$profiles" --sys-object-id 1.3.6.1.4.1.99999.1
contains "$work/out" '"profile":"generic","generic":true' "an unknown sysObjectID is generic"
printf 'profiles:\n  - name: bad\n    sys_object_id: [1.3.6.1.4.1.9, not-an-oid]\n    modules: [system]\n' >"$work/bad-profiles.yml"
expect 78 "classify with a bad profiles file" -- "$cli" classify --profiles "$profiles,$work/bad-profiles.yml" --sys-object-id 1.3.6.1.4.1.9.1.1
contains "$work/err" "bad-profiles.yml:3: profiles[0].sys_object_id[1]: 'not-an-oid' is not a numeric OID" "the error names file, line and key"
expect 78 "classify with a missing profiles file" -- "$cli" classify --profiles "$work/none.yml" --sys-object-id 1.3.6.1.4.1.9.1.1
if [ ! -e /etc/promsnmp/profiles.yml ]; then
  expect 78 "classify without any profiles file" -- env -u PROMSNMP_PROFILES_FILES "$cli" classify --sys-object-id 1.3.6.1.4.1.9.1.1
  contains "$work/err" "the default profiles file /etc/promsnmp/profiles.yml does not exist" "the missing default is named"
fi
expect 2 "classify without --sys-object-id" -- "$cli" classify --profiles "$profiles"
expect 2 "classify with a non-numeric sysObjectID" -- "$cli" classify --profiles "$profiles" --sys-object-id enterprises.9

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
