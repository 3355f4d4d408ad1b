#!/usr/bin/env bash
# Fuzzes the code that reads untrusted bytes: every transcript reader (`transcript`), the
# upload sniffer (`sniff`) and S3 event decoding (`s3_event`).
#
#   scripts/fuzz.sh [seconds-per-target]   explore: time-bounded (default 60 s), and the corpus
#                                          in fuzz/corpus/ (not committed) grows run to run
#   scripts/fuzz.sh --fixed-budget         what the test command runs: a fixed number of
#                                          executions per target (the same work on any machine,
#                                          however fast) from a fresh corpus of the seeds, seed 1.
#                                          Not bit-for-bit repeatable: the code under test hashes
#                                          with per-process random keys and code addresses differ
#                                          between builds, so a crash is kept by its input (printed,
#                                          and saved in fuzz/artifacts/), not by the run
#
# Installs cargo-fuzz if missing. The toolchain is stable, so RUSTC_BOOTSTRAP=1 lets cargo-fuzz
# use the unstable flags it needs. Seeds come from samples/, the readers' fixtures and events/.
# Prints executions and coverage per target; exits non-zero if any target crashed (the input is
# in fuzz/artifacts/<target>/: add it as a regression test, then fix; the transcript readers'
# live in `fuzz_regressions` in shared/transcript/src/tests.rs).
# FUZZ_SANITIZER=address adds AddressSanitizer (slower build and runs; the default is none, as
# the fuzzed code is safe Rust and the point is panics, hangs and memory blow-ups).
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizer="${FUZZ_SANITIZER:-none}"
targets=(transcript sniff s3_event)
# Executions per target in --fixed-budget mode: about 20 s each on one core here (the readers
# run ~3,000 inputs a second, the sniffer and the event decoder hundreds of thousands).
declare -A replay_runs=([transcript]=60000 [sniff]=4000000 [s3_event]=2000000)
if [ "${1:-}" = "--fixed-budget" ]; then
    mode=fixed-budget
    corpus_root=fuzz/corpus-fixed
    rm -rf "$corpus_root"
else
    mode=explore
    seconds="${1:-60}"
    corpus_root=fuzz/corpus
fi
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# Seeds. The transcript target's first byte 0 means "parse_transcript", the second picks the
# file name "upload" (content decides the format).
seed() {
    local dir="$corpus_root/$1" prefix="$2"
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
    if [ "$mode" = fixed-budget ]; then
        bound=(-seed=1 -runs="${replay_runs[$target]}")
        echo "== $target (${replay_runs[$target]} executions, seed 1)"
    else
        bound=(-max_total_time="$seconds")
        echo "== $target (${seconds}s)"
    fi
    status=0
    cargo fuzz run --sanitizer "$sanitizer" --debug-assertions "$target" "${corpus_root#fuzz/}/$target" -- \
        "${bound[@]}" -rss_limit_mb=2048 -timeout=5 -max_len=65536 \
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
