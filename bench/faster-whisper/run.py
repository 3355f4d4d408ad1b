"""One faster-whisper transcription, timed, for the bench's speech section (bench/src/speech.rs).

    run.py MODEL_DIR AUDIO BEAM THREADS

Prints one JSON line: import plus model load and transcription times (seconds), the process's
peak resident memory (KiB) and the text. The same CTranslate2 model directory the project uses
(int8), English, no VAD (faster-whisper's default), so both engines do the same work.
"""
import json
import resource
import sys
import time

started = time.perf_counter()
from faster_whisper import WhisperModel  # noqa: E402

model_dir, audio, beam, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads)
loaded = time.perf_counter()
segments, info = model.transcribe(audio, beam_size=beam, language="en", vad_filter=False)
text = " ".join(s.text.strip() for s in segments)
done = time.perf_counter()
print(json.dumps({
    "load_s": loaded - started,
    "transcribe_s": done - loaded,
    "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "text": text,
}))
