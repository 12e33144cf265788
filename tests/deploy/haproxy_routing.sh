#!/usr/bin/env bash
# Functional test of haproxy/haproxy.cfg with a real HAProxy on loopback.
#
# Three fake replicas (a small Python HTTP server each) stand in for promsnmp: readiness 200,
# /promsnmp/leader 200 only on the replica named in $WORK/leader, and every answer names the
# replica that served it (header X-Replica). Checks:
#   1. scrapes (/snmp?target=, /metrics?target=) are hashed by target: the same target always
#      reaches the same replica, and the targets spread over several replicas;
#   2. writes (POST/DELETE /promsnmp/*, POST /-/reload, GET /promsnmp/discovery/runs) reach the
#      leader, and follow it when leadership moves;
#   3. reads (/targets) are spread round robin;
#   4. the stats page and HAProxy's Prometheus exporter answer;
#   5. a replica that dies: every scrape still succeeds, targets of the other replicas keep
#      their replica (consistent hashing);
#   6. a graceful reload (SIGUSR2 to the master) keeps serving.
# Everything runs on 127.0.0.1; everything started here is stopped by the trap.
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CFG="$ROOT/haproxy/haproxy.cfg"
HAPROXY="${HAPROXY:-haproxy}"
DEADLINE=$((SECONDS + ${HAPROXY_ROUTING_BUDGET:-100}))

command -v "$HAPROXY" >/dev/null || { echo "SKIP: haproxy not installed"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }

WORK="$(mktemp -d /tmp/haproxy-routing.XXXXXX)"
PIDS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  if [ "$rc" -ne 0 ]; then
    echo "--- haproxy log (tail)"; tail -n 30 "$WORK/haproxy.log" 2>/dev/null
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FAILS=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }
over_budget() { [ "$SECONDS" -ge "$DEADLINE" ]; }

cat > "$WORK/replica.py" <<'PY'
import http.server, os, sys
name, port, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def leader():
    try:
        return open(os.path.join(work, "leader")).read().strip()
    except OSError:
        return ""
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def reply(self, code, body):
        data = (body + "\n").encode()
        self.send_response(code)
        self.send_header("X-Replica", name)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/actuator/health/readiness":
            self.reply(200, '{"status":"UP"}')
        elif path == "/promsnmp/leader":
            self.reply(200 if leader() == name else 503, name)
        elif path.startswith("/promsnmp/discovery/runs"):
            self.reply(200 if leader() == name else 404, "[]")
        else:
            self.reply(200, "served_by " + name)
    do_HEAD = do_GET
    def write(self):
        self.body()
        if leader() == name:
            self.reply(202, "Discovery request accepted.")
        else:
            self.reply(503, "not the leader; leader is " + leader())
    do_POST = do_PUT = do_DELETE = do_PATCH = write
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY

free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}
read -r P1 P2 P3 PFRONT PSTATS <<<"$(free_ports 5)"
declare -A RPORT=([promsnmp-1]=$P1 [promsnmp-2]=$P2 [promsnmp-3]=$P3)
declare -A RPID=()
echo promsnmp-2 > "$WORK/leader"
for r in promsnmp-1 promsnmp-2 promsnmp-3; do
  python3 "$WORK/replica.py" "$r" "${RPORT[$r]}" "$WORK" >"$WORK/$r.log" 2>&1 &
  RPID[$r]=$!; PIDS+=($!)
done

export HAPROXY_BIND="127.0.0.1:$PFRONT" HAPROXY_STATS_BIND="127.0.0.1:$PSTATS"
export PROMSNMP_1="127.0.0.1:$P1" PROMSNMP_2="127.0.0.1:$P2" PROMSNMP_3="127.0.0.1:$P3"
if "$HAPROXY" -dW -c -f "$CFG" >"$WORK/check.log" 2>&1; then
  pass "haproxy -c accepts $CFG (warnings are errors)"
else
  cat "$WORK/check.log"; fail "haproxy -c"; exit 1
fi
"$HAPROXY" -W -db -f "$CFG" -p "$WORK/haproxy.pid" >"$WORK/haproxy.log" 2>&1 &
HAPID=$!; PIDS+=($HAPID)
FRONT="http://127.0.0.1:$PFRONT"
STATS="http://127.0.0.1:$PSTATS"

