//! Offline speech recognition against faster-whisper (issue 19): the same recordings, model
//! (`base`, int8, from `scripts/setup-whisper.sh`), beam and thread count, in one run.
//!
//! Every run is a fresh process, timed from spawn to exit, so interpreter start, imports and
//! model load count for both engines: this project's is this binary's hidden `__whisper-once`
//! (the product's path: sniff, probe, streamed decode, recogniser, speaker turns);
//! faster-whisper's is `bench/faster-whisper/run.py` in the pinned venv
//! `bench/faster-whisper/setup.sh` makes. The engines alternate who goes first, run by run, so
//! both see the same machine load. Each process reports its own peak resident memory
//! (`VmHWM` / `ru_maxrss`) and text; accuracy is the testkit's word accuracy against the
//! recording's reference text.

use crate::workspace;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// A recording the section transcribes: a sample, optionally looped `n` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeechCase {
    /// `real[-xN]`: LibriVox's public-domain reading (real speech, `samples/librivox-…`).
    Real(usize),
    /// `call[-xN]`: the project's synthetic two-voice support call (espeak-ng, 85 s).
    Call(usize),
}

impl std::str::FromStr for SpeechCase {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (name, loops) = match text.split_once("-x") {
            Some((name, n)) => (
                name,
                n.parse::<usize>()
                    .ok()
                    .filter(|n| (1..=200).contains(n))
                    .ok_or_else(|| format!("`{text}`: the loop count after -x must be 1 to 200"))?,
            ),
            None => (text, 1),
        };
        match name {
            "real" => Ok(Self::Real(loops)),
            "call" => Ok(Self::Call(loops)),
            _ => Err(format!(
                "unknown recording `{text}`: use real, call, real-xN or call-xN (N loops)"
            )),
        }
    }
}

impl std::fmt::Display for SpeechCase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Real(1) => write!(f, "real"),
            Self::Call(1) => write!(f, "call"),
            Self::Real(n) => write!(f, "real-x{n}"),
            Self::Call(n) => write!(f, "call-x{n}"),
        }
    }
}

impl SpeechCase {
    fn sample(self) -> (&'static str, usize) {
        match self {
            Self::Real(n) => ("samples/librivox-sense-and-sensibility.flac", n),
            Self::Call(n) => ("samples/support-call.ogg", n),
        }
    }

    /// The words spoken, once per loop.
    pub fn reference(self) -> Result<String> {
        let (text, loops) = match self {
            Self::Real(n) => (read_sample("samples/librivox-sense-and-sensibility.txt")?, n),
            Self::Call(n) => (
                interview_testkit::wer::script_text(&read_sample("samples/support-call.txt")?),
                n,
            ),
        };
        Ok(vec![text.trim(); loops].join(" "))
    }

    /// Writes the recording as a 16 kHz mono 16-bit WAV (both engines read the same bytes, and
    /// neither pays for a compressed codec), returning its length in seconds.
    pub fn write_wav(self, path: &Path) -> Result<f64> {
        let (sample, loops) = self.sample();
        let source = workspace().join(sample);
        let mut prefix = vec![0u8; 64];
        let n = std::io::Read::read(&mut std::fs::File::open(&source)?, &mut prefix)?;
        let interview_transcript::media::Sniffed::Media(format) = interview_transcript::media::sniff(&prefix[..n])
        else {
            bail!("{} is not a recording", source.display());
        };
        let audio = interview_speech::audio::decode_file(&source, format)
            .with_context(|| format!("decode {}", source.display()))?;
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        write_wav_header(&mut out, (audio.samples.len() * loops) as u32)?;
        for _ in 0..loops {
            for sample in &audio.samples {
                out.write_all(&((sample.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes())?;
            }
        }
        out.flush()?;
        Ok(audio.samples.len() as f64 * loops as f64 / f64::from(interview_speech::audio::TARGET_RATE))
    }
}

fn read_sample(path: &str) -> Result<String> {
    let path = workspace().join(path);
    std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))
}

fn write_wav_header(out: &mut impl Write, frames: u32) -> std::io::Result<()> {
    let rate = interview_speech::audio::TARGET_RATE;
    let data_len = frames * 2;
    out.write_all(b"RIFF")?;
    out.write_all(&(36 + data_len).to_le_bytes())?;
    out.write_all(b"WAVEfmt ")?;
    // PCM, one channel, 16 bits.
    out.write_all(&[16, 0, 0, 0, 1, 0, 1, 0])?;
    out.write_all(&rate.to_le_bytes())?;
    out.write_all(&(rate * 2).to_le_bytes())?;
    out.write_all(&[2, 0, 16, 0])?;
    out.write_all(b"data")?;
    out.write_all(&data_len.to_le_bytes())
}

