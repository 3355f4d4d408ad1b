#!/usr/bin/env bash
# Runs every test. On a fresh machine it first installs what the tests need (idempotent, so
# later runs are quick): moto's server in .venv-moto, the infra linters in their own venvs
# and node prefix, schemathesis in .venv-schemathesis, the Standard Webhooks reference library in
# .venv-webhooks. CI calls exactly this script (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

step "installing test tools (moto server; speech engine build prerequisites; pinned Whisper and embedding weights; chromium + chromedriver for the dashboard)"
./scripts/moto.sh setup
./scripts/setup-speech.sh
./scripts/setup-whisper.sh
./scripts/setup-embeddings.sh
./scripts/schemathesis.sh setup
./scripts/setup-browser.sh
./scripts/webhooks.sh setup

step "starting moto's server on 127.0.0.1"
eval "$(./scripts/moto.sh start)"
trap './scripts/moto.sh stop >/dev/null 2>&1 || true' EXIT
echo "AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL"

step "formatting"
cargo fmt --all -- --check

step "offline infrastructure checks (asl-validator, cfn-lint, sam validate, checkov)"
./scripts/check-infra.sh

step "API fuzzing: schemathesis from docs/openapi.json against interviews serve (bounded, ~1 min)"
./scripts/schemathesis.sh run

step "fuzzing the readers, the sniffer and S3 event decoding (a fixed number of executions per target from the seeds)"
./scripts/fuzz.sh --fixed-budget

step "cargo test (workspace: unit, contract, runner, embedded pipeline, CLI, moto, fault injection)"
cargo test --workspace --all-targets --locked

step "heavy features, built and tested once: whisper (CTranslate2) and embeddings (candle, all-MiniLM-L6-v2)"
# One cargo invocation, so the two features' dependency graphs are resolved and built together.
EMBEDDINGS_MODEL_DIR="$PWD/.data/models/all-minilm-l6-v2" \
    cargo test -p interview-speech -p interview-analysis \
    --features interview-speech/whisper,interview-analysis/embeddings \
    --test whisper --test embeddings --locked -- --nocapture
# The offline engine's own unit tests (window parsing, features) and the speech bench's child,
# which only exist with the feature (the native libraries built above are reused).
cargo test -p interview-speech -p bench --features interview-speech/whisper,bench/whisper \
    --lib --bin bench --locked


step "done"