# Who served a request: the X-Replica header ("-" when none / failure), plus the status.
served_by() { # method url
  curl -s -o /dev/null -m 10 -X "$1" -D - "$2" 2>/dev/null |
    awk 'BEGIN{s="000";r="-"} /^HTTP\//{s=$2} tolower($1)=="x-replica:"{r=$2} END{gsub("\r","",r); print s, r}'
}
# Server status in a backend from the stats CSV (UP, DOWN, MAINT, ...).
srv_status() { # backend server
  curl -s -m 5 "$STATS/stats;csv" | awk -F, -v b="$1" -v s="$2" '$1==b && $2==s {print $18}'
}
wait_for() { # description command...
  local what="$1"; shift
  while ! "$@"; do
    over_budget && { fail "timed out waiting for: $what"; exit 1; }
    sleep 0.5
  done
}
write_backend_is() { # only $1 is UP in be_write
  local r
  for r in promsnmp-1 promsnmp-2 promsnmp-3; do
    if [ "$r" = "$1" ]; then [ "$(srv_status be_write "$r")" = UP ] || return 1
    else [ "$(srv_status be_write "$r")" = DOWN ] || return 1; fi
  done
}
scrape_all_up() {
  local r; for r in promsnmp-1 promsnmp-2 promsnmp-3; do
    [ "$(srv_status be_scrape "$r")" = UP ] || return 1; done
}
wait_for "HAProxy stats page" curl -sf -m 2 -o /dev/null "$STATS/stats"
wait_for "be_scrape all UP" scrape_all_up
wait_for "be_write: only promsnmp-2 UP" write_backend_is promsnmp-2
pass "health checks: be_scrape 3 UP (readiness), be_write only the leader UP (/promsnmp/leader)"

# 1. Hashing by target.
declare -A OWNER=()
consistent=1; used=""
for i in $(seq 1 24); do
  t="dev-$i.example.net"
  first=""
  for path in snmp metrics snmp metrics; do
    read -r code rep <<<"$(served_by GET "$FRONT/$path?target=$t")"
    [ "$code" = 200 ] || { fail "GET /$path?target=$t -> $code"; consistent=0; continue; }
    if [ -z "$first" ]; then first=$rep
    elif [ "$rep" != "$first" ]; then consistent=0; fail "$t served by $first and $rep"; fi
  done
  OWNER[$t]=$first
  case " $used " in *" $first "*) ;; *) used="$used $first" ;; esac
done
[ "$consistent" = 1 ] && pass "24 targets x 4 scrapes (/snmp and /metrics): each target always on one replica"
nused=$(wc -w <<<"$used")
if [ "$nused" -ge 2 ]; then pass "targets spread over $nused replicas:$used"
else fail "targets all hashed to:$used"; fi

# 2. Writes reach the leader.
check_writes() { # leader
  local ok=1 m u code rep
  for req in "POST /promsnmp/discovery" "POST /promsnmp/discovery?scheduleNow=true" \
             "POST /promsnmp/inventory" "DELETE /promsnmp/discovery" \
             "DELETE /promsnmp/discovery/0b0e8f9c-1111-4222-8333-944455556666" \
             "POST /-/reload" "GET /promsnmp/discovery/runs" "GET /promsnmp/discovery/runs/abc"; do
    for _ in 1 2 3; do
      read -r m u <<<"$req"
      read -r code rep <<<"$(served_by "$m" "$FRONT$u")"
      if [ "$rep" != "$1" ] || { [ "$code" != 202 ] && [ "$code" != 200 ]; }; then
        ok=0; fail "$m $u -> $code from $rep (leader is $1)"
      fi
    done
  done
  [ "$ok" = 1 ]
}
check_writes promsnmp-2 && pass "POST/DELETE /promsnmp/*, POST /-/reload, GET /promsnmp/discovery/runs: 24/24 on the leader promsnmp-2"

# 3. Reads round robin.
reads=""
for _ in 1 2 3 4 5 6; do
  read -r code rep <<<"$(served_by GET "$FRONT/targets")"
  [ "$code" = 200 ] || fail "GET /targets -> $code"
  reads="$reads $rep"
done
nreads=$(tr ' ' '\n' <<<"$reads" | sort -u | grep -c .)
if [ "$nreads" -eq 3 ]; then pass "GET /targets round robin over 3 replicas:$reads"
else fail "GET /targets reached $nreads replicas:$reads"; fi
read -r code rep <<<"$(served_by GET "$FRONT/snmp")"
[ "$code" = 200 ] && pass "GET /snmp without target is passed to a ready replica (promsnmp answers it with 400)"