/// What one engine process reported, with its wall time from spawn to exit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EngineRun {
    /// Spawn to exit, seconds.
    #[serde(default)]
    pub wall_s: f64,
    /// Imports (faster-whisper only) and model load, seconds.
    pub load_s: f64,
    /// The transcription itself, seconds.
    pub transcribe_s: f64,
    /// Peak resident memory of the process, KiB.
    pub peak_kib: u64,
    /// What the engine heard.
    pub text: String,
}

/// One engine's figures for a recording.
#[derive(Debug, Clone, Serialize)]
pub struct EngineSummary {
    /// Median wall time of the runs, seconds.
    pub median_wall_s: f64,
    /// Every run's wall time, in run order.
    pub walls_s: Vec<f64>,
    /// Median load time, seconds.
    pub median_load_s: f64,
    /// Median word accuracy of the runs' texts against the reference, percent (the int8
    /// kernels' threads do not add up in the same order every run, so the text can differ).
    pub accuracy_pct: f64,
    /// The largest peak resident memory of the runs, MiB.
    pub peak_mib: f64,
}

impl EngineSummary {
    fn of(runs: &[EngineRun], reference: &str) -> Self {
        Self {
            median_wall_s: median(runs.iter().map(|r| r.wall_s).collect()),
            walls_s: runs.iter().map(|r| r.wall_s).collect(),
            median_load_s: median(runs.iter().map(|r| r.load_s).collect()),
            accuracy_pct: median(
                runs.iter()
                    .map(|r| 100.0 * interview_testkit::wer::word_errors(reference, &r.text).accuracy())
                    .collect(),
            ),
            peak_mib: runs.iter().map(|r| r.peak_kib).max().unwrap_or(0) as f64 / 1024.0,
        }
    }
}

/// Both engines on one recording.
#[derive(Debug, Clone, Serialize)]
pub struct SpeechReport {
    /// The recording (`real`, `call-x7`, …).
    pub case: String,
    /// Its length, seconds.
    pub audio_s: f64,
    /// This project's engine.
    pub project: EngineSummary,
    /// faster-whisper's.
    pub faster_whisper: EngineSummary,
    /// Project median ÷ faster-whisper median: at most 1.0 means at least as fast.
    pub ratio: f64,
    /// `/proc/loadavg` before and after.
    pub load_before: String,
    /// See `load_before`.
    pub load_after: String,
}

/// The median (the upper one of an even count); 0 for none.
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Which engine goes first in run `k`: this project's on even runs.
pub fn project_first(k: usize) -> bool {
    k.is_multiple_of(2)
}

/// How a section run is set up.
#[derive(Debug, Clone)]
pub struct SpeechConfig {
    /// The recordings.
    pub cases: Vec<SpeechCase>,
    /// Runs per engine and recording (the median is reported).
    pub runs: usize,
    /// Beam width for both.
    pub beam: usize,
    /// CPU threads for both.
    pub threads: usize,
}

