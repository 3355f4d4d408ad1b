#!/usr/bin/env bash
# Installs the browser the dashboard tests drive (cli/tests/dashboard.rs): Debian's chromium and
# its chromedriver. Idempotent: apt is not touched when both are present, and `apt-get update`
# runs only when a package is missing.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)

if ((${#need[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup-browser: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "setup-browser: ok ($(chromium --version 2>/dev/null | head -1); $(chromedriver --version 2>/dev/null | awk '{print $1, $2}'))" >&2
