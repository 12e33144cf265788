# Shared by the bench/*.sh drivers (sourced). Each driver sets BENCH_NAME first.
# log/die write to stderr (stdout carries the Markdown section); free_port finds a port free on
# 127.0.0.1 right now (free_port_base: a run of 21 for run-site.sh); wait_for polls a command
# while the process it waits on is alive.

log() { echo "${BENCH_NAME:-bench}: $*" >&2; }
die() {
  log "$*"
  exit 1
}

free_port() { # tcp|udp
  python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

wait_for() { # NAME PID SECONDS COMMAND...: until COMMAND succeeds, or die if PID exits
  local name=$1 pid=$2 limit=$3 deadline=$((SECONDS + $3))
  shift 3
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || die "$name exited during start-up"
    ((SECONDS < deadline)) || die "$name not ready after ${limit}s"
    sleep 0.2
  done
}

free_port_base() { # a multiple of 10 whose TCP ports +0..+20 are free on 127.0.0.1 (run-site.sh's PORT_BASE)
  python3 - <<'PY'
import random, socket
for _ in range(200):
    base = random.randrange(20000, 40000, 10)
    try:
        for off in range(0, 21):
            s = socket.socket(); s.bind(("127.0.0.1", base + off)); s.close()
        print(base); break
    except OSError:
        continue
PY
}
