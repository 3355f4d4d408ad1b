//! The whole pipeline on the embedded backend, driven through the ingest handler with
//! S3-shaped notifications, exactly as the drop folder and the Lambda would.

use async_trait::async_trait;
use integration_tests::invoke::invoke;
use interview_analysis::analyzer_for;
use interview_analysis::{AnalysisDoc, EvidenceDoc, LocalAnalyzer};
use interview_asl::{Clock, ScaledClock};
use interview_core::config::Settings;
use interview_core::domain::{ErrorKind, Interview, InterviewId, Status, Step};
use interview_core::ports::Analyzer;
use interview_core::s3_event::{created_notification, removed_notification};
use interview_core::services::Services;
use interview_core::{ProviderError, TaskError};
use interview_embedded::fs::FsBlobStore;
use interview_embedded::local::LocalOrchestrator;
use interview_embedded::local_pipeline;
use interview_embedded::sqlite::SqliteStore;
use interview_handlers::Deadline;
use interview_handlers::{Function, Pipeline, TaskInput};
use interview_speech::transcriber_for;
use interview_speech::SymphoniaProbe;
use interview_testkit::metered_store::MeteredStore;
use interview_transcript::Transcript;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/bakery-scheduling.vtt");

struct Harness {
    _dir: tempfile::TempDir,
    services: Pipeline,
    orchestrator: Arc<LocalOrchestrator>,
    metered: Arc<MeteredStore>,
}

fn harness_with(analyzer: Option<Arc<dyn Analyzer>>, tweak: impl FnOnce(&mut Settings)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::embedded(dir.path());
    tweak(&mut settings);
    let clock: Arc<dyn Clock> = Arc::new(ScaledClock::new(1000.0));
    let sqlite = SqliteStore::open(&dir.path().join("items.sqlite")).unwrap();
    let metered = Arc::new(MeteredStore::new(Arc::new(sqlite)));
    let blobs: Arc<dyn interview_core::ports::BlobStore> =
        Arc::new(FsBlobStore::new(&dir.path().join("blobs"), "local").unwrap());
    let transcriber = transcriber_for(&settings, blobs.clone(), None);
    let analyzer = analyzer.unwrap_or_else(|| analyzer_for(&settings));
    let services = Services::builder(settings, "test", metered.clone(), blobs)
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
        metered,
    }
}

fn harness() -> Harness {
    harness_with(None, |_| {})
}

fn sqs(bodies: &[String]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| json!({ "messageId": format!("m{i}"), "body": body, "eventSource": "aws:sqs" }))
        .collect();
    json!({ "Records": records })
}

impl Harness {
    async fn upload(&self, key: &str, body: &[u8]) -> (InterviewId, String) {
        let meta = self
            .services
            .blobs
            .put(key, bytes::Bytes::copy_from_slice(body), "application/octet-stream")
            .await
            .unwrap();
        let seq = format!(
            "{:020X}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        (
            InterviewId::for_object("local", key),
            created_notification("local", key, &meta.etag, meta.size, &seq),
        )
    }

