#!/usr/bin/env bash
# A local moto server for the AWS adapter tests: no account, no network beyond loopback.
#
#   scripts/moto.sh setup         create .venv-moto with the pinned moto (idempotent)
#   scripts/moto.sh start [PORT]  start moto_server on 127.0.0.1:PORT (default 5000) in the background
#   scripts/moto.sh stop          stop the server started by `start`
#
# The integration tests start their own server from .venv-moto when AWS_ENDPOINT_URL is unset,
# so `setup` is all a test run needs; `start` is for poking at the adapters by hand.
set -euo pipefail

# The moto release the adapters were verified against (see shared/ DESIGN.md "Facts checked").
# Every package of the venv is pinned, with its sha256, in scripts/requirements/moto.txt
# (generated from moto.in by scripts/requirements/lock.sh) and installed with --require-hashes:
# a package that changed on the index, or one the lock does not name, is refused.
MOTO_VERSION="5.2.5"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-moto"
PIDFILE="$VENV/moto.pid"
LOGFILE="$VENV/moto.log"

installed_version() {
    "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null || true
}

setup() {
    local lock="$ROOT/scripts/requirements/moto.txt" want
    want="$(sha256sum "$lock" | awk '{print $1}')"
    if [[ -x "$VENV/bin/moto_server" && "$(installed_version)" == "$MOTO_VERSION" \
        && "$(cat "$VENV/requirements.sha256" 2>/dev/null)" == "$want" ]]; then
        echo "moto $MOTO_VERSION is ready in $VENV"
        return 0
    fi
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
        --require-hashes --only-binary=:all: -r "$lock"
    "$VENV/bin/moto_server" --help >/dev/null
    echo "$want" >"$VENV/requirements.sha256"
    echo "installed moto $(installed_version) in $VENV"
}

answers() {
    python3 - "$1" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/", timeout=1)
except Exception:
    sys.exit(1)
PY
}

start() {
    local port="${1:-5000}"
    [[ -x "$VENV/bin/moto_server" ]] || setup
    if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        echo "moto is already running (pid $(cat "$PIDFILE")); run \`$0 stop\` first" >&2
        exit 1
    fi
    nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$LOGFILE" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 100); do
        if answers "$port"; then
            echo "export AWS_ENDPOINT_URL=http://127.0.0.1:$port"
            return 0
        fi
        if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            echo "moto_server exited; see $LOGFILE" >&2
            rm -f "$PIDFILE"
            exit 1
        fi
        sleep 0.1
    done
    echo "moto_server did not answer on port $port within 10 s; see $LOGFILE" >&2
    exit 1
}

stop() {
    if [[ ! -f "$PIDFILE" ]]; then
        echo "moto is not running"
        return 0
    fi
    local pid
    pid="$(cat "$PIDFILE")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$PIDFILE"
    echo "moto stopped"
}

case "${1:-}" in
    setup) setup ;;
    start) start "${2:-}" ;;
    stop) stop ;;
    *)
        echo "usage: $0 setup | start [PORT] | stop" >&2
        exit 2
        ;;
esac
