//! Offline speech engine benchmark: real-time factor, word accuracy and peak memory.
//!
//! ```text
//! cargo bench -p interview-shared --features whisper --bench speech -- [--model base|tiny.en|all]
//!     [--repeat N] [--snr-db DB] [--beam N] [--threads N]
//! ```
//!
//! The audio is `samples/support-call.ogg` decoded to 16 kHz mono, repeated `--repeat` times
//! (default 3: about 4 min 15 s), with white noise added at `--snr-db` (default 20 dB; `inf` for
//! none) from a fixed seed, so runs are comparable. The reference is the script repeated the
//! same number of times. Printed per model:
//! - real-time factor: transcription time (model already loaded) / audio duration;
//! - word accuracy: 1 − word error rate against the script;
//! - peak memory: VmHWM from /proc/self/status after the run (the whole process: model,
//!   audio and decoder state). With `--model all` each model runs in its own child process,
//!   so one model's peak does not hide the other's.
//!
//! Needs the weights: `scripts/setup-whisper.sh all` (or the one model asked for).

use interview_speech::audio::{decode_file, Audio};
use interview_speech::whisper::{to_transcript, WhisperConfig, WhisperModel};
use interview_testkit::wer::{script_text, word_errors};
use interview_transcript::media::MediaFormat;
use std::path::PathBuf;
use std::time::Instant;

struct Options {
    models: Vec<String>,
    repeat: usize,
    snr_db: f64,
    beam: usize,
    threads: usize,
}

fn parse_args() -> Options {
    let mut options = Options {
        models: vec!["base".into()],
        repeat: 3,
        snr_db: 20.0,
        beam: 5,
        threads: 0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--model" => {
                options.models = match value().as_str() {
                    "all" => vec!["base".into(), "tiny.en".into()],
                    one => vec![one.to_string()],
                }
            }
            "--repeat" => options.repeat = value().parse().expect("--repeat N"),
            "--snr-db" => options.snr_db = value().parse().expect("--snr-db DB (or inf)"),
            "--beam" => options.beam = value().parse().expect("--beam N"),
            "--threads" => options.threads = value().parse().expect("--threads N"),
            // `cargo bench` passes `--bench`; ignore it and anything else harness-related.
            _ => {}
        }
    }
    options
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Peak resident memory of this process, in MiB.
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// A small, fixed-seed Gaussian noise source (xorshift + Box–Muller).
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn gaussian(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn build_audio(repeat: usize, snr_db: f64) -> Audio {
    let one = decode_file(&root().join("samples/support-call.ogg"), MediaFormat::Ogg).expect("decode the sample");
    let mut samples = Vec::with_capacity(one.samples.len() * repeat);
    for _ in 0..repeat.max(1) {
        samples.extend_from_slice(&one.samples);
    }
    if snr_db.is_finite() {
        // Noise power relative to the speech power of the active (non-silent) samples.
        let active: Vec<f32> = samples.iter().copied().filter(|s| s.abs() > 1e-3).collect();
        let speech_power = active.iter().map(|s| f64::from(s * s)).sum::<f64>() / active.len().max(1) as f64;
        let noise_rms = (speech_power / 10f64.powf(snr_db / 10.0)).sqrt();
        let mut noise = Noise(0x5eed_1234_abcd_ef01);
        for s in &mut samples {
            *s = (f64::from(*s) + noise.gaussian() * noise_rms).clamp(-1.0, 1.0) as f32;
        }
    }
    Audio::from_mono(samples)
}

fn run(model_name: &str, options: &Options) {
    let models_dir = std::env::var_os("WHISPER_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".data/models"));
    let mut config = WhisperConfig::new(model_name, &models_dir, None, options.threads);
    config.beam_size = options.beam;
    let audio = build_audio(options.repeat, options.snr_db);
    let script = std::fs::read_to_string(root().join("samples/support-call.txt")).unwrap();
    let reference = vec![script_text(&script); options.repeat.max(1)].join(" ");

    let load = Instant::now();
    let model = WhisperModel::load(&config).unwrap_or_else(|e| panic!("{e}"));
    let load_seconds = load.elapsed().as_secs_f64();
    let started = Instant::now();
    let recognition = model
        .transcribe(&audio.samples, config.language.as_deref(), config.beam_size)
        .expect("transcription");
    let seconds = started.elapsed().as_secs_f64();
    let windows = recognition.windows;
    let transcript = to_transcript(recognition, &audio);
    let hypothesis: Vec<&str> = transcript.segments.iter().map(|s| s.text.as_str()).collect();
    let errors = word_errors(&reference, &hypothesis.join(" "));
    let peak = peak_memory_mib()
        .map(|m| format!("{m:.0} MiB"))
        .unwrap_or_else(|| "n/a".into());
    println!(
        "model {model_name:8} audio {:6.1} s (noise {}) | load {load_seconds:.1} s | transcribe {seconds:6.1} s | \
         real-time factor {:.3} | word accuracy {:.1}% ({errors}) | windows {windows} | peak memory (VmHWM) {peak}",
        audio.duration(),
        if options.snr_db.is_finite() {
            format!("{} dB SNR", options.snr_db)
        } else {
            "none".into()
        },
        seconds / audio.duration(),
        errors.accuracy() * 100.0,
    );
}

fn main() {
    let options = parse_args();
    if options.models.len() == 1 {
        run(&options.models[0], &options);
        return;
    }
    // One child process per model, so each peak-memory reading is that model's own.
    let exe = std::env::current_exe().expect("own path");
    let passthrough: Vec<String> = std::env::args().skip(1).collect();
    for model in &options.models {
        let mut args: Vec<String> = Vec::new();
        let mut skip = false;
        for a in &passthrough {
            if skip {
                skip = false;
                continue;
            }
            if a == "--model" {
                skip = true;
                continue;
            }
            args.push(a.clone());
        }
        args.extend(["--model".to_string(), model.clone()]);
        let status = std::process::Command::new(&exe)
            .args(&args)
            .status()
            .expect("run the benchmark");
        assert!(status.success(), "the {model} run failed");
    }
}
