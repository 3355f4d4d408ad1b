//! Section 1: interviews through the embedded pipeline — the real ingest handler, the real ASL
//! runner ([`LocalOrchestrator`] executing `infra/statemachine.asl.json`), SQLite and the
//! filesystem bucket in a temporary folder, real time ([`SystemClock`]).
//!
//! Two passes over the same inputs, each meant to run in its own process (so its peak memory
//! is its own):
//! - **throughput**: every notification delivered at once in SQS-sized batches, executions
//!   bounded by the orchestrator's pool (the product's default of 4), as a bulk drop runs.
//! - **serial**: one interview at a time (ingest, then its execution to the end), so wall time
//!   adds up and can be split: provider work (transcript conversion and the analyzer) versus
//!   everything else — ingest, store, bucket, and the runner with the handlers' own glue.

use crate::formats::UploadFormat;
use crate::mem;
use crate::timed::{TimedAnalyzer, TimedBlobs, TimedStore, TimerSnapshot, Timers};
use anyhow::{bail, Context, Result};
use interview_analysis::analyzer_for;
use interview_asl::{Clock, SystemClock};
use interview_core::config::Settings;
use interview_core::domain::{InterviewId, Status};
use interview_core::ports::BlobStore;
use interview_core::s3_event::created_notification;
use interview_core::services::Services;
use interview_embedded::executions::ExecutionJournal;
use interview_embedded::fs::FsBlobStore;
use interview_embedded::sqlite::SqliteStore;
use interview_embedded::tasks::invoke;
use interview_embedded::{durable_pipeline, local_pipeline};
use interview_handlers::Function;
use interview_speech::transcriber_for;
use interview_speech::SymphoniaProbe;
use interview_testkit::analysis_fixtures::generate_long_transcript;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Messages per ingest invocation (the SQS event source's batch size in the template).
pub const SQS_BATCH: usize = 10;

/// How the interviews are pushed through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// All at once, executions bounded by the pool.
    Throughput,
    /// One at a time, for the wall-time breakdown.
    Serial,
}

/// What to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PipelineConfig {
    /// How many interviews.
    pub interviews: usize,
    /// Shortest generated interview, minutes.
    pub min_minutes: u32,
    /// Longest generated interview, minutes.
    pub max_minutes: u32,
    /// Whether executions are kept in the data dir's SQLite file as they move (the product's
    /// `process`/`watch`), or only in memory (the baseline before durable executions).
    #[serde(default)]
    pub durable: bool,
    /// Executions at once (the orchestrator's pool).
    pub concurrency: usize,
    /// Throughput or serial.
    pub mode: Mode,
}

/// What one pass measured. Times are milliseconds unless named otherwise.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PipelineReport {
    /// The configuration.
    pub config: PipelineConfig,
    /// Interviews per upload format.
    pub formats: Vec<(UploadFormat, usize)>,
    /// Total bytes of the uploads.
    pub input_bytes: u64,
    /// Total minutes of the generated interviews.
    pub input_minutes: u64,
    /// Words in all transcripts, as the items count them.
    pub words: u64,
    /// Items that ended `ready`.
    pub ready: usize,
    /// Items that ended anything else.
    pub not_ready: usize,
    /// From the first notification to the last execution's end.
    pub wall_ms: f64,
    /// Interviews per second of wall time.
    pub interviews_per_sec: f64,
    /// Resident memory before the pass (inputs generated and uploaded), KiB.
    pub rss_before_kib: Option<u64>,
    /// Peak resident memory of the process at the end of the pass (`VmHWM`), KiB.
    pub peak_rss_kib: Option<u64>,
    /// Ingest invocations (SQS batches).
    pub ingest: TimerSnapshot,
    /// Store calls made during ingest invocations (serial pass only; otherwise zero).
    pub store_in_ingest: TimerSnapshot,
    /// Bucket calls made during ingest invocations (serial pass only; otherwise zero).
    pub blobs_in_ingest: TimerSnapshot,
    /// Wall time from ingest's return to the execution's end, summed (serial pass only).
    pub executions_ms: f64,
    /// Analyzer (extract + analyze) calls.
    pub analyzer: TimerSnapshot,
    /// Transcript conversion (parse + encode transcript.json), one per interview.
    pub transcript: TimerSnapshot,
    /// All store calls.
    pub store: TimerSnapshot,
    /// All bucket calls (the uploads themselves excluded).
    pub blobs: TimerSnapshot,
    /// Rows written to the executions journal (durable passes only).
    #[serde(default)]
    pub journal_writes: u64,
}

