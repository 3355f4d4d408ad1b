"""One faster-whisper transcription, timed, for shared/speech/examples/speed_vs_faster_whisper.rs.

    run.py MODEL_DIR AUDIO BEAM THREADS

Prints one JSON line: import, model load and transcription times (seconds) and the text. The
same CTranslate2 model directory the project uses (int8), English, no VAD (faster-whisper's
default), so both engines do the same work.
"""
import json
import sys
import time

started = time.perf_counter()
from faster_whisper import WhisperModel  # noqa: E402

imported = time.perf_counter()
model_dir, audio, beam, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads)
loaded = time.perf_counter()
segments, info = model.transcribe(audio, beam_size=beam, language="en", vad_filter=False)
text = " ".join(s.text.strip() for s in segments)
done = time.perf_counter()
print(json.dumps({
    "import_s": imported - started,
    "load_s": loaded - imported,
    "transcribe_s": done - loaded,
    "audio_s": info.duration,
    "text": text,
}))
