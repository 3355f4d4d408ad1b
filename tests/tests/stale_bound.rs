//! Heartbeats and the stale bound (issue 19.3), on the embedded pipeline running the real state
//! machine with the fault suite's scaled clock:
//!
//! - a long recording that transcribes for two hours of pipeline time, and a model analysis in
//!   parts, each slower than the stale threshold in total, stay `processing` while the sweeper
//!   runs on its schedule, and their progress and status detail advance, one write at most per
//!   30 s and at least one every 2 minutes;
//! - a worker that dies silently mid-transcribe (its execution gone, the backstop's write lost)
//!   shows `error` within 15 minutes of its last heartbeat, even when the sweep falls just
//!   before the threshold.
//!
//! The thresholds are the defaults the product ships (`Settings::embedded`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use integration_tests::faults::{sample_speech, wav_bytes, Backend, Env, Fault, Rule, StoreCall, StoreOp};
use interview_analysis::{AnalysisDoc, EvidenceDoc, LocalAnalyzer};
use interview_core::config::{DEFAULT_STALE_AFTER, SWEEP_INTERVAL};
use interview_core::domain::{ErrorKind, Interview, InterviewId, Status, Step};
use interview_core::ports::{Analyzer, Transcriber, TranscriptionRequest, TranscriptionState};
use interview_core::progress::{ProgressSink, WorkProgress, MIN_WRITE_INTERVAL};
use interview_core::{Clock, ProviderError, ScaledClock};
use interview_handlers::sweeper::sweep;
use interview_transcript::Transcript;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The promise: a stuck interview shows `error` within this long of its last write.
const BOUND: Duration = Duration::from_secs(15 * 60);
/// The longest a working step may go without a write.
const BEAT: Duration = Duration::from_secs(120);

/// A speech engine working through a long recording: each check moves it `per_check` seconds
/// of audio further, and it completes after `checks` checks.
struct LongRecording {
    total: f64,
    per_check: f64,
    checks: u32,
    seen: Mutex<HashMap<String, u32>>,
}

impl LongRecording {
    fn checks_of(&self, job: &str) -> u32 {
        self.seen.lock().unwrap().get(job).copied().unwrap_or(0)
    }
}

#[async_trait]
impl Transcriber for LongRecording {
    fn name(&self) -> &str {
        "long-recording"
    }

    async fn start(&self, _request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        Ok(TranscriptionState::InProgress)
    }

    async fn check(&self, request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        let n = {
            let mut seen = self.seen.lock().unwrap();
            let n = seen.entry(request.job_name.clone()).or_insert(0);
            *n += 1;
            *n
        };
        Ok(if n >= self.checks {
            TranscriptionState::Completed(sample_speech())
        } else {
            TranscriptionState::InProgress
        })
    }

    fn progress(&self, request: &TranscriptionRequest) -> Option<WorkProgress> {
        let done = (f64::from(self.checks_of(&request.job_name)) * self.per_check).min(self.total);
        Some(WorkProgress::Transcribing {
            done,
            total: self.total,
        })
    }
}

/// A model analyzer that needs `part_time` of pipeline time for each of `parts` parts (the
/// local analyzer's results at the end), reporting each part as it starts.
struct SlowParts {
    clock: ScaledClock,
    parts: usize,
    part_time: Duration,
    local: LocalAnalyzer,
}

impl SlowParts {
    async fn work(&self, progress: &dyn ProgressSink) {
        for part in 1..=self.parts {
            progress.report(WorkProgress::Analysing { part, of: self.parts }).await;
            self.clock.sleep(self.part_time).await;
        }
    }
}

#[async_trait]
impl Analyzer for SlowParts {
    fn name(&self) -> &str {
        "slow-parts"
    }

    async fn extract(&self, transcript: &Transcript) -> Result<EvidenceDoc, ProviderError> {
        self.local.extract(transcript).await
    }

    async fn analyze(&self, transcript: &Transcript, evidence: &EvidenceDoc) -> Result<AnalysisDoc, ProviderError> {
        self.local.analyze(transcript, evidence).await
    }

    async fn extract_reporting(
        &self,
        transcript: &Transcript,
        progress: &dyn ProgressSink,
    ) -> Result<EvidenceDoc, ProviderError> {
        self.work(progress).await;
        self.extract(transcript).await
    }

    async fn analyze_reporting(
        &self,
        transcript: &Transcript,
        evidence: &EvidenceDoc,
        progress: &dyn ProgressSink,
    ) -> Result<AnalysisDoc, ProviderError> {
        self.work(progress).await;
        self.analyze(transcript, evidence).await
    }
}

/// One item write as the store saw it.
#[derive(Debug, Clone)]
struct Seen {
    at: DateTime<Utc>,
    status: Status,
    step: Step,
    progress: u8,
    detail: Option<String>,
}

