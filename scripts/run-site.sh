#!/usr/bin/env bash
# `make run`: a local site on this machine, from what exists so far.
#
# The collector and elector arrive with their issues; until then the site is the shared
# inventory itself: a directory initialised with a generated key, a few demo devices committed
# through the slot protocol, and a follower (`promsnmp-inventory watch`) printing every new
# version as it lands. Ctrl-C or `make run-stop` stops it. Everything lives under run/.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
run=$top/run
cli=$top/build/bin/promsnmp-inventory
export PROM_INV_FILE=$run/share/promsnmp-inventory.json
export PROM_ENCRYPT_KEY_FILE=$run/secrets/promsnmp-encrypt-key
unset PROM_ENCRYPT_KEY

stop() {
  if [ -f "$run/watch.pid" ]; then
    kill "$(cat "$run/watch.pid")" 2>/dev/null || true
    rm -f "$run/watch.pid"
    echo "site stopped"
  fi
}

case "${1:-start}" in
  stop) stop; exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac

stop >/dev/null
mkdir -p "$run/share" "$run/secrets" "$run/logs"
chmod 700 "$run/secrets"
if [ ! -s "$PROM_ENCRYPT_KEY_FILE" ]; then
  # 32 random bytes as 64 hex digits: used as the AES-256 key directly.
  od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$PROM_ENCRYPT_KEY_FILE"
  chmod 600 "$PROM_ENCRYPT_KEY_FILE"
fi
if [ ! -f "$run/share/.cluster-id" ]; then
  "$cli" init --cluster-id local-demo
  i=1
  for name in core-rtr-1 dist-sw-1 dist-sw-2 access-sw-1; do
    "$cli" add-device --sys-name "$name" --address "127.0.10.$i" --community public \
      --sys-location "demo rack $i" >/dev/null
    i=$((i + 1))
  done
  "$cli" add-device --sys-name fw-1 --address 127.0.10.9 --security-name monitor \
    --auth-protocol SHA256 --auth-passphrase demo-auth-pass --priv-protocol AES256 \
    --priv-passphrase demo-priv-pass >/dev/null
fi

"$cli" show
echo
echo "share:     $run/share (PROM_INV_FILE=$PROM_INV_FILE)"
echo "key file:  $PROM_ENCRYPT_KEY_FILE"
echo "logs:      $run/logs"
echo
echo "A follower is watching the share. In another terminal, try:"
echo "  export PROM_INV_FILE=$PROM_INV_FILE PROM_ENCRYPT_KEY_FILE=$PROM_ENCRYPT_KEY_FILE"
echo "  $cli add-device --sys-name lab-sw-1 --address 127.0.10.20 --community public"
echo "  $cli history; $cli verify"
echo "Ctrl-C (or make run-stop) stops the site."
echo
"$cli" watch --interval 500 > >(tee -a "$run/logs/watch.log") 2> >(tee -a "$run/logs/watch.log" >&2) &
echo $! > "$run/watch.pid"  # the CLI itself, so that run-stop stops it
trap 'stop; exit 0' INT TERM
wait