    async fn deliver(&self, bodies: &[String]) -> Vec<String> {
        let response = invoke(&self.services, Function::Ingest, sqs(bodies)).await.unwrap();
        response["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
            .collect()
    }

    async fn drop_file(&self, key: &str, body: &[u8]) -> InterviewId {
        let (id, event) = self.upload(key, body).await;
        assert!(self.deliver(&[event]).await.is_empty());
        self.orchestrator.wait_idle().await;
        id
    }

    async fn item(&self, id: &InterviewId) -> Interview {
        self.services.store.get(id).await.unwrap().expect("item exists")
    }
}

fn sample() -> Vec<u8> {
    std::fs::read(SAMPLE).unwrap()
}

#[tokio::test]
async fn a_transcript_upload_ends_ready_with_valid_artifacts_in_seven_writes() {
    let h = harness();
    let id = h.drop_file("uploads/acme/bakery-scheduling.vtt", &sample()).await;
    let item = h.item(&id).await;
    assert_eq!(
        (item.status, item.step, item.progress),
        (Status::Ready, Step::Done, 100)
    );
    assert!(
        item.counts.words > 100 && item.counts.speakers >= 2 && item.counts.evidence > 0 && item.counts.themes > 0,
        "{:?}",
        item.counts
    );
    for step in Step::WORK {
        let rec = &item.steps[&step];
        assert_eq!(rec.attempts, 1, "{step}");
        assert!(
            rec.finished_at.is_some() && rec.duration_ms.is_some(),
            "{step}: {rec:?}"
        );
    }
    let transcript: Transcript = serde_json::from_slice(
        &h.services
            .blobs
            .get(item.artifacts.transcript.as_ref().unwrap(), u64::MAX)
            .await
            .unwrap(),
    )
    .unwrap();
    let evidence: EvidenceDoc = serde_json::from_slice(
        &h.services
            .blobs
            .get(item.artifacts.evidence.as_ref().unwrap(), u64::MAX)
            .await
            .unwrap(),
    )
    .unwrap();
    let analysis: AnalysisDoc = serde_json::from_slice(
        &h.services
            .blobs
            .get(item.artifacts.analysis.as_ref().unwrap(), u64::MAX)
            .await
            .unwrap(),
    )
    .unwrap();
    interview_analysis::validate_evidence(&transcript, &evidence).unwrap();
    interview_analysis::validate_analysis(&evidence, &analysis).unwrap();
    let (_, writes, refused, _, _) = h.metered.counters.snapshot();
    println!("store writes for one interview: {writes} (refused: {refused})");
    assert_eq!(writes, 7, "ingest claim + begin/finish for each of three steps");
    assert_eq!(refused, 0);
}

#[tokio::test]
async fn three_deliveries_of_the_same_event_are_one_interview_and_one_run() {
    let h = harness();
    let (id, event) = h.upload("uploads/acme/dup.vtt", &sample()).await;
    let deliveries = (0..3).map(|_| h.deliver(std::slice::from_ref(&event)));
    for failures in futures_all(deliveries).await {
        assert!(failures.is_empty());
    }
    h.orchestrator.wait_idle().await;
    assert!(
        h.deliver(&[event]).await.is_empty(),
        "a late fourth copy is harmless too"
    );
    h.orchestrator.wait_idle().await;
    let item = h.item(&id).await;
    assert_eq!(item.status, Status::Ready);
    assert_eq!(item.run_id.number(), 1, "one run");
    assert_eq!(h.orchestrator.started(), 1, "one execution");
    assert_eq!(h.services.store.list(&Default::default()).await.unwrap().len(), 1);
}

async fn futures_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = futures.collect();
    let mut out = Vec::new();
    for f in handles {
        out.push(f.await);
    }
    out
}

#[tokio::test]
async fn new_content_for_the_same_key_is_a_new_run_and_a_late_old_event_is_ignored() {
    let h = harness();
    let key = "uploads/acme/evolving.txt";
    let (id, old_event) = h
        .upload(
            key,
            b"Interviewer: Is scheduling hard?\nMaria: It takes forever every week.\n",
        )
        .await;
    assert!(h.deliver(std::slice::from_ref(&old_event)).await.is_empty());
    h.orchestrator.wait_idle().await;
    let first = h.item(&id).await;
    let new_id = h.drop_file(key, &sample()[..]).await;
    assert_eq!(new_id, id, "same key, same interview");
    let second = h.item(&id).await;
    assert_eq!(second.run_id.number(), 2);
    assert_eq!(second.status, Status::Ready, "{:?}", second.error);
    assert!(
        second.counts.words > first.counts.words,
        "results are from the new content"
    );
    assert!(h.deliver(&[old_event]).await.is_empty());
    h.orchestrator.wait_idle().await;
    assert_eq!(
        h.item(&id).await.run_id.number(),
        2,
        "the older event did not start a third run"
    );
}

