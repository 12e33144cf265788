#!/usr/bin/env bash
# Static checks of the site's observability and load-balancer configs:
#   haproxy/haproxy.cfg                 haproxy -c, with loopback variables (warnings = errors)
#                                       and with the compose defaults
#   etc/prometheus/prometheus.yml       promtool check config (also loads the rule files), and
#                                       again after the loopback sed rewrite of the addresses
#                                       and the password file; the promsnmp jobs (and their
#                                       HTTP SD) log in as user prometheus, the others do not
#   web config                          a web.yml with users prometheus and admin hashed by
#                                       `promsnmp hash-password` (BIN_DIR; else python3's crypt)
#                                       passes `promtool check web-config` and the hashes verify;
#                                       so does the one in kubernetes/secret.example.yaml;
#                                       HAProxy's health checks use only the open probe paths
#   etc/prometheus/rules/promsnmp.yml   promtool check rules; each rule file is in rule_files
#   etc/prometheus/rules/devices.yml    of prometheus.yml and has its <name>_test.yml
#   etc/prometheus/rules/*_test.yml     promtool test rules (each alert fires / stays quiet)
#   etc/grafana/promsnmp-dashboard.json valid JSON, schemaVersion >= 37, every panel on the
#   etc/grafana/device-health-dashboard.json  ${DS_PROMETHEUS} datasource, unique ids, no
#                                       overlapping panels, and every PromQL expression parses
#                                       (promtool check rules on a generated recording-rule file)
#   metric names                        every promsnmp_/elector_/cache_gets_ metric used in the
#                                       rules and the dashboards is emitted by promsnmp/elector;
#                                       every device:* series is recorded in devices.yml; every
#                                       MIB name (camelCase) in their expressions is a metric or
#                                       label of the module catalogue etc/modules/*.yml
#
#   tests/deploy/check_observability.sh [--bin-dir DIR]   (default build/bin; CTest passes it)
# Exit status: 0 when everything passed, 1 otherwise (77 = a tool is missing: skipped).
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT" || exit 1
BIN_DIR="$ROOT/build/bin"
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) BIN_DIR="$2"; shift 2 ;;
    --bin-dir=*) BIN_DIR="${1#*=}"; shift ;;
    *) echo "usage: $0 [--bin-dir DIR]" >&2; exit 2 ;;
  esac
done
for tool in haproxy promtool python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
WORK="$(mktemp -d /tmp/check-observability.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

FAILS=0
run() { # description command...
  local what="$1"; shift
  if "$@" >"$WORK/out" 2>&1; then
    echo "ok   - $what"
  else
    echo "FAIL - $what"; sed 's/^/       /' "$WORK/out"; FAILS=$((FAILS + 1))
  fi
}

# HAProxy: loopback values (must be clean), then the compose defaults (names need not resolve).
run "haproxy -c (loopback variables, -dW: warnings are errors)" \
  env HAPROXY_BIND=127.0.0.1:18080 HAPROXY_STATS_BIND=127.0.0.1:18404 \
      PROMSNMP_1=127.0.0.1:18081 PROMSNMP_2=127.0.0.1:18082 PROMSNMP_3=127.0.0.1:18083 \
      haproxy -dW -c -f haproxy/haproxy.cfg
run "haproxy -c (compose defaults: promsnmp-N:8080, :8080, :8404)" \
  env -u HAPROXY_BIND -u HAPROXY_STATS_BIND -u PROMSNMP_1 -u PROMSNMP_2 -u PROMSNMP_3 \
      haproxy -c -f haproxy/haproxy.cfg

# The paths promsnmp serves without credentials when a web config is set (the probes).
OPEN_PATHS="/-/healthy /-/ready /actuator/health/liveness /actuator/health/readiness"
OPEN_PATHS="$OPEN_PATHS /promsnmp/leader /promsnmp/elected"
check_haproxy_open_paths() {
  local uris uri bad=0
  uris=$(grep -E '^[[:space:]]*(http-check send|option httpchk)' haproxy/haproxy.cfg |
         grep -oE 'uri [^ ]+|httpchk( [A-Z]+)? /[^ ]*' | awk '{print $NF}')
  [ -n "$uris" ] || { echo "no health check URI found"; return 1; }
  for uri in $uris; do
    case " $OPEN_PATHS " in
      *" ${uri%%\?*} "*) echo "open: $uri" ;;
      *) echo "needs credentials: $uri (open: $OPEN_PATHS)"; bad=1 ;;
    esac
  done
  return $bad
}
run "haproxy health checks use only the open probe paths" check_haproxy_open_paths

