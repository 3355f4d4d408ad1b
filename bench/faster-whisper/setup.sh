#!/usr/bin/env bash
# Installs faster-whisper 1.2.0 for the offline speech comparison in its own venv
# (.venv-faster-whisper), every package pinned with its sha256 (scripts/requirements/
# faster-whisper.txt, from faster-whisper.in by scripts/requirements/lock.sh). Idempotent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv-faster-whisper"
LOCK="$ROOT/scripts/requirements/faster-whisper.txt"
want="$(sha256sum "$LOCK" | awk '{print $1}')"
if [[ -x "$VENV/bin/python" && "$(cat "$VENV/requirements.sha256" 2>/dev/null)" == "$want" ]]; then
    echo "faster-whisper is ready in $VENV"
    exit 0
fi
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    --require-hashes --only-binary=:all: -r "$LOCK"
"$VENV/bin/python" -c "import faster_whisper" 
echo "$want" >"$VENV/requirements.sha256"
echo "installed faster-whisper in $VENV"
