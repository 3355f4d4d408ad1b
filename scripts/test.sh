#!/usr/bin/env bash
# Runs every test. On a fresh machine it first installs what the tests need (idempotent, so
# later runs are quick): moto's server in .venv-moto, the infra linters in their own venvs
# and node prefix, schemathesis in .venv-schemathesis. CI calls exactly this script (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

step "installing test tools (moto server; speech engine build prerequisites; pinned Whisper weights)"
./scripts/moto.sh setup
./scripts/setup-speech.sh
./scripts/setup-whisper.sh
./scripts/schemathesis.sh setup

step "starting moto's server on 127.0.0.1"
eval "$(./scripts/moto.sh start)"
trap './scripts/moto.sh stop >/dev/null 2>&1 || true' EXIT
echo "AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL"

step "formatting"
cargo fmt --all -- --check

step "offline infrastructure checks (asl-validator, cfn-lint, sam validate, checkov)"
./scripts/check-infra.sh

step "cargo test (workspace: unit, contract, runner, embedded pipeline, CLI, moto, fault injection)"
cargo test --workspace --all-targets --locked

step "API fuzzing: schemathesis from docs/openapi.json against interviews serve (bounded, ~1 min)"
./scripts/schemathesis.sh run

step "cargo test --features whisper (offline speech engine: CTranslate2 built and tested once)"
cargo test -p interview-speech --features whisper --test whisper --locked -- --nocapture

step "done"
