//! Recordings in the pipeline:
//! - media intake in the transcribe step (real duration from the headers, Amazon Transcribe's and the
//!   configured limits, damaged files) ending in clear `kind=input` errors;
//! - the Transcribe poll loop of the real ASL (Wait → check → Choice) on the embedded runner
//!   with a scripted engine: in progress twice then completed, a failed job, and a job that
//!   outlives the maximum wait;
//! - `AmazonTranscriber` against moto's Transcribe, with and without deferred execution (moto
//!   does not write output: the test puts a real-shaped output document where the job would).

use async_trait::async_trait;
use integration_tests::invoke::invoke;
use interview_analysis::analyzer_for;
use interview_asl::{Clock, ScaledClock};
use interview_aws::s3::S3BlobStore;
use interview_core::config::{Settings, TranscriberChoice};
use interview_core::domain::{ErrorKind, Interview, InterviewId, RunId, Status, Step};
use interview_core::ports::{BlobStore, Transcriber, TranscriptionRequest, TranscriptionState};
use interview_core::s3_event::created_notification;
use interview_core::services::Services;
use interview_core::ProviderError;
use interview_embedded::fs::FsBlobStore;
use interview_embedded::local::LocalOrchestrator;
use interview_embedded::local_pipeline;
use interview_embedded::sqlite::SqliteStore;
use interview_handlers::{Function, Pipeline};
use interview_speech::amazon::{AmazonTranscriber, TranscribeOptions};
use interview_speech::transcriber_for;
use interview_speech::SymphoniaProbe;
use interview_transcript::{Segment, Transcript, TranscriptFormat};
use serde_json::json;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A 16-bit PCM mono WAV of `seconds` of a quiet tone at `rate`.
fn wav(rate: u32, seconds: f64) -> Vec<u8> {
    let frames = (f64::from(rate) * seconds) as u32;
    wav_with_header(rate, frames, frames)
}

