#!/usr/bin/env bash
# Installs the system packages the offline speech engine needs, on a fresh Debian machine (CI).
#   cmake pkg-config libclang-dev clang  -> build ct2rs' bundled CTranslate2 (feature `whisper`)
#   espeak-ng sox                        -> make and convert the sample recordings
# Idempotent: skips apt entirely when every tool is already present.
set -euo pipefail

need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v clang >/dev/null 2>&1 || need+=(clang)
dpkg -s libclang-dev >/dev/null 2>&1 || need+=(libclang-dev)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need+=(sox)

if ((${#need[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup-speech: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "setup-speech: ok (cmake $(cmake --version | head -1 | awk '{print $3}'), clang $(clang --version | head -1 | grep -o '[0-9][0-9.]*' | head -1))" >&2
