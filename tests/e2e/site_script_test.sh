#!/usr/bin/env bash
# e2e.site_script: scripts/run-site.sh survives an operator's mistakes (issue 17), on a real
# `make run` site on ports of its own. Checks, in order:
#   1. start prints a CLI line to paste (export PROM_INV_FILE=... PROM_ENCRYPT_KEY_FILE=...) that
#      works, and the Prometheus and electors' pages: each printed page answers 200 (Debian's
#      Prometheus 2.42 answers 404 on /alerts), targets and alerts among them;
#   2. a second start says the site runs and how to stop it, exits non-zero and changes nothing;
#      a start with another RUN_DIR on the same ports names the ports in use and starts nothing;
#   3. replica-start of a running replica refuses and starts nothing;
#   4. elector-2's pid file removed and promsnmp-2's naming a dead pid: status lists both as
#      untracked with their real pids, and the leader; replica-start 2 still refuses;
#   5. collector-restart 2 stops the untracked collector and starts one (one runs, in the pid
#      file); collector-restart of the leader's collector: a new collector, the same elector, which
#      sees its collector again, and the replica is ready and leads again; collector-restart of a
#      stopped replica refuses; replica-start of a stopped replica still starts it;
#   6. reset refuses a directory that is not a run directory (nothing removed); on the site (with
#      the untracked elector) it stops every process, removes the state, keeps a file the site
#      did not make and what a link in the share points to.
# Usage: tests/e2e/site_script_test.sh   (needs build/bin; every process it starts is stopped on exit)
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
BENCH_NAME=e2e.site_script
# shellcheck source=bench/common.sh
. bench/common.sh # free_port_base, free_port
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh" # fail, eventually, site_finish

export RUN_DIR PORT_BASE SNMP_PORT
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-script.XXXXXX")
scratch=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-script-scratch.XXXXXX") # outside RUN_DIR
# The default lease TTL (5 s): also the time an elector keeps its lease without its collector.
PORT_BASE=$(free_port_base)
SNMP_PORT=$(free_port udp)
bin=${BIN_DIR:-$top/build/bin}
site=$top/scripts/run-site.sh
started=$(date +%s%N)

trap 'site_finish "$scratch"' EXIT
trap 'exit 130' INT TERM