#[tokio::test]
async fn removing_the_upload_marks_it_deleted_and_removes_results() {
    let h = harness();
    let key = "uploads/acme/gone.vtt";
    let id = h.drop_file(key, &sample()).await;
    assert_eq!(h.services.blobs.list(&id.results_prefix()).await.unwrap().len(), 3);
    h.services.blobs.delete(key).await.unwrap();
    let seq = format!("{:020X}", u128::MAX >> 8);
    assert!(h.deliver(&[removed_notification("local", key, &seq)]).await.is_empty());
    let item = h.item(&id).await;
    assert_eq!(item.status, Status::Deleted);
    assert!(h.services.blobs.list(&id.results_prefix()).await.unwrap().is_empty());
    assert!(
        h.services.store.list(&Default::default()).await.unwrap().is_empty(),
        "list hides deleted items"
    );
}

#[tokio::test]
async fn a_malformed_message_fails_alone_and_leaves_no_trace() {
    let h = harness();
    let (id, good) = h.upload("uploads/acme/good.vtt", &sample()).await;
    let test_event = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"local"}"#.to_string();
    let failures = h
        .deliver(&[
            good,
            "{not json".to_string(),
            test_event,
            r#"{"Records":[{"eventName":"ObjectCreated:Put"}]}"#.into(),
        ])
        .await;
    assert_eq!(
        failures,
        vec!["m1".to_string(), "m3".to_string()],
        "only the malformed messages fail"
    );
    h.orchestrator.wait_idle().await;
    let all = h
        .services
        .store
        .list(&interview_core::ports::ListQuery {
            include_deleted: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "nothing was written for the malformed messages");
    assert_eq!(all[0].id, id);
}

#[tokio::test]
async fn odd_keys_are_handled_safely() {
    let h = harness();
    for key in [
        "uploads/acme/Interview 3 + notes (ü).vtt",
        "uploads/日本/インタビュー.vtt",
        "uploads/acme/../../escape.vtt",
        "uploads/acme/100%.vtt",
    ] {
        let id = h.drop_file(key, &sample()).await;
        let item = h.item(&id).await;
        assert_eq!(item.status, Status::Ready, "{key}: {:?}", item.error);
        assert_eq!(item.source.key, key);
    }
    let ignored = h.upload("notes/outside.vtt", &sample()).await;
    assert!(h.deliver(&[ignored.1]).await.is_empty());
    assert_eq!(
        h.services.store.get(&ignored.0).await.unwrap(),
        None,
        "keys outside uploads/ are not interviews"
    );
}

#[tokio::test]
async fn a_recording_without_a_speech_engine_fails_with_what_to_do() {
    let h = harness_with(None, |s| {
        s.transcriber = interview_core::config::TranscriberChoice::None
    });
    // One second of 16 kHz 16-bit mono silence: a valid recording (ingest probes it).
    let mut wav = b"RIFF\x24\x7d\x00\x00WAVEfmt ".to_vec();
    wav.extend_from_slice(&[16, 0, 0, 0, 1, 0, 1, 0, 0x80, 0x3e, 0, 0, 0, 0x7d, 0, 0, 2, 0, 16, 0]);
    wav.extend_from_slice(b"data\x00\x7d\x00\x00");
    wav.extend(std::iter::repeat_n(0u8, 32_000));
    let id = h.drop_file("uploads/acme/call.wav", &wav).await;
    let item = h.item(&id).await;
    assert_eq!(item.status, Status::Error);
    let err = item.error.unwrap();
    assert_eq!(
        (err.kind, err.step, err.retryable),
        (ErrorKind::Provider, Step::Transcribe, true)
    );
    assert!(err.message.contains("Upload a transcript"), "{}", err.message);
}

/// Fails `extract` with a transient error a few times, then delegates to the local analyzer.
struct Flaky {
    failures_left: AtomicU32,
    permanent: bool,
    invent_quote: bool,
}

#[async_trait]
impl Analyzer for Flaky {
    fn name(&self) -> &str {
        "flaky"
    }

