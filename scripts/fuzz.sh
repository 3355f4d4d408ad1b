#!/usr/bin/env bash
# Fuzzes the code that reads untrusted bytes: every transcript reader (`transcript`), the
# upload sniffer (`sniff`) and S3 event decoding (`s3_event`), each for a bounded time.
#
#   scripts/fuzz.sh [seconds-per-target]     (default 60)
#
# Installs cargo-fuzz if missing. The toolchain is stable, so RUSTC_BOOTSTRAP=1 lets cargo-fuzz
# use the unstable flags it needs. Corpora are seeded from samples/, shared/tests/fixtures/
# and events/, and kept in fuzz/corpus/ (not committed) so later runs start where the last
# stopped. Prints executions and coverage per target; exits non-zero if any target crashed
# (the input is in fuzz/artifacts/<target>/: add it as a regression test, then fix).
# FUZZ_SANITIZER=address adds AddressSanitizer (slower build and runs; the default is none, as
# the fuzzed code is safe Rust and the point is panics, hangs and memory blow-ups).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
sanitizer="${FUZZ_SANITIZER:-none}"
targets=(transcript sniff s3_event)
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# Seeds. The transcript target's first byte 0 means "parse_transcript", the second picks the
# file name "upload" (content decides the format).
seed() {
    local dir="fuzz/corpus/$1" prefix="$2"
    shift 2
    mkdir -p "$dir"
    for file in "$@"; do
        [ -f "$file" ] || continue
        { printf "$prefix"; cat "$file"; } >"$dir/seed-$(basename "$file")"
    done
}
seed transcript '\000\000' samples/*.vtt samples/*.srt samples/*.txt shared/transcript/tests/fixtures/*.json \
    shared/transcript/tests/fixtures/formats/*
seed sniff '' samples/* shared/transcript/tests/fixtures/formats/* shared/speech/tests/fixtures/media/*
seed s3_event '' events/ingest-s3-*.json

cd fuzz
echo "building the fuzz targets (sanitizer: $sanitizer)"
cargo fuzz build --sanitizer "$sanitizer" --debug-assertions

failed=()
summary=()
for target in "${targets[@]}"; do
    log="$(mktemp)"
    echo "== $target (${seconds}s)"
    status=0
    cargo fuzz run --sanitizer "$sanitizer" --debug-assertions "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=5 -max_len=65536 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
    features=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | awk '{print $2}')
    corpus=$(grep -oE 'corp: [0-9]+' "$log" | tail -1 | awk '{print $2}')
    if [ "$status" -ne 0 ]; then
        failed+=("$target")
        tail -40 "$log"
    fi
    summary+=("$(printf '%-12s %12s %8s %8s %8s  %s' "$target" "${runs:-?}" "${cov:-?}" "${features:-?}" \
        "${corpus:-?}" "$([ "$status" -eq 0 ] && echo ok || echo "CRASH (exit $status)")")")
    rm -f "$log"
done

printf '\n%-12s %12s %8s %8s %8s  %s\n' target executions cov ft corpus result
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "crashes in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