/// Wall time per interview split into its parts (serial pass).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Breakdown {
    /// Wall time per interview.
    pub wall_ms: f64,
    /// Provider work: transcript conversion plus analyzer.
    pub provider_ms: f64,
    /// Of which the analyzer.
    pub analyzer_ms: f64,
    /// Of which transcript conversion.
    pub transcript_ms: f64,
    /// Everything that is not provider work.
    pub overhead_ms: f64,
    /// Ingest invocation (all of it: its store and bucket calls included).
    pub ingest_ms: f64,
    /// Store calls during the execution.
    pub store_ms: f64,
    /// Bucket calls during the execution.
    pub blobs_ms: f64,
    /// The rest of the execution: the ASL runner (state transitions, paths, retries
    /// bookkeeping, task spawning) and the handlers' own glue (serde of items and task I/O,
    /// step bookkeeping).
    pub runner_ms: f64,
}

impl PipelineReport {
    /// The per-interview split; meaningful for the serial pass, where times add up.
    pub fn breakdown(&self) -> Breakdown {
        let n = self.config.interviews.max(1) as f64;
        let ms = |t: &TimerSnapshot| t.nanos as f64 / 1e6;
        let analyzer = ms(&self.analyzer);
        let transcript = ms(&self.transcript);
        let store_exec = (ms(&self.store) - ms(&self.store_in_ingest)).max(0.0);
        let blobs_exec = (ms(&self.blobs) - ms(&self.blobs_in_ingest)).max(0.0);
        let runner = (self.executions_ms - analyzer - transcript - store_exec - blobs_exec).max(0.0);
        let provider = analyzer + transcript;
        Breakdown {
            wall_ms: self.wall_ms / n,
            provider_ms: provider / n,
            analyzer_ms: analyzer / n,
            transcript_ms: transcript / n,
            overhead_ms: (self.wall_ms - provider).max(0.0) / n,
            ingest_ms: ms(&self.ingest) / n,
            store_ms: store_exec / n,
            blobs_ms: blobs_exec / n,
            runner_ms: runner / n,
        }
    }
}

/// One generated upload.
pub struct Input {
    /// Object key under `uploads/`.
    pub key: String,
    /// Its bytes (shared between interviews of the same length and format).
    pub body: Arc<Vec<u8>>,
    /// Length of the interview.
    pub minutes: u32,
    /// File format.
    pub format: UploadFormat,
}

/// The inputs for `config`: lengths spread over `min..=max` minutes, formats cycling through
/// Amazon Transcribe JSON, WebVTT, SRT and plain text.
pub fn inputs(config: &PipelineConfig) -> Vec<Input> {
    let (lo, hi) = (
        config.min_minutes.max(1),
        config.max_minutes.max(config.min_minutes.max(1)),
    );
    let span = (hi - lo + 1) as usize;
    let mut cache: HashMap<(u32, UploadFormat), Arc<Vec<u8>>> = HashMap::new();
    (0..config.interviews)
        .map(|i| {
            let format = UploadFormat::ALL[i % UploadFormat::ALL.len()];
            let minutes = lo + ((i / UploadFormat::ALL.len() * 3 + i) % span) as u32;
            let body = cache
                .entry((minutes, format))
                .or_insert_with(|| Arc::new(format.render(&generate_long_transcript(minutes))))
                .clone();
            Input {
                key: format!("uploads/bench/interview-{i:05}.{}", format.extension()),
                body,
                minutes,
                format,
            }
        })
        .collect()
}

fn sqs_event(bodies: &[String]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| json!({ "messageId": format!("m{i}"), "body": body, "eventSource": "aws:sqs" }))
        .collect();
    json!({ "Records": records })
}

