#!/usr/bin/env bash
# tools.fleet_sim_matches_snmpsimd: snmp-fleet-sim and snmpsimd serve the same recordings
# (cisco_16_switch, and public which uses the numeric variation); their answers to the net-snmp
# tools must be identical except the values of variation-driven objects (sysUpTime, numeric
# variations). Then the synthesized IF-MIB: 5,000 interfaces walk completely and HC counters
# advance. Then --host-resources: with it, the answers outside the HOST-RESOURCES storage and
# device groups are still snmpsimd's (cisco_16_switch, and recorded/linux-full-walk whose own
# hrStorage and hrDevice groups it replaces), and the synthesized hrStorageTable, hrDeviceTable
# and hrProcessorTable walk as HOST-RESOURCES-MIB (RFC 2790) says. Usage: validate.sh BIN_DIR. Exit 77 (skipped) when snmpsimd or net-snmp tools are
# missing. Only 127.0.0.0/8 is used; every wait is bounded; a trap stops every process started.
set -euo pipefail

BIN_DIR=${1:?usage: validate.sh BIN_DIR}
SIM="$BIN_DIR/snmp-fleet-sim"
EXAMPLES=/usr/share/doc/snmpsim/examples/data
for tool in snmpsimd snmpbulkwalk snmpwalk snmpget snmpgetnext python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
[[ -x "$SIM" ]] || { echo "FAIL: $SIM not built"; exit 1; }
[[ -f "$EXAMPLES/cisco_16_switch.snmprec.gz" && -f "$EXAMPLES/public.snmprec.gz" &&
  -f "$EXAMPLES/recorded/linux-full-walk.snmprec.gz" ]] ||
  { echo "SKIP: snmpsim example recordings missing"; exit 77; }

