#!/usr/bin/env bash
# Fuzzes the HTTP API from its OpenAPI document (docs/openapi.json) against a real
# `interviews serve` over a fresh data dir, bounded in examples and time:
#
#   scripts/schemathesis.sh setup   create .venv-schemathesis from the hashed pins (idempotent)
#   scripts/schemathesis.sh [run]   build the CLI, serve, fuzz, stop (setup first if needed)
#
# Passes when no request gets a 5xx and every response matches its documented status, content
# type and schema. scripts/test.sh calls it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-schemathesis"
PINS="$ROOT/scripts/schemathesis-requirements.txt"
VERSION="4.32.5"

setup() {
    if [[ -x "$VENV/bin/st" ]] && "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("schemathesis") != sys.argv[1])' "$VERSION" 2>/dev/null; then
        echo "schemathesis $VERSION is ready in $VENV"
        return 0
    fi
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r "$PINS"
    "$VENV/bin/st" --version
}

run() {
    setup
    cargo build --quiet --locked -p interviews
    local log token base
    data="$(mktemp -d)"
    log="$data/serve.log"
    token="schemathesis-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
    INTERVIEWS_TOKEN="$token" INTERVIEWS_BACKEND=embedded \
        "$ROOT/target/debug/interviews" --data-dir "$data/dir" serve --listen 127.0.0.1:0 >"$data/url" 2>"$log" &
    pid=$!
    trap 'kill "${pid:-}" 2>/dev/null || true; wait "${pid:-}" 2>/dev/null || true; rm -rf "${data:-/nonexistent}"' EXIT
    for _ in $(seq 1 100); do
        [[ -s "$data/url" ]] && break
        kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "interviews serve exited" >&2; exit 1; }
        sleep 0.1
    done
    base="$(head -n1 "$data/url")"
    base="${base%%/\?token=*}"
    echo "fuzzing $base from docs/openapi.json"
    # One real interview, so GET/DELETE/retry by id can reach an existing item too.
    local sample="$ROOT/samples/bakery-scheduling.vtt"
    local ticket url
    ticket="$(curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        -d "{\"project\":\"acme\",\"file_name\":\"bakery.vtt\",\"content_type\":\"text/vtt\",\"size_bytes\":$(stat -c %s "$sample")}" \
        "$base/v1/uploads")"
    url="$(printf '%s' "$ticket" | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')"
    curl -fsS -X PUT -H 'Content-Type: text/vtt' --data-binary "@$sample" "$url" >/dev/null

    # /v1/events is an endless stream (a 200 never ends), so schemathesis skips it; its
    # statuses and access checks are tested in shared/api/tests/events_sse.rs.
    timeout 100 "$VENV/bin/st" run "$ROOT/docs/openapi.json" \
        --url "$base" \
        --header "Authorization: Bearer $token" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --phases examples,coverage,fuzzing \
        --max-examples 25 \
        --max-time 60 \
        --request-timeout 10 \
        --generation-deterministic \
        --exclude-path /v1/events \
        --workers 2
}

case "${1:-run}" in
    setup) setup ;;
    run) run ;;
    *) echo "usage: $0 [setup|run]" >&2; exit 2 ;;
esac