/// Runs one pass. Needs a tokio runtime; the product's default is a multi-thread runtime with
/// one worker per core, as the CLI uses.
pub async fn run(config: PipelineConfig) -> Result<PipelineReport> {
    let dir = tempfile::tempdir().context("temp dir")?;
    let mut settings = Settings::embedded(dir.path());
    settings.local_concurrency = config.concurrency.max(1);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let timers = Arc::new(Timers::default());
    let sqlite = SqliteStore::open(&dir.path().join("items.sqlite")).context("open SQLite")?;
    let sqlite_for_journal = sqlite.clone();
    let fs_blobs: Arc<dyn BlobStore> =
        Arc::new(FsBlobStore::new(&dir.path().join("blobs"), "local").context("create the bucket folder")?);
    let transcriber = transcriber_for(&settings, fs_blobs.clone(), None);
    let analyzer = Arc::new(TimedAnalyzer::new(analyzer_for(&settings), timers.clone()));
    let services = Services::builder(
        settings,
        "bench",
        Arc::new(TimedStore::new(Arc::new(sqlite), timers.clone())),
        Arc::new(TimedBlobs::new(fs_blobs.clone(), timers.clone())),
    )
    .transcriber(transcriber)
    .analyzer(analyzer)
    .media(Arc::new(SymphoniaProbe))
    .clock(clock.clone())
    .build();
    let journal = config.durable.then(|| {
        ExecutionJournal::new(
            sqlite_for_journal.clone(),
            ExecutionJournal::process_name(),
            Duration::from_secs(30),
        )
    });
    let (services, orchestrator) = match &journal {
        Some(journal) => durable_pipeline(services, clock, journal.clone()),
        None => local_pipeline(services, clock),
    }
    .context("load the state machine")?;

    // The uploads are the user's doing, not the pipeline's: made before the clock starts.
    let inputs = inputs(&config);
    let mut notifications = Vec::with_capacity(inputs.len());
    let mut formats: HashMap<UploadFormat, usize> = HashMap::new();
    let (mut input_bytes, mut input_minutes) = (0u64, 0u64);
    for (i, input) in inputs.iter().enumerate() {
        let meta = fs_blobs
            .put(
                &input.key,
                bytes::Bytes::from(input.body.as_ref().clone()),
                "application/octet-stream",
            )
            .await
            .with_context(|| format!("upload {}", input.key))?;
        notifications.push(created_notification(
            "local",
            &input.key,
            &meta.etag,
            meta.size,
            &format!("{i:020X}"),
        ));
        *formats.entry(input.format).or_default() += 1;
        input_bytes += meta.size;
        input_minutes += u64::from(input.minutes);
    }
    let ids: Vec<InterviewId> = inputs
        .iter()
        .map(|i| InterviewId::for_object("local", &i.key))
        .collect();
    drop(inputs);
    let rss_before_kib = mem::rss_kib();

    let ingest = crate::timed::Timer::default();
    let (mut store_in_ingest, mut blobs_in_ingest) = (TimerSnapshot::default(), TimerSnapshot::default());
    let mut executions = Duration::ZERO;
    let started = Instant::now();
    match config.mode {
        Mode::Throughput => {
            for batch in notifications.chunks(SQS_BATCH) {
                let response = ingest
                    .time(invoke(&services, Function::Ingest, sqs_event(batch)))
                    .await?;
                check_batch(&response)?;
            }
            orchestrator.wait_idle().await;
        }
        Mode::Serial => {
            for notification in &notifications {
                let (store0, blobs0) = (timers.store.snapshot(), timers.blobs.snapshot());
                let response = ingest
                    .time(invoke(
                        &services,
                        Function::Ingest,
                        sqs_event(std::slice::from_ref(notification)),
                    ))
                    .await?;
                store_in_ingest = add(store_in_ingest, timers.store.snapshot().since(&store0));
                blobs_in_ingest = add(blobs_in_ingest, timers.blobs.snapshot().since(&blobs0));
                check_batch(&response)?;
                let t = Instant::now();
                orchestrator.wait_idle().await;
                executions += t.elapsed();
            }
        }
    }
    let wall = started.elapsed();
    let snapshot = (
        timers.analyzer.snapshot(),
        timers.transcript.snapshot(),
        timers.store.snapshot(),
        timers.blobs.snapshot(),
    );

    let (mut ready, mut words) = (0usize, 0u64);
    for id in &ids {
        let item = services
            .store
            .get(id)
            .await?
            .with_context(|| format!("no item for {id}"))?;
        if item.status == Status::Ready {
            ready += 1;
        }
        words += item.counts.words;
    }
    let mut formats: Vec<(UploadFormat, usize)> = formats.into_iter().collect();
    formats.sort_by_key(|(f, _)| UploadFormat::ALL.iter().position(|g| g == f));
    let n = config.interviews;
    Ok(PipelineReport {
        formats,
        input_bytes,
        input_minutes,
        words,
        ready,
        not_ready: n - ready,
        wall_ms: wall.as_secs_f64() * 1e3,
        interviews_per_sec: n as f64 / wall.as_secs_f64().max(1e-9),
        rss_before_kib,
        peak_rss_kib: mem::peak_rss_kib(),
        ingest: ingest.snapshot(),
        store_in_ingest,
        blobs_in_ingest,
        executions_ms: executions.as_secs_f64() * 1e3,
        analyzer: snapshot.0,
        transcript: snapshot.1,
        store: snapshot.2,
        blobs: snapshot.3,
        journal_writes: journal.as_ref().map_or(0, ExecutionJournal::writes),
        config,
    })
}

fn add(a: TimerSnapshot, b: TimerSnapshot) -> TimerSnapshot {
    TimerSnapshot {
        nanos: a.nanos + b.nanos,
        calls: a.calls + b.calls,
    }
}

fn check_batch(response: &Value) -> Result<()> {
    match response["batchItemFailures"].as_array() {
        Some(failures) if failures.is_empty() => Ok(()),
        Some(failures) => bail!("ingest refused {} message(s): {response}", failures.len()),
        None => bail!("ingest answered something unexpected: {response}"),
    }
}