# The processes, found here independently of the script: by the paths and ports they were given.
elector_pids() { pgrep -f -- "--socket=$RUN_DIR/replica-$1/elector.sock" || true; }
collector_pids() { pgrep -f -- "promsnmp --config.file=.* --web.listen-address=127.0.0.1:$((PORT_BASE + $1))\$" || true; }
ready() { curl -fsS --max-time 2 "http://127.0.0.1:$((PORT_BASE + $1))/actuator/health/readiness" >/dev/null; }
elector_metric() { # N NAME
  curl -fsS --max-time 2 "http://127.0.0.1:$((PORT_BASE + 10 + $1))/metrics" | awk -v m="$2" '$1 == m {print $2}'
}
leader() { "$site" leader 2>/dev/null; }
code_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1"; }
listening() { # prints the site's TCP ports something listens on
  ss -Hltn | awk '{print $4}' | grep -oE ":($(seq -s '|' "$PORT_BASE" $((PORT_BASE + 20))))\$" || true
}
seconds() { # since the start of the test, to the tenth
  local ds=$((($(date +%s%N) - started) / 100000000))
  echo "$((ds / 10)).$((ds % 10))"
}
alive() { # PID: runs (a zombie, not yet reaped by its new parent, does not)
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

echo "== 1. start (ports from $PORT_BASE, devices on UDP $SNMP_PORT): the CLI line and the pages"
out=$("$site" start --background 2>&1) || fail "the site did not start: $out"
export_line=$(grep -oE 'export PROM_INV_FILE=[^ ]+ PROM_ENCRYPT_KEY_FILE=[^ ]+$' <<<"$out") ||
  fail "no CLI line to paste in: $out"
[ "$export_line" = "export PROM_INV_FILE=$RUN_DIR/share/promsnmp-inventory.json PROM_ENCRYPT_KEY_FILE=$RUN_DIR/secrets/promsnmp-encrypt-key" ] ||
  fail "the CLI line names other files: $export_line"
shown=$(env -u PROM_INV_FILE -u PROM_ENCRYPT_KEY_FILE bash -c "$export_line && '$bin/promsnmp-inventory' show" 2>&1) ||
  fail "the pasted CLI line does not work: $shown"
grep -q Profiler3750 <<<"$shown" || fail "the CLI shows no device: $shown"
# The Prometheus pages: the lines after "Prometheus", "  NAME  URL".
prometheus_pages=$(awk '/^Prometheus / {p = 1; next} p && /^  [a-z]+ +http/ {print $1, $2; next} p {exit}' <<<"$out")
for name in targets alerts; do
  grep -q "^$name http://127.0.0.1:$((PORT_BASE + 10))/" <<<"$prometheus_pages" ||
    fail "no Prometheus $name page printed: $prometheus_pages"
done
while read -r name url; do
  [ "$(code_of "$url")" = 200 ] || fail "the printed Prometheus page $name ($url) answers $(code_of "$url")"
done <<<"$prometheus_pages"
for n in 1 2 3; do
  pages=$(grep -oE "^( *|electors +)$n: .*" <<<"$out" | cut -d: -f2-) || fail "no pages of elector $n: $out"
  grep -q "http://127.0.0.1:$((PORT_BASE + 10 + n))/metrics" <<<"$pages" || fail "elector $n: no /metrics in $pages"
  for url in $pages; do
    [ "$(code_of "$url")" = 200 ] || fail "the printed elector page $url answers $(code_of "$url")"
  done
done
echo "   started in $(seconds) s; pages: $(awk '{print $2}' <<<"$prometheus_pages" | paste -sd ' ')"

echo "== 2. a second start: refused, the site untouched; another RUN_DIR on its ports: refused"
haproxy_pid=$(cat "$RUN_DIR/pids/haproxy.pid")
elector1=$(elector_pids 1)
if out=$("$site" start --background 2>&1); then
  fail "a second start succeeded: $out"
fi
grep -q "already runs in $RUN_DIR" <<<"$out" || fail "the second start does not say the site runs: $out"
grep -q "scripts/run-site.sh stop stops it" <<<"$out" || fail "the second start does not say how to stop it: $out"
{ [ "$(cat "$RUN_DIR/pids/haproxy.pid")" = "$haproxy_pid" ] && alive "$haproxy_pid"; } ||
  fail "the second start replaced HAProxy"
[ "$(elector_pids 1)" = "$elector1" ] || fail "the second start replaced elector-1 ($elector1 -> $(elector_pids 1))"
{ ready 1 && ready 2 && ready 3; } || fail "a replica is not ready after the second start"
other=$scratch/other-run
if out=$(RUN_DIR=$other "$site" start --background 2>&1); then
  fail "a start on the ports of a running site succeeded: $out"
fi
grep -q "in use.*TCP $PORT_BASE (HAProxy)" <<<"$out" || fail "the start on busy ports does not name them: $out"
[ ! -e "$other/pids" ] || fail "the start on busy ports started something: $(ls "$other/pids")"

echo "== 3. replica-start of a running replica: refused"
replica_start_refused() { # N: replica-start N fails, says what runs, and starts nothing
  local elector collector out
  elector=$(elector_pids "$1")
  collector=$(collector_pids "$1")
  if out=$("$site" replica-start "$1" 2>&1); then
    fail "replica-start $1 succeeded while replica $1 runs: $out"
  fi
  grep -q "replica $1 still runs: elector-$1 (pid $elector) promsnmp-$1 (pid $collector)" <<<"$out" ||
    fail "replica-start $1 does not say what runs: $out"
  { [ "$(elector_pids "$1")" = "$elector" ] && [ "$(collector_pids "$1")" = "$collector" ]; } ||
    fail "replica-start $1 started something: electors $(elector_pids "$1" | paste -sd ' '), collectors $(collector_pids "$1" | paste -sd ' ')"
}
replica_start_refused 3

echo "== 4. processes the pid files no longer track: status lists them, replica-start refuses"
elector2=$(elector_pids 2)
collector2=$(collector_pids 2)
sleep 0 &
dead=$!
wait "$dead"
rm "$RUN_DIR/pids/elector-2.pid"
echo "$dead" >"$RUN_DIR/pids/promsnmp-2.pid"
lead=$(leader) || fail "no leader"
out=$("$site" status 2>&1)
grep -qx "elector-2 *running UNTRACKED pid $elector2 (no pid file)" <<<"$out" ||
  fail "status does not list the untracked elector-2 ($elector2): $out"
grep -qx "promsnmp-2 *running UNTRACKED pid $collector2 (its pid file names $dead, which does not run)" <<<"$out" ||
  fail "status does not list the untracked promsnmp-2 ($collector2): $out"
grep -qx "elector-1 *running pid $elector1" <<<"$out" || fail "status: elector-1: $out"
grep -qx "haproxy *running pid $haproxy_pid (worker [0-9]*)" <<<"$out" || fail "status: haproxy: $out"
grep -qx "leader: replica $lead (elector-$lead holds the lease)" <<<"$out" || fail "status: the leader ($lead): $out"
replica_start_refused 2

echo "== 5. collector-restart: the untracked collector 2, the leader's collector $lead, a stopped replica"
"$site" collector-restart 2 >/dev/null 2>&1 || fail "collector-restart 2 failed"
! alive "$collector2" || fail "collector-restart 2 left the untracked collector $collector2 running"
new2=$(collector_pids 2)
{ [ "$(wc -w <<<"$new2")" = 1 ] && [ "$(cat "$RUN_DIR/pids/promsnmp-2.pid")" = "$new2" ]; } ||
  fail "after collector-restart 2: collectors '$new2', pid file $(cat "$RUN_DIR/pids/promsnmp-2.pid")"
[ "$(elector_pids 2)" = "$elector2" ] || fail "collector-restart 2 restarted elector-2"
old=$(collector_pids "$lead")
lead_elector=$(elector_pids "$lead")
transitions=$(elector_metric "$lead" elector_transitions_total)
"$site" collector-restart "$lead" >/dev/null 2>&1 || fail "collector-restart $lead failed"
new=$(collector_pids "$lead")
{ [ -n "$new" ] && [ "$new" != "$old" ] && ! alive "$old"; } ||
  fail "collector-restart $lead: collector $old, then '$new'"
[ "$(elector_pids "$lead")" = "$lead_elector" ] || fail "collector-restart $lead restarted its elector"
[ "$(elector_metric "$lead" elector_collector_connected)" = 1 ] ||
  fail "elector-$lead does not see its collector after the restart"
{ [ "$(elector_metric "$lead" elector_is_leader)" = 1 ] &&
  [ "$(elector_metric "$lead" elector_transitions_total)" = "$transitions" ]; } ||
  fail "elector-$lead lost its lease during its collector's restart"
ready "$lead" || fail "replica $lead is not ready after collector-restart"
eventually 10 bash -c "[ \"\$('$site' leader 2>/dev/null)\" = $lead ]" ||
  fail "replica $lead does not lead again after its collector's restart (leader: $(leader || echo none))"
"$site" replica-stop 3 >/dev/null 2>&1
if out=$("$site" collector-restart 3 2>&1); then
  fail "collector-restart 3 succeeded without elector-3: $out"
fi
grep -q "elector-3 does not run: nothing restarted" <<<"$out" || fail "collector-restart 3: $out"
[ -z "$(collector_pids 3)" ] || fail "collector-restart 3 started a collector without its elector"
"$site" replica-start 3 >/dev/null 2>&1 || fail "replica-start 3 of the stopped replica failed"
{ ready 3 && [ -n "$(elector_pids 3)" ]; } || fail "replica 3 not back"

echo "== 6. reset: refused outside a run directory; on the site, everything stopped and removed"
not_run=$scratch/not-a-run-dir
mkdir -p "$not_run/logs" "$not_run/redis" "$not_run/pids"
echo keep >"$not_run/redis/data"
if out=$(RUN_DIR=$not_run "$site" reset 2>&1); then
  fail "reset of a directory that is not a run directory succeeded: $out"
fi
{ [ -f "$not_run/redis/data" ] && [ -d "$not_run/logs" ]; } || fail "the refused reset removed something"
elector2=$(elector_pids 2) # still untracked (no pid file)
[ ! -e "$RUN_DIR/pids/elector-2.pid" ] || fail "elector-2 has a pid file again"
echo mine >"$RUN_DIR/notes.txt"
mkdir "$scratch/elsewhere"
echo keep >"$scratch/elsewhere/file"
ln -s "$scratch/elsewhere" "$RUN_DIR/share/link"
out=$("$site" reset 2>&1) || fail "reset failed: $out"
for entry in share secrets logs pids redis snmpsim prometheus replica-1; do
  grep -q "  $RUN_DIR/$entry " <<<"$out" || fail "reset does not say it removes $entry: $out"
  [ ! -e "$RUN_DIR/$entry" ] || fail "reset left $RUN_DIR/$entry"
done
! alive "$elector2" || fail "reset left the untracked elector-2 ($elector2) running"
[ -z "$(listening)" ] || fail "reset left ports listening: $(listening | paste -sd ' ')"
[ -z "$(pgrep -f -- "$RUN_DIR" || true)" ] || fail "reset left processes: $(pgrep -af -- "$RUN_DIR")"
[ "$(cat "$RUN_DIR/notes.txt")" = mine ] || fail "reset removed a file the site did not make"
[ "$(cat "$scratch/elsewhere/file")" = keep ] || fail "reset removed what a link in the share points to"
grep -q "kept (not the site's): $RUN_DIR/notes.txt" <<<"$out" || fail "reset does not say what it kept: $out"
"$site" status | grep -q running && fail "status after reset: $("$site" status)"
echo "PASS ($(seconds) s)"