/// Records every item replace the handlers make (a rule that never fires).
fn record_writes(env: &Env) -> Arc<Mutex<Vec<Seen>>> {
    let writes = Arc::new(Mutex::new(Vec::new()));
    let log = writes.clone();
    env.store.script.add(Rule::new(Fault::Throttle, move |c: &StoreCall| {
        if let (StoreOp::Replace, Some(item)) = (c.op, c.item.as_ref()) {
            log.lock().unwrap().push(Seen {
                at: item.updated_at,
                status: item.status,
                step: item.step,
                progress: item.progress,
                detail: item.status_detail.clone(),
            });
        }
        false
    }));
    writes
}

/// Sweeps every [`SWEEP_INTERVAL`] of pipeline time until dropped; counts what it marked.
struct Sweeper {
    stop: Arc<AtomicBool>,
    marked: Arc<AtomicU64>,
}

impl Sweeper {
    fn start(env: &Env, speedup: f64) -> Self {
        let (stop, marked) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
        let pipeline = env.pipeline.clone();
        let (s, m) = (stop.clone(), marked.clone());
        tokio::spawn(async move {
            let clock = ScaledClock::new(speedup);
            while !s.load(Ordering::SeqCst) {
                clock.sleep(SWEEP_INTERVAL).await;
                if let Ok(report) = sweep(&pipeline, false).await {
                    m.fetch_add(report.marked_stale, Ordering::SeqCst);
                }
            }
        });
        Sweeper { stop, marked }
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Real time for `d` of pipeline time at `speedup`.
fn real(d: Duration, speedup: f64) -> Duration {
    Duration::from_secs_f64(d.as_secs_f64() / speedup)
}

async fn wait_for(env: &Env, id: &InterviewId, limit: Duration, done: impl Fn(&Interview) -> bool) -> Interview {
    let until = Instant::now() + limit;
    loop {
        let item = env.item(id).await.expect("the item exists");
        if done(&item) || Instant::now() > until {
            return item;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn the_defaults_keep_the_promise(env: &Env) {
    let settings = &env.services.settings;
    assert_eq!(settings.stale_after, DEFAULT_STALE_AFTER);
    assert_eq!(settings.stale_after_transcribe, DEFAULT_STALE_AFTER);
    assert!(
        DEFAULT_STALE_AFTER + SWEEP_INTERVAL <= BOUND,
        "threshold + sweep period within 15 min"
    );
    assert!(
        DEFAULT_STALE_AFTER > BEAT * 4,
        "the threshold leaves room for missed beats"
    );
}

/// Gaps between consecutive writes while the item is processing `step` (with `progress_only`,
/// between the writes that carry a status detail), in pipeline time.
fn gaps(writes: &[Seen], step: Step, progress_only: bool) -> Vec<chrono::Duration> {
    let during: Vec<&Seen> = writes
        .iter()
        .filter(|w| w.step == step && w.status == Status::Processing)
        .filter(|w| !progress_only || w.detail.is_some())
        .collect();
    during.windows(2).map(|w| w[1].at - w[0].at).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn long_work_beats_and_is_never_swept() {
    // 200×: a 2-minute beat is 600 ms real, so a loaded machine's scheduling delays cannot
    // pass for a missed heartbeat (at 1000× a 120 ms stall would).
    let speedup = 200.0;
    // Two hours of audio at 4 minutes per 30-second check: an hour of transcription.
    let engine = Arc::new(LongRecording {
        total: 7200.0,
        per_check: 120.0,
        checks: 60,
        seen: Mutex::new(HashMap::new()),
    });
    // Extract and analyze in 6 parts of 90 s each: 9 minutes per step, the stale threshold.
    let analyzer = Arc::new(SlowParts {
        clock: ScaledClock::new(speedup),
        parts: 6,
        part_time: Duration::from_secs(90),
        local: LocalAnalyzer::new(),
    });
    let env = Env::new(Backend::Embedded, |o| {
        o.speedup = speedup;
        o.transcriber = engine.clone();
        o.analyzer = analyzer.clone();
    })
    .await;
    the_defaults_keep_the_promise(&env);
    let writes = record_writes(&env);
    let sweeper = Sweeper::start(&env, speedup);
    let (id, event) = env.upload("uploads/acme/long interview.wav", &wav_bytes()).await;
    env.ingest(&event).await.expect("ingest");
    let item = wait_for(&env, &id, Duration::from_secs(120), |i| !i.is_live()).await;
    assert_eq!(item.status, Status::Ready, "{:?}", item.error);
    assert_eq!(item.status_detail, None, "the detail goes when the work is done");
    assert_eq!(sweeper.marked.load(Ordering::SeqCst), 0, "nothing was swept");
    drop(sweeper);

    let writes = writes.lock().unwrap().clone();
    let transcribing: Vec<&Seen> = writes
        .iter()
        .filter(|w| w.step == Step::Transcribe && w.detail.is_some())
        .collect();
    assert!(
        transcribing.len() >= 40,
        "one progress write per check: {}",
        transcribing.len()
    );
    let details: Vec<&str> = transcribing.iter().filter_map(|w| w.detail.as_deref()).collect();
    assert!(
        details
            .iter()
            .all(|d| d.starts_with("transcribing ") && d.ends_with(" of 2:00:00")),
        "{details:?}"
    );
    assert!(details.contains(&"transcribing 1:00:00 of 2:00:00"), "{details:?}");
    assert!(
        transcribing.windows(2).all(|w| w[0].progress <= w[1].progress),
        "progress never goes back"
    );
    assert!(
        transcribing.last().unwrap().progress >= 45,
        "near the end of transcription"
    );
    for step in [Step::Extract, Step::Analyze] {
        let parts: Vec<&str> = writes
            .iter()
            .filter(|w| w.step == step)
            .filter_map(|w| w.detail.as_deref())
            .collect();
        assert_eq!(
            parts,
            (1..=6).map(|k| format!("analysing part {k} of 6")).collect::<Vec<_>>(),
            "{step}: one write per part (parts are 90 s apart)"
        );
    }
    let interval = chrono::Duration::from_std(MIN_WRITE_INTERVAL).unwrap();
    let beat = chrono::Duration::from_std(BEAT).unwrap();
    for step in [Step::Transcribe, Step::Extract, Step::Analyze] {
        let progress = gaps(&writes, step, true);
        assert!(!progress.is_empty(), "{step}: progress writes while working");
        assert!(
            progress.iter().all(|g| *g >= interval),
            "{step}: at most one progress write per 30 s: {progress:?}"
        );
        let all = gaps(&writes, step, false);
        assert!(
            all.iter().all(|g| *g <= beat),
            "{step}: at least one write per 2 min: {all:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_that_dies_silently_mid_transcribe_shows_error_within_15_minutes() {
    // 50×: the sweeps are timed to 20 s of pipeline time, 400 ms real.
    let speedup = 50.0;
    let engine = Arc::new(LongRecording {
        total: 4.0 * 3600.0,
        per_check: 60.0,
        checks: u32::MAX,
        seen: Mutex::new(HashMap::new()),
    });
    let env = Env::new(Backend::Embedded, |o| {
        o.speedup = speedup;
        o.transcriber = engine.clone();
    })
    .await;
    the_defaults_keep_the_promise(&env);
    let (id, event) = env.upload("uploads/acme/four hours.wav", &wav_bytes()).await;
    env.ingest(&event).await.expect("ingest");
    let job = env.item(&id).await.expect("item").run_id.to_string();
    let item = wait_for(&env, &id, Duration::from_secs(60), |i| {
        engine.checks_of(&job) >= 3 && i.status_detail.is_some()
    })
    .await;
    let detail = item.status_detail.clone().unwrap_or_default();
    assert!(
        detail.starts_with("transcribing ")
            && detail.ends_with(" of 4:00:00")
            && detail != "transcribing 0:00 of 4:00:00",
        "progress shows while transcribing: {detail}"
    );

    // The worker dies: the execution is gone, and the backstop's write (mark-failed on the
    // ABORTED event) is lost.
    let lost = Rule::new(Fault::Permanent, |c: &StoreCall| {
        c.op == StoreOp::Replace && c.item.as_ref().is_some_and(|i| i.status == Status::Error)
    })
    .times(u32::MAX);
    env.store.script.add(lost);
    let arn = item.execution_arn.clone().expect("an execution");
    env.pipeline
        .orchestrator
        .stop(&arn, "Killed", "the worker died")
        .await
        .expect("stop");
    assert!(env.settle().await, "handlers still running");
    env.clear_faults();
    let dead = env.item(&id).await.expect("item");
    assert_eq!(dead.status, Status::Processing, "nothing recorded the death");
    let last_beat = dead.updated_at;

    // The worst phase: a sweep just before the threshold finds it fresh, the next one ends it.
    let clock = ScaledClock::new(speedup);
    let first = last_beat + chrono::Duration::from_std(DEFAULT_STALE_AFTER).unwrap() - chrono::Duration::seconds(20);
    let wait = (first - env.services.now()).to_std().unwrap_or_default();
    tokio::time::sleep(real(wait, speedup)).await;
    let early = sweep(&env.pipeline, false).await.expect("sweep");
    assert_eq!(early.marked_stale, 0, "not before the threshold");
    assert_eq!(env.item(&id).await.unwrap().status, Status::Processing);
    clock.sleep(SWEEP_INTERVAL).await;
    let late = sweep(&env.pipeline, false).await.expect("sweep");
    assert_eq!(late.marked_stale, 1, "{late:?}");
    let ended = env.item(&id).await.expect("item");
    let error = ended.error.clone().expect("an error");
    assert_eq!(
        (ended.status, error.step, error.kind),
        (Status::Error, Step::Transcribe, ErrorKind::Stale)
    );
    let took = (error.at - last_beat).to_std().unwrap();
    assert!(
        took > DEFAULT_STALE_AFTER,
        "ended after the threshold, not before: {took:?}"
    );
    assert!(took <= BOUND, "ended {took:?} after the last heartbeat");
    eprintln!(
        "a silently dead worker showed error {:.0} s after its last heartbeat",
        took.as_secs_f64()
    );
}