fn models_dir() -> PathBuf {
    std::env::var_os("WHISPER_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".data/models"))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Installs what the section needs, both idempotent: the `base` weights and faster-whisper's
/// pinned venv.
pub fn setup() -> Result<()> {
    for (script, args) in [
        ("scripts/setup-whisper.sh", vec!["base"]),
        ("bench/faster-whisper/setup.sh", vec![]),
    ] {
        let status = Command::new("bash")
            .arg(workspace().join(script))
            .args(&args)
            .current_dir(workspace())
            .status()
            .with_context(|| format!("run {script}"))?;
        if !status.success() {
            bail!("{script} failed ({status}); the speech section needs it");
        }
    }
    Ok(())
}

fn timed_json(command: &mut Command, what: &str) -> Result<EngineRun> {
    let started = Instant::now();
    let output = command
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("start {what}"))?;
    let wall_s = started.elapsed().as_secs_f64();
    if !output.status.success() {
        bail!("{what} failed ({})", output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let mut run: EngineRun = serde_json::from_str(line).with_context(|| format!("read {what}'s report"))?;
    run.wall_s = wall_s;
    Ok(run)
}

fn run_project(file: &Path, config: &SpeechConfig) -> Result<EngineRun> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .arg("__whisper-once")
        .arg(file)
        .args([config.beam.to_string(), config.threads.to_string()])
        .env("RUST_LOG", "warn");
    timed_json(&mut command, "this project's engine")
}

fn run_faster_whisper(file: &Path, config: &SpeechConfig) -> Result<EngineRun> {
    let python = workspace().join(".venv-faster-whisper/bin/python");
    let mut command = Command::new(python);
    command
        .arg(workspace().join("bench/faster-whisper/run.py"))
        .arg(models_dir().join("whisper-base"))
        .arg(file)
        .args([config.beam.to_string(), config.threads.to_string()]);
    timed_json(&mut command, "faster-whisper")
}

/// Runs every recording through both engines, alternating, and reports each.
pub fn run(config: &SpeechConfig, mut progress: impl FnMut(&str)) -> Result<Vec<SpeechReport>> {
    let dir = tempfile::tempdir()?;
    let mut reports = Vec::new();
    for case in &config.cases {
        let file = dir.path().join(format!("{case}.wav"));
        let audio_s = case.write_wav(&file)?;
        let reference = case.reference()?;
        let load_before = load_average();
        let (mut project, mut theirs) = (Vec::new(), Vec::new());
        for k in 0..config.runs {
            if project_first(k) {
                project.push(run_project(&file, config)?);
                theirs.push(run_faster_whisper(&file, config)?);
            } else {
                theirs.push(run_faster_whisper(&file, config)?);
                project.push(run_project(&file, config)?);
            }
            progress(&format!(
                "{case} run {}/{}: project {:.2} s, faster-whisper {:.2} s",
                k + 1,
                config.runs,
                project[k].wall_s,
                theirs[k].wall_s
            ));
        }
        let project = EngineSummary::of(&project, &reference);
        let faster_whisper = EngineSummary::of(&theirs, &reference);
        reports.push(SpeechReport {
            case: case.to_string(),
            audio_s,
            ratio: project.median_wall_s / faster_whisper.median_wall_s.max(f64::EPSILON),
            project,
            faster_whisper,
            load_before,
            load_after: load_average(),
        });
        std::fs::remove_file(&file).ok();
    }
    Ok(reports)
}

/// The child `__whisper-once FILE BEAM THREADS`: one transcription by this project's engine
/// through the product's path, reported as one JSON line.
#[cfg(feature = "whisper")]
pub fn once(file: &Path, beam: usize, threads: usize) -> Result<EngineRun> {
    use interview_speech::whisper::{transcribe_file, WhisperConfig, WhisperModel};
    let started = Instant::now();
    let mut config = WhisperConfig::new("base", &models_dir(), Some("en".into()), threads);
    config.beam_size = beam;
    let model = WhisperModel::load(&config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let load_s = started.elapsed().as_secs_f64();
    let limits = interview_transcript::media::DurationLimits::new(0.5, 4.0 * 3600.0, false);
    let state = transcribe_file(&model, &config, &limits, file, None, "bench", &mut |_| {})
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let interview_core::ports::TranscriptionState::Completed(transcript) = state else {
        bail!("the engine finished without a transcript");
    };
    let text: Vec<&str> = transcript.segments.iter().map(|s| s.text.as_str()).collect();
    Ok(EngineRun {
        wall_s: 0.0,
        load_s,
        transcribe_s: started.elapsed().as_secs_f64() - load_s,
        peak_kib: crate::mem::peak_rss_kib().unwrap_or(0),
        text: text.join(" "),
    })
}

/// Without the `whisper` feature there is no engine to run.
#[cfg(not(feature = "whisper"))]
pub fn once(_file: &Path, _beam: usize, _threads: usize) -> Result<EngineRun> {
    bail!("this bench was built without the offline engine: add `--features whisper`")
}

/// Whether this build has the offline engine.
pub const HAS_ENGINE: bool = cfg!(feature = "whisper");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_parse_with_and_without_loops() {
        assert_eq!("real".parse::<SpeechCase>(), Ok(SpeechCase::Real(1)));
        assert_eq!("call-x7".parse::<SpeechCase>(), Ok(SpeechCase::Call(7)));
        assert_eq!(SpeechCase::Call(7).to_string(), "call-x7");
        assert_eq!(SpeechCase::Real(1).to_string(), "real");
        assert!("call-x0".parse::<SpeechCase>().is_err());
        assert!("call-x".parse::<SpeechCase>().is_err());
        assert!("podcast".parse::<SpeechCase>().unwrap_err().contains("real, call"));
    }

    #[test]
    fn median_takes_the_middle_and_alternation_swaps_the_first_engine() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0]), 4.0);
        assert_eq!(median(vec![]), 0.0);
        assert_eq!(
            (0..4).map(project_first).collect::<Vec<_>>(),
            [true, false, true, false]
        );
    }

    #[test]
    fn references_repeat_per_loop() {
        let once = SpeechCase::Real(1).reference().unwrap();
        assert!(once.starts_with("And Mr. John Dashwood"), "{once}");
        let twice = SpeechCase::Real(2).reference().unwrap();
        assert_eq!(twice, format!("{once} {once}"));
        assert!(!SpeechCase::Call(1).reference().unwrap().contains(':'));
    }

    #[test]
    fn looped_wav_is_a_mono_16_khz_file_of_the_right_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("real-x2.wav");
        let seconds = SpeechCase::Real(2).write_wav(&path).unwrap();
        assert!((55.0..56.0).contains(&seconds), "{seconds}");
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(u16::from_le_bytes([bytes[22], bytes[23]]), 1, "mono");
        assert_eq!(u32::from_le_bytes(bytes[24..28].try_into().unwrap()), 16_000);
        assert_eq!(bytes.len() - 44, (seconds * 16_000.0).round() as usize * 2);
        let once = interview_speech::audio::decode_file(&path, interview_transcript::media::MediaFormat::Wav).unwrap();
        assert!((once.duration() - seconds).abs() < 0.01);
    }
}