# 4. Stats page and Prometheus exporter.
if curl -sf -m 5 "$STATS/stats" | grep -q be_scrape; then pass "stats page $STATS/stats"
else fail "stats page"; fi
curl -sf -m 5 "$STATS/metrics" >"$WORK/hap.metrics" || fail "exporter $STATS/metrics"
if grep -q '^haproxy_backend_active_servers{proxy="be_scrape"} 3' "$WORK/hap.metrics" &&
   grep -q '^haproxy_backend_active_servers{proxy="be_write"} 1' "$WORK/hap.metrics"; then
  pass "exporter: haproxy_backend_active_servers be_scrape=3 be_write=1"
else
  fail "exporter metrics"; grep '^haproxy_backend_active_servers' "$WORK/hap.metrics"
fi

# Leadership moves to promsnmp-3: writes follow within be_write's downinter (500 ms). The time
# from the new leader's first /promsnmp/leader 200 to its first write through HAProxy is measured
# and printed, not asserted; the writes are tried every 50 ms, at most 200 times.
echo promsnmp-3 > "$WORK/leader"
moved_ns=$(date +%s%N); followed_ms=""
for _ in $(seq 1 200); do
  read -r code rep <<<"$(served_by POST "$FRONT/promsnmp/inventory")"
  if [ "$code" = 202 ] && [ "$rep" = promsnmp-3 ]; then
    followed_ms=$((($(date +%s%N) - moved_ns) / 1000000)); break
  fi
  sleep 0.05
done
if [ -n "$followed_ms" ]; then
  pass "leadership moved: the first write reached promsnmp-3 ${followed_ms} ms after it led (measured)"
else
  fail "leadership moved: no write reached promsnmp-3 in 200 tries"
fi
wait_for "be_write: only promsnmp-3 UP" write_backend_is promsnmp-3
check_writes promsnmp-3 && pass "leadership moved: writes now reach promsnmp-3"

# No leader (a failover in progress): a write gets a JSON 503 that says so, not HTML.
: > "$WORK/leader"
wait_for "be_write: no server UP" write_backend_is nobody
curl -s -m 10 -X POST -D "$WORK/noleader.head" -o "$WORK/noleader.body" "$FRONT/promsnmp/inventory" >/dev/null
if head -n 1 "$WORK/noleader.head" | grep -q ' 503' &&
   grep -qi '^content-type: application/json' "$WORK/noleader.head" &&
   grep -qi '^retry-after: ' "$WORK/noleader.head" &&
   python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if "no leader" in d["error"] and d["status"] == 503 else 1)' "$WORK/noleader.body"; then
  pass "no leader: POST /promsnmp/inventory -> 503 application/json, Retry-After, \"no leader\""
else
  fail "no leader: expected a JSON 503, got: $(head -n 1 "$WORK/noleader.head") $(head -c 200 "$WORK/noleader.body")"
fi
echo promsnmp-3 > "$WORK/leader"
wait_for "be_write: only promsnmp-3 UP again" write_backend_is promsnmp-3

# 5. A replica dies: no failed scrape, other targets keep their replica.
victim=${OWNER[dev-1.example.net]}
kill "${RPID[$victim]}"; wait "${RPID[$victim]}" 2>/dev/null
moved_ok=1; failed=0
for i in $(seq 1 24); do
  t="dev-$i.example.net"
  read -r code rep <<<"$(served_by GET "$FRONT/snmp?target=$t")"
  [ "$code" = 200 ] || { failed=$((failed + 1)); continue; }
  if [ "${OWNER[$t]}" != "$victim" ] && [ "$rep" != "${OWNER[$t]}" ]; then
    moved_ok=0; fail "$t moved from ${OWNER[$t]} to $rep although only $victim died"
  fi
done
[ "$failed" = 0 ] && pass "$victim killed: 24/24 scrapes still 200 (retry + redispatch)" ||
  fail "$failed scrapes failed after $victim died"
[ "$moved_ok" = 1 ] && pass "consistent hashing: only $victim's targets moved"

# 6. Graceful reload of the master.
kill -USR2 "$HAPID"
sleep 1
read -r code rep <<<"$(served_by GET "$FRONT/snmp?target=dev-2.example.net")"
if [ "$code" = 200 ] && kill -0 "$HAPID" 2>/dev/null; then pass "master-worker reload (SIGUSR2) keeps serving"
else fail "after reload: $code"; fi

echo
if [ "$FAILS" -eq 0 ]; then echo "haproxy_routing: all checks passed"; exit 0; fi
echo "haproxy_routing: $FAILS check(s) failed"; exit 1