    async fn extract(&self, transcript: &Transcript) -> Result<EvidenceDoc, ProviderError> {
        if self.permanent {
            return Err(ProviderError::Permanent {
                provider: "flaky".into(),
                message: "model access denied".into(),
            });
        }
        if self
            .failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(ProviderError::Transient {
                provider: "flaky".into(),
                message: "throttled".into(),
            });
        }
        let mut doc = LocalAnalyzer.extract(transcript).await?;
        if self.invent_quote {
            doc.items[0].quote = "We would pay double for this tomorrow.".into();
        }
        Ok(doc)
    }

    async fn analyze(&self, transcript: &Transcript, evidence: &EvidenceDoc) -> Result<AnalysisDoc, ProviderError> {
        LocalAnalyzer.analyze(transcript, evidence).await
    }
}

fn flaky(failures: u32, permanent: bool, invent_quote: bool) -> Option<Arc<dyn Analyzer>> {
    Some(Arc::new(Flaky {
        failures_left: AtomicU32::new(failures),
        permanent,
        invent_quote,
    }))
}

#[tokio::test]
async fn transient_provider_errors_are_retried_by_the_state_machine() {
    let h = harness_with(flaky(2, false, false), |_| {});
    let id = h.drop_file("uploads/acme/retry.vtt", &sample()).await;
    let item = h.item(&id).await;
    assert_eq!(item.status, Status::Ready, "{:?}", item.error);
    assert_eq!(
        item.steps[&Step::Extract].attempts,
        3,
        "two throttled attempts, then success"
    );
}

#[tokio::test]
async fn permanent_and_invalid_provider_output_end_in_clear_errors_without_retries() {
    let h = harness_with(flaky(0, true, false), |_| {});
    let id = h.drop_file("uploads/acme/denied.vtt", &sample()).await;
    let item = h.item(&id).await;
    let err = item.error.clone().unwrap();
    assert_eq!(
        (item.status, err.step, err.kind),
        (Status::Error, Step::Extract, ErrorKind::Provider)
    );
    assert!(err.message.contains("model access denied"), "{}", err.message);
    assert_eq!(item.steps[&Step::Extract].attempts, 1, "not retried");

    let h = harness_with(flaky(0, false, true), |_| {});
    let id = h.drop_file("uploads/acme/invented.vtt", &sample()).await;
    let item = h.item(&id).await;
    let err = item.error.clone().unwrap();
    assert_eq!((item.status, err.step), (Status::Error, Step::Extract));
    assert!(
        err.message.contains("failed validation") && err.message.contains("not verbatim"),
        "{}",
        err.message
    );
    assert!(
        item.artifacts.evidence.is_none(),
        "invalid output is never stored as a result"
    );
}

#[tokio::test]
async fn a_superseded_run_cannot_write_and_mark_failed_leaves_the_new_run_alone() {
    let h = harness();
    let key = "uploads/acme/fence.vtt";
    let id = h
        .drop_file(key, b"Interviewer: Hello?\nMaria: Scheduling takes forever.\n")
        .await;
    let old_run = h.item(&id).await.run_id;
    h.drop_file(key, &sample()).await;
    let current = h.item(&id).await;
    assert_eq!(current.run_id.number(), 2);
    let stale = TaskInput {
        interview_id: id.clone(),
        run_id: old_run.clone(),
    };
    let err = interview_handlers::extract::handle(&h.services, stale.clone(), Deadline::NONE)
        .await
        .unwrap_err();
    assert!(matches!(err, TaskError::Superseded(_)), "{err:?}");
    let out = invoke(
        &h.services,
        Function::MarkFailed,
        json!({ "interview_id": id, "run_id": old_run, "error": "ProviderError", "cause": "late" }),
    )
    .await
    .unwrap();
    assert_eq!(out["recorded"], false);
    assert_eq!(h.item(&id).await, current, "nothing written by the superseded run");
}