WORK=$(mktemp -d /tmp/fleet-sim-validate.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*"; exit 1; }

# Free UDP ports on loopback, chosen by the kernel.
read -r P_SNMPSIM P_SIM P_SYNTH P_HR < <(python3 -c '
import socket
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')

# snmpsimd reads only plain .snmprec; the simulator reads the same recordings gzipped.
DATA="$WORK/data"
PLAIN="$WORK/plain"
CACHE="$WORK/cache"
mkdir -p "$DATA" "$PLAIN" "$CACHE"
# public.snmprec.gz has a typo snmpsimd cannot evaluate (`rate=0.001cumulative=1`, so its walks
# end there); both agents get the corrected recording.
for rec in cisco_16_switch public; do
  zcat "$EXAMPLES/$rec.snmprec.gz" | sed 's/rate=0.001cumulative=1/rate=0.001,cumulative=1/' \
    >"$PLAIN/$rec.snmprec"
  gzip -c "$PLAIN/$rec.snmprec" >"$DATA/$rec.snmprec.gz"
done
# A Linux host with its own HOST-RESOURCES-MIB, for --host-resources (community
# recorded/linux-full-walk, as snmpsimd derives it from the path).
mkdir -p "$DATA/recorded" "$PLAIN/recorded"
cp "$EXAMPLES/recorded/linux-full-walk.snmprec.gz" "$DATA/recorded/"
zcat "$EXAMPLES/recorded/linux-full-walk.snmprec.gz" >"$PLAIN/recorded/linux-full-walk.snmprec"
# snmpsimd drops privileges to nobody when started as root: it must read the data and write
# its index cache.
chmod 755 "$WORK" "$DATA" "$PLAIN" "$DATA/recorded" "$PLAIN/recorded"
chmod 777 "$CACHE"
chmod 644 "$DATA"/*.gz "$PLAIN"/*.snmprec "$DATA"/recorded/* "$PLAIN"/recorded/*

SNMPSIM_ARGS=(--data-dir="$PLAIN" --cache-dir="$CACHE"
  --agent-udpv4-endpoint="127.0.0.1:$P_SNMPSIM")
if [[ $(id -u) == 0 ]]; then
  SNMPSIM_ARGS+=(--process-user=nobody --process-group=nogroup)
fi
snmpsimd "${SNMPSIM_ARGS[@]}" >"$WORK/snmpsimd.log" 2>&1 &
PIDS+=($!)
# Same recordings, verbatim values; answers on 127.0.0.1 only (the socket is 0.0.0.0).
"$SIM" --data-dir "$DATA" --listen "0.0.0.0:$P_SIM" --devices 127.0.0.1 --keep-sysname \
  --static-counters --stats-interval 0 >"$WORK/sim.log" 2>&1 &
PIDS+=($!)
# Synthesized IF-MIB: one 5,000-interface device and a /24 of 48-interface devices.
"$SIM" --data-dir "$DATA" --listen "0.0.0.0:$P_SYNTH" --devices 127.0.0.2:5000 \
  --devices 127.0.1.0/24:48 --stats-interval 0 >"$WORK/synth.log" 2>&1 &
PIDS+=($!)
# --host-resources: 127.0.0.1 as the snmpsimd-compatible one above, 8 devices of 48 interfaces.
"$SIM" --data-dir "$DATA" --listen "0.0.0.0:$P_HR" --devices 127.0.0.1 --keep-sysname \
  --static-counters --host-resources --devices 127.0.3.1-127.0.3.8:48 --stats-interval 0 \
  >"$WORK/hr.log" 2>&1 &
PIDS+=($!)

wait_for() {  # host:port community; up to 120 s (snmpsimd indexes recordings on first start)
  for _ in $(seq 1 120); do
    if timeout 5 snmpget -v2c -c "$2" -r 0 -t 1 "$1" 1.3.6.1.2.1.1.1.0 >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  cat "$WORK"/*.log
  fail "no answer from $1"
}
wait_for "127.0.0.1:$P_SNMPSIM" cisco_16_switch
wait_for "127.0.0.1:$P_SIM" cisco_16_switch
wait_for "127.0.0.2:$P_SYNTH" cisco_16_switch
wait_for "127.0.0.1:$P_HR" cisco_16_switch

# Joins the continuation lines of multi-line values, then replaces the value of every OID
# listed in the file $1 with <variable>.
normalize() {
  awk -v skip="$1" '
    BEGIN { while ((getline line < skip) > 0) vary[line] = 1 }
    /^\./ { if (cur != "") print cur; cur = $0; next }
    { cur = cur " " $0 }
    END { if (cur != "") print cur }' |
    awk -v skip="$1" '
    BEGIN { while ((getline line < skip) > 0) vary[line] = 1 }
    { oid = $1; if (oid in vary) print oid, "<variable>"; else print }'
}

# Variation-driven objects: sysUpTime and every record with a variation module but writecache
# (served as its value= by both).
for rec in cisco_16_switch public; do
  { echo .1.3.6.1.2.1.1.3.0
    zcat "$DATA/$rec.snmprec.gz" | tr -d '\r' |
      awk -F'|' '$2 ~ /:/ && $2 !~ /writecache/ { print "." $1 }'
  } >"$WORK/$rec.vary"
done

run_against() {  # address command... (the argument AGENT is replaced by the address)
  local address=$1 args=() arg
  shift
  for arg in "$@"; do
    [[ $arg == AGENT ]] && args+=("$address") || args+=("$arg")
  done
  timeout 120 "${args[@]}" 2>&1 || true
}

compare() {  # name community command...  (PREFIX_OK=1: snmpsimd's answers may end early)
  local name=$1 community=$2
  shift 2
  run_against "127.0.0.1:$P_SNMPSIM" "$@" >"$WORK/$name.snmpsimd"
  run_against "127.0.0.1:$P_SIM" "$@" >"$WORK/$name.sim"
  normalize "$WORK/$community.vary" <"$WORK/$name.snmpsimd" >"$WORK/$name.snmpsimd.n"
  normalize "$WORK/$community.vary" <"$WORK/$name.sim" >"$WORK/$name.sim.n"
  local lines
  lines=$(wc -l <"$WORK/$name.sim.n")
  if [[ ${PREFIX_OK:-0} == 1 ]]; then
    # snmpsimd answers endOfMibView where it cannot evaluate a record (an OctetString with the
    # numeric variation); up to there the answers must agree, after it ours go on.
    grep -v 'No more variables left' "$WORK/$name.snmpsimd.n" >"$WORK/$name.snmpsimd.p" || true
    local n
    n=$(wc -l <"$WORK/$name.snmpsimd.p")
    head -n "$n" "$WORK/$name.sim.n" >"$WORK/$name.sim.p"
    if ! diff -u "$WORK/$name.snmpsimd.p" "$WORK/$name.sim.p" >"$WORK/$name.diff"; then
      head -40 "$WORK/$name.diff"
      fail "$name: snmp-fleet-sim differs from snmpsimd"
    fi
    echo "ok: $name identical for snmpsimd's $n lines (it stops at" \
      "$(tail -1 "$WORK/$name.snmpsimd.p" | cut -d' ' -f1); ours: $lines lines)"
    return
  fi
  if ! diff -u "$WORK/$name.snmpsimd.n" "$WORK/$name.sim.n" >"$WORK/$name.diff"; then
    head -40 "$WORK/$name.diff"
    fail "$name: snmp-fleet-sim differs from snmpsimd"
  fi
  echo "ok: $name identical ($lines lines)"
}

OUT=(-On -Oq -Ox -r 1 -t 5)
for rec in cisco_16_switch public; do
  PREFIX_OK=$([[ $rec == public ]] && echo 1 || echo 0) \
    compare "bulkwalk-v2c-$rec" "$rec" snmpbulkwalk -v2c -c "$rec" -Cr25 "${OUT[@]}" AGENT .1
  compare "walk-v2c-$rec" "$rec" snmpwalk -v2c -c "$rec" "${OUT[@]}" AGENT .1.3.6.1.2.1.1
  # v1 stops differing in one place: snmpsimd answers a GETNEXT landing on a Counter64 with
  # genErr, RFC 2576 4.1.2.1 says skip it. Subtrees without Counter64 are compared as is.
  compare "walk-v1-system-$rec" "$rec" snmpwalk -v1 -c "$rec" "${OUT[@]}" AGENT .1.3.6.1.2.1.1
  compare "walk-v1-interfaces-$rec" "$rec" snmpwalk -v1 -c "$rec" "${OUT[@]}" AGENT .1.3.6.1.2.1.2
  # Missing instances, an existing one, and the end of the MIB.
  compare "get-v2c-$rec" "$rec" snmpget -v2c -c "$rec" "${OUT[@]}" AGENT 1.3.6.1.2.1.1.1.0 \
    1.3.6.1.2.1.1.1.99 1.3.6.1.2.1.2.2.1.2.999999 1.3.6.1.2.1.1.6.0
  compare "get-v1-missing-$rec" "$rec" snmpget -v1 -c "$rec" "${OUT[@]}" AGENT 1.3.6.1.2.1.1.1.0 \
    1.3.6.1.2.1.1.1.99
  compare "getnext-end-$rec" "$rec" snmpgetnext -v2c -c "$rec" "${OUT[@]}" AGENT 1.3.6.1.9999
done

# Our v1 walk is the v2c walk without Counter64 (RFC 2576), across the whole recording.
timeout 120 snmpwalk -v1 -c cisco_16_switch "${OUT[@]}" "127.0.0.1:$P_SIM" .1 |
  normalize "$WORK/cisco_16_switch.vary" >"$WORK/v1-full.sim"
python3 - "$WORK/bulkwalk-v2c-cisco_16_switch.sim.n" "$WORK/v1-full.sim" \
  "$EXAMPLES/cisco_16_switch.snmprec.gz" <<'PY' || fail "v1 walk is not the v2c walk without Counter64"
import gzip, sys
c64 = {"." + l.split("|")[0] for l in gzip.open(sys.argv[3], "rt") if l.split("|")[1].startswith("70")}
def varbinds(lines):  # without the end-of-MIB markers, which differ between v1 and v2c
    return [l.replace(" End of MIB", "") for l in lines
            if l.startswith(".") and "No more variables" not in l]
v2 = [l for l in varbinds(open(sys.argv[1])) if l.split(" ")[0] not in c64]
v1 = varbinds(open(sys.argv[2]))
if v1 != v2:
    diff = next(i for i, (a, b) in enumerate(zip(v1 + [""], v2 + [""])) if a != b)
    print("v1 line %d: %r, v2c without Counter64: %r" % (diff, v1[diff:diff + 1], v2[diff:diff + 1]))
    sys.exit(1)
print("ok: v1 walk = v2c walk without Counter64 (%d lines)" % len(v1))
PY

# A varbind limit over 64 is capped, like snmpsimd's --max-varbinds default.
n=$(timeout 30 snmpbulkget -v2c -c public -Cr200 "${OUT[@]}" "127.0.0.1:$P_SIM" .1.3.6.1.2.1 |
  grep -c '^\.')
[[ $n -le 64 ]] || fail "GETBULK returned $n varbinds, limit 64"
echo "ok: GETBULK max-repetitions 200 answered with $n varbinds"

# Synthesized IF-MIB.
SYN="127.0.0.2:$P_SYNTH"
rows=$(timeout 60 snmpbulkwalk -v2c -c cisco_16_switch -Cr50 "${OUT[@]}" "$SYN" \
  1.3.6.1.2.1.31.1.1.1.6 | wc -l)
[[ $rows == 5000 ]] || fail "ifHCInOctets has $rows rows on the 5,000-interface device"
echo "ok: 5,000 interfaces walk completely (ifHCInOctets rows=$rows)"
ifnumber=$(timeout 10 snmpget -v2c -c cisco_16_switch "${OUT[@]}" -Ov "$SYN" 1.3.6.1.2.1.2.1.0)
[[ $ifnumber == 5000 ]] || fail "ifNumber=$ifnumber"
hc() { timeout 10 snmpget -v2c -c cisco_16_switch "${OUT[@]}" -Ov "$1" 1.3.6.1.2.1.31.1.1.1.6.1; }
first=$(hc "$SYN")
sleep 2
second=$(hc "$SYN")
python3 -c "import sys; sys.exit(0 if int('$second') > int('$first') else 1)" ||
  fail "ifHCInOctets.1 did not increase: $first then $second"
echo "ok: ifHCInOctets.1 advanced $first -> $second"
name=$(timeout 10 snmpget -v2c -c cisco_16_switch -Oqv -r 1 -t 5 "$SYN" 1.3.6.1.2.1.1.5.0)
[[ $name == '"sim-127-0-0-2"' ]] || fail "sysName=$name"
a=$(hc "127.0.1.7:$P_SYNTH")
b=$(hc "127.0.1.8:$P_SYNTH")
[[ $a != "$b" ]] || fail "two devices serve the same counter $a"
rows=$(timeout 30 snmpbulkwalk -v2c -c cisco_16_switch -Cr50 "${OUT[@]}" "127.0.1.7:$P_SYNTH" \
  1.3.6.1.2.1.31.1.1.1.10 | wc -l)
[[ $rows == 48 ]] || fail "48-interface device has $rows ifHCOutOctets rows"
echo "ok: sysName override, per-device counters, 48-interface range"
# Addresses outside --devices get no answer.
if timeout 10 snmpget -v2c -c cisco_16_switch -r 0 -t 1 "127.0.2.1:$P_SYNTH" 1.3.6.1.2.1.1.1.0 \
  >/dev/null 2>&1; then
  fail "answered outside --devices"
fi
# --host-resources keeps every other answer: snmpsimd's walk and ours are identical outside
# hrStorage (.1.3.6.1.2.1.25.2) and hrDevice (.1.3.6.1.2.1.25.3), the groups it replaces (the
# Linux recording has its own; the Cisco one has none). The endOfMibView markers at the end of
# the walk are left out: their number depends on where the last GETBULK starts, so on how many
# objects come before.
mkdir -p "$WORK/recorded"
echo .1.3.6.1.2.1.1.3.0 >"$WORK/recorded/linux-full-walk.vary"
outside_hr() { grep -v -E '^\.1\.3\.6\.1\.2\.1\.25\.[23]\.|No more variables left' || true; }
for rec in cisco_16_switch recorded/linux-full-walk; do
  name=hr-bulkwalk-${rec//\//-}
  for agent in snmpsimd:$P_SNMPSIM sim:$P_HR; do
    run_against "127.0.0.1:${agent#*:}" snmpbulkwalk -v2c -c "$rec" -Cr25 "${OUT[@]}" AGENT .1 |
      normalize "$WORK/$rec.vary" >"$WORK/$name.${agent%%:*}.all"
    outside_hr <"$WORK/$name.${agent%%:*}.all" >"$WORK/$name.${agent%%:*}"
  done
  if ! diff -u "$WORK/$name.snmpsimd" "$WORK/$name.sim" >"$WORK/$name.diff"; then
    head -40 "$WORK/$name.diff"
    fail "$name: with --host-resources, snmp-fleet-sim differs from snmpsimd outside hrStorage/hrDevice"
  fi
  replaced=$(grep -c -E '^\.1\.3\.6\.1\.2\.1\.25\.[23]\.' "$WORK/$name.snmpsimd.all" || true)
  synthesized=$(grep -c -E '^\.1\.3\.6\.1\.2\.1\.25\.[23]\.' "$WORK/$name.sim.all" || true)
  [[ $synthesized == 89 ]] || fail "$name: $synthesized synthesized hrStorage/hrDevice lines, expected 89"
  echo "ok: $name identical outside hrStorage/hrDevice ($(wc -l <"$WORK/$name.sim") lines;" \
    "snmpsimd's $replaced recorded lines there replaced by $synthesized)"
done

# The synthesized tables, on two of the 8 devices, read twice 2 s apart (RFC 2790 semantics).
hr_walk() { timeout 30 snmpbulkwalk -v2c -c cisco_16_switch -Cr25 -On -Oq -Ot -r 1 -t 5 "$1" .1.3.6.1.2.1.25; }
hr_walk "127.0.3.1:$P_HR" >"$WORK/hr-a1"
hr_walk "127.0.3.2:$P_HR" >"$WORK/hr-b1"
sleep 2
hr_walk "127.0.3.1:$P_HR" >"$WORK/hr-a2"
python3 - "$WORK/hr-a1" "$WORK/hr-a2" "$WORK/hr-b1" <<'PY' || fail "synthesized HOST-RESOURCES-MIB tables"
import sys
def load(path):
    values = {}
    for line in open(path):
        oid, _, value = line.rstrip("\n").partition(" ")
        values[oid] = value.strip('"')
    return values
a1, a2, b1 = (load(p) for p in sys.argv[1:])
HR = ".1.3.6.1.2.1.25."
def column(t, prefix):  # instance -> value
    return {o[len(prefix):]: v for o, v in t.items() if o.startswith(prefix)}
def check(ok, what):
    if not ok:
        print("FAIL:", what); sys.exit(1)
check(all(o.startswith(HR + "2.") or o.startswith(HR + "3.") for o in a1), "only hrStorage/hrDevice")
check(int(a1[HR + "2.2.0"]) > 0, "hrMemorySize.0 > 0")
st = HR + "2.3.1."
rows = sorted(int(i) for i in column(a1, st + "1."))
check(rows == [1, 3, 6, 7, 8, 10, 31, 32], "hrStorageIndex rows %s" % rows)
for col in range(1, 8):
    check(sorted(int(i) for i in column(a1, st + "%d." % col)) == rows, "hrStorageTable column %d complete" % col)
for i in rows:
    check(a1[st + "1.%d" % i] == str(i), "hrStorageIndex.%d" % i)
    t = a1[st + "2.%d" % i]
    check(t.startswith(".1.3.6.1.2.1.25.2.1.") and 1 <= int(t.rsplit(".", 1)[1]) <= 10,
          "hrStorageType.%d = %s is an hrStorageTypes OID" % (i, t))
    check(a1[st + "3.%d" % i] != "", "hrStorageDescr.%d" % i)
    check(int(a1[st + "4.%d" % i]) > 0, "hrStorageAllocationUnits.%d > 0" % i)
    for t in (a1, a2, b1):
        size, used = int(t[st + "5.%d" % i]), int(t[st + "6.%d" % i])
        check(0 <= used <= size < 2 ** 31, "0 <= hrStorageUsed <= hrStorageSize < 2^31 (row %d: %d, %d)" % (i, used, size))
check(a1[st + "2.1"] == ".1.3.6.1.2.1.25.2.1.2", "row 1 is hrStorageRam")
check(any(a1[st + "6.%d" % i] != a2[st + "6.%d" % i] for i in rows), "hrStorageUsed moves over 2 s")
check(any(a1[st + "6.%d" % i] != b1[st + "6.%d" % i] for i in rows), "hrStorageUsed differs per device")
procs = sorted(int(i) for i in column(a1, HR + "3.3.1.2."))
check(len(procs) == 4, "4 hrProcessorTable rows, got %s" % procs)
for i in procs:
    for t in (a1, a2, b1):
        check(0 <= int(t[HR + "3.3.1.2.%d" % i]) <= 100, "hrProcessorLoad.%d within 0..100" % i)
    check(a1[HR + "3.3.1.1.%d" % i] == ".0.0", "hrProcessorFrwID.%d = zeroDotZero" % i)
    # hrProcessorTable is indexed by hrDeviceIndex: each processor has its hrDeviceTable row.
    check(a1.get(HR + "3.2.1.1.%d" % i) == str(i), "hrDeviceIndex.%d" % i)
    check(a1.get(HR + "3.2.1.2.%d" % i) == ".1.3.6.1.2.1.25.3.1.3", "hrDeviceType.%d = hrDeviceProcessor" % i)
    check(a1.get(HR + "3.2.1.3.%d" % i, "") != "", "hrDeviceDescr.%d" % i)
    check(a1.get(HR + "3.2.1.5.%d" % i) == "2", "hrDeviceStatus.%d = running" % i)
check(sorted(int(i) for i in column(a1, HR + "3.2.1.1.")) == procs, "hrDeviceTable rows = the processors")
print("ok: --host-resources: hrMemorySize, hrStorageTable 8 rows x 7 columns (used <= size, moving,"
      " per device), 4 processors in hrDeviceTable/hrProcessorTable (load 0..100)")
PY
echo "PASS"