/// A WAV whose header announces `announced` frames but holds `actual` (a cut-off file).
fn wav_with_header(rate: u32, announced: u32, actual: u32) -> Vec<u8> {
    let data_len = announced * 2;
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..actual {
        let v = ((f64::from(i) * 0.05).sin() * 3000.0) as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// What the scripted engine answers to each check.
#[derive(Debug, Clone)]
enum Reply {
    Running,
    Done,
    Failed(&'static str),
}

/// A speech engine that starts jobs and answers checks from a script, recording when (on the
/// services' clock) each call came.
struct Scripted {
    replies: Mutex<VecDeque<Reply>>,
    calls: Mutex<Vec<(&'static str, chrono::DateTime<chrono::Utc>)>>,
    clock: Arc<dyn Clock>,
}

impl Scripted {
    fn new(replies: &[Reply], clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(Self {
            replies: Mutex::new(replies.iter().cloned().collect()),
            calls: Mutex::new(Vec::new()),
            clock,
        })
    }

    fn record(&self, what: &'static str) {
        self.calls.lock().unwrap().push((what, self.clock.now()));
    }

    fn calls(&self) -> Vec<(&'static str, chrono::DateTime<chrono::Utc>)> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl Transcriber for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    async fn start(&self, _request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        self.record("start");
        Ok(TranscriptionState::InProgress)
    }

    async fn check(&self, _request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        self.record("check");
        let reply = {
            let mut replies = self.replies.lock().unwrap();
            if replies.len() > 1 {
                replies.pop_front()
            } else {
                replies.front().cloned()
            }
        };
        Ok(match reply.unwrap_or(Reply::Running) {
            Reply::Running => TranscriptionState::InProgress,
            Reply::Failed(reason) => TranscriptionState::Failed(reason.to_string()),
            Reply::Done => TranscriptionState::Completed(Transcript::new(
                TranscriptFormat::AmazonTranscribe,
                vec![
                    Segment {
                        speaker: "spk_0".into(),
                        start: 0.0,
                        end: 1.0,
                        text: "How do you schedule deliveries today?".into(),
                        confidence: Some(0.98),
                    },
                    Segment {
                        speaker: "spk_1".into(),
                        start: 1.2,
                        end: 2.0,
                        text: "We write everything in a spreadsheet and it takes forever.".into(),
                        confidence: Some(0.97),
                    },
                ],
            )),
        })
    }
}

struct Harness {
    _dir: tempfile::TempDir,
    services: Pipeline,
    orchestrator: Arc<LocalOrchestrator>,
}

fn harness(engine: Option<Arc<dyn Transcriber>>, clock: Arc<dyn Clock>, tweak: impl FnOnce(&mut Settings)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::embedded(dir.path());
    tweak(&mut settings);
    let blobs: Arc<dyn BlobStore> = Arc::new(FsBlobStore::new(&dir.path().join("blobs"), "local").unwrap());
    let transcriber = engine.unwrap_or_else(|| transcriber_for(&settings, blobs.clone(), None));
    let analyzer = analyzer_for(&settings);
    let store = Arc::new(SqliteStore::open(&dir.path().join("items.sqlite")).unwrap());
    let services = Services::builder(settings, "test", store, blobs)
        .transcriber(transcriber)
        .analyzer(analyzer)
        .media(Arc::new(SymphoniaProbe))
        .clock(clock.clone())
        .build();
    let (services, orchestrator) = local_pipeline(services, clock).unwrap();
    Harness {
        _dir: dir,
        services,
        orchestrator,
    }
}

fn fast_clock() -> Arc<dyn Clock> {
    Arc::new(ScaledClock::new(100.0))
}

impl Harness {
    async fn drop_file(&self, key: &str, body: &[u8]) -> Interview {
        let meta = self
            .services
            .blobs
            .put(key, bytes::Bytes::copy_from_slice(body), "application/octet-stream")
            .await
            .unwrap();
        let event = created_notification("local", key, &meta.etag, meta.size, "0000000000000001");
        let sqs = json!({ "Records": [{ "messageId": "m0", "body": event, "eventSource": "aws:sqs" }] });
        let response = invoke(&self.services, Function::Ingest, sqs).await.unwrap();
        assert_eq!(response["batchItemFailures"], json!([]), "ingest accepted the message");
        self.orchestrator.wait_idle().await;
        let id = InterviewId::for_object("local", key);
        self.services.store.get(&id).await.unwrap().expect("item exists")
    }
}

fn seconds_between(a: chrono::DateTime<chrono::Utc>, b: chrono::DateTime<chrono::Utc>) -> f64 {
    (b - a).num_milliseconds() as f64 / 1000.0
}

#[tokio::test]
async fn a_job_in_progress_twice_then_completed_drives_the_asl_loop_to_ready() {
    let clock = fast_clock();
    let engine = Scripted::new(&[Reply::Running, Reply::Running, Reply::Done], clock.clone());
    let h = harness(Some(engine.clone()), clock, |_| {});
    // 120 s of audio: the first wait is a quarter of it (30 s), clamped to at least 15 s.
    let item = h.drop_file("uploads/acme/call.wav", &wav(8000, 120.0)).await;
    assert_eq!(
        (item.status, item.step),
        (Status::Ready, Step::Done),
        "{:?}",
        item.error
    );
    assert_eq!(item.counts.words, 16);
    assert_eq!(item.counts.speakers, 2);
    assert_eq!(item.transcription_job.as_deref(), Some(item.run_id.as_str()));
    assert_eq!(item.steps[&Step::Transcribe].worker.as_deref(), Some("test/scripted"));
    let calls = engine.calls();
    let kinds: Vec<&str> = calls.iter().map(|c| c.0).collect();
    assert_eq!(kinds, ["start", "check", "check", "check"]);
    let first_wait = seconds_between(calls[0].1, calls[1].1);
    let poll = seconds_between(calls[1].1, calls[2].1);
    println!("first wait {first_wait:.1} s, then polls of {poll:.1} s (virtual time)");
    assert!(
        (29.0..45.0).contains(&first_wait),
        "first wait scaled from 120 s of audio: {first_wait}"
    );
    assert!((29.0..45.0).contains(&poll), "poll interval (30 s): {poll}");
}

#[tokio::test]
async fn the_first_wait_is_at_least_fifteen_seconds_for_short_recordings() {
    let clock = fast_clock();
    let engine = Scripted::new(&[Reply::Done], clock.clone());
    let h = harness(Some(engine.clone()), clock, |s| {
        s.transcribe_poll_interval = Duration::from_secs(300)
    });
    let item = h.drop_file("uploads/acme/short.wav", &wav(8000, 4.0)).await;
    assert_eq!(item.status, Status::Ready, "{:?}", item.error);
    let calls = engine.calls();
    let first_wait = seconds_between(calls[0].1, calls[1].1);
    assert!((14.0..60.0).contains(&first_wait), "{first_wait}");
}

#[tokio::test]
async fn a_failed_job_ends_the_interview_with_the_providers_reason() {
    let clock = fast_clock();
    let reason = "The media format that you specified doesn't match the detected media format. Check the media format and try your request again.";
    let engine = Scripted::new(&[Reply::Running, Reply::Failed(reason)], clock.clone());
    let h = harness(Some(engine.clone()), clock, |_| {});
    let item = h.drop_file("uploads/acme/failing.wav", &wav(8000, 20.0)).await;
    let err = item.error.clone().expect("an error");
    assert_eq!(
        (item.status, err.step, err.kind, err.retryable),
        (Status::Error, Step::Transcribe, ErrorKind::Provider, true)
    );
    assert!(err.message.contains(reason), "{}", err.message);
    assert!(err.message.contains("interviews retry"), "{}", err.message);
    assert_eq!(
        engine.calls().len(),
        3,
        "start and two checks, no retries of a failed job"
    );
}

#[tokio::test]
async fn a_job_that_outlives_the_maximum_wait_ends_in_a_timeout() {
    let clock = fast_clock();
    let engine = Scripted::new(&[Reply::Running], clock.clone());
    let h = harness(Some(engine.clone()), clock, |s| {
        s.transcribe_max_wait = Duration::from_secs(150);
    });
    let item = h.drop_file("uploads/acme/slow.wav", &wav(8000, 20.0)).await;
    let err = item.error.clone().expect("an error");
    assert_eq!(
        (item.status, err.step, err.kind),
        (Status::Error, Step::Transcribe, ErrorKind::Timeout)
    );
    assert!(
        err.message.contains("did not finish within 2 minutes"),
        "{}",
        err.message
    );
    let checks = engine.calls().iter().filter(|c| c.0 == "check").count();
    assert!(
        (4..=7).contains(&checks),
        "15 s, then every 30 s until past 150 s: {checks} checks"
    );
}

#[tokio::test]
async fn a_check_delivered_again_after_the_transcript_was_stored_asks_the_engine_nothing() {
    let clock = fast_clock();
    let engine = Scripted::new(&[Reply::Done], clock.clone());
    let h = harness(Some(engine.clone()), clock, |_| {});
    let item = h.drop_file("uploads/acme/twice.wav", &wav(8000, 4.0)).await;
    assert_eq!(item.status, Status::Ready, "{:?}", item.error);
    let calls_before = engine.calls().len();
    let task = json!({ "action": "check", "interview_id": item.id, "run_id": item.run_id });
    let answer = invoke(&h.services, Function::Transcribe, task)
        .await
        .expect("answered from the item");
    assert_eq!(
        (answer["status"].as_str(), answer["reused"].as_bool()),
        (Some("COMPLETED"), Some(true))
    );
    assert_eq!(engine.calls().len(), calls_before, "the engine was not asked again");
    let after = h.services.store.get(&item.id).await.unwrap().unwrap();
    assert_eq!(after.version, item.version, "nothing was written");
}

async fn rejected(h: &Harness, key: &str, body: &[u8]) -> String {
    let item = h.drop_file(key, body).await;
    let err = item
        .error
        .clone()
        .unwrap_or_else(|| panic!("{key} was accepted: {item:?}"));
    assert_eq!(
        (item.status, err.kind, err.step, err.retryable),
        (Status::Error, ErrorKind::Input, Step::Transcribe, false),
        "{key}"
    );
    // A recording's headers are read in the transcribe step (one interview per invocation),
    // not in ingest's batch, so a recording refused for its headers had an execution: its
    // first attempt must refuse it, never a retry.
    if item.execution_arn.is_some() {
        let attempts = item.steps.get(&Step::Transcribe).map(|s| s.attempts);
        assert_eq!(attempts, Some(1), "{key}: refused in the first attempt, not retried");
    }
    err.message
}

#[tokio::test]
async fn recordings_outside_amazon_transcribes_limits_are_input_errors() {
    let h = harness(None, fast_clock(), |s| {
        s.transcriber = TranscriberChoice::AmazonTranscribe
    });
    assert_eq!(
        rejected(&h, "uploads/acme/blip.wav", &wav(16_000, 0.2)).await,
        "the recording is 0.2 s long; Amazon Transcribe needs at least 0.5 s. Upload a longer recording"
    );
    // The header says 4 h 10 min (8 kHz mono); only the first second is really there.
    let long = wav_with_header(8000, 8000 * (4 * 3600 + 600), 8000);
    assert_eq!(
        rejected(&h, "uploads/acme/marathon.wav", &long).await,
        "the recording is 4 h 10 min long; Amazon Transcribe takes at most 4 h. Split it into parts and upload them \
         separately"
    );
    let item = h.drop_file("uploads/acme/ok.wav", &wav(16_000, 0.6)).await;
    assert_ne!(
        item.error.as_ref().map(|e| e.kind),
        Some(ErrorKind::Input),
        "0.6 s is fine"
    );
}

#[tokio::test]
async fn configured_limits_apply_to_every_engine() {
    let h = harness(None, fast_clock(), |s| {
        s.transcriber = TranscriberChoice::None;
        s.max_media_seconds = 60.0;
        s.min_media_seconds = 2.0;
    });
    assert_eq!(
        rejected(&h, "uploads/acme/long.wav", &wav(8000, 90.0)).await,
        "the recording is 1 min 30 s long, over the 1 min maximum set by MAX_MEDIA_SECONDS. Split it into parts and \
         upload them separately, or raise MAX_MEDIA_SECONDS"
    );
    assert!(rejected(&h, "uploads/acme/short.wav", &wav(8000, 1.0))
        .await
        .contains("under the 2 s minimum set by MIN_MEDIA_SECONDS"));
}

#[tokio::test]
async fn a_damaged_recording_is_an_input_error_naming_the_problem() {
    let h = harness(None, fast_clock(), |_| {});
    let mut garbage = b"RIFF\x00\x10\x00\x00WAVE".to_vec();
    garbage.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8));
    let message = rejected(&h, "uploads/acme/broken.wav", &garbage).await;
    assert!(
        message.starts_with("the recording looks like a WAV file but could not be opened:"),
        "{message}"
    );
    assert!(message.contains("export it again"), "{message}");
    let mut flac = b"fLaC".to_vec();
    flac.extend(std::iter::repeat_n(0xA5u8, 3000));
    let message = rejected(&h, "uploads/acme/broken.flac", &flac).await;
    assert!(message.contains("FLAC"), "{message}");
    let header_only = wav_with_header(16_000, 0, 0);
    let message = rejected(&h, "uploads/acme/empty-audio.wav", &header_only).await;
    assert_eq!(message, "the recording is a WAV file whose audio track is empty");
}

// ---- Amazon Transcribe against moto ----

const OUTPUT: &str = include_str!("../../shared/transcript/tests/fixtures/transcribe-two-speakers.json");

async fn moto_transcriber() -> (
    AmazonTranscriber,
    Arc<dyn BlobStore>,
    aws_sdk_transcribe::Client,
    String,
) {
    moto_transcriber_with(None).await
}

/// A transcriber on moto; `data_access_role_arn` turns on deferred execution.
async fn moto_transcriber_with(
    data_access_role_arn: Option<&str>,
) -> (
    AmazonTranscriber,
    Arc<dyn BlobStore>,
    aws_sdk_transcribe::Client,
    String,
) {
    let config = integration_tests::moto_config().await;
    let (s3, bucket) = integration_tests::new_bucket(&config).await;
    let blobs: Arc<dyn BlobStore> = Arc::new(S3BlobStore::new(s3, bucket.clone()));
    let client = aws_sdk_transcribe::Client::new(&config);
    let transcriber = AmazonTranscriber::new(
        client.clone(),
        blobs.clone(),
        TranscribeOptions {
            language: Some("en-US".into()),
            max_speakers: 3,
            data_access_role_arn: data_access_role_arn.map(str::to_string),
        },
    );
    (transcriber, blobs, client, bucket)
}

fn moto_request(tag: &str) -> TranscriptionRequest {
    let key = format!("uploads/acme/{}.wav", integration_tests::unique_name(tag));
    let id = InterviewId::for_object("bucket", &key);
    let run_id = RunId::new(&id, 1);
    TranscriptionRequest {
        job_name: run_id.to_string(),
        interview_id: id,
        run_id,
        media_key: key,
        media_format: "audio/wav".into(),
    }
}

#[tokio::test]
async fn moto_start_conflict_poll_and_complete() {
    let (transcriber, blobs, client, bucket) = moto_transcriber().await;
    let request = moto_request("call");
    blobs
        .put(&request.media_key, wav(16_000, 2.0).into(), "audio/wav")
        .await
        .unwrap();
    assert!(matches!(
        transcriber.start(&request).await.unwrap(),
        TranscriptionState::InProgress
    ));
    // A retried start of the same run: Transcribe says ConflictException; we go on polling.
    assert!(matches!(
        transcriber.start(&request).await.unwrap(),
        TranscriptionState::InProgress
    ));

    // What the job was started with, as Transcribe recorded it.
    let job = client
        .get_transcription_job()
        .transcription_job_name(&request.job_name)
        .send()
        .await
        .unwrap()
        .transcription_job
        .unwrap();
    assert_eq!(
        job.media().and_then(|m| m.media_file_uri()),
        Some(format!("s3://{bucket}/{}", request.media_key).as_str())
    );
    let settings = job.settings().unwrap();
    assert_eq!(
        (settings.show_speaker_labels(), settings.max_speaker_labels()),
        (Some(true), Some(3))
    );

    // moto never writes the output; put a real-shaped document where the job writes it.
    blobs
        .put(
            &AmazonTranscriber::output_key(&request),
            OUTPUT.into(),
            "application/json",
        )
        .await
        .unwrap();
    let mut states = Vec::new();
    for _ in 0..5 {
        let state = transcriber.check(&request).await.unwrap();
        let done = matches!(state, TranscriptionState::Completed(_));
        states.push(state);
        if done {
            break;
        }
    }
    println!(
        "moto: {:?}",
        states
            .iter()
            .map(|s| format!("{s:?}").chars().take(20).collect::<String>())
            .collect::<Vec<_>>()
    );
    match states.last() {
        Some(TranscriptionState::Completed(transcript)) => {
            assert_eq!(transcript.source_format, TranscriptFormat::AmazonTranscribe);
            assert_eq!(transcript.speakers().len(), 2);
        }
        other => panic!("the job never completed: {other:?}"),
    }
}

// moto accepts JobExecutionSettings and ignores it for scheduling: it moves every job one status
// per describe, QUEUED → IN_PROGRESS → COMPLETED. So this shows that the deferred-execution
// request is well-formed and that a job read as QUEUED (the transcriber's first check) is polled
// on through to its transcript.
#[tokio::test]
async fn moto_deferred_execution_start_poll_and_complete() {
    let role = "arn:aws:iam::123456789012:role/interviews-TranscribeDataAccessRole";
    let (transcriber, blobs, client, _bucket) = moto_transcriber_with(Some(role)).await;
    let request = moto_request("deferred");
    blobs
        .put(&request.media_key, wav(16_000, 2.0).into(), "audio/wav")
        .await
        .unwrap();
    assert!(matches!(
        transcriber.start(&request).await.unwrap(),
        TranscriptionState::InProgress
    ));
    blobs
        .put(
            &AmazonTranscriber::output_key(&request),
            OUTPUT.into(),
            "application/json",
        )
        .await
        .unwrap();
    // Each round: the transcriber's check, then what Transcribe says after it.
    let mut rounds = Vec::new();
    for _ in 0..5 {
        let state = transcriber.check(&request).await.unwrap();
        if !matches!(state, TranscriptionState::InProgress) {
            rounds.push((format!("{state:?}").chars().take(20).collect::<String>(), None));
            break;
        }
        let job = client
            .get_transcription_job()
            .transcription_job_name(&request.job_name)
            .send()
            .await
            .unwrap()
            .transcription_job
            .unwrap();
        let status = job.transcription_job_status().map(|s| s.as_str().to_string());
        rounds.push(("InProgress".to_string(), status));
    }
    println!("moto (check, then status): {rounds:?}");
    // The first check read QUEUED (the status before the IN_PROGRESS that followed it).
    assert_eq!(
        rounds.first(),
        Some(&("InProgress".to_string(), Some("IN_PROGRESS".to_string()))),
        "{rounds:?}"
    );
    assert!(
        rounds.last().is_some_and(|(state, _)| state.starts_with("Completed")),
        "the job never completed: {rounds:?}"
    );
}

#[tokio::test]
async fn moto_unknown_job_is_a_permanent_error() {
    let (transcriber, _blobs, _client, _bucket) = moto_transcriber().await;
    let err = transcriber.check(&moto_request("never-started")).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::Permanent { message, .. } if message.contains("BadRequestException")),
        "{err:?}"
    );
}

#[tokio::test]
async fn moto_completed_job_without_output_says_where_it_looked() {
    let (transcriber, blobs, _client, _bucket) = moto_transcriber().await;
    let request = moto_request("lost-output");
    blobs
        .put(&request.media_key, wav(16_000, 2.0).into(), "audio/wav")
        .await
        .unwrap();
    transcriber.start(&request).await.unwrap();
    let mut last: Option<Result<TranscriptionState, ProviderError>> = None;
    for _ in 0..5 {
        let result = transcriber.check(&request).await;
        let finished = !matches!(result, Ok(TranscriptionState::InProgress));
        last = Some(result);
        if finished {
            break;
        }
    }
    match last {
        Some(Err(ProviderError::Permanent { message, .. })) => {
            assert!(message.contains(&AmazonTranscriber::output_key(&request)), "{message}")
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
}
