#!/usr/bin/env bash
# Load test of the whole site under faults (the hardening issue's acceptance): the `make run`
# site (scripts/run-site.sh: snmpsimd devices, Redis, three elector + promsnmp pairs sharing one
# inventory directory, HAProxy with the shipped config, Prometheus) on loopback ports of its own,
# driven for LOAD_MINUTES (default 10) by three clients at once while faults run on a schedule:
#
#   scrapes   LOAD_SCRAPE_RATE (20) a second through HAProxy, round robin over the devices, as
#             the read-only user; each scrape's start, status and duration are logged;
#   updates   an inventory POST through HAProxy every LOAD_WRITE_INTERVAL (2) s, as the admin.
#             Update N is the site's devices plus discovery seeds 1..N, seed N being the marker
#             of update N (id 10ad0000-0000-4000-8000-<N>, target 127.0.x.y:9); markers, not
#             devices, so the polled set and its memory stay the same. A refused update (503
#             while leadership moves, or a timeout) is retried every 0.5 s for up to
#             LOAD_WRITE_RETRY (30) s, as a real client would;
#   faults    every LOAD_FAULT_INTERVAL (50) s after LOAD_WARMUP (15) s, in turn: kill -9 of the
#             leader pair (elector + collector, restarted once another replica leads); Redis
#             kill -9, down LOAD_REDIS_DOWN (3) s, restarted with its append-only file; the
#             leader pair again; Redis restarted empty (its files removed: lease key and fencing
#             counter gone, F-7). Each fault's window runs from its start to the moment the
#             site has a leader again that holds for TTL + 2 s (and Redis is back).
#
# It passes when, at the end:
#   (a) no acknowledged (200) update is lost: every acked marker is in the final inventory of
#       every replica (read from each replica directly, once all serve one version), and
#       `promsnmp-inventory verify` accepts the slot chain;
#   (b) every failed scrape (not 200, or no answer within 10 s) overlaps a fault window widened
#       by LOAD_GRACE_MS (5000 ms: one HAProxy health-check interval of be_scrape) at its end;
#   (c) memory is flat: the RSS of every collector and elector (sampled from /proc every
#       LOAD_RSS_INTERVAL (5) s) that lived at least 40% of the run, median of the last quarter
#       of its samples against the median of the second quarter, grew by no more than 10% or
#       8 MiB, whichever is larger (processes restarted by a fault start a series of their own);
#   (d) no collector or elector died other than by our kill -9, each stops cleanly on SIGTERM at
#       the end, and, with SANITIZE=1, there is no AddressSanitizer / LeakSanitizer / UBSan
#       report (see below).
#
# SANITIZE=1 (make load-test-asan): BUILD_DIR holds a -DPROMSNMP_SANITIZE=ON build
# (-fsanitize=address,undefined). Every instrumented process (collectors, electors, the CLI)
# writes its reports to OUT/sanitizer/ (ASAN_OPTIONS / UBSAN_OPTIONS log_path); at the end the
# site is stopped with SIGTERM so that LeakSanitizer runs at each exit. A process killed with
# kill -9 by a fault writes no leak report: that is expected, the replacement it starts is
# checked at the end. ASan's quarantine grows the RSS by design, so (c) is reported, not
# asserted, in this mode: LeakSanitizer is the leak check there.
#
# Usage: tests/load/load_test.sh [BUILD_DIR]       (default build; make load-test builds first)
#        LOAD_MINUTES=2 tests/load/load_test.sh     a short run; LOAD_SECONDS overrides minutes
# Output: a summary table on stdout and in OUT/results.txt, OUT = LOAD_OUT or BUILD_DIR/load-test
# (also the raw logs: scrapes.log, updates.log, faults.log, rss.log, and the site's logs).
# Talks only to 127.0.0.0/8; every process it starts is stopped on exit; every loop is bounded.
set -euo pipefail
export LC_ALL=C # EPOCHREALTIME with a '.', whatever the locale
cd "$(dirname "$0")/../.."
top=$(pwd)
BENCH_NAME="load test"
# shellcheck source=bench/common.sh
. bench/common.sh

