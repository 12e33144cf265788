#!/usr/bin/env bash
# Static checks of the site's observability and load-balancer configs:
#   haproxy/haproxy.cfg                 haproxy -c, with loopback variables (warnings = errors)
#                                       and with the compose defaults
#   etc/prometheus/prometheus.yml       promtool check config (also loads the rule files), and
#                                       again after the loopback sed rewrite of the addresses
#   etc/prometheus/rules/promsnmp.yml   promtool check rules
#   etc/prometheus/rules/promsnmp_test.yml  promtool test rules (each alert fires / stays quiet)
#   etc/grafana/promsnmp-dashboard.json valid JSON, schemaVersion >= 37, every panel on the
#                                       ${DS_PROMETHEUS} datasource, unique ids, no overlapping
#                                       panels, and every PromQL expression parses (promtool
#                                       check rules on a generated recording-rule file)
#   metric names                        every promsnmp_/elector_/cache_gets_ metric used in the
#                                       rules and the dashboard is emitted by promsnmp/elector
# Exit status: 0 when everything passed, 1 otherwise (77 = a tool is missing: skipped).
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT" || exit 1
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

# Prometheus.
run "promtool check config etc/prometheus/prometheus.yml" \
  promtool check config etc/prometheus/prometheus.yml
run "promtool check rules etc/prometheus/rules/promsnmp.yml" \
  promtool check rules etc/prometheus/rules/promsnmp.yml
run "promtool test rules etc/prometheus/rules/promsnmp_test.yml" \
  promtool test rules etc/prometheus/rules/promsnmp_test.yml

# The loopback site rewrites the compose addresses with sed; every address must be on its
# own line so that works, and the result must still be a valid config.
loopback_rewrite() {
  mkdir -p "$WORK/prom/rules" && cp etc/prometheus/rules/*.yml "$WORK/prom/rules/" &&
  sed -e 's/haproxy:8080/127.0.0.1:18080/' -e 's/haproxy:8404/127.0.0.1:18404/' \
      -e 's/promsnmp-\([0-9]\):8080/127.0.0.1:1808\1/' \
      -e 's/elector-\([0-9]\):9465/127.0.0.1:1946\1/' \
      etc/prometheus/prometheus.yml >"$WORK/prom/prometheus.yml" &&
  ! grep -nE 'haproxy:|promsnmp-[0-9]:|elector-[0-9]:' "$WORK/prom/prometheus.yml" &&
  [ "$(grep -cE '^ *- 127\.0\.0\.1:1(808[1-3]|946[1-3]|8404)$' "$WORK/prom/prometheus.yml")" -eq 7 ] &&
  promtool check config "$WORK/prom/prometheus.yml"
}
run "prometheus.yml after the loopback sed rewrite (7 '- host:port' lines, no compose names left)" \
  loopback_rewrite

# Grafana dashboard: structure, then every expression through promtool.
check_dashboard() {
  python3 - etc/grafana/promsnmp-dashboard.json "$WORK/dashboard_rules.yml" <<'PY' &&
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
  promtool check rules "$WORK/dashboard_rules.yml"
}
run "etc/grafana/promsnmp-dashboard.json: JSON, datasource, layout, every PromQL expression parses" \
  check_dashboard
grep -h '^dashboard: [0-9]' "$WORK/out" 2>/dev/null | sed 's/^/       /'

# Metric names used by rules and dashboard exist in the sources (guards against renames).
check_metric_names() {
  local missing=0 name base
  for name in $(cat etc/prometheus/rules/promsnmp.yml etc/grafana/promsnmp-dashboard.json |
                grep -v '^ *#' | grep -oE '\b(promsnmp_[a-z_]+|elector_[a-z_]+|cache_gets_total)\b' |
                sort -u); do
    base=$(sed -E 's/_(bucket|sum|count)$//' <<<"$name")
    case "$name" in promsnmp_inventory_device_count) base=$name ;; esac
    if ! grep -rqs "\"$base\"" promsnmp/src elector/src; then
      echo "not emitted by promsnmp/elector sources: $name"; missing=1
    fi
  done
  return $missing
}
if [ -d promsnmp/src ] && [ -d elector/src ]; then
  run "metric names in rules and dashboard exist in promsnmp/src and elector/src" check_metric_names
fi

echo
if [ "$FAILS" -eq 0 ]; then echo "check_observability: all checks passed"; exit 0; fi
echo "check_observability: $FAILS check(s) failed"; exit 1