# Prometheus.
run "promtool check config etc/prometheus/prometheus.yml" \
  promtool check config etc/prometheus/prometheus.yml
RULE_FILES="promsnmp devices"
for rules in $RULE_FILES; do
  run "promtool check rules etc/prometheus/rules/$rules.yml" \
    promtool check rules "etc/prometheus/rules/$rules.yml"
  run "promtool test rules etc/prometheus/rules/${rules}_test.yml" \
    promtool test rules "etc/prometheus/rules/${rules}_test.yml"
done
# Every rule file is checked above and loaded by prometheus.yml (listed by name, as rules/ also
# holds the unit tests).
check_rule_files_listed() {
  local f name listed bad=0
  listed=$(grep -oE '^  - rules/[a-z_]+\.yml$' etc/prometheus/prometheus.yml | sed 's#.*rules/##')
  for f in etc/prometheus/rules/*.yml; do
    name=$(basename "$f" .yml)
    case "$name" in *_test) continue ;; esac
    case " $RULE_FILES " in *" $name "*) ;; *) echo "$f: not in RULE_FILES here"; bad=1 ;; esac
    grep -qx "$name.yml" <<<"$listed" || { echo "$f: not in rule_files of prometheus.yml"; bad=1; }
  done
  return "$bad"
}
run "every rule file is tested here and listed in prometheus.yml rule_files" check_rule_files_listed

# The promsnmp jobs and their HTTP SD log in as "prometheus"; the elector and HAProxy jobs
# need no credentials.
check_prometheus_auth() {
  python3 - etc/prometheus/prometheus.yml <<'PY'
import re, sys
# No PyYAML needed: the file's layout (two-space indent, one key per line) is fixed.
jobs, job, errors = {}, None, []
for line in open(sys.argv[1]):
    m = re.match(r"  - job_name: (\S+)", line)
    if m:
        job = m.group(1); jobs[job] = {"basic_auth": 0, "sd_auth": 0, "user": [], "file": []}
        continue
    if job is None: continue
    if re.match(r"    basic_auth:", line): jobs[job]["basic_auth"] += 1
    if re.match(r"        basic_auth:", line): jobs[job]["sd_auth"] += 1
    m = re.match(r"\s+username: (\S+)", line)
    if m: jobs[job]["user"].append(m.group(1))
    m = re.match(r"\s+password_file: (\S+)", line)
    if m: jobs[job]["file"].append(m.group(1))
for name, want_sd in (("promsnmp-devices", 1), ("promsnmp", 0)):
    j = jobs.get(name)
    if not j: errors.append(f"job {name} missing"); continue
    if j["basic_auth"] != 1 or j["sd_auth"] != want_sd:
        errors.append(f"job {name}: basic_auth on the scrape and each http_sd_config expected")
    if set(j["user"]) != {"prometheus"} or len(set(j["file"])) != 1:
        errors.append(f"job {name}: not user prometheus with one password_file: {j}")
for name in ("promsnmp-elector", "haproxy"):
    if jobs.get(name, {}).get("basic_auth") or jobs.get(name, {}).get("sd_auth"):
        errors.append(f"job {name}: must not send credentials")
files = {f for j in jobs.values() for f in j["file"]}
print("password_file:", " ".join(sorted(files)))
for e in errors: print(e)
sys.exit(1 if errors else 0)
PY
}
run "prometheus.yml: promsnmp jobs and their HTTP SD log in as prometheus, elector/haproxy do not" \
  check_prometheus_auth

# The loopback site rewrites the compose addresses with sed, and the compose secret path of the
# password with its own file; every address must be on its own line so that works, and the
# result must still be a valid config.
PASSWORD_FILE=/run/secrets/promsnmp_password
loopback_rewrite() {
  mkdir -p "$WORK/prom/rules" "$WORK/secrets" && cp etc/prometheus/rules/*.yml "$WORK/prom/rules/" &&
  echo loopback-check >"$WORK/secrets/prometheus-password" &&
  grep -q "password_file: $PASSWORD_FILE\$" etc/prometheus/prometheus.yml &&
  sed -e 's/haproxy:8080/127.0.0.1:18080/' -e 's/haproxy:8404/127.0.0.1:18404/' \
      -e 's/promsnmp-\([0-9]\):8080/127.0.0.1:1808\1/' \
      -e 's/elector-\([0-9]\):9465/127.0.0.1:1946\1/' \
      -e "s#$PASSWORD_FILE#$WORK/secrets/prometheus-password#g" \
      etc/prometheus/prometheus.yml >"$WORK/prom/prometheus.yml" &&
  ! grep -nE 'haproxy:|promsnmp-[0-9]:|elector-[0-9]:|/run/secrets/' "$WORK/prom/prometheus.yml" &&
  [ "$(grep -cE '^ *- 127\.0\.0\.1:1(808[1-3]|946[1-3]|8404)$' "$WORK/prom/prometheus.yml")" -eq 7 ] &&
  promtool check config "$WORK/prom/prometheus.yml"
}
run "prometheus.yml after the loopback sed rewrite (7 '- host:port' lines, no compose names or secret paths left)" \
  loopback_rewrite

# Access control: promsnmp's web config is the Prometheus exporter-toolkit format. Hash two
# passwords with `promsnmp hash-password` (or python3's crypt when promsnmp is not built with
# it), write a web.yml, check it with promtool, and verify each hash against its password.
HASHER=""
if [ -x "$BIN_DIR/promsnmp" ] && "$BIN_DIR/promsnmp" hash-password --help >/dev/null 2>&1; then
  HASHER=promsnmp
elif /usr/bin/python3 -W ignore -c 'import crypt; assert crypt.METHOD_BLOWFISH' 2>/dev/null; then
  HASHER=python3
fi
hash_password() { # password on stdin -> bcrypt hash
  if [ "$HASHER" = promsnmp ]; then
    "$BIN_DIR/promsnmp" hash-password --cost 4
  else
    /usr/bin/python3 -W ignore -c 'import crypt, sys
print(crypt.crypt(sys.stdin.readline().rstrip("\n"), crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))'
  fi
}
check_web_config() {
  local user
  case "$HASHER" in
    promsnmp) echo "hashing with: $BIN_DIR/promsnmp hash-password" ;;
    python3) echo "note: $BIN_DIR/promsnmp has no hash-password (not built yet?); hashing with python3's crypt instead" ;;
    *) echo "neither $BIN_DIR/promsnmp hash-password nor python3's crypt (bcrypt) is available"; return 1 ;;
  esac
  mkdir -p "$WORK/web" &&
  printf 'prometheus-password\n' >"$WORK/web/prometheus-password" &&
  printf 'admin pass: with spaces\n' >"$WORK/web/admin-password" &&
  {
    echo "basic_auth_users:"
    for user in prometheus admin; do
      printf '  %s: %s\n' "$user" "$(hash_password <"$WORK/web/$user-password")" || return 1
    done
  } >"$WORK/web/web.yml" && cat "$WORK/web/web.yml" &&
  promtool check web-config "$WORK/web/web.yml" &&
  /usr/bin/python3 -W ignore - "$WORK/web" <<'PY'
import crypt, re, sys
d = sys.argv[1]
users = dict(re.findall(r"^  (\w+): (\S+)$", open(f"{d}/web.yml").read(), re.M))
for u in ("prometheus", "admin"):
    pw = open(f"{d}/{u}-password").readline().rstrip("\n")
    h = users.get(u, "")
    if not re.fullmatch(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}", h) or crypt.crypt(pw, h) != h:
        sys.exit(f"{u}: {h!r} is not the bcrypt hash of its password")
print("both hashes verify (bcrypt)")
PY
}
run "web config: users prometheus and admin hashed, promtool check web-config, hashes verify" \
  check_web_config
grep -h '^hashing with\|^note:' "$WORK/out" 2>/dev/null | sed 's/^/       /'
# The Kubernetes example Secret's web.yml has the toolkit's shape too. Its placeholders are
# deliberately not bcrypt (promsnmp refuses a copy applied by mistake), and promtool checks
# the hashes: substitute a real one first.
check_k8s_web_config() {
  local hash
  [ -n "$HASHER" ] || { echo "no bcrypt hasher (see above)"; return 1; }
  hash=$(echo placeholder | hash_password) &&
  python3 - kubernetes/secret.example.yaml "$WORK/k8s-web.yml" "$hash" <<'PY' &&
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"^  web\.yml: \|\n((?:    .*\n)+)", text, re.M)
if not m: sys.exit("no web.yml block in the example Secret")
web = "".join(l[4:] + "\n" for l in m.group(1).splitlines())
if not all(re.search(rf"^  {u}: FAKE-", web, re.M) for u in ("prometheus", "admin")):
    sys.exit("the example web.yml does not have users prometheus and admin with FAKE- placeholders")
open(sys.argv[2], "w").write(re.sub(r"FAKE-\S+", sys.argv[3], web))
PY
  promtool check web-config "$WORK/k8s-web.yml"
}
run "kubernetes/secret.example.yaml: web.yml (placeholders replaced by a hash) passes promtool check web-config" \
  check_k8s_web_config

# Grafana dashboards: structure, then every expression through promtool.
DASHBOARDS=(etc/grafana/promsnmp-dashboard.json etc/grafana/device-health-dashboard.json)
check_dashboard() { # dashboard.json
  local rules
  rules="$WORK/$(basename "$1" .json)_rules.yml"
  python3 - "$1" "$rules" <<'PY' &&
import json, re, sys
path, out = sys.argv[1], sys.argv[2]
d = json.load(open(path))
errors = []
if d.get("schemaVersion", 0) < 37:
    errors.append("schemaVersion %s < 37" % d.get("schemaVersion"))
names = [v.get("name") for v in d.get("templating", {}).get("list", [])]
if "DS_PROMETHEUS" not in names:
    errors.append("no DS_PROMETHEUS templating variable")
ds_var = [v for v in d["templating"]["list"] if v.get("name") == "DS_PROMETHEUS"]
if ds_var and (ds_var[0].get("type") != "datasource" or ds_var[0].get("query") != "prometheus"):
    errors.append("DS_PROMETHEUS is not a prometheus datasource variable")
panels, ids, exprs = [], set(), []
def walk(ps):
    for p in ps:
        panels.append(p)
        walk(p.get("panels", []))
walk(d.get("panels", []))
boxes = []
for p in panels:
    if p.get("id") in ids:
        errors.append("duplicate panel id %s" % p.get("id"))
    ids.add(p.get("id"))
    g = p.get("gridPos", {})
    if p.get("type") != "row":
        boxes.append((p.get("title"), g["x"], g["y"], g["w"], g["h"]))
        if g["x"] + g["w"] > 24:
            errors.append("panel %r wider than the grid" % p.get("title"))
        if p.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
            errors.append("panel %r does not use ${DS_PROMETHEUS}" % p.get("title"))
        if not p.get("targets"):
            errors.append("panel %r has no query" % p.get("title"))
    for t in p.get("targets", []):
        if t.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
            errors.append("a query of %r does not use ${DS_PROMETHEUS}" % p.get("title"))
        exprs.append((p.get("title"), t["expr"]))
for i, a in enumerate(boxes):
    for b in boxes[i + 1:]:
        if a[1] < b[1] + b[3] and b[1] < a[1] + a[3] and a[2] < b[2] + b[4] and b[2] < a[2] + a[4]:
            errors.append("panels %r and %r overlap" % (a[0], b[0]))
for v in d["templating"]["list"]:
    q = v.get("query")
    q = q.get("query", "") if isinstance(q, dict) else (q or "")
    m = re.match(r"\s*label_values\((.*),\s*[A-Za-z_]\w*\)\s*$", q)
    if v.get("type") == "query":
        if not m:
            errors.append("variable %s: unexpected query %r" % (v["name"], q))
        else:
            exprs.append(("variable " + v["name"], m.group(1)))
def grafana_to_promql(e):
    e = re.sub(r"\$__(rate_interval|interval|range)|\$\{__(rate_interval|interval|range)\}", "5m", e)
    return re.sub(r"\$\{?\w+\}?", ".+", e)
rules = [{"record": "dashboard_expr_%d" % i, "expr": grafana_to_promql(e)}
         for i, (_, e) in enumerate(exprs)]
json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(out, "w"), indent=1)
for e in errors:
    print("dashboard:", e)
print("dashboard: %d panels, %d expressions" % (len(panels), len(exprs)))
sys.exit(1 if errors else 0)
PY
  promtool check rules "$rules"
}
for dashboard in "${DASHBOARDS[@]}"; do
  run "$dashboard: JSON, datasource, layout, every PromQL expression parses" \
    check_dashboard "$dashboard"
  grep -h '^dashboard: [0-9]' "$WORK/out" 2>/dev/null | sed 's/^/       /'
done

# Metric names used by rules and dashboard exist in the sources (guards against renames).
check_metric_names() {
  local missing=0 name base
  for name in $(cat etc/prometheus/rules/promsnmp.yml etc/prometheus/rules/devices.yml "${DASHBOARDS[@]}" |
                grep -v '^ *#' | grep -oE '\b(promsnmp_[a-z_]+|elector_[a-z_]+|cache_gets_total)\b' |
                sort -u); do
    base=$(sed -E 's/_(bucket|sum|count)$//' <<<"$name")
    case "$name" in promsnmp_inventory_device_count) base=$name ;; esac
    if ! grep -rqs "\"$base\"" promsnmp/src elector/src; then
      case " $ANNOUNCED_METRICS " in
        *" $name "*) echo "note: $name is not emitted yet (announced; the dashboard copes)" ;;
        *) echo "not emitted by promsnmp/elector sources: $name"; missing=1 ;;
      esac
    fi
  done
  return $missing
}
# Metrics that rules or dashboards use before promsnmp emits them (each dropped from this list
# once emitted): none now.
ANNOUNCED_METRICS=""
if [ -d promsnmp/src ] && [ -d elector/src ]; then
  run "metric names in rules and dashboards exist in promsnmp/src and elector/src" check_metric_names
  grep -h '^note:' "$WORK/out" 2>/dev/null | sed 's/^/       /'
fi

# The device rules and dashboard are written against the module catalogue: every MIB object
# name in their expressions (camelCase: hrStorageUsed, ifName, entPhySensorType) must be a
# metric or label name there, and every device:* series they use must be recorded.
check_catalogue_names() { # modules dir
  python3 - "$1" etc/prometheus/rules/devices.yml "${DASHBOARDS[@]}" <<'PY'
import glob, json, re, sys
modules, rules_file, dashboards = sys.argv[1], sys.argv[2], sys.argv[3:]
defined = set()
for f in glob.glob(modules + "/*.yml"):
    defined |= set(re.findall(r"^\s*-?\s*(?:name|labelname): (\w+)\s*$", open(f).read(), re.M))
exprs, records = [], set()
text = open(rules_file).read()
# No PyYAML needed: each expr is a one-line value or a ">-" block indented below its key.
for m in re.finditer(r"^(\s*)(?:- )?(expr|record): (.*)\n((?:\1 .*\n|\s*\n)*)", text, re.M):
    if m.group(2) == "record":
        records.add(m.group(3).strip())
    else:
        exprs.append((rules_file, m.group(3) + "\n" + m.group(4)))
for path in dashboards:
    def walk(ps):
        for p in ps:
            for t in p.get("targets", []):
                exprs.append((path, t["expr"]))
            walk(p.get("panels", []))
    walk(json.load(open(path)).get("panels", []))
errors = set()
for where, e in exprs:
    e = re.sub(r'"[^"]*"', '""', e)  # label values (regexes, OIDs, "$1") are not names
    for name in re.findall(r"\b[a-z][a-z0-9]*[A-Z]\w*\b", e):
        if defined and name not in defined:
            errors.add(f"{where}: {name} is not a metric or label in {modules}/*.yml")
    for name in re.findall(r"\bdevice:[a-z_:]+", e):
        if name not in records:
            errors.add(f"{where}: {name} is not recorded in {rules_file}")
if not defined:
    print(f"note: no module catalogue ({modules}/*.yml): MIB names not checked")
print("\n".join(sorted(errors)) if errors else
      f"{len(exprs)} expressions, {len(records)} recorded series, {len(defined)} catalogue names: all found")
sys.exit(1 if errors else 0)
PY
}
run "device rules and dashboards: MIB names in the catalogue (etc/modules), device:* recorded" \
  check_catalogue_names etc/modules
grep -h '^note:\|^[0-9]* expressions' "$WORK/out" 2>/dev/null | sed 's/^/       /'

echo
if [ "$FAILS" -eq 0 ]; then echo "check_observability: all checks passed"; exit 0; fi
echo "check_observability: $FAILS check(s) failed"; exit 1
