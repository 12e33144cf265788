#!/usr/bin/env bash
# Installs the Debian packages promsnmp needs (DESIGN.md §1), only those that are missing.
# Usage: scripts/deps.sh [build|test|all]   (default: all)
set -euo pipefail

build_pkgs=(cmake make g++ pkg-config libpoco-dev zlib1g-dev libcrypt-dev libsnmp-dev libhiredis-dev libconfig++-dev
  libyaml-cpp-dev libboost-dev libcppunit-dev libssl-dev libhowardhinnant-date-dev
  libre2-dev prometheus-cpp-dev libjemalloc-dev)
test_pkgs=(snmpd snmp snmpsim redis-server haproxy prometheus docker-compose curl wrk
  clang clang-format clang-tidy libclang-rt-14-dev hyperfine prometheus-snmp-exporter
  default-jdk-headless libjackson2-databind-java iptables systemd python3 python3-yaml bc tzdata faketime iproute2
  chromium)

case "${1:-all}" in
  build) wanted=("${build_pkgs[@]}") ;;
  test | all) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages: ${missing[*]} (run 'make deps' as root)" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Installing a daemon package must not try to start it (no init here; tests start their own).
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}"