#[tokio::test]
async fn the_backstop_records_a_timed_out_execution_but_never_reopens_a_ready_one() {
    let h = harness();
    let mut stuck = interview_testkit::store_contract::sample_item("timed-out");
    stuck.status = Status::Processing;
    stuck.step = Step::Analyze;
    h.services.store.create(&stuck).await.unwrap();
    let status_change = |item: &Interview| {
        json!({
            "version": "0",
            "detail-type": "Step Functions Execution Status Change",
            "source": "aws.states",
            "detail": { "executionArn": h.services.orchestrator.execution_arn(&item.run_id), "name": item.run_id, "status": "TIMED_OUT" }
        })
    };
    let out = invoke(&h.services, Function::MarkFailed, status_change(&stuck))
        .await
        .unwrap();
    assert_eq!(out["recorded"], true);
    let item = h.item(&stuck.id).await;
    let err = item.error.unwrap();
    assert_eq!(
        (item.status, err.kind, err.step),
        (Status::Error, ErrorKind::Timeout, Step::Analyze)
    );
    assert!(err.message.contains("time limit"), "{}", err.message);

    let id = h.drop_file("uploads/acme/fine.vtt", &sample()).await;
    let ready = h.item(&id).await;
    let out = invoke(&h.services, Function::MarkFailed, status_change(&ready))
        .await
        .unwrap();
    assert_eq!(out["recorded"], false);
    assert_eq!(
        h.item(&id).await,
        ready,
        "a late status event does not touch a ready interview"
    );
}

#[tokio::test]
async fn the_sweeper_ends_stale_live_items_only() {
    let h = harness_with(None, |s| {
        s.stale_after = std::time::Duration::from_secs(60);
        s.stale_after_transcribe = std::time::Duration::from_secs(600);
    });
    let now = h.services.now();
    let make = |tag: &str, status: Status, step: Step, age_secs: i64| {
        let mut item = interview_testkit::store_contract::sample_item(tag);
        item.status = status;
        item.step = step;
        item.updated_at = now - chrono::Duration::seconds(age_secs);
        item
    };
    let stuck = make("stuck", Status::Processing, Step::Extract, 120);
    let slow_transcribe = make("slow", Status::Processing, Step::Transcribe, 120);
    let old_transcribe = make("old", Status::Processing, Step::Transcribe, 1200);
    let fresh = make("fresh", Status::Queued, Step::Transcribe, 5);
    let done = make("done", Status::Ready, Step::Done, 10_000);
    for item in [&stuck, &slow_transcribe, &old_transcribe, &fresh, &done] {
        h.services.store.create(item).await.unwrap();
    }
    let report = interview_handlers::sweeper::sweep(&h.services, false).await.unwrap();
    let mut expected = vec![stuck.id.to_string(), old_transcribe.id.to_string()];
    expected.sort();
    let mut marked = report.stale_ids.clone();
    marked.sort();
    assert_eq!(marked, expected, "{report:?}");
    assert_eq!(report.marked_stale, 2);
    let item = h.item(&stuck.id).await;
    assert_eq!(
        (item.status, item.error.as_ref().unwrap().kind),
        (Status::Error, ErrorKind::Stale)
    );
    assert!(item.error.unwrap().message.contains("interviews retry"));
    assert_eq!(
        h.item(&slow_transcribe.id).await.status,
        Status::Processing,
        "transcribe has a longer threshold"
    );
    assert_eq!(h.item(&fresh.id).await.status, Status::Queued);
    let again = interview_handlers::sweeper::sweep(&h.services, false).await.unwrap();
    assert_eq!(again.marked_stale, 0, "idempotent");
}

