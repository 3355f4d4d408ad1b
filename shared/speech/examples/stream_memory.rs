//! Peak memory of the offline engine's audio path against the recording's length (issue 19.2).
//!
//! ```sh
//! cargo run --release -p interview-speech --features whisper --example stream_memory -- \
//!     --minutes 60 --mode stream     # decode + 30-second windows, as the recogniser reads them
//! #   --mode whole                   # the old path: the whole recording decoded into memory
//! #   --mode transcribe              # the whole engine (model included) on the recording
//! ```
//!
//! The recording is `samples/support-call.ogg` (85 s of real speech, 2 channels) looped to the
//! length asked for and written as a 16 kHz stereo WAV in a temporary folder; one mode per
//! process, so the peak (`VmHWM`) is that mode's alone.

use interview_speech::audio::decode_file;
use interview_speech::stream::{AudioStream, SampleSource, Windows};
use interview_speech::whisper::{transcribe_file, WhisperConfig, WhisperModel};
use interview_transcript::media::{DurationLimits, MediaFormat};
use std::io::Write;
use std::path::{Path, PathBuf};

fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Writes `minutes` of the sample call, looped, as 16-bit stereo WAV at 16 kHz.
fn long_wav(path: &Path, minutes: f64) {
    let call = decode_file(&root().join("samples/support-call.ogg"), MediaFormat::Ogg).expect("the sample decodes");
    let frames = (minutes * 60.0 * 16_000.0) as u32;
    let data_len = frames * 4;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("temp file"));
    let mut header = b"RIFF".to_vec();
    header.extend_from_slice(&(36 + data_len).to_le_bytes());
    header.extend_from_slice(b"WAVEfmt ");
    header.extend_from_slice(&[16, 0, 0, 0, 1, 0, 2, 0]);
    header.extend_from_slice(&16_000u32.to_le_bytes());
    header.extend_from_slice(&64_000u32.to_le_bytes());
    header.extend_from_slice(&[4, 0, 16, 0]);
    header.extend_from_slice(b"data");
    header.extend_from_slice(&data_len.to_le_bytes());
    out.write_all(&header).unwrap();
    for i in 0..frames as usize {
        let s = (call.samples[i % call.samples.len()] * 32767.0) as i16;
        out.write_all(&s.to_le_bytes()).unwrap();
        out.write_all(&s.to_le_bytes()).unwrap();
    }
    out.flush().unwrap();
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut minutes, mut mode) = (10.0, "stream".to_string());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--minutes" => minutes = args.next().and_then(|v| v.parse().ok()).expect("--minutes N"),
            "--mode" => mode = args.next().expect("--mode stream|whole|transcribe"),
            _ => {}
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("long.wav");
    long_wav(&path, minutes);
    let before = peak_mib();
    let started = std::time::Instant::now();
    let seconds = match mode.as_str() {
        "whole" => decode_file(&path, MediaFormat::Wav).expect("decode").duration(),
        "stream" => {
            let mut windows = Windows::new(AudioStream::open(&path, MediaFormat::Wav).expect("open"));
            let window = 30 * 16_000;
            let mut start = 0;
            while !windows.window(start, window + 1).expect("decode").is_empty() {
                start += window;
            }
            windows.finish().expect("decode").duration()
        }
        "transcribe" => {
            let models = std::env::var_os("WHISPER_MODELS_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| root().join(".data/models"));
            let config = WhisperConfig::new("base", &models, Some("en".into()), 0);
            let model = WhisperModel::load(&config).expect("the model (scripts/setup-whisper.sh)");
            let limits = DurationLimits::new(0.5, 4.0 * 3600.0, false);
            transcribe_file(
                &model,
                &config,
                &limits,
                &path,
                Some(MediaFormat::Wav),
                "memory",
                &mut |_| {},
            )
            .expect("transcribed");
            minutes * 60.0
        }
        other => panic!("unknown mode {other}"),
    };
    println!(
        "mode={mode} audio_min={:.1} peak_rss_mib={:.1} (before the run: {before:.1}) elapsed_s={:.1}",
        seconds / 60.0,
        peak_mib(),
        started.elapsed().as_secs_f64()
    );
}
