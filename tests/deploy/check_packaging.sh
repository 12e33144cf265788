#!/usr/bin/env bash
# Static checks of the three deployment paths: compose/, systemd/, kubernetes/.
#
#   tests/deploy/check_packaging.sh [--bin-dir DIR]     run every check (CTest: deploy.packaging)
#   tests/deploy/check_packaging.sh --regen-k8s-rules   rewrite kubernetes/prometheusrule*.yaml
#                                                       from etc/prometheus/rules/{promsnmp,devices}.yml
#
# A check whose tool is missing is skipped with a message saying so; every other problem is a
# failure, and the script exits non-zero if any check failed. Nothing here needs a Docker
# engine, a running systemd or a Kubernetes cluster. Tools (Debian 12): docker-compose,
# systemd (systemd-analyze, systemd-sysusers, systemd-tmpfiles), python3 + python3-yaml,
# apt-cache; optional: kubectl (kustomize), hadolint.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN_DIR="$ROOT/build/bin"
MODE=check
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) BIN_DIR="$2"; shift 2 ;;
    --bin-dir=*) BIN_DIR="${1#*=}"; shift ;;
    --regen-k8s-rules) MODE=regen; shift ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--bin-dir DIR] [--regen-k8s-rules]" >&2; exit 2 ;;
  esac
done

# System python first: python3-yaml is a Debian package (a pyenv python may lack it).
PY=""
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import yaml' 2>/dev/null; then PY="$p"; break; fi
done

# Each rule file and the PrometheusRule generated from it: "object name:rules file:manifest".
K8S_RULES=(
  "promsnmp:$ROOT/etc/prometheus/rules/promsnmp.yml:$ROOT/kubernetes/prometheusrule.yaml"
  "promsnmp-devices:$ROOT/etc/prometheus/rules/devices.yml:$ROOT/kubernetes/prometheusrule-devices.yaml"
)
# Where every deployment puts the module catalogue (etc/modules/*.yml) and the default profiles
# (etc/profiles.yml), and the values of the two variables that name them (the first entry of
# each list; a site appends its own files).
export CATALOGUE_DIR=/etc/promsnmp/modules
export PROFILES_FILE=/etc/promsnmp/profiles.yml
export MODULES_ENV="$CATALOGUE_DIR/*.yml"
export PROFILES_ENV="$PROFILES_FILE"

