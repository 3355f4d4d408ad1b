#!/usr/bin/env bash
# Regenerates the hash-locked requirement files the scripts install with `--require-hashes`:
# every package of each venv, transitive ones included, pinned to one version with the sha256 of
# every file PyPI serves for it. Run it after changing a `.in` file and commit the `.txt` it writes.
#   scripts/requirements/lock.sh [moto] [infra] [sam] [faster-whisper]      (default: all four)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PIP_TOOLS_VERSION=7.7.0
TOOLS="$(mktemp -d)"
trap 'rm -rf "$TOOLS"' EXIT
python3 -m venv "$TOOLS"
"$TOOLS/bin/pip" install -q --disable-pip-version-check "pip-tools==$PIP_TOOLS_VERSION"
[ $# -gt 0 ] || set -- moto infra sam faster-whisper
for name in "$@"; do
    echo "locking $name" >&2
    "$TOOLS/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
        --no-emit-index-url --no-emit-find-links --output-file "$HERE/$name.txt" "$HERE/$name.in"
done