build=${1:-build}
[[ $build = /* ]] || build=$top/$build
for binary in promsnmp elector promsnmp-inventory; do
  [ -x "$build/bin/$binary" ] || die "no $binary in $build/bin (make build)"
done
duration=${LOAD_SECONDS:-$(awk -v m="${LOAD_MINUTES:-10}" 'BEGIN {printf "%d", m * 60}')}
rate=${LOAD_SCRAPE_RATE:-20}
write_every=${LOAD_WRITE_INTERVAL:-2}
write_retry=${LOAD_WRITE_RETRY:-30}
fault_every=${LOAD_FAULT_INTERVAL:-50}
warmup=${LOAD_WARMUP:-15}
redis_down=${LOAD_REDIS_DOWN:-3}
rss_every=${LOAD_RSS_INTERVAL:-5}
grace_ms=${LOAD_GRACE_MS:-5000}
sanitize=${SANITIZE:-0}
out=${LOAD_OUT:-$build/load-test}
((duration >= 60)) || die "LOAD_SECONDS must be at least 60 (one fault needs a minute)"

rm -rf "${out:?}"
mkdir -p "$out"
if [ "$sanitize" = 1 ]; then
  # Reports go to files (one per process), not to the daemons' logs, as in the sanitizer stage
  # of `make test`: tests/tools/sanitizer.sh.
  # shellcheck source=tests/tools/sanitizer.sh
  . tests/tools/sanitizer.sh
  sanitizer_env "$out/sanitizer"
fi

export BIN_DIR=$build/bin LEASE_TTL_MS=${LEASE_TTL_MS:-5000}
settle_ms=$((LEASE_TTL_MS + 2000))
export RUN_DIR PORT_BASE SNMP_PORT
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/promsnmp-load.XXXXXX")
site=$top/scripts/run-site.sh
loops=()
finish() {
  local code=$? pid
  for pid in "${loops[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  "$site" stop >/dev/null 2>&1 || true
  rm -rf "$out/site-logs"
  cp -r "$RUN_DIR/logs" "$out/site-logs" 2>/dev/null || true
  rm -rf "$RUN_DIR"
  if [ "$code" != 0 ]; then
    # A report can stop the site before the summary (a CLI leak at start-up): say where.
    if [ "$sanitize" = 1 ] && compgen -G "$out/sanitizer/*" >/dev/null; then
      log "sanitizer reports: $(echo "$out"/sanitizer/*)"
    fi
    log "FAILED (exit $code); logs in $out"
  fi
  exit "$code"
}
trap finish EXIT
trap 'exit 130' INT TERM HUP

PORT_BASE=$(free_port_base)
SNMP_PORT=$(free_port udp)
if [ -z "$PORT_BASE" ] || [ -z "$SNMP_PORT" ]; then
  die "no free ports on 127.0.0.1"
fi
haproxy=http://127.0.0.1:$PORT_BASE
replica() { echo "http://127.0.0.1:$((PORT_BASE + $1))"; }
read_auth=$RUN_DIR/secrets/prometheus.curlrc
admin_auth=$RUN_DIR/secrets/admin.curlrc

now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
sleep_until() { # EPOCH_MS
  local d=$(($1 - $(now_ms)))
  ((d <= 0)) || sleep "$((d / 1000)).$(printf '%03d' $((d % 1000)))"
}
leader() { timeout 5 "$site" leader 2>/dev/null || true; }

# --- the clients ---------------------------------------------------------------------------------
# Scrapes: 5 ticks a second, each a curl with ceil(rate / 5) parallel transfers. A line per scrape:
# "start_ms http_code curl_exit seconds url" (code 000 = no answer). Ticks keep their schedule; a
# tick more than 1 s late is skipped ahead (counted in the log as a gap, never silently).
scrape_loop() {
  local per_tick=$(((rate + 4) / 5)) next t i k=0 n=${#targets[@]} args
  next=$(now_ms)
  while ((next < end_ms)); do
    sleep_until "$next"
    args=()
    for ((i = 0; i < per_tick; i++)); do
      args+=(-o /dev/null "$haproxy/metrics?target=${targets[k % n]}")
      k=$((k + 1))
    done
    t=$(now_ms)
    { curl -s --no-progress-meter -K "$read_auth" --max-time 10 --parallel --parallel-max "$per_tick" \
      -w '%{http_code} %{exitcode} %{time_total} %{url_effective}\n' "${args[@]}" || true; } |
      awk -v t="$t" '{print t, $0}' >>"$out/scrapes.log" &
    next=$((next + 200))
    if (($(now_ms) > next + 1000)); then
      echo "gap $next $(now_ms)" >>"$out/scrape-gaps.log"
      next=$(now_ms)
    fi
  done
  wait
}

# Inventory updates: "seq first_attempt_ms last_attempt_ms http_code attempts" per update in
# updates.log (code 200 = acknowledged), every attempt in update-attempts.log.
marker_seed() { # SEQ: the discovery seed that marks update SEQ
  printf '{"id":"10ad0000-0000-4000-8000-%012d","potentialTargets":["127.0.%d.%d"],"port":9,"version":"v2c","agentType":"snmp-community","readCommunity":"load-marker"}' \
    "$1" $((11 + $1 / 250)) $((1 + $1 % 250))
}
write_loop() {
  local seq=0 next first code attempt seeds="" sep=""
  next=$(now_ms)
  while ((next < end_ms)); do
    sleep_until "$next"
    seq=$((seq + 1))
    seeds+="$sep$(marker_seed "$seq")"
    sep=,
    printf '%s%s]}' "$prefix" "$seeds" >"$out/update-body.json"
    first=$(now_ms)
    attempt=0
    while true; do
      attempt=$((attempt + 1))
      : >"$out/update-answer.txt"
      code=$(curl -s -o "$out/update-answer.txt" -w '%{http_code}' -K "$admin_auth" --max-time 10 \
        -X POST -H 'Content-Type: application/json' --data-binary @"$out/update-body.json" \
        "$haproxy/promsnmp/inventory" || true)
      echo "$seq $attempt $(now_ms) $code $(head -c 200 "$out/update-answer.txt" | tr -s '\n ' ' ')" \
        >>"$out/update-attempts.log"
      [ "$code" != 200 ] || break
      (($(now_ms) - first < write_retry * 1000)) || break
      sleep 0.5
    done
    echo "$seq $first $(now_ms) $code $attempt" >>"$out/updates.log"
    next=$((next + write_every * 1000))
    ((next > $(now_ms))) || next=$(now_ms)
  done
}

# Memory: "ms name pid rss_kb" for every collector and elector alive, every rss_every seconds.
rss_loop() {
  local t name pid rss
  while (($(now_ms) < end_ms)); do
    t=$(now_ms)
    for name in promsnmp-1 promsnmp-2 promsnmp-3 elector-1 elector-2 elector-3; do
      pid=$(cat "$RUN_DIR/pids/$name.pid" 2>/dev/null) || continue
      rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || continue
      [ -z "$rss" ] || echo "$t $name $pid $rss" >>"$out/rss.log"
    done
    sleep "$rss_every"
  done
}

# --- the faults ----------------------------------------------------------------------------------
# Watching the leader: w_leader is the replica seen leading ("" for none or the killed one),
# w_changed when that last changed. A window ends (w_back) once a leader has held for settle_ms.
w_leader="" w_changed=0 w_exclude="" w_back=0
watch_step() {
  local cur
  cur=$(leader)
  [ "$cur" != "$w_exclude" ] || cur=""
  if [ "$cur" != "$w_leader" ]; then
    w_leader=$cur
    w_changed=$(now_ms)
  fi
}
await_stable_leader() { # NOT_BEFORE_MS: sets w_back, when the leader it found took over
  local deadline=$(($(now_ms) + 60000))
  while true; do
    watch_step
    w_back=$((w_changed > $1 ? w_changed : $1))
    if [ -n "$w_leader" ] && (($(now_ms) - w_back >= settle_ms)); then
      return 0
    fi
    if (($(now_ms) >= deadline)); then
      local n
      for n in 1 2 3; do
        log "replica $n: $(curl -s -K "$read_auth" --max-time 2 "$(replica "$n")/promsnmp/leader" || true)"
      done
      die "no stable leader 60 s after the fault (logs: $out/site-logs)"
    fi
    sleep 0.2
  done
}
fault_loop() { # faults.log: "n kind victim start_ms back_ms new_leader"
  local n=0 kind victim start next=$((begin_ms + warmup * 1000))
  local kinds=(leader-kill redis-restart leader-kill redis-restart-empty)
  # A fault starts only if its window and the follower catch-up fit before the end.
  while ((next + 30000 < end_ms)); do
    sleep_until "$next"
    kind=${kinds[n % 4]}
    w_leader=$(leader)
    [ -n "$w_leader" ] || die "no leader before fault $n"
    start=$(now_ms)
    w_changed=$start
    case $kind in
      leader-kill)
        victim=$w_leader
        w_exclude=$victim
        "$site" replica-kill "$victim"
        await_stable_leader "$start"
        w_exclude=""
        "$site" replica-start "$victim" >/dev/null || die "replica $victim did not come back"
        ;;
      redis-restart | redis-restart-empty)
        victim=redis
        "$site" redis-kill
        [ "$kind" = redis-restart ] || rm -rf "${RUN_DIR:?}/redis/"*
        while (($(now_ms) - start < redis_down * 1000)); do
          watch_step
          sleep 0.2
        done
        "$site" redis-start >/dev/null || die "Redis did not come back"
        await_stable_leader "$(now_ms)"
        ;;
    esac
    echo "$n $kind $victim $start $w_back $w_leader" >>"$out/faults.log"
    log "fault $n: $kind ($victim) at +$(((start - begin_ms) / 1000)) s, replica $w_leader leads after $((w_back - start)) ms"
    n=$((n + 1))
    next=$((next + fault_every * 1000))
  done
}

# --- the run ---------------------------------------------------------------------------------------
log "starting the site (ports from $PORT_BASE, devices on UDP $SNMP_PORT, binaries $BIN_DIR)"
"$site" start --background >/dev/null || die "the site did not start"
mapfile -t targets < <(curl -fsS -K "$read_auth" "$haproxy/targets" | jq -r '.[].targets[]')
((${#targets[@]} > 0)) || die "no targets from HAProxy's /targets"
# The updates' common part: the site's devices with their credentials, then the marker seeds.
prefix=$(PROM_INV_FILE=$RUN_DIR/share/promsnmp-inventory.json \
  PROM_ENCRYPT_KEY_FILE=$RUN_DIR/secrets/promsnmp-encrypt-key \
  "$BIN_DIR/promsnmp-inventory" show --json --include-credentials |
  jq -c '{devices: .devices}' | sed 's/}$/,"discoverySeeds":[/')

begin_ms=$(now_ms)
end_ms=$((begin_ms + duration * 1000))
log "load for ${duration}s: $rate scrapes/s over ${#targets[@]} devices, an update every ${write_every}s, a fault every ${fault_every}s"
scrape_loop &
loops+=($!)
write_loop &
loops+=($!)
rss_loop &
loops+=($!)
fault_loop
for pid in "${loops[@]}"; do
  wait "$pid" || die "a client loop failed"
done
loops=()
finished_ms=$(now_ms)

# --- the end state -----------------------------------------------------------------------------------
# Processes that died without our kill -9 (a killed one's replacement is in its pid file).
: >"$out/problems.txt"
for name in promsnmp-1 promsnmp-2 promsnmp-3 elector-1 elector-2 elector-3 redis haproxy; do
  pid=$(cat "$RUN_DIR/pids/$name.pid" 2>/dev/null || echo none)
  kill -0 "$pid" 2>/dev/null || echo "$name (pid $pid) died without a kill" >>"$out/problems.txt"
done
# Every replica on one inventory version, then each one's markers, read from it directly.
version_of() {
  curl -fsS -K "$read_auth" --max-time 5 "$(replica "$1")/metrics" |
    awk '$1 == "promsnmp_inventory_version" {print $2}'
}
same_version() {
  local v1 v2 v3
  v1=$(version_of 1) && v2=$(version_of 2) && v3=$(version_of 3) && [ -n "$v1" ] &&
    [ "$v1" = "$v2" ] && [ "$v2" = "$v3" ]
}
deadline=$(($(now_ms) + 30000))
until same_version; do
  (($(now_ms) < deadline)) || {
    echo "replicas never agreed on one version: $(version_of 1 || true) $(version_of 2 || true) $(version_of 3 || true)" >>"$out/problems.txt"
    break
  }
  sleep 0.5
done
for n in 1 2 3; do
  curl -fsS -K "$read_auth" --max-time 10 "$(replica "$n")/promsnmp/inventory" |
    jq -r '.discoverySeeds[].id' >"$out/final-markers-$n.txt" || true
  version_of "$n" >"$out/final-version-$n.txt" || true
done
verify=0
PROM_INV_FILE=$RUN_DIR/share/promsnmp-inventory.json \
  PROM_ENCRYPT_KEY_FILE=$RUN_DIR/secrets/promsnmp-encrypt-key \
  "$BIN_DIR/promsnmp-inventory" verify >"$out/verify.txt" 2>&1 || verify=$?
# SIGTERM to everything: the collectors drain, and under ASan LeakSanitizer reports at exit.
"$site" stop >/dev/null 2>&1 || true
# Each one's last line says it stopped by itself: it was not killed after run-site's 15 s (then
# LeakSanitizer would not have run).
for name in promsnmp-1 promsnmp-2 promsnmp-3 elector-1 elector-2 elector-3; do
  tail -1 "$RUN_DIR/logs/$name.log" | grep -q 'msg="\?stopped' ||
    echo "$name did not stop cleanly on SIGTERM: $(tail -1 "$RUN_DIR/logs/$name.log")" >>"$out/problems.txt"
done
: >"$out/sanitizer-reports.txt"
if [ "$sanitize" = 1 ]; then
  sanitizer_reports "$out/sanitizer" >>"$out/sanitizer-reports.txt"
fi

python3 - "$out" "$begin_ms" "$finished_ms" "$duration" "$grace_ms" "$LEASE_TTL_MS" "$verify" \
  "$sanitize" "$rate" <<'EOF' | tee "$out/results.txt"
import collections, statistics, sys
out, begin, finished, duration, grace, ttl, verify, sanitize, rate = sys.argv[1:]
begin, finished, duration, grace, ttl, verify, rate = map(int, (begin, finished, duration, grace, ttl, verify, rate))
sanitize = sanitize == "1"
failures = []

def lines(name):
    try:
        with open(f"{out}/{name}") as f:
            return [l.split() for l in f if l.strip()]
    except FileNotFoundError:
        return []

def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p / 100 * len(v)))] if v else 0

# Faults and their windows.
faults = [(int(n), kind, victim, int(s), int(b), new) for n, kind, victim, s, b, *rest in lines("faults.log")
          for new in [rest[0] if rest else "?"]]
windows = [(s, b + grace) for _, _, _, s, b, _ in faults]
took = [b - s for *_, s, b, _ in faults]
kill_budget = ttl + ttl // 3 + 1000

# Scrapes.
scrapes = []
for t, code, exitcode, seconds, url in lines("scrapes.log"):
    start = int(t)
    scrapes.append((start, start + int(float(seconds) * 1000), code, exitcode, url))
failed = [s for s in scrapes if s[2] != "200"]
inside = [s for s in failed if any(a <= s[1] and s[0] <= b for a, b in windows)]
outside = [s for s in failed if s not in inside]
latency = [e - s for s, e, *_ in scrapes if _[0] == "200"]
gaps = lines("scrape-gaps.log")

# Updates.
updates = [(int(q), int(f), int(l), c, int(a)) for q, f, l, c, a in lines("updates.log")]
acked = {q for q, _, _, c, _ in updates if c == "200"}
retried = [u for u in updates if u[4] > 1]
refused = [u for u in updates if u[3] != "200"]
lost = {}
for n in (1, 2, 3):
    have = {int(l[0].rsplit("-", 1)[1]) for l in lines(f"final-markers-{n}.txt")}
    lost[n] = sorted(acked - have)
versions = [" ".join(l[0] for l in lines(f"final-version-{n}.txt")) or "?" for n in (1, 2, 3)]

# Memory: one series per process (name, pid).
series = collections.defaultdict(list)
for t, name, pid, kb in lines("rss.log"):
    series[(name, pid)].append((int(t), int(kb)))
rss_rows = []
for (name, pid), s in sorted(series.items()):
    s.sort()
    n = len(s)
    life = (s[-1][0] - s[0][0]) / 1000 if n > 1 else 0
    checked = n >= 8 and life >= 0.4 * duration
    q2 = statistics.median(kb for _, kb in s[n // 4:n // 2]) if n >= 4 else s[0][1]
    q4 = statistics.median(kb for _, kb in s[3 * n // 4:]) if n >= 4 else s[-1][1]
    growth = q4 - q2
    bad = checked and growth > max(0.10 * q2, 8 * 1024)
    rss_rows.append((name, pid, n, life, s[0][1], s[-1][1], q2, q4, growth, checked, bad, s))

problems = [l for l in open(f"{out}/problems.txt").read().splitlines() if l.strip()]
reports = [l for l in open(f"{out}/sanitizer-reports.txt").read().splitlines() if l.strip()]

def ms(v):
    return f"{v} ms"
def mib(kb):
    return f"{kb / 1024:.1f}"
def rel(t):
    return f"+{(t - begin) / 1000:.1f}s"

print(f"# promsnmp load test{' (ASan + UBSan build)' if sanitize else ''}\n")
print(f"{duration} s of load ({(finished - begin) / 1000:.0f} s with the last answers), lease TTL {ttl} ms, "
      f"failover grace {grace} ms\n")
print("| figure | value |\n|---|---|")
print(f"| scrapes through HAProxy | {len(scrapes)} ({len(scrapes) / duration:.1f}/s, target {rate}/s; "
      f"{len(gaps)} schedule gaps) |")
print(f"| scrape latency p50 / p99 / max | {pct(latency, 50)} / {pct(latency, 99)} / {max(latency, default=0)} ms |")
print(f"| failed scrapes inside / outside a fault window | {len(inside)} / {len(outside)} |")
print(f"| inventory updates sent / acked / retried / never acked | {len(updates)} / {len(acked)} / "
      f"{len(retried)} / {len(refused)} |")
print(f"| acked updates missing on replica 1 / 2 / 3 | {len(lost[1])} / {len(lost[2])} / {len(lost[3])} |")
print(f"| final inventory version on replica 1 / 2 / 3 | {' / '.join(versions)} |")
print(f"| promsnmp-inventory verify | {'ok' if verify == 0 else f'exit {verify}'} |")
kinds = collections.Counter(k for _, k, *_ in faults)
print(f"| faults | {len(faults)} ({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}) |")
if took:
    print(f"| fault → stable leader, median / max | {statistics.median(took):.0f} / {max(took)} ms |")
for kind in sorted(kinds):
    t = [b - s for _, k, _, s, b, _ in faults if k == kind]
    print(f"| … {kind} median / max | {statistics.median(t):.0f} / {max(t)} ms |")
print(f"| end-state problems (a process died, replicas disagree, an unclean stop) | {len(problems)} |")
if sanitize:
    print(f"| sanitizer reports | {len(reports)} |")

print("\n## Faults\n\n| # | kind | victim | at | leader after | new leader |\n|---|---|---|---|---:|---|")
for n, kind, victim, s, b, new in faults:
    print(f"| {n} | {kind} | {victim} | {rel(s)} | {b - s} ms | {new} |")

print("\n## Memory (RSS MiB; series per process, median of quarter 2 vs quarter 4)\n")
print("| process | pid | samples | lived | first | last | Q2 | Q4 | growth | checked |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
for name, pid, n, life, first, last, q2, q4, growth, checked, bad, s in rss_rows:
    verdict = ("FAIL" if bad else "ok") if checked else "no (short-lived)"
    if sanitize and checked:  # ASan's quarantine grows the heap by design: LSan checks leaks
        verdict = "over the bound, not asserted under ASan" if bad else "ok (not asserted under ASan)"
    print(f"| {name} | {pid} | {n} | {life:.0f} s | {mib(first)} | {mib(last)} | {mib(q2)} | {mib(q4)} | "
          f"{growth / 1024:+.1f} | {verdict} |")
print("\nseries (MiB, every sample, at most 40 shown evenly):")
for name, pid, n, *_, s in rss_rows:
    step = max(1, n // 40)
    print(f"  {name}/{pid}: " + " ".join(mib(kb) for _, kb in s[::step]))

# Verdicts.
if not scrapes:
    failures.append("no scrape was made")
if outside:
    failures.append(f"{len(outside)} failed scrapes outside every fault window, e.g. " + "; ".join(
        f"{rel(s)} {code} (curl {ex}) {url.split('target=')[-1]}" for s, e, code, ex, url in outside[:8]))
if not acked:
    failures.append("no inventory update was acknowledged")
for n in (1, 2, 3):
    if lost[n]:
        failures.append(f"replica {n} lacks acked updates {lost[n][:20]}")
if verify != 0:
    failures.append(f"promsnmp-inventory verify exited {verify}: {open(out + '/verify.txt').read().strip()[:300]}")
for row in rss_rows:
    if row[10] and not sanitize:
        failures.append(f"{row[0]} (pid {row[1]}) RSS grew {row[8] / 1024:.1f} MiB (Q2 {mib(row[6])} → Q4 {mib(row[7])} MiB)")
if not any(r[9] for r in rss_rows):
    print("\nnote: no process lived long enough for the memory check (40% of the run)")
failures += problems
for r in reports:
    failures.append(f"sanitizer report: {r}")
if not faults:
    failures.append("no fault ran")

print()
if failures:
    print("FAIL")
    for f in failures:
        print(f"- {f}")
else:
    print("PASS")
sys.exit(1 if failures else 0)
EOF