regen_rules() { # object name, rules file, manifest
  "$PY" - "$1" "$2" "$3" <<'EOF'
import os, sys, yaml
name, src, dst = sys.argv[1], sys.argv[2], sys.argv[3]
groups = yaml.safe_load(open(src))["groups"]

class Dumper(yaml.SafeDumper):
    pass

def str_rep(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

Dumper.add_representer(str, str_rep)
doc = {
    "apiVersion": "monitoring.coreos.com/v1",
    "kind": "PrometheusRule",
    "metadata": {
        "name": name,
        "labels": {
            "app.kubernetes.io/name": "promsnmp",
            "app.kubernetes.io/part-of": "promsnmp",
            "release": "kube-prometheus-stack",
        },
    },
    "spec": {"groups": groups},
}
header = (
    f"# GENERATED from etc/prometheus/rules/{os.path.basename(src)} by\n"
    "#   tests/deploy/check_packaging.sh --regen-k8s-rules\n"
    "# Do not edit here: edit the rules file (checked with promtool) and regenerate;\n"
    "# tests/deploy/check_packaging.sh fails while the two differ.\n"
    "# The label \"release\" must match your Prometheus' ruleSelector. In Kubernetes the jobs are\n"
    "# the Service names (promsnmp, promsnmp-elector) and the ScrapeConfig's promsnmp-devices;\n"
    "# rules on the \"haproxy\" job stay silent unless you run HAProxy in front.\n"
)
with open(dst, "w") as f:
    f.write(header)
    yaml.dump(doc, f, Dumper=Dumper, sort_keys=False, width=100, allow_unicode=True)
print(f"wrote {dst} ({sum(len(g['rules']) for g in groups)} rules in {len(groups)} groups)")
EOF
}

if [ "$MODE" = regen ]; then
  [ -n "$PY" ] || { echo "python3 with yaml (python3-yaml) is needed" >&2; exit 1; }
  for rules in "${K8S_RULES[@]}"; do
    IFS=: read -r name src dst <<<"$rules"
    [ -f "$src" ] || { echo "missing $src" >&2; exit 1; }
    regen_rules "$name" "$src" "$dst" || exit 1
  done
  exit 0
fi

FAILED=0
SKIPPED=0
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

section() { printf '\n== %s\n' "$*"; }
ok() { printf '  ok    %s\n' "$*"; }
fail() { printf '  FAIL  %s\n' "$*"; FAILED=$((FAILED + 1)); }
skip() { printf '  SKIP  %s\n' "$*"; SKIPPED=$((SKIPPED + 1)); }
have() { command -v "$1" >/dev/null 2>&1; }
# Runs a command; ok if it exits 0 and (with quiet=1) prints nothing on stderr.
run_check() {
  local what="$1"; shift
  if "$@" >"$TMP/out" 2>"$TMP/err"; then
    ok "$what"
  else
    fail "$what"
    sed 's/^/        /' "$TMP/err" "$TMP/out" | head -40
  fi
}

[ -n "$PY" ] || echo "note: python3 with yaml (Debian: python3-yaml) not found; YAML checks are skipped"

###################################################################################################
section "compose: docker-compose config"
COMPOSE=()
if have docker-compose; then
  COMPOSE=(docker-compose)
elif have docker && docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
fi
CF="$ROOT/compose/docker-compose.yml"
NFS="$ROOT/compose/docker-compose.nfs.yml"
for f in "$CF" "$NFS" "$ROOT/compose/Dockerfile" "$ROOT/compose/.env.example"; do
  [ -f "$f" ] || fail "missing ${f#$ROOT/}"
done
if grep -qE '^version:' "$CF" "$NFS"; then
  fail "a compose file has a top-level version: key (obsolete)"
else
  ok "no top-level version: key"
fi
if [ ${#COMPOSE[@]} -eq 0 ]; then
  skip "compose config: neither docker-compose nor 'docker compose' is installed (Debian: docker-compose)"
else
  # .env.example as the env file: the example must work too, and a developer's compose/.env
  # cannot make the check pass or fail.
  ENVF=(--env-file "$ROOT/compose/.env.example")
  run_check "${COMPOSE[*]} config (docker-compose.yml)" \
    "${COMPOSE[@]}" "${ENVF[@]}" -f "$CF" config -q
  run_check "${COMPOSE[*]} config (docker-compose.yml + docker-compose.nfs.yml)" \
    "${COMPOSE[@]}" "${ENVF[@]}" -f "$CF" -f "$NFS" config -q
  run_check "${COMPOSE[*]} --profile monitoring --profile tools config" \
    "${COMPOSE[@]}" "${ENVF[@]}" --profile monitoring --profile tools -f "$CF" config -q
  # With the tools profile: the inventory service's environment is checked too.
  "${COMPOSE[@]}" "${ENVF[@]}" --profile tools -f "$CF" config >"$TMP/compose.yml" 2>/dev/null
  "${COMPOSE[@]}" "${ENVF[@]}" -f "$CF" -f "$NFS" config >"$TMP/compose-nfs.yml" 2>/dev/null
  if [ -n "$PY" ]; then
    run_check "compose topology (replicas, sidecars, volumes, secrets, web config, healthchecks, hardening)" \
      "$PY" - "$TMP/compose.yml" "$TMP/compose-nfs.yml" "$ROOT/etc/prometheus/prometheus.yml" <<'EOF'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
n = yaml.safe_load(open(sys.argv[2]))
prom = yaml.safe_load(open(sys.argv[3]))
S = c["services"]
errs = []
def e(m): errs.append(m)
# The paths promsnmp serves without credentials when a web config is set.
OPEN = {"/-/healthy", "/-/ready", "/actuator/health/liveness", "/actuator/health/readiness",
        "/promsnmp/leader"}
WEB_CONFIG = "/etc/promsnmp/web.yml"
def secret_paths(svc):
    # Where each granted secret appears in the container (compose: /run/secrets/<target>).
    out = {}
    for x in S[svc].get("secrets", []):
        x = {"source": x} if isinstance(x, str) else x
        t = x.get("target") or x["source"]
        out[t if t.startswith("/") else "/run/secrets/" + t] = x["source"]
    return out
def url_path(u):
    return "/" + u.split("://", 1)[-1].split("/", 1)[-1].split("?")[0] if "://" in u else u
def mounts(svc):
    out = {}
    for v in S[svc].get("volumes", []):
        if isinstance(v, str):
            parts = v.split(":")
            out[parts[1]] = parts[0]
        else:
            out[v["target"]] = v.get("source")
    return out
for svc in ("redis", "haproxy", "promsnmp-1", "promsnmp-2", "promsnmp-3",
            "elector-1", "elector-2", "elector-3", "prometheus"):
    if svc not in S:
        e(f"service {svc} missing")
if errs:
    print("\n".join(errs), file=sys.stderr); sys.exit(1)
if "appendonly" not in " ".join(map(str, S["redis"].get("command", []))):
    e("redis: appendonly not enabled")
if "redis-cli" not in " ".join(map(str, S["redis"].get("healthcheck", {}).get("test", []))):
    e("redis: healthcheck is not redis-cli ping")
sockets = set()
for i in (1, 2, 3):
    p, el = f"promsnmp-{i}", f"elector-{i}"
    mp, me = mounts(p), mounts(el)
    env_p, env_e = S[p].get("environment", {}), S[el].get("environment", {})
    if mp.get("/app/data") != "inventory":
        e(f"{p}: inventory volume not at /app/data")
    if not mp.get("/run/promsnmp") or mp.get("/run/promsnmp") != me.get("/run/promsnmp"):
        e(f"{p}/{el}: no shared socket volume at /run/promsnmp")
    sockets.add(mp.get("/run/promsnmp"))
    if env_p.get("PROMSNMP_ELECTOR_SOCKET") != env_e.get("ELECTOR_SOCKET") or \
       not str(env_p.get("PROMSNMP_ELECTOR_SOCKET", "")).startswith("/run/promsnmp/"):
        e(f"{p}/{el}: socket paths differ or are not on the shared volume")
    if mp.get("/var/lib/promsnmp") in (None, "inventory"):
        e(f"{p}: local state must be its own volume, never the share")
    if env_p.get("PROM_ENCRYPT_KEY_FILE", "").split("/")[-1] not in \
       [s["source"] for s in S[p].get("secrets", [])]:
        e(f"{p}: PROM_ENCRYPT_KEY_FILE does not name a granted secret")
    if "PROM_ENCRYPT_KEY" in env_p:
        e(f"{p}: the key must come from a secret file, not PROM_ENCRYPT_KEY")
    if env_e.get("REDIS_PASSWORD_FILE", "").split("/")[-1] not in \
       [s["source"] for s in S[el].get("secrets", [])]:
        e(f"{el}: REDIS_PASSWORD_FILE does not name a granted secret")
    hc = " ".join(S[p].get("healthcheck", {}).get("test", []))
    if "promsnmp healthcheck" not in hc or "/actuator/health/readiness" not in hc:
        e(f"{p}: healthcheck is not `promsnmp healthcheck` on the readiness group")
    for w in hc.split():
        if w.startswith("--url=") and url_path(w[6:]) not in OPEN:
            e(f"{p}: healthcheck path {url_path(w[6:])} needs credentials (open: {sorted(OPEN)})")
    # Access control: the web config mounted read-only (a secret) where the env var points.
    if env_p.get("PROMSNMP_WEB_CONFIG_FILE") != WEB_CONFIG:
        e(f"{p}: PROMSNMP_WEB_CONFIG_FILE is not {WEB_CONFIG}")
    src = secret_paths(p).get(WEB_CONFIG)
    if not src:
        e(f"{p}: no secret mounted at {WEB_CONFIG}")
    elif src not in c.get("secrets", {}):
        e(f"{p}: secret {src} not defined")
    if env_p.get("PROMSNMP_WEB_ADMIN_USERS") != "admin":
        e(f"{p}: PROMSNMP_WEB_ADMIN_USERS is not admin")
    if "curl" in hc or "wget" in hc:
        e(f"{p}: healthcheck needs curl/wget, which the image does not have")
    for svc in (p, el):
        s = S[svc]
        if not s.get("read_only"): e(f"{svc}: root file system not read-only")
        if str(s.get("user", "0")).split(":")[0] in ("0", "root", ""): e(f"{svc}: runs as root")
        if "stop_grace_period" not in s: e(f"{svc}: no stop_grace_period")
        if s.get("restart") not in ("unless-stopped", "always", "on-failure"):
            e(f"{svc}: no restart policy")
        if "ALL" not in s.get("cap_drop", []): e(f"{svc}: capabilities not dropped")
if len(sockets) != 3:
    e("each replica needs its own socket volume")
# The catalogue and the profiles the image carries, named by both lists (the CLI's too).
import os
for svc in ("promsnmp-1", "promsnmp-2", "promsnmp-3", "inventory"):
    if svc not in S: e(f"service {svc} missing"); continue
    env = S[svc].get("environment", {})
    for var, want in (("PROMSNMP_MODULES_FILES", os.environ["MODULES_ENV"]),
                      ("PROMSNMP_PROFILES_FILES", os.environ["PROFILES_ENV"])):
        first = str(env.get(var, "")).split(",")[0].strip()
        if first != want: e(f"{svc}: {var} does not start with {want} (is {env.get(var)!r})")
    for target in mounts(svc):
        if target.rstrip("/") in ("/etc/promsnmp", os.environ["CATALOGUE_DIR"], os.environ["PROFILES_FILE"]):
            e(f"{svc}: a mount at {target} hides the image's catalogue or profiles")
hap = S["haproxy"]
if not str(hap.get("image", "")).startswith("haproxy:2.6"):
    e("haproxy: image is not haproxy:2.6")
if "/usr/local/etc/haproxy/haproxy.cfg" not in mounts("haproxy"):
    e("haproxy: ../haproxy/haproxy.cfg not mounted")
for k in ("HAPROXY_BIND", "HAPROXY_STATS_BIND", "PROMSNMP_1", "PROMSNMP_2", "PROMSNMP_3"):
    if k not in hap.get("environment", {}):
        e(f"haproxy: {k} not set")
for dep, cond in hap.get("depends_on", {}).items():
    if cond.get("condition") == "service_healthy":
        e(f"haproxy: must not wait for {dep} to be healthy (one sick replica blocks the LB)")
if "monitoring" not in S["prometheus"].get("profiles", []):
    e("prometheus: not in profile monitoring")
if "/etc/prometheus" not in mounts("prometheus"):
    e("prometheus: ../etc/prometheus not mounted")
# Prometheus logs in to promsnmp as "prometheus" with a password file it is granted.
granted = secret_paths("prometheus")
for job in prom.get("scrape_configs", []):
    if job["job_name"] not in ("promsnmp-devices", "promsnmp"):
        continue
    for where, cfg in [(job["job_name"], job)] + [
            (f"{job['job_name']} http_sd {sd.get('url')}", sd) for sd in job.get("http_sd_configs", [])]:
        ba = cfg.get("basic_auth") or {}
        if ba.get("username") != "prometheus":
            e(f"prometheus.yml {where}: no basic_auth as user prometheus")
        elif ba.get("password_file") not in granted:
            e(f"prometheus.yml {where}: password_file {ba.get('password_file')} is not a secret "
              f"of the prometheus service ({sorted(granted)})")
for s in ("encrypt_key", "redis_password", "web_config", "promsnmp_password"):
    if s not in c.get("secrets", {}):
        e(f"secret {s} missing")
if c["volumes"].get("inventory", {}).get("driver_opts"):
    e("inventory: the default volume must be local (NFS only in the override)")
o = n["volumes"]["inventory"].get("driver_opts", {})
opts = o.get("o", "").split(",")
if o.get("type") not in ("nfs", "nfs4"): e("nfs override: type is not nfs")
if "nfsvers=4.1" not in opts: e("nfs override: nfsvers=4.1 missing")
if "hard" not in opts: e("nfs override: hard missing")
if "nolock" in opts: e("nfs override: must not use nolock")
if not any(x.startswith("addr=") for x in opts): e("nfs override: addr= missing")
if errs:
    print("\n".join(errs), file=sys.stderr); sys.exit(1)
print("compose topology ok")
EOF
  else
    skip "compose topology: python3-yaml missing"
  fi
fi

###################################################################################################
section "compose: Dockerfile"
DF="$ROOT/compose/Dockerfile"
if have hadolint; then
  run_check "hadolint compose/Dockerfile" hadolint --ignore DL3008 "$DF"
else
  skip "hadolint not installed (not packaged in Debian 12): static checks below instead"
fi
if [ -n "$PY" ]; then
  "$PY" - "$DF" "$TMP" <<'EOF'
import re, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
stage = None
pk = {"build": [], "runtime": []}
copies = []
pairs = []
for line in text.splitlines():
    line = line.strip()
    m = re.match(r"FROM\s+\S+\s+AS\s+(\S+)", line, re.I)
    if m: stage = m.group(1); continue
    if line.startswith("RUN") and "apt-get install" in line:
        seg = line.split("apt-get install", 1)[1].split("&&")[0]
        pk.setdefault(stage, []).extend(w for w in seg.split() if not w.startswith("-"))
    m = re.match(r"COPY\s+(?!--from)(.*)", line)
    if m:
        copies.extend(m.group(1).split()[:-1])
        if stage == "runtime":
            pairs.append(m.group(1).split())
for s in ("build", "runtime"):
    open(f"{sys.argv[2]}/pkgs-{s}", "w").write("\n".join(pk.get(s, [])) + "\n")
open(f"{sys.argv[2]}/copies", "w").write("\n".join(copies) + "\n")
open(f"{sys.argv[2]}/copies-runtime", "w").write("".join("\t".join(p) + "\n" for p in pairs))
EOF
  for stage in build runtime; do
    n=$(grep -c . "$TMP/pkgs-$stage")
    if [ "$n" -eq 0 ]; then fail "Dockerfile: no apt-get install found in stage $stage"; continue; fi
    if have apt-cache; then
      missing=()
      while read -r p; do
        [ -n "$p" ] || continue
        apt-cache show --no-all-versions "$p" >/dev/null 2>&1 || missing+=("$p")
      done <"$TMP/pkgs-$stage"
      if [ ${#missing[@]} -eq 0 ]; then
        ok "Dockerfile stage $stage: all $n packages exist (apt-cache show)"
      else
        fail "Dockerfile stage $stage: unknown packages: ${missing[*]}"
      fi
    else
      skip "Dockerfile stage $stage: apt-cache missing, package names not checked"
    fi
  done
  before=$FAILED
  while read -r src; do
    [ -n "$src" ] || continue
    [ "$src" = . ] && continue
    # A source may be a glob (etc/modules/*.yml): it must match something.
    compgen -G "$ROOT/$src" >/dev/null || fail "Dockerfile: COPY source $src does not exist"
  done <"$TMP/copies"
  [ "$FAILED" -eq "$before" ] && ok "Dockerfile: COPY sources exist"
  for t in promsnmp-bin elector-bin promsnmp-inventory; do
    grep -rqs "add_executable($t " "$ROOT"/*/CMakeLists.txt || fail "Dockerfile: CMake target $t not found"
  done
  grep -q '^USER 10001' "$DF" && ok "Dockerfile: runs as UID 10001" || fail "Dockerfile: USER 10001 missing"
  run_check "Dockerfile: every file of etc/modules/ in $CATALOGUE_DIR/, etc/profiles.yml at $PROFILES_FILE" \
    "$PY" - "$ROOT" "$TMP/copies-runtime" <<'EOF'
import glob, os, sys
root, pairs = sys.argv[1], [l.rstrip("\n").split("\t") for l in open(sys.argv[2]) if l.strip()]
# Image path -> repository file, from the runtime stage's COPY lines (Docker's rules: several
# sources, a glob or a destination ending in / copy into the destination directory).
image = {}
for p in pairs:
    srcs, dest = p[:-1], p[-1]
    files = [f for s in srcs for f in sorted(glob.glob(os.path.join(root, s)))]
    into = dest.endswith("/") or len(srcs) > 1 or any(set(s) & set("*?[") for s in srcs)
    for f in files:
        if os.path.isdir(f): continue
        image[os.path.join(dest, os.path.basename(f)) if into else dest] = os.path.relpath(f, root)
errs = []
want = {os.path.join(os.environ["CATALOGUE_DIR"], f): f"etc/modules/{f}"
        for f in sorted(os.listdir(os.path.join(root, "etc/modules")))}
if not want: errs.append("etc/modules/ is empty")
want[os.environ["PROFILES_FILE"]] = "etc/profiles.yml"
for path, src in want.items():
    if image.get(path) != src:
        errs.append(f"{src} is not copied to {path} (that path gets {image.get(path)})")
if errs: print("\n".join(errs), file=sys.stderr); sys.exit(1)
print(f"{len(want)} files")
EOF
  # Every shared library the built binaries load must come with the runtime packages (or
  # their dependencies, or the base image's essential libraries).
  if [ -x "$BIN_DIR/promsnmp" ] && [ -x "$BIN_DIR/elector" ] && have dpkg && have apt-cache; then
    needed=$(ldd "$BIN_DIR/promsnmp" "$BIN_DIR/elector" "$BIN_DIR/promsnmp-inventory" 2>/dev/null |
      awk '/=>/ {print $3}' | sort -u | while read -r lib; do
        dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null
      done | cut -d: -f1 | sort -u)
    # shellcheck disable=SC2046
    apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances $(cat "$TMP/pkgs-runtime") 2>/dev/null |
      grep -v '^ ' | sed 's/^<\(.*\)>$/\1/' | sort -u >"$TMP/closure"
    missing=()
    for p in $needed; do
      case "$p" in libc6 | libgcc-s1 | libstdc++6) continue ;; esac
      grep -qx "$p" "$TMP/closure" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
      ok "Dockerfile runtime stage provides every library of the built binaries: $(echo $needed | tr '\n' ' ')"
    else
      fail "Dockerfile runtime stage lacks packages for: ${missing[*]}"
    fi
  else
    skip "Dockerfile vs ldd: binaries not built in $BIN_DIR (or no dpkg/apt-cache)"
  fi
else
  skip "Dockerfile static checks: python3-yaml missing"
fi

###################################################################################################
section "catalogue: etc/modules/*.yml and etc/profiles.yml"
# What the three deployments ship must agree with itself: every module a profile names is a
# module of the catalogue (else devices of that profile poll nothing for it).
if [ -n "$PY" ]; then
  run_check "every module of etc/profiles.yml (modules, optional_modules) is defined in etc/modules/" \
    "$PY" - "$ROOT/etc/modules" "$ROOT/etc/profiles.yml" <<'EOF'
import os, sys, yaml
mdir, pfile = sys.argv[1], sys.argv[2]
errs = []
defined = {}
for f in sorted(os.listdir(mdir)):
    path = os.path.join(mdir, f)
    if not f.endswith((".yml", ".yaml")):
        errs.append(f"etc/modules/{f}: not a .yml file (the deployments load *.yml)"); continue
    try:
        doc = yaml.safe_load(open(path)) or {}
    except yaml.YAMLError as x:
        errs.append(f"etc/modules/{f}: {x}"); continue
    # snmp_exporter's formats: modules under "modules:" (with "auths:"), or at the top level.
    mods = doc["modules"] if isinstance(doc.get("modules"), dict) else \
        {k: v for k, v in doc.items() if k not in ("auths", "modules")}
    for m in mods:
        if m in defined: errs.append(f"module {m}: defined in etc/modules/{defined[m]} and {f}")
        defined.setdefault(m, f)
if not defined: errs.append("etc/modules/ defines no module")
try:
    prof = yaml.safe_load(open(pfile)) or {}
except yaml.YAMLError as x:
    print(f"etc/profiles.yml: {x}", file=sys.stderr); sys.exit(1)
entries = [(f"profile {p.get('name')}", p) for p in prof.get("profiles") or []]
if prof.get("generic") is not None: entries.append(("generic", prof["generic"]))
if not entries: errs.append("etc/profiles.yml has no profile")
named = 0
for where, p in entries:
    for key in ("modules", "optional_modules"):
        names = p.get(key) or []
        names = [names] if isinstance(names, str) else names
        for m in names:
            named += 1
            if m not in defined:
                errs.append(f"etc/profiles.yml {where}: {key} names {m}, which no file of etc/modules/ defines")
if errs: print("\n".join(errs), file=sys.stderr); sys.exit(1)
print(f"{len(entries)} profiles, {named} module names, {len(defined)} modules")
EOF
else
  skip "catalogue vs profiles: python3-yaml missing"
fi
# The files load in the real binaries, named the way the deployments name them.
if [ -x "$BIN_DIR/promsnmp" ]; then
  run_check "promsnmp --config.check with PROMSNMP_MODULES_FILES=etc/modules/*.yml, PROMSNMP_PROFILES_FILES=etc/profiles.yml" \
    env -i PATH=/usr/bin:/bin PROM_ENCRYPT_KEY=check-only PROMSNMP_MODULES_FILES="$ROOT/etc/modules/*.yml" \
    PROMSNMP_PROFILES_FILES="$ROOT/etc/profiles.yml" "$BIN_DIR/promsnmp" --config.check \
    --config.file="$ROOT/etc/promsnmp.cfg"
  if grep -q "module files: [1-9]" "$TMP/out"; then
    ok "promsnmp --config.check loads the catalogue: $(grep -o 'module files: .*' "$TMP/out")"
  else
    fail "promsnmp --config.check did not report the catalogue's modules"
  fi
else
  skip "catalogue in promsnmp: $BIN_DIR/promsnmp not built"
fi
if [ -x "$BIN_DIR/promsnmp-inventory" ]; then
  run_check "promsnmp-inventory classify reads etc/profiles.yml (PROMSNMP_PROFILES_FILES)" \
    env -i PATH=/usr/bin:/bin PROMSNMP_PROFILES_FILES="$ROOT/etc/profiles.yml" \
    "$BIN_DIR/promsnmp-inventory" classify --sys-object-id 1.3.6.1.4.1.8072.3.2.10
else
  skip "profiles in promsnmp-inventory: $BIN_DIR/promsnmp-inventory not built"
fi

###################################################################################################
section "systemd: systemd-analyze verify"
SD="$ROOT/systemd"
for f in promsnmp@.service promsnmp-elector@.service promsnmp.target sysusers.d/promsnmp.conf \
  tmpfiles.d/promsnmp.conf default/promsnmp.example; do
  [ -f "$SD/$f" ] || fail "missing systemd/$f"
done
# Access control: the environment file names the web config and the admin user.
if grep -qx 'PROMSNMP_WEB_CONFIG_FILE=/etc/promsnmp/web.yml' "$SD/default/promsnmp.example" &&
   grep -qx 'PROMSNMP_WEB_ADMIN_USERS=admin' "$SD/default/promsnmp.example"; then
  ok "default/promsnmp.example: PROMSNMP_WEB_CONFIG_FILE=/etc/promsnmp/web.yml, PROMSNMP_WEB_ADMIN_USERS=admin"
else
  fail "default/promsnmp.example does not set PROMSNMP_WEB_CONFIG_FILE=/etc/promsnmp/web.yml and PROMSNMP_WEB_ADMIN_USERS=admin"
fi
# The catalogue and the profiles: the example names the install paths, the unit documents them.
if grep -qxF "PROMSNMP_MODULES_FILES=$MODULES_ENV" "$SD/default/promsnmp.example" &&
   grep -qxF "PROMSNMP_PROFILES_FILES=$PROFILES_ENV" "$SD/default/promsnmp.example" &&
   grep -qF "$CATALOGUE_DIR/" "$SD/promsnmp@.service" && grep -qF "$PROFILES_FILE" "$SD/promsnmp@.service"; then
  ok "default/promsnmp.example: PROMSNMP_MODULES_FILES=$MODULES_ENV, PROMSNMP_PROFILES_FILES=$PROFILES_ENV (documented in promsnmp@.service)"
else
  fail "default/promsnmp.example does not set PROMSNMP_MODULES_FILES=$MODULES_ENV and PROMSNMP_PROFILES_FILES=$PROFILES_ENV, or promsnmp@.service does not list them"
fi
if ! have systemd-analyze; then
  skip "systemd-analyze not installed (Debian: systemd)"
else
  # systemd-analyze verify checks that every Exec*= binary exists, and the units name
  # /usr/bin/promsnmp and /usr/bin/elector, which are not installed here. So the units are
  # verified from a copy whose only change is those two paths, pointed at the built binaries
  # (or /bin/true when not built); everything else is verified as shipped. It reports problems
  # as warnings with exit status 0, so any output at all counts as a failure.
  U="$TMP/units"; mkdir -p "$U"
  cp "$SD/promsnmp@.service" "$SD/promsnmp-elector@.service" "$SD/promsnmp.target" "$U/"
  P="$BIN_DIR/promsnmp"; E="$BIN_DIR/elector"
  [ -x "$P" ] || P=/bin/true
  [ -x "$E" ] || E=/bin/true
  sed -i "s#/usr/bin/promsnmp#$P#g; s#/usr/bin/elector#$E#g" "$U"/*.service
  if (cd "$U" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no \
      ./promsnmp@a.service ./promsnmp-elector@a.service ./promsnmp.target) >"$TMP/sdv" 2>&1 &&
     [ ! -s "$TMP/sdv" ]; then
    ok "systemd-analyze verify promsnmp@a.service promsnmp-elector@a.service promsnmp.target (binaries: $P, $E)"
  else
    fail "systemd-analyze verify"
    sed 's/^/        /' "$TMP/sdv"
  fi
  if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
    for u in promsnmp@a.service promsnmp-elector@a.service; do
      # --threshold is in tenths of the displayed exposure level (30 = 3.0).
      if (cd "$U" && systemd-analyze security --offline=yes --threshold=30 --no-pager "./$u") \
        >"$TMP/sec" 2>&1; then
        ok "systemd-analyze security $u: $(grep -o 'Overall exposure level.*' "$TMP/sec" | head -1)"
      else
        fail "systemd-analyze security $u (overall exposure above 3.0)"
        tail -5 "$TMP/sec" | sed 's/^/        /'
      fi
    done
  else
    skip "systemd-analyze security --offline not supported (systemd < 250)"
  fi
  # The unit's settings the brief and the collector depend on.
  cred=$(sed -n 's/.*kCredentialName\[\] = "\(.*\)";/\1/p' "$ROOT/inventoryfs/src/Keyring.cpp")
  if [ -n "$cred" ] && grep -q "^LoadCredential=$cred:" "$SD/promsnmp@.service"; then
    ok "LoadCredential name matches Keyring.cpp ($cred)"
  else
    fail "LoadCredential= in promsnmp@.service does not use the credential name '$cred' of Keyring.cpp"
  fi
  before=$FAILED
  for kv in Type=notify WatchdogSec= Restart=on-failure RestartPreventExitStatus=78 \
    ProtectSystem=strict NoNewPrivileges=yes 'CapabilityBoundingSet=$' User=promsnmp \
    'ExecStartPre=/usr/bin/promsnmp --config.check' StateDirectory=promsnmp/%i ReadWritePaths=; do
    grep -q "^$kv" "$SD/promsnmp@.service" || fail "promsnmp@.service: no $kv"
  done
  for kv in BindsTo=promsnmp@%i.service PartOf=promsnmp@%i.service 'After=promsnmp@%i.service' \
    RuntimeDirectory=promsnmp-%i; do
    grep -q "^$kv" "$SD/promsnmp-elector@.service" || fail "promsnmp-elector@.service: no $kv"
  done
  grep -q '^DynamicUser=yes' "$SD"/*.service && fail "DynamicUser=yes breaks ownership on NFS"
  [ "$FAILED" -eq "$before" ] && ok "unit settings (notify, watchdog, restart, hardening, static user, binding)"
  # The socket paths of the pair agree.
  s1=$(sed -n 's/^Environment=PROMSNMP_ELECTOR_SOCKET=//p' "$SD/promsnmp@.service")
  s2=$(sed -n 's/^Environment=ELECTOR_SOCKET=//p' "$SD/promsnmp-elector@.service")
  rd=$(sed -n 's/^RuntimeDirectory=//p' "$SD/promsnmp-elector@.service")
  if [ -n "$s1" ] && [ "$s1" = "$s2" ] && [ "$(dirname "$s1")" = "/run/$rd" ]; then
    ok "socket path $s1 is the same in both units and inside RuntimeDirectory"
  else
    fail "socket paths differ: collector '$s1', elector '$s2', RuntimeDirectory '$rd'"
  fi
fi
if have systemd-sysusers && have systemd-tmpfiles; then
  R="$TMP/root"; mkdir -p "$R/etc"
  run_check "systemd-sysusers (into a scratch root) sysusers.d/promsnmp.conf" \
    systemd-sysusers --root="$R" "$SD/sysusers.d/promsnmp.conf"
  if grep -q '^promsnmp:x:10001:10001:' "$R/etc/passwd" 2>/dev/null; then
    ok "sysusers creates promsnmp with UID/GID 10001"
  else
    fail "sysusers did not create promsnmp:10001"
  fi
  run_check "systemd-tmpfiles --create (into the scratch root) tmpfiles.d/promsnmp.conf" \
    systemd-tmpfiles --root="$R" --create "$SD/tmpfiles.d/promsnmp.conf"
else
  skip "systemd-sysusers/systemd-tmpfiles not installed (Debian: systemd)"
fi

###################################################################################################
section "kubernetes"
K="$ROOT/kubernetes"
if have kubectl && kubectl config current-context >/dev/null 2>&1; then
  run_check "kubectl apply --dry-run=client --validate=false -k kubernetes/" \
    kubectl apply --dry-run=client --validate=false -k "$K"
else
  skip "kubectl apply --dry-run: no kubectl or no cluster configured (it needs API discovery); kustomize + YAML checks instead"
fi
RENDERED=""
if have kubectl; then
  if kubectl kustomize "$K" >"$TMP/k8s.yaml" 2>"$TMP/err"; then
    ok "kubectl kustomize kubernetes/ ($(grep -c '^kind:' "$TMP/k8s.yaml") objects)"
    RENDERED="$TMP/k8s.yaml"
  else
    fail "kubectl kustomize kubernetes/"; sed 's/^/        /' "$TMP/err"
  fi
else
  skip "kubectl not installed: kustomization.yaml resources are resolved by the YAML check"
fi
if [ -n "$PY" ]; then
  run_check "kubernetes YAML: every document, references, probes, mounts, web config, security, rules in sync" \
    "$PY" - "$K" "$RENDERED" "${K8S_RULES[@]}" <<'EOF'
import os, sys, yaml
kdir, rendered, rule_manifests = sys.argv[1], sys.argv[2], sys.argv[3:]
errs = []
def e(m): errs.append(m)
# Every file parses, every document has apiVersion/kind/metadata.name.
docs_by_file = {}
for f in sorted(os.listdir(kdir)):
    if not f.endswith((".yaml", ".yml")): continue
    try:
        docs = [d for d in yaml.safe_load_all(open(os.path.join(kdir, f))) if d is not None]
    except yaml.YAMLError as x:
        e(f"{f}: {x}"); continue
    for d in docs:
        if f == "kustomization.yaml": continue
        for k in ("apiVersion", "kind"):
            if not d.get(k): e(f"{f}: a document without {k}")
        if not (d.get("metadata") or {}).get("name"): e(f"{f}: a {d.get('kind')} without metadata.name")
    docs_by_file[f] = docs
kust = docs_by_file.get("kustomization.yaml", [{}])[0]
def generated(d):
    """The ConfigMaps of the configMapGenerator of the kustomization in d (unhashed names)."""
    sub = yaml.safe_load(open(os.path.join(d, "kustomization.yaml"))) or {}
    out = []
    for g in sub.get("configMapGenerator", []):
        data = {}
        for spec in g.get("files", []):
            key, _, path = spec.rpartition("=") if "=" in spec else (os.path.basename(spec), "", spec)
            data[key] = open(os.path.join(d, path)).read()
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": g["name"]}, "data": data})
    return out
for r in kust.get("resources", []):
    rd = os.path.join(kdir, r)
    if os.path.isfile(os.path.join(rd, "kustomization.yaml")):
        try:
            docs_by_file[r] = generated(rd)
        except (OSError, yaml.YAMLError) as x:
            e(f"kustomization.yaml: resource {r}: {x}")
    elif r not in docs_by_file: e(f"kustomization.yaml: resource {r} does not exist")
if "secret.example.yaml" in kust.get("resources", []):
    e("kustomization.yaml must not deploy the example Secret")
if rendered:
    objs = [d for d in yaml.safe_load_all(open(rendered)) if d]
else:
    objs = [d for r in kust.get("resources", []) for d in docs_by_file.get(r, [])]
ns = kust.get("namespace")
by = {}
for o in objs:
    by.setdefault(o["kind"], {})[o["metadata"]["name"]] = o
    if rendered and o["kind"] != "Namespace" and o["metadata"].get("namespace") != ns:
        e(f"{o['kind']}/{o['metadata']['name']}: not in namespace {ns}")
for kind in ("Namespace", "ConfigMap", "PersistentVolumeClaim", "Deployment", "Service",
             "PodDisruptionBudget", "ServiceAccount", "Role", "RoleBinding", "ServiceMonitor",
             "PrometheusRule"):
    if kind not in by: e(f"no {kind}")
if errs: print("\n".join(errs), file=sys.stderr); sys.exit(1)
secret = docs_by_file["secret.example.yaml"][0]
secret_keys = set((secret.get("stringData") or {}) | (secret.get("data") or {}))
# Every Secret of the example, name -> {key: value} (stringData only).
example_secrets = {d["metadata"]["name"]: dict(d.get("stringData") or {}) | dict(d.get("data") or {})
                   for d in docs_by_file["secret.example.yaml"] if d.get("kind") == "Secret"}
# The paths promsnmp serves without credentials when a web config is set.
OPEN = {"/-/healthy", "/-/ready", "/actuator/health/liveness", "/actuator/health/readiness",
        "/promsnmp/leader"}
WEB_CONFIG = "/etc/promsnmp/web.yml"

def matches(sel, labels):
    return sel and all(labels.get(k) == v for k, v in sel.items())

dep = by["Deployment"]["promsnmp"]
spec = dep["spec"]; pod = spec["template"]["spec"]; plabels = spec["template"]["metadata"]["labels"]
if spec.get("replicas") != 3: e("Deployment: replicas is not 3")
if not matches(spec["selector"]["matchLabels"], plabels): e("Deployment: selector does not match the pod labels")
psc = pod.get("securityContext", {})
if not psc.get("runAsNonRoot"): e("pod: runAsNonRoot not set")
if (psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault": e("pod: seccompProfile is not RuntimeDefault")
if not pod.get("topologySpreadConstraints"): e("pod: no topologySpreadConstraints")
if not pod.get("terminationGracePeriodSeconds"): e("pod: no terminationGracePeriodSeconds")
if pod.get("serviceAccountName") not in by["ServiceAccount"]: e("pod: serviceAccountName is not a ServiceAccount here")
vols = {v["name"]: v for v in pod.get("volumes", [])}
for v in vols.values():
    if "configMap" in v and v["configMap"]["name"] not in by["ConfigMap"]:
        e(f"volume {v['name']}: ConfigMap {v['configMap']['name']} not defined")
    if "persistentVolumeClaim" in v:
        pvc = by["PersistentVolumeClaim"].get(v["persistentVolumeClaim"]["claimName"])
        if not pvc: e(f"volume {v['name']}: PVC not defined")
        elif "ReadWriteMany" not in pvc["spec"]["accessModes"]: e("the inventory PVC is not ReadWriteMany")
    if "secret" in v:
        if v["secret"]["secretName"] != secret["metadata"]["name"]:
            e(f"volume {v['name']}: Secret name differs from secret.example.yaml")
        for it in v["secret"].get("items", []):
            if it["key"] not in secret_keys: e(f"volume {v['name']}: key {it['key']} not in the example Secret")
    for src in (v.get("projected") or {}).get("sources", []):
        if "configMap" in src:
            cmo = by["ConfigMap"].get(src["configMap"]["name"])
            if not cmo: e(f"volume {v['name']}: ConfigMap {src['configMap']['name']} not defined"); continue
            for it in src["configMap"].get("items", []):
                if it["key"] not in cmo.get("data", {}): e(f"volume {v['name']}: key {it['key']} not in ConfigMap")
        if "secret" in src:
            sk = example_secrets.get(src["secret"]["name"])
            if sk is None: e(f"volume {v['name']}: Secret {src['secret']['name']} not in secret.example.yaml"); continue
            for it in src["secret"].get("items", []):
                if it["key"] not in sk: e(f"volume {v['name']}: key {it['key']} not in Secret {src['secret']['name']}")
def files_in(c, path):
    """(kind, object name, key) that provides the file `path` in container c, or None."""
    for m in c.get("volumeMounts", []):
        v = vols.get(m["name"], {})
        if m["mountPath"] == path and m.get("subPath"):
            name = m["subPath"]
        elif path.startswith(m["mountPath"].rstrip("/") + "/") and not m.get("subPath"):
            name = path[len(m["mountPath"].rstrip("/")) + 1:]
        else:
            continue
        srcs = [("configMap", v["configMap"])] if "configMap" in v else \
               [("secret", v["secret"])] if "secret" in v else \
               [(k, s[k]) for s in (v.get("projected") or {}).get("sources", []) for k in ("configMap", "secret") if k in s]
        for kind, src in srcs:
            items = src.get("items")
            oname = src.get("name") or src.get("secretName")
            if items is None:
                keys = (by["ConfigMap"].get(oname) or {}).get("data", {}) if kind == "configMap" \
                    else example_secrets.get(oname, {})
                if name in keys: return (kind, oname, name, m.get("readOnly", False))
                continue
            for it in items:
                if it["path"] == name: return (kind, oname, it["key"], m.get("readOnly", False))
    return None
inits = pod.get("initContainers", [])
conts = pod.get("containers", [])
allc = {c["name"]: c for c in inits + conts}
sidecars = [c for c in inits if c.get("restartPolicy") == "Always"]
if "elector" not in [c["name"] for c in sidecars]: e("the elector is not a native sidecar (initContainer with restartPolicy: Always)")
for c in inits:
    if c.get("readinessProbe"): e(f"sidecar {c['name']}: a readinessProbe would make the pod's readiness depend on it")
def mount_of(c, path):
    for m in c.get("volumeMounts", []):
        if m["mountPath"] == path: return m["name"]
for c in allc.values():
    sc = c.get("securityContext", {})
    if not sc.get("readOnlyRootFilesystem"): e(f"{c['name']}: readOnlyRootFilesystem not set")
    if sc.get("allowPrivilegeEscalation") is not False: e(f"{c['name']}: allowPrivilegeEscalation not false")
    if "ALL" not in (sc.get("capabilities") or {}).get("drop", []): e(f"{c['name']}: capabilities not dropped")
    names = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    for m in c.get("volumeMounts", []):
        if m["name"] not in vols: e(f"{c['name']}: mounts undefined volume {m['name']}")
    for pk in ("startupProbe", "livenessProbe", "readinessProbe"):
        pr = c.get(pk)
        if not pr: continue
        act = pr.get("httpGet") or pr.get("tcpSocket") or {}
        port = act.get("port")
        if isinstance(port, str) and port not in names: e(f"{c['name']}.{pk}: port {port} is not a named port of the container")
app = allc.get("promsnmp")
el = allc.get("elector")
if not app or not el:
    e("containers promsnmp and elector expected")
else:
    for pk, path in (("startupProbe", None), ("livenessProbe", "/actuator/health/liveness"),
                     ("readinessProbe", "/actuator/health/readiness")):
        pr = app.get(pk)
        if not pr or "httpGet" not in pr: e(f"promsnmp: no HTTP {pk}"); continue
        if path and pr["httpGet"]["path"] != path: e(f"promsnmp.{pk}: path is not {path}")
        if pr["httpGet"]["port"] not in ("http", 8080): e(f"promsnmp.{pk}: not on the http port")
        if pr["httpGet"]["path"].split("?")[0] not in OPEN:
            e(f"promsnmp.{pk}: {pr['httpGet']['path']} needs credentials (open: {sorted(OPEN)})")
        if pr["httpGet"].get("httpHeaders"): e(f"promsnmp.{pk}: probes must not need headers (credentials)")
    pre = ((app.get("lifecycle") or {}).get("preStop") or {})
    if not pre: e("promsnmp: no preStop")
    if "exec" in pre: e("promsnmp: preStop exec needs a shell the image does not have; use sleep")
    if mount_of(app, "/app/data") != "inventory": e("promsnmp: inventory PVC not at /app/data")
    if not mount_of(app, "/run/promsnmp") or mount_of(app, "/run/promsnmp") != mount_of(el, "/run/promsnmp"):
        e("promsnmp and elector do not share the socket volume at /run/promsnmp")
    elif "emptyDir" not in vols[mount_of(app, "/run/promsnmp")]: e("the socket volume is not an emptyDir")
    env = {x["name"]: x for x in app.get("env", [])}
    if "PROM_ENCRYPT_KEY" in env: e("promsnmp: key in a plain env var")
    # Access control: web.yml from a Secret, read-only at the path the env var names; users
    # prometheus and admin in it, admin with the admin scope.
    if env.get("PROMSNMP_WEB_CONFIG_FILE", {}).get("value") != WEB_CONFIG:
        e(f"promsnmp: PROMSNMP_WEB_CONFIG_FILE is not {WEB_CONFIG}")
    if env.get("PROMSNMP_WEB_ADMIN_USERS", {}).get("value") != "admin":
        e("promsnmp: PROMSNMP_WEB_ADMIN_USERS is not admin")
    wf = files_in(app, WEB_CONFIG)
    if not wf: e(f"promsnmp: nothing mounted provides {WEB_CONFIG}")
    elif wf[0] != "secret": e(f"promsnmp: {WEB_CONFIG} comes from a {wf[0]}, not a Secret")
    elif not wf[3]: e(f"promsnmp: the mount of {WEB_CONFIG} is not readOnly")
    else:
        try:
            users = (yaml.safe_load(example_secrets[wf[1]][wf[2]]) or {}).get("basic_auth_users") or {}
            if not {"prometheus", "admin"} <= set(users):
                e(f"secret.example.yaml {wf[1]}/{wf[2]}: basic_auth_users lacks prometheus or admin")
        except (KeyError, yaml.YAMLError, AttributeError) as x:
            e(f"secret.example.yaml {wf[1]}/{wf[2]}: not a web config ({x})")
    # The catalogue and the profiles: the env names them, the pod has each file of etc/, as is.
    for var, want in (("PROMSNMP_MODULES_FILES", os.environ["MODULES_ENV"]),
                      ("PROMSNMP_PROFILES_FILES", os.environ["PROFILES_ENV"])):
        first = str(env.get(var, {}).get("value", "")).split(",")[0].strip()
        if first != want: e(f"promsnmp: {var} does not start with {want}")
    etc = os.path.join(kdir, "..", "etc")
    want = {os.path.join(os.environ["CATALOGUE_DIR"], f): os.path.join(etc, "modules", f)
            for f in sorted(os.listdir(os.path.join(etc, "modules")))}
    want[os.environ["PROFILES_FILE"]] = os.path.join(etc, "profiles.yml")
    cat_sizes = {}
    for path, src in want.items():
        got = files_in(app, path)
        rel = os.path.relpath(src, os.path.join(kdir, ".."))
        if not got: e(f"promsnmp: nothing mounted provides {path} ({rel}): list it in "
                      "etc/kustomization.yaml and in the items of the volume promsnmp-etc"); continue
        if got[0] != "configMap": e(f"promsnmp: {path} comes from a {got[0]}"); continue
        data = (by["ConfigMap"].get(got[1]) or {}).get("data", {})
        if data.get(got[2]) != open(src).read():
            e(f"promsnmp: {path} is key {got[2]} of ConfigMap {got[1]}, which is not {rel}")
        cat_sizes[got[1]] = sum(len(v) for v in data.values())
    # kubectl apply (client side) keeps the whole object in an annotation of at most 256 KiB.
    for name, size in cat_sizes.items():
        if size > 224 * 1024:
            e(f"ConfigMap {name}: {size} bytes, too close to the 256 KiB annotation limit of kubectl apply")
    cf = files_in(app, "/etc/promsnmp/promsnmp.cfg")
    if not cf or cf[:3] != ("configMap", "promsnmp-config", "promsnmp.cfg"):
        e("promsnmp: /etc/promsnmp/promsnmp.cfg is not promsnmp.cfg of the ConfigMap promsnmp-config")
    kf = env.get("PROM_ENCRYPT_KEY_FILE", {}).get("value", "")
    sec_mount = [m for m in app.get("volumeMounts", []) if "secret" in vols.get(m["name"], {})]
    if not sec_mount or not kf.startswith(sec_mount[0]["mountPath"] + "/"):
        e("promsnmp: PROM_ENCRYPT_KEY_FILE is not inside the Secret mount")
    eenv = {x["name"]: x for x in el.get("env", [])}
    if (eenv.get("POD_NAME", {}).get("valueFrom") or {}).get("fieldRef", {}).get("fieldPath") != "metadata.name":
        e("elector: POD_NAME not from the downward API")
    # The config files in the ConfigMap agree with the mounts.
    cm = by["ConfigMap"]["promsnmp-config"]["data"]
    for c, key in ((app, "promsnmp.cfg"), (el, "elector.cfg")):
        cmd = " ".join(c.get("command", []) + c.get("args", []))
        if f"/etc/promsnmp/{key}" not in cmd: e(f"{c['name']}: --config.file is not /etc/promsnmp/{key}")
        if key not in cm: e(f"ConfigMap: no {key}")
    if '"/run/promsnmp/elector.sock"' not in cm.get("promsnmp.cfg", "") or \
       '"/run/promsnmp/elector.sock"' not in cm.get("elector.cfg", ""):
        e("ConfigMap: the two configs do not name the same socket /run/promsnmp/elector.sock")
    if '"/app/data/' not in cm.get("promsnmp.cfg", ""): e("ConfigMap: inventory.file not under /app/data")
    if "localhost:4040" not in cm.get("elector.cfg", "") and "127.0.0.1:4040" not in cm.get("elector.cfg", ""):
        e("ConfigMap: elector does not follow the leader-elector on :4040")
# Services, PDB, monitors, RBAC.
for name, svc in by["Service"].items():
    if not matches(svc["spec"]["selector"], plabels): e(f"Service {name}: selector does not match the pods")
    cports = {p.get("name") for c in allc.values() for p in c.get("ports", [])}
    for p in svc["spec"]["ports"]:
        tp = p.get("targetPort")
        if isinstance(tp, str) and tp not in cports: e(f"Service {name}: targetPort {tp} is not a container port")
for name, pdb in by["PodDisruptionBudget"].items():
    if pdb["spec"].get("minAvailable") != 2: e(f"PDB {name}: minAvailable is not 2")
    if not matches(pdb["spec"]["selector"]["matchLabels"], plabels): e(f"PDB {name}: selector does not match")
def check_basic_auth(where, ba):
    # basicAuth as user prometheus from a Secret of secret.example.yaml.
    if not ba: e(f"{where}: no basicAuth (promsnmp needs credentials)"); return
    for k in ("username", "password"):
        ref = ba.get(k) or {}
        sk = example_secrets.get(ref.get("name"))
        if sk is None or ref.get("key") not in sk:
            e(f"{where}: basicAuth.{k} refers to {ref.get('name')}/{ref.get('key')}, not in secret.example.yaml")
        elif k == "username" and sk[ref["key"]] != "prometheus":
            e(f"{where}: basicAuth username is not prometheus")
app_ports = {p.get("name") for p in (app or {}).get("ports", [])} | {p.get("containerPort") for p in (app or {}).get("ports", [])}
for name, sm in by["ServiceMonitor"].items():
    targets = [s for s in by["Service"].values() if matches(sm["spec"]["selector"]["matchLabels"], s["metadata"].get("labels", {}))]
    if not targets: e(f"ServiceMonitor {name}: selects no Service")
    for ep in sm["spec"]["endpoints"]:
        if not any(ep["port"] in [p.get("name") for p in s["spec"]["ports"]] for s in targets):
            e(f"ServiceMonitor {name}: port {ep['port']} not on the selected Service")
        # Endpoints on the collector's port need credentials (the elector's port has none).
        tps = {p.get("targetPort") for s in targets for p in s["spec"]["ports"] if p.get("name") == ep["port"]}
        if tps & app_ports:
            check_basic_auth(f"ServiceMonitor {name} port {ep['port']}", ep.get("basicAuth"))
for name, sc in by.get("ScrapeConfig", {}).items():
    check_basic_auth(f"ScrapeConfig {name}", sc["spec"].get("basicAuth"))
    for sd in sc["spec"].get("httpSDConfigs", []):
        check_basic_auth(f"ScrapeConfig {name} httpSDConfigs {sd.get('url')}", sd.get("basicAuth"))
role = next(iter(by["Role"].values()))
if not any("coordination.k8s.io" in r.get("apiGroups", []) and "leases" in r.get("resources", [])
           and {"get", "create", "update"} <= set(r.get("verbs", [])) for r in role["rules"]):
    e("Role: no get/create/update on coordination.k8s.io leases")
for rb in by["RoleBinding"].values():
    if rb["roleRef"]["name"] not in by["Role"]: e("RoleBinding: role not defined")
    for s in rb["subjects"]:
        if s["kind"] == "ServiceAccount" and s["name"] not in by["ServiceAccount"]: e("RoleBinding: SA not defined")
# Each PrometheusRule = the rule groups of its rule file, which Prometheus uses elsewhere.
for entry in rule_manifests:
    name, rules_src, manifest = entry.split(":")
    pr = by["PrometheusRule"].get(name)
    if pr is None:
        e(f"no PrometheusRule {name} (from {os.path.basename(rules_src)}): add "
          f"{os.path.basename(manifest)} to kustomization.yaml")
    elif os.path.exists(rules_src):
        if pr["spec"]["groups"] != yaml.safe_load(open(rules_src))["groups"]:
            e(f"{os.path.basename(manifest)} differs from etc/prometheus/rules/"
              f"{os.path.basename(rules_src)}: run tests/deploy/check_packaging.sh --regen-k8s-rules")
    else:
        print(f"note: {rules_src} missing; PrometheusRule {name} not compared")
if errs: print("\n".join(errs), file=sys.stderr); sys.exit(1)
print(f"{len(objs)} objects ok")
EOF
else
  skip "kubernetes YAML checks: python3-yaml missing"
fi
# The ConfigMap's two config files must load in the real binaries.
if [ -n "$PY" ] && [ -x "$BIN_DIR/promsnmp" ] && [ -x "$BIN_DIR/elector" ]; then
  "$PY" - "$K/configmap.yaml" "$TMP" <<'EOF'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))["data"]
for k, v in d.items():
    open(f"{sys.argv[2]}/{k}", "w").write(v)
EOF
  run_check "ConfigMap promsnmp.cfg: promsnmp --config.check" \
    env -i PATH=/usr/bin:/bin PROM_ENCRYPT_KEY=check-only "$BIN_DIR/promsnmp" --config.check \
    --config.file="$TMP/promsnmp.cfg"
  run_check "ConfigMap elector.cfg: elector --config.check" \
    env -i PATH=/usr/bin:/bin POD_NAME=promsnmp-0 "$BIN_DIR/elector" --config.check \
    --config.file="$TMP/elector.cfg"
  # With the Deployment's access control settings and a web config made as the README says.
  if "$BIN_DIR/promsnmp" hash-password --help >/dev/null 2>&1; then
    {
      echo "basic_auth_users:"
      for user in prometheus admin; do
        printf '  %s: %s\n' "$user" "$(echo "$user-check" | "$BIN_DIR/promsnmp" hash-password --cost 4)"
      done
    } >"$TMP/web.yml"
    run_check "ConfigMap promsnmp.cfg + web.yml (users prometheus, admin): promsnmp --config.check" \
      env -i PATH=/usr/bin:/bin PROM_ENCRYPT_KEY=check-only PROMSNMP_WEB_CONFIG_FILE="$TMP/web.yml" \
      PROMSNMP_WEB_ADMIN_USERS=admin "$BIN_DIR/promsnmp" --config.check --config.file="$TMP/promsnmp.cfg"
  else
    skip "web config: $BIN_DIR/promsnmp has no hash-password subcommand (rebuild)"
  fi
else
  skip "ConfigMap configs: binaries not built in $BIN_DIR"
fi

###################################################################################################
section "summary"
if [ "$FAILED" -gt 0 ]; then
  echo "FAILED: $FAILED check(s) failed, $SKIPPED skipped"
  exit 1
fi
echo "all checks passed ($SKIPPED skipped)"