/// An analyzer that is down until switched on.
struct Switchable {
    up: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl Analyzer for Switchable {
    fn name(&self) -> &str {
        "switchable"
    }

    async fn extract(&self, transcript: &Transcript) -> Result<EvidenceDoc, ProviderError> {
        if !self.up.load(Ordering::SeqCst) {
            return Err(ProviderError::Permanent {
                provider: "switchable".into(),
                message: "model not enabled".into(),
            });
        }
        LocalAnalyzer.extract(transcript).await
    }

    async fn analyze(&self, transcript: &Transcript, evidence: &EvidenceDoc) -> Result<AnalysisDoc, ProviderError> {
        LocalAnalyzer.analyze(transcript, evidence).await
    }
}

#[tokio::test]
async fn retry_resumes_at_the_failed_step_and_reuses_the_transcript() {
    let analyzer = Arc::new(Switchable { up: false.into() });
    let h = harness_with(Some(analyzer.clone()), |_| {});
    let id = h.drop_file("uploads/acme/retry-me.vtt", &sample()).await;
    let failed = h.item(&id).await;
    assert_eq!(
        (failed.status, failed.error.as_ref().unwrap().step),
        (Status::Error, Step::Extract)
    );
    let transcript_key = failed.artifacts.transcript.clone().unwrap();

    analyzer.up.store(true, Ordering::SeqCst);
    let started = interview_handlers::retry::retry(&h.services, &id, false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((started.run_id.number(), started.resumes_at), (2, Step::Extract));
    h.orchestrator.wait_idle().await;
    let item = h.item(&id).await;
    assert_eq!(item.status, Status::Ready, "{:?}", item.error);
    assert!(
        item.steps[&Step::Transcribe].reused,
        "the transcript was reused, not redone"
    );
    assert!(!item.steps[&Step::Extract].reused);
    assert_eq!(item.artifacts.transcript.as_deref(), Some(transcript_key.as_str()));
    assert!(item.error.is_none());

    let again = interview_handlers::retry::retry(&h.services, &id, false).await.unwrap();
    assert!(
        matches!(again, Err(interview_handlers::retry::RetryRefused::NotFailed { .. })),
        "{again:?}"
    );
}

#[tokio::test]
async fn retry_refuses_input_errors_unless_forced() {
    let h = harness();
    let id = h.drop_file("uploads/acme/empty.vtt", b"").await;
    let refused = interview_handlers::retry::retry(&h.services, &id, false).await.unwrap();
    assert!(
        matches!(refused, Err(interview_handlers::retry::RetryRefused::InputError(_))),
        "{refused:?}"
    );
    let missing = InterviewId::for_object("local", "uploads/acme/never.vtt");
    let refused = interview_handlers::retry::retry(&h.services, &missing, false)
        .await
        .unwrap();
    assert!(refused.unwrap_err().to_string().contains("interviews list"));
}

#[tokio::test]
async fn a_task_run_twice_after_its_step_finished_writes_nothing() {
    let h = harness();
    let id = h.drop_file("uploads/acme/twice.vtt", &sample()).await;
    let ready = h.item(&id).await;
    let input = TaskInput {
        interview_id: id.clone(),
        run_id: ready.run_id.clone(),
    };
    let out = interview_handlers::extract::handle(&h.services, input.clone(), Deadline::NONE)
        .await
        .unwrap();
    assert!(out.reused);
    let out = interview_handlers::analyze::handle(&h.services, input, Deadline::NONE)
        .await
        .unwrap();
    assert_eq!(out.count, u64::from(ready.counts.themes));
    assert_eq!(
        h.item(&id).await,
        ready,
        "duplicate task invocations leave the item as it was"
    );
}

#[tokio::test]
async fn removing_an_old_version_while_the_upload_exists_changes_nothing() {
    let h = harness();
    let key = "uploads/acme/versioned.vtt";
    let id = h.drop_file(key, &sample()).await;
    let ready = h.item(&id).await;
    let seq = format!("{:020X}", u128::MAX >> 8);
    assert!(h.deliver(&[removed_notification("local", key, &seq)]).await.is_empty());
    assert_eq!(
        h.item(&id).await,
        ready,
        "the upload is still in the bucket, so the interview stays"
    );
    assert_eq!(h.services.blobs.list(&id.results_prefix()).await.unwrap().len(), 3);
}
