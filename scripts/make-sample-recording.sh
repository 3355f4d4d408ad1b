#!/usr/bin/env bash
# Makes samples/support-call.ogg from the dialogue script samples/support-call.txt.
#
#   scripts/make-sample-recording.sh [SCRIPT.txt] [OUT.ogg]
#
# Each `Speaker: text` line is spoken by espeak-ng with that speaker's voice (the first speaker
# gets an American male voice, the second a British female one), with a short pause between
# turns. The result is a two-channel call recording, one party per channel as call recorders
# store them, at 16 kHz, encoded as Ogg Vorbis to stay small. Needs espeak-ng and sox
# (scripts/setup-speech.sh installs both). Deterministic for a given espeak-ng version.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPT="${1:-$ROOT/samples/support-call.txt}"
OUT="${2:-$ROOT/samples/support-call.ogg}"
VOICES=("en-us+m3" "en-gb+f4")
SPEEDS=(175 170)
PITCHES=(40 60)
PAUSE=0.5
RATE=16000

command -v espeak-ng >/dev/null && command -v sox >/dev/null || {
    echo "make-sample-recording: needs espeak-ng and sox; run scripts/setup-speech.sh" >&2
    exit 1
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
declare -A channel_of=()
left=()
right=()
n=0
while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" == *:* ]] || continue
    speaker="${line%%:*}"
    text="${line#*:}"
    text="${text# }"
    if [[ -z "${channel_of[$speaker]+x}" ]]; then
        channel_of[$speaker]=${#channel_of[@]}
    fi
    ch=${channel_of[$speaker]}
    ((ch < 2)) || { echo "make-sample-recording: only two speakers are supported" >&2; exit 1; }
    n=$((n + 1))
    turn="$work/turn-$n.wav"
    espeak-ng -v "${VOICES[$ch]}" -s "${SPEEDS[$ch]}" -p "${PITCHES[$ch]}" -w "$work/raw.wav" "$text"
    # Resample to the target rate and add the pause after the turn.
    sox "$work/raw.wav" -r "$RATE" -c 1 -b 16 "$turn" pad 0 "$PAUSE"
    silence="$work/silence-$n.wav"
    sox -n -r "$RATE" -c 1 -b 16 "$silence" trim 0 "$(soxi -D "$turn")"
    if ((ch == 0)); then
        left+=("$turn")
        right+=("$silence")
    else
        left+=("$silence")
        right+=("$turn")
    fi
done <"$SCRIPT"

sox "${left[@]}" "$work/left.wav"
sox "${right[@]}" "$work/right.wav"
sox -M "$work/left.wav" "$work/right.wav" -C 3 "$OUT"
echo "make-sample-recording: wrote $OUT ($(soxi -d "$OUT"), $(du -h "$OUT" | awk '{print $1}'))" >&2
