//! The offline engine against faster-whisper 1.2 on the same model, beam and audio (issue 19.1).
//!
//! ```sh
//! bench/faster-whisper/setup.sh     # faster-whisper in .venv-faster-whisper, hash-pinned
//! cargo run --release -p interview-speech --features whisper --example speed_vs_faster_whisper -- \
//!     [--runs 3] [--beam 5] [--threads 2] [--loops 1,7]
//! ```
//!
//! Each run is a fresh process for each engine (the project's: this binary with `--once`;
//! faster-whisper's: `bench/faster-whisper/run.py`), timed from spawn to exit, so interpreter
//! start, imports and model load count for both; the engines alternate run by run so both see
//! the same machine load. The audio is `samples/support-call.ogg` looped `N` times (85 s each)
//! as a 16 kHz stereo WAV, the reference its script as often. Prints a Markdown table: median
//! wall time of the runs, the ratio, word accuracy of each, and the load average (`uptime`)
//! before and after.

use interview_speech::audio::decode_file;
use interview_speech::stream::{AudioStream, Windows};
use interview_speech::whisper::{transcribe_file, WhisperConfig, WhisperModel};
use interview_testkit::wer::{script_text, word_errors};
use interview_transcript::media::{DurationLimits, MediaFormat};
use interview_transcript::TranscriptFormat;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn models_dir() -> PathBuf {
    std::env::var_os("WHISPER_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".data/models"))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes the sample call looped `loops` times as 16-bit stereo WAV at 16 kHz.
fn looped_wav(path: &Path, loops: usize) {
    let call = decode_file(&root().join("samples/support-call.ogg"), MediaFormat::Ogg).expect("the sample decodes");
    let frames = (call.samples.len() * loops) as u32;
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
    for _ in 0..loops {
        for s in &call.samples {
            let v = ((s * 32767.0) as i16).to_le_bytes();
            out.write_all(&v).unwrap();
            out.write_all(&v).unwrap();
        }
    }
    out.flush().unwrap();
}

/// `--once FILE BEAM THREADS`: one transcription by this project's engine; prints load and
/// transcription seconds, then the text. With `PROFILE_PARTS` set, first prints (stderr) where
/// a transcription's time goes.
fn once(file: &Path, beam: usize, threads: usize) {
    let started = Instant::now();
    let mut config = WhisperConfig::new("base", &models_dir(), Some("en".into()), threads);
    config.beam_size = beam;
    let model = WhisperModel::load(&config).expect("the model (scripts/setup-whisper.sh)");
    let loaded = started.elapsed().as_secs_f64();
    if std::env::var_os("PROFILE_PARTS").is_some() {
        // Where the time goes: decoding the audio alone, then the recogniser on the stream.
        let t = Instant::now();
        let audio = decode_file(file, MediaFormat::Wav).expect("decode");
        let decode = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut windows = Windows::new(AudioStream::open(file, MediaFormat::Wav).expect("open"));
        let r = model
            .transcribe_reporting(&mut windows, Some("en"), beam, &mut |_| {})
            .expect("transcribed");
        let total = t.elapsed().as_secs_f64();
        eprintln!(
            "profile: audio {:.1} s; load {loaded:.2} s; decode alone {decode:.2} s; recogniser {total:.2} s of which \
             model calls {:.2} s over {} windows ({:.1} s of silence skipped); features, decode and bookkeeping {:.2} s",
            audio.duration(),
            r.model_seconds,
            r.windows,
            r.skipped_seconds,
            total - r.model_seconds
        );
    }
    let limits = DurationLimits::new(0.5, 4.0 * 3600.0, false);
    let state = transcribe_file(
        &model,
        &config,
        &limits,
        file,
        Some(MediaFormat::Wav),
        "bench",
        &mut |_| {},
    )
    .expect("transcribed");
    let interview_core::ports::TranscriptionState::Completed(transcript) = state else {
        panic!("no transcript")
    };
    assert_eq!(transcript.source_format, TranscriptFormat::Speech);
    let text: Vec<&str> = transcript.segments.iter().map(|s| s.text.as_str()).collect();
    println!("{loaded:.3} {:.3}", started.elapsed().as_secs_f64() - loaded);
    println!("{}", text.join(" "));
}

struct Run {
    wall: f64,
    text: String,
}

fn run_ours(file: &Path, beam: usize, threads: usize) -> Run {
    let started = Instant::now();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--once",
            &file.display().to_string(),
            &beam.to_string(),
            &threads.to_string(),
        ])
        .output()
        .expect("run this example with --once");
    let wall = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let text = stdout.lines().skip(1).collect::<Vec<_>>().join(" ");
    Run { wall, text }
}

fn run_theirs(file: &Path, beam: usize, threads: usize) -> Run {
    let python = root().join(".venv-faster-whisper/bin/python");
    assert!(python.exists(), "run bench/faster-whisper/setup.sh first");
    let started = Instant::now();
    let out = Command::new(python)
        .arg(root().join("bench/faster-whisper/run.py"))
        .arg(models_dir().join("whisper-base"))
        .arg(file)
        .args([beam.to_string(), threads.to_string()])
        .output()
        .expect("run faster-whisper");
    let wall = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    let json: serde_json::Value = serde_json::from_str(&line).expect("run.py prints JSON");
    Run {
        wall,
        text: json["text"].as_str().unwrap_or_default().to_string(),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--once") {
        once(Path::new(&args[1]), args[2].parse().unwrap(), args[3].parse().unwrap());
        return;
    }
    let (mut runs, mut beam, mut threads, mut loops) = (3usize, 5usize, 2usize, vec![1usize, 7]);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().unwrap_or_default();
        match arg.as_str() {
            "--runs" => runs = value().parse().expect("--runs N"),
            "--beam" => beam = value().parse().expect("--beam N"),
            "--threads" => threads = value().parse().expect("--threads N"),
            "--loops" => loops = value().split(',').map(|n| n.parse().expect("--loops 1,7")).collect(),
            _ => {}
        }
    }
    let script = script_text(&std::fs::read_to_string(root().join("samples/support-call.txt")).unwrap());
    let dir = tempfile::tempdir().unwrap();
    println!("| audio | project (s, median of {runs}) | faster-whisper 1.2 (s) | ratio | project accuracy | faster-whisper accuracy | load before → after |");
    println!("|---|---|---|---|---|---|---|");
    for n in loops {
        let file = dir.path().join(format!("call-x{n}.wav"));
        looped_wav(&file, n);
        let reference = vec![script.as_str(); n].join(" ");
        let before = load_average();
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for k in 0..runs {
            // Alternate who goes first, so neither always runs on a warmer cache.
            if k % 2 == 0 {
                ours.push(run_ours(&file, beam, threads));
                theirs.push(run_theirs(&file, beam, threads));
            } else {
                theirs.push(run_theirs(&file, beam, threads));
                ours.push(run_ours(&file, beam, threads));
            }
            eprintln!(
                "x{n} run {}: project {:.2} s, faster-whisper {:.2} s",
                k + 1,
                ours[k].wall,
                theirs[k].wall
            );
        }
        let accuracy = |r: &[Run]| 100.0 * word_errors(&reference, &r[0].text).accuracy();
        let (a, b) = (
            median(ours.iter().map(|r| r.wall).collect()),
            median(theirs.iter().map(|r| r.wall).collect()),
        );
        println!(
            "| {:.0} s (support call ×{n}) | {a:.2} | {b:.2} | {:.2}× | {:.1} % | {:.1} % | {before} → {} |",
            85.0 * n as f64,
            a / b,
            accuracy(&ours),
            accuracy(&theirs),
            load_average()
        );
    }
}
