#!/usr/bin/env bash
# The Standard Webhooks reference library for the webhook test, in its own venv:
#
#   scripts/webhooks.sh setup   create .venv-webhooks from the hashed pin (idempotent)
#
# tests/tests/webhooks.rs runs tests/webhooks/receiver.py with .venv-webhooks/bin/python.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-webhooks"
PINS="$ROOT/scripts/webhooks-requirements.txt"
VERSION="1.1.0"

setup() {
    if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("standardwebhooks") != sys.argv[1])' "$VERSION" 2>/dev/null; then
        echo "standardwebhooks $VERSION is ready in $VENV"
        return 0
    fi
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r "$PINS"
    "$VENV/bin/python" -c 'import standardwebhooks; print("standardwebhooks", standardwebhooks.__name__, "installed")'
}

case "${1:-setup}" in
    setup) setup ;;
    *) echo "usage: $0 setup" >&2; exit 2 ;;
esac
