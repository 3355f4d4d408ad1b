#!/usr/bin/env bash
# Makes the small media fixtures in shared/speech/tests/fixtures/media/ that the probing and decoding
# tests read: 1.5 s of a 440 Hz tone (stereo: 440 Hz left, 660 Hz right) in every compressed container the
# pipeline accepts, one MP3 without its Xing header (so the duration must come from the
# packets), and Opus in Ogg and WebM (a codec the offline decoder lacks). Needs ffmpeg (only to
# regenerate them; the files are committed).
set -euo pipefail
OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/shared/speech/tests/fixtures/media"
mkdir -p "$OUT"
src=(-f lavfi -i "sine=frequency=440:sample_rate=44100:duration=1.5" -f lavfi -i "sine=frequency=660:sample_rate=44100:duration=1.5" -filter_complex "[0:a][1:a]amerge=inputs=2[a]" -map "[a]")
ff() { ffmpeg -hide_banner -loglevel error -y -bitexact "${src[@]}" "$@"; }
ff -c:a flac "$OUT/tone.flac"
ff -c:a libmp3lame -b:a 64k "$OUT/tone.mp3"
ff -c:a libmp3lame -b:a 64k -write_xing 0 "$OUT/tone-no-xing.mp3"
ff -c:a aac -b:a 64k -movflags +faststart "$OUT/tone.m4a"
ff -c:a libvorbis -q:a 2 "$OUT/tone.ogg"
ff -c:a libopus -b:a 32k "$OUT/tone-opus.ogg"
ff -c:a libopus -b:a 32k "$OUT/tone.webm"
ls -l "$OUT"
