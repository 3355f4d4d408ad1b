//! Fault injection (issue 7.4): the pipeline crashed, throttled, duplicated, reordered, raced
//! and fed bad input, on the embedded backend (SQLite + folder) and on moto (DynamoDB + S3),
//! both run by the in-process orchestrator executing the real ASL. After every scenario the
//! invariant checker (`integration_tests::invariants`) proves the product promise; the test
//! prints a table (scenario × backend, checks, violations) and fails on any violation.
//!
//! `FAULTS_BACKEND=embedded|moto` runs one backend, `FAULTS_ONLY=<text>` only the scenarios
//! whose name contains the text.

use integration_tests::faults::{
    sample_vtt, wav_bytes, Backend, BlobCall, Env, FakeOutcome, FakeTranscriber, Fault, Gate, ProviderCall, ProviderOp,
    Rule, StoreCall, StoreOp,
};
use integration_tests::invariants::{same_item, Report};
use integration_tests::invoke::invoke;
use interview_core::domain::{ErrorKind, Interview, InterviewId, Status, Step};
use interview_core::TaskError;
use interview_handlers::retry::{retry, RetryStarted};
use interview_handlers::sweeper::sweep;
use interview_handlers::transcribe::{Action, TranscribeInput};
use interview_handlers::Deadline;
use interview_handlers::{analyze, extract, transcribe, Function, TaskInput};
use interview_transcript::{Transcript, TranscriptFormat};
use serde_json::json;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "uploads/acme/bakery scheduling.vtt";

type Run = Pin<Box<dyn Future<Output = Report> + Send>>;

struct Scenario {
    name: String,
    run: Box<dyn Fn(Backend) -> Run + Send + Sync>,
}

fn scenario<F, Fut>(name: impl Into<String>, f: F) -> Scenario
where
    F: Fn(Backend) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Report> + Send + 'static,
{
    Scenario {
        name: name.into(),
        run: Box::new(move |b| Box::pin(f(b))),
    }
}

// ---------------------------------------------------------------------------------------------
// Expectations shared by the scenarios.

async fn item(env: &Env, id: &InterviewId, r: &mut Report) -> Option<Interview> {
    let item = env.item(id).await;
    r.expect(item.is_some(), || format!("{id}: no item"));
    item
}

async fn expect_ready(env: &Env, id: &InterviewId, r: &mut Report) -> Option<Interview> {
    let item = item(env, id, r).await?;
    r.expect(item.status == Status::Ready, || {
        format!("{id}: expected ready, found {} ({:?})", item.status, item.error)
    });
    Some(item)
}

async fn expect_error(env: &Env, id: &InterviewId, step: Step, kind: ErrorKind, r: &mut Report) -> Option<Interview> {
    let item = item(env, id, r).await?;
    let got = item.error.as_ref().map(|e| (e.step, e.kind));
    r.expect(item.status == Status::Error && got == Some((step, kind)), || {
        format!(
            "{id}: expected error at {step} ({}), found {} {:?}",
            kind.as_str(),
            item.status,
            item.error
        )
    });
    Some(item)
}

fn attempts(item: &Interview, step: Step) -> u32 {
    item.steps.get(&step).map_or(0, |s| s.attempts)
}

fn expect_attempts(item: &Interview, step: Step, want: u32, r: &mut Report) {
    let got = attempts(item, step);
    r.expect(got == want, || {
        format!("{}: {step} took {got} attempt(s), expected {want}", item.id)
    });
}

/// Retries a failed interview with the faults gone and expects it to end ready.
async fn retry_to_ready(env: &Env, id: &InterviewId, resumes_at: Step, r: &mut Report) -> Option<Interview> {
    env.clear_faults();
    let started = retry(&env.pipeline, id, false).await;
    let ok = matches!(&started, Ok(Ok(RetryStarted { resumes_at: at, .. })) if *at == resumes_at);
    r.expect(ok, || {
        format!("{id}: retry should start a run resuming at {resumes_at}: {started:?}")
    });
    env.wait_idle().await;
    expect_ready(env, id, r).await
}

/// Waits for abandoned handlers, then runs the invariant checker.
async fn finish(env: &Env, mut r: Report) -> Report {
    r.expect(env.settle().await, || "a call is still held at a gate".to_string());
    env.check(&mut r).await;
    r
}

fn superseded<T: std::fmt::Debug>(what: &str, result: &Result<T, TaskError>, r: &mut Report) {
    r.expect(matches!(result, Err(TaskError::Superseded(_))), || {
        format!("{what} from a superseded run should be refused as SupersededRun: {result:?}")
    });
}

/// Waits (real time) until the item has had no write for longer than `secs` of pipeline time.
async fn age_past(env: &Env, id: &InterviewId, secs: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let item = env.item(id).await.expect("item");
        if (env.services.now() - item.updated_at).num_seconds() > secs || Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Crashes around the item write and the result write of every step.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    Begin,
    Finish,
}

async fn crash_item_write(b: Backend, step: Step, write: Write, after: bool, transient: bool) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    env.store.script.add(Rule::new(
        Fault::crash(after, transient),
        move |c: &StoreCall| match write {
            Write::Begin => c.is_begin_of(step),
            Write::Finish => c.is_finish_of(step),
        },
    ));
    let id = env.drop_file(KEY, &sample_vtt()).await;
    r.expect(env.store.script.fired() == 1, || "the crash was never injected".into());
    if transient {
        // The ASL retries: a crash before the write redoes it, one after a finish write is
        // answered from the item without redoing the step.
        if let Some(item) = expect_ready(&env, &id, &mut r).await {
            let want = match (write, after) {
                (Write::Begin, false) | (Write::Finish, true) => 1,
                (Write::Begin, true) | (Write::Finish, false) => 2,
            };
            expect_attempts(&item, step, want, &mut r);
            r.expect(item.run_id.number() == 1, || "one run".into());
        }
    } else if write == Write::Finish && after && step == Step::Analyze {
        // The last write made it ready; the failure that follows must not undo that.
        expect_ready(&env, &id, &mut r).await;
    } else {
        // Not retried: recorded by MarkFailed at the step whose task crashed (as the Catch
        // names it), even when its finish write landed and the item is already at the next
        // step; a retry then resumes at the first step without a result.
        let finished = write == Write::Finish && after;
        if let Some(item) = expect_error(&env, &id, step, ErrorKind::Internal, &mut r).await {
            let message = item.error.as_ref().map(|e| e.message.clone()).unwrap_or_default();
            r.expect(message.contains("injected"), || {
                format!("the error should carry the cause: {message}")
            });
            let done = item.steps.get(&step).is_some_and(|s| s.finished_at.is_some());
            r.expect(done == finished, || {
                format!("{step} finished: {done}, expected {finished} ({:?})", item.steps)
            });
        }
        let resumes_at = if finished { step.next() } else { step };
        retry_to_ready(&env, &id, resumes_at, &mut r).await;
    }
    finish(&env, r).await
}

async fn crash_blob_write(b: Backend, step: Step, after: bool, transient: bool) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    let file = match step {
        Step::Transcribe => "transcript.json",
        Step::Extract => "evidence.json",
        _ => "analysis.json",
    };
    env.blobs
        .script
        .add(Rule::new(Fault::crash(after, transient), move |c: &BlobCall| {
            c.is_put_of(file)
        }));
    let id = env.drop_file(KEY, &sample_vtt()).await;
    r.expect(env.blobs.script.fired() == 1, || "the crash was never injected".into());
    if transient {
        if let Some(item) = expect_ready(&env, &id, &mut r).await {
            expect_attempts(&item, step, 2, &mut r);
        }
    } else {
        expect_error(&env, &id, step, ErrorKind::Internal, &mut r).await;
        retry_to_ready(&env, &id, step, &mut r).await;
    }
    finish(&env, r).await
}

// ---------------------------------------------------------------------------------------------
// Providers.

fn on(op: ProviderOp) -> impl Fn(&ProviderCall) -> bool + Send + Sync + 'static {
    move |c: &ProviderCall| c.op == op
}

async fn analyzer_transient_then_ok(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    env.analyzer
        .script
        .add(Rule::new(Fault::Transient, on(ProviderOp::Extract)).times(2));
    env.analyzer
        .script
        .add(Rule::new(Fault::Throttle, on(ProviderOp::Analyze)).times(3));
    let id = env.drop_file(KEY, &sample_vtt()).await;
    if let Some(item) = expect_ready(&env, &id, &mut r).await {
        expect_attempts(&item, Step::Extract, 3, &mut r);
        expect_attempts(&item, Step::Analyze, 4, &mut r);
    }
    finish(&env, r).await
}

async fn analyzer_transient_past_the_retry_budget(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    env.analyzer
        .script
        .add(Rule::new(Fault::Transient, on(ProviderOp::Extract)).times(6));
    let id = env.drop_file(KEY, &sample_vtt()).await;
    if let Some(item) = expect_error(&env, &id, Step::Extract, ErrorKind::Provider, &mut r).await {
        expect_attempts(&item, Step::Extract, 6, &mut r);
    }
    retry_to_ready(&env, &id, Step::Extract, &mut r).await;
    finish(&env, r).await
}

async fn analyzer_permanent(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    env.analyzer
        .script
        .add(Rule::new(Fault::Permanent, on(ProviderOp::Analyze)));
    let id = env.drop_file(KEY, &sample_vtt()).await;
    if let Some(item) = expect_error(&env, &id, Step::Analyze, ErrorKind::Provider, &mut r).await {
        expect_attempts(&item, Step::Analyze, 1, &mut r);
        let message = item.error.map(|e| e.message).unwrap_or_default();
        r.expect(message.contains("not enabled"), || format!("message: {message}"));
    }
    if let Some(item) = retry_to_ready(&env, &id, Step::Analyze, &mut r).await {
        r.expect(
            item.steps[&Step::Transcribe].reused && item.steps[&Step::Extract].reused,
            || "the retry should reuse transcript and evidence".into(),
        );
    }
    finish(&env, r).await
}

async fn transcriber_transient_then_ok(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |o| {
        o.transcriber = Arc::new(FakeTranscriber::new(2, sample_outcome()))
    })
    .await;
    env.transcriber
        .script
        .add(Rule::new(Fault::Transient, on(ProviderOp::Start)).times(2));
    env.transcriber
        .script
        .add(Rule::new(Fault::Throttle, on(ProviderOp::Check)).times(2));
    let id = env.drop_file("uploads/acme/call.wav", &wav_bytes()).await;
    if let Some(item) = expect_ready(&env, &id, &mut r).await {
        expect_attempts(&item, Step::Transcribe, 3, &mut r);
        r.expect(item.transcription_job.is_some(), || "the poll records the job".into());
        r.expect(item.counts.words > 100, || format!("words: {}", item.counts.words));
        r.expect(item.note.is_none(), || format!("unexpected note {:?}", item.note));
    }
    finish(&env, r).await
}

fn sample_outcome() -> FakeOutcome {
    FakeOutcome::Completed(integration_tests::faults::sample_speech())
}

async fn transcriber_permanent(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    env.transcriber
        .script
        .add(Rule::new(Fault::Permanent, on(ProviderOp::Start)));
    let id = env.drop_file("uploads/acme/call.wav", &wav_bytes()).await;
    if let Some(item) = expect_error(&env, &id, Step::Transcribe, ErrorKind::Provider, &mut r).await {
        expect_attempts(&item, Step::Transcribe, 1, &mut r);
    }
    retry_to_ready(&env, &id, Step::Transcribe, &mut r).await;
    finish(&env, r).await
}

async fn transcription_job_fails(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |o| {
        o.transcriber = Arc::new(FakeTranscriber::new(
            1,
            FakeOutcome::Failed("the audio codec is not supported".into()),
        ))
    })
    .await;
    let id = env.drop_file("uploads/acme/call.wav", &wav_bytes()).await;
    if let Some(item) = expect_error(&env, &id, Step::Transcribe, ErrorKind::Provider, &mut r).await {
        let message = item.error.map(|e| e.message).unwrap_or_default();
        r.expect(message.contains("codec is not supported"), || {
            format!("message: {message}")
        });
    }
    finish(&env, r).await
}

/// A recording without speech is an upload without words (issue 9.4): an input error at
/// transcribe, not retried, and no transcript written for it.
async fn silent_recording(b: Backend) -> Report {
    let mut r = Report::new();
    let silence = Transcript::new(TranscriptFormat::Speech, Vec::new());
    let env = Env::new(b, |o| {
        o.transcriber = Arc::new(FakeTranscriber::new(0, FakeOutcome::Completed(silence)))
    })
    .await;
    let id = env.drop_file("uploads/acme/silence.wav", &wav_bytes()).await;
    if let Some(item) = expect_error(&env, &id, Step::Transcribe, ErrorKind::Input, &mut r).await {
        expect_attempts(&item, Step::Transcribe, 1, &mut r);
        let c = &item.counts;
        r.expect((c.words, c.speakers, c.evidence, c.themes) == (0, 0, 0, 0), || {
            format!("counts {c:?}")
        });
        r.expect(item.artifacts.transcript.is_none(), || {
            format!("a transcript is listed: {:?}", item.artifacts)
        });
        let message = item.error.map(|e| e.message).unwrap_or_default();
        r.expect(
            message.starts_with("no speech was found in the recording (1 s of audio)"),
            || format!("message: {message}"),
        );
    }
    let left = env.results(&id).await;
    r.expect(left.is_empty(), || format!("results written for it: {left:?}"));
    let refused = retry(&env.pipeline, &id, false).await;
    r.expect(matches!(refused, Ok(Err(_))), || {
        format!("input errors are not retried: {refused:?}")
    });
    finish(&env, r).await
}

// ---------------------------------------------------------------------------------------------
// A throttled store.

async fn store_throttled_then_ok(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    // The first three calls (ingest's, redelivered by "SQS"), then five replaces in a row
    // (one task's attempts), all throttled.
    env.store
        .script
        .add(Rule::new(Fault::Throttle, |_: &StoreCall| true).times(3));
    env.store.script.add(
        Rule::new(Fault::Throttle, |c: &StoreCall| c.op == StoreOp::Replace)
            .skip(1)
            .times(5),
    );
    let (id, event) = env.upload(KEY, &sample_vtt()).await;
    let deliveries = env.ingest(&event).await;
    r.expect(deliveries.as_ref().is_ok_and(|n| *n > 1), || {
        format!("ingest deliveries: {deliveries:?}")
    });
    env.wait_idle().await;
    r.expect(env.store.script.fired() == 8, || {
        format!("{} throttles injected, expected 8", env.store.script.fired())
    });
    if let Some(item) = expect_ready(&env, &id, &mut r).await {
        expect_attempts(&item, Step::Transcribe, 2, &mut r);
    }
    finish(&env, r).await
}

async fn store_throttled_past_the_retry_budget(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    env.store
        .script
        .add(Rule::new(Fault::Throttle, |c: &StoreCall| c.is_finish_of(Step::Extract)).times(6));
    let id = env.drop_file(KEY, &sample_vtt()).await;
    // Our own store, not the provider: recorded as `unavailable`, which a retry may fix.
    if let Some(item) = expect_error(&env, &id, Step::Extract, ErrorKind::Unavailable, &mut r).await {
        expect_attempts(&item, Step::Extract, 6, &mut r);
        let (message, retryable) = item.error.map(|e| (e.message, e.retryable)).unwrap_or_default();
        r.expect(message.contains("item store is throttling"), || {
            format!("message: {message}")
        });
        r.expect(retryable, || "a throttled store is worth a retry".into());
    }
    retry_to_ready(&env, &id, Step::Extract, &mut r).await;
    finish(&env, r).await
}

// ---------------------------------------------------------------------------------------------
// Ingest: crashes between claim and start, duplicates, reordering.

async fn ingest_crash_after_claim(b: Backend, reupload: bool) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    if reupload {
        env.drop_file(KEY, SHORT).await;
    }
    env.store.script.add(Rule::new(Fault::TransientAfter, |c: &StoreCall| {
        c.op == StoreOp::Create || is_claim(c)
    }));
    let (id, event) = env.upload(KEY, &sample_vtt()).await;
    let deliveries = env.ingest(&event).await;
    r.expect(deliveries == Ok(2), || format!("deliveries: {deliveries:?}"));
    env.wait_idle().await;
    let run = if reupload { 2 } else { 1 };
    if let Some(item) = expect_ready(&env, &id, &mut r).await {
        r.expect(item.run_id.number() == run, || format!("run {}", item.run_id));
    }
    r.expect(env.orchestrator.started() == run as usize, || {
        format!("{} executions started", env.orchestrator.started())
    });
    finish(&env, r).await
}

/// The write with which ingest claims a new run of an existing item.
fn is_claim(c: &StoreCall) -> bool {
    c.op == StoreOp::Replace
        && c.expected
            .as_ref()
            .zip(c.item.as_ref())
            .is_some_and(|(e, i)| e.run_id != i.run_id)
}

async fn throttled_claim_goes_back_to_sqs(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    env.drop_file(KEY, SHORT).await;
    env.store.script.add(Rule::new(Fault::Throttle, is_claim).times(3));
    let (id, event) = env.upload(KEY, &sample_vtt()).await;
    let deliveries = env.ingest(&event).await;
    r.expect(deliveries == Ok(4), || {
        format!("each throttled claim should be one failed delivery: {deliveries:?}")
    });
    env.wait_idle().await;
    if let Some(item) = expect_ready(&env, &id, &mut r).await {
        r.expect(item.run_id.number() == 2, || format!("run {}", item.run_id));
    }
    finish(&env, r).await
}

async fn same_event_three_times_concurrently(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    let (id, event) = env.upload(KEY, &sample_vtt()).await;
    let (a, b2, c) = tokio::join!(env.ingest(&event), env.ingest(&event), env.ingest(&event));
    r.expect(a.is_ok() && b2.is_ok() && c.is_ok(), || format!("{a:?} {b2:?} {c:?}"));
    env.wait_idle().await;
    r.expect(env.ingest(&event).await.is_ok(), || "a fourth, late copy".into());
    env.wait_idle().await;
    if let Some(item) = expect_ready(&env, &id, &mut r).await {
        r.expect(item.run_id.number() == 1, || format!("run {}", item.run_id));
    }
    r.expect(env.orchestrator.started() == 1, || {
        format!("{} executions for one upload", env.orchestrator.started())
    });
    finish(&env, r).await
}

/// A short but valid first version of the upload at [`KEY`].
const SHORT: &[u8] = b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Interviewer>Is scheduling hard?\n\n\
00:00:04.000 --> 00:00:08.000\n<v Maria>It takes forever every week.\n";

async fn older_event_after_newer(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    let (id, older) = env.upload(KEY, SHORT).await;
    let (_, newer) = env.upload(KEY, &sample_vtt()).await;
    r.expect(env.ingest(&newer).await.is_ok(), || "newer event".into());
    env.wait_idle().await;
    let ready = expect_ready(&env, &id, &mut r).await;
    r.expect(env.ingest(&older).await.is_ok(), || "older event".into());
    env.wait_idle().await;
    if let (Some(before), Some(after)) = (ready, env.item(&id).await) {
        same_item(&before, &after, "an older event delivered late", &mut r);
        r.expect(after.counts.words > 100, || "results are from the newer content".into());
    }
    r.expect(env.orchestrator.started() == 1, || {
        format!("{} executions", env.orchestrator.started())
    });
    finish(&env, r).await
}

async fn newer_upload_while_the_older_runs(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    let gate = Gate::new();
    env.analyzer
        .script
        .add(Rule::new(Fault::Hold(gate.clone()), on(ProviderOp::Extract)));
    let (id, older) = env.upload(KEY, SHORT).await;
    r.expect(env.ingest(&older).await.is_ok(), || "older event".into());
    gate.reached(1).await;
    let (_, newer) = env.upload(KEY, &sample_vtt()).await;
    r.expect(env.ingest(&newer).await.is_ok(), || "newer event".into());
    env.wait_idle().await;
    let ready = expect_ready(&env, &id, &mut r).await;
    // The older run's extract, abandoned when its execution was stopped, now carries on.
    gate.open();
    r.expect(env.settle().await, || "the abandoned extract did not finish".into());
    r.expect(env.ingest(&older).await.is_ok(), || "older event again".into());
    env.wait_idle().await;
    if let (Some(before), Some(after)) = (ready, env.item(&id).await) {
        same_item(&before, &after, "the superseded run's late extract", &mut r);
        r.expect(after.run_id.number() == 2 && after.counts.words > 100, || {
            format!("run {} with {} words", after.run_id, after.counts.words)
        });
    }
    finish(&env, r).await
}

// ---------------------------------------------------------------------------------------------
// Late steps from older runs against a retry and the sweeper.

async fn old_run_calls(env: &Env, old: &TaskInput, r: &mut Report) {
    let s = &env.services;
    let start = TranscribeInput {
        action: Action::Start,
        task: old.clone(),
    };
    let (e, a, t) = tokio::join!(
        extract::handle(s, old.clone(), Deadline::NONE),
        analyze::handle(s, old.clone(), Deadline::NONE),
        transcribe::handle(s, start, Deadline::NONE)
    );
    superseded("extract", &e, r);
    superseded("analyze", &a, r);
    superseded("transcribe", &t, r);
    let marked = invoke(
        &env.pipeline,
        Function::MarkFailed,
        json!({ "interview_id": old.interview_id, "run_id": old.run_id, "error": "ProviderError", "cause": "late" }),
    )
    .await;
    r.expect(marked.as_ref().is_ok_and(|v| v["recorded"] == false), || {
        format!("a late mark-failed of the old run recorded something: {marked:?}")
    });
}

async fn listed_bytes(env: &Env, item: &Interview) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let a = &item.artifacts;
    for key in [&a.transcript, &a.evidence, &a.analysis].into_iter().flatten() {
        let bytes = env.base_blobs.get(key, u64::MAX).await.map(|b| b.to_vec());
        out.push((key.clone(), bytes.unwrap_or_default()));
    }
    out
}

async fn retry_sweeper_and_late_old_run(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    let gate = Gate::new();
    env.analyzer
        .script
        .add(Rule::new(Fault::Permanent, on(ProviderOp::Extract)));
    env.analyzer
        .script
        .add(Rule::new(Fault::Hold(gate.clone()), on(ProviderOp::Extract)));
    let id = env.drop_file(KEY, &sample_vtt()).await;
    expect_error(&env, &id, Step::Extract, ErrorKind::Provider, &mut r).await;
    let old = Env::run_input(&id, 1);
    // All at once: the retry claims run 2 while the sweeper sweeps and run 1's steps arrive late.
    let (retried, swept, e, a) = tokio::join!(
        retry(&env.pipeline, &id, false),
        sweep(&env.pipeline, false),
        extract::handle(&env.services, old.clone(), Deadline::NONE),
        analyze::handle(&env.services, old.clone(), Deadline::NONE),
    );
    r.expect(
        matches!(&retried, Ok(Ok(s)) if s.run_id.number() == 2 && s.resumes_at == Step::Extract),
        || format!("retry: {retried:?}"),
    );
    r.expect(swept.as_ref().is_ok_and(|s| s.marked_stale == 0), || {
        format!("sweep: {swept:?}")
    });
    superseded("extract", &e, &mut r);
    superseded("analyze", &a, &mut r);
    // Run 2 is now inside extract; the old run tries again, and must change nothing.
    gate.reached(1).await;
    let before = env.item(&id).await.expect("item");
    let bytes_before = listed_bytes(&env, &before).await;
    let results_before = env.results(&id).await;
    old_run_calls(&env, &old, &mut r).await;
    let after = env.item(&id).await.expect("item");
    same_item(&before, &after, "run 1's late calls", &mut r);
    r.expect(env.results(&id).await == results_before, || "results changed".into());
    r.expect(listed_bytes(&env, &after).await == bytes_before, || {
        "listed documents changed".into()
    });
    gate.open();
    env.wait_idle().await;
    if let Some(item) = expect_ready(&env, &id, &mut r).await {
        r.expect(item.run_id.number() == 2, || format!("run {}", item.run_id));
        r.expect(item.steps[&Step::Transcribe].reused, || "transcript reused".into());
        old_run_calls(&env, &old, &mut r).await;
        same_item(
            &item,
            &env.item(&id).await.expect("item"),
            "run 1's calls after run 2 ended",
            &mut r,
        );
    }
    finish(&env, r).await
}

async fn zombie_of_a_swept_run(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |o| {
        o.settings.stale_after = Duration::from_secs(30);
        o.settings.stale_after_transcribe = Duration::from_secs(30);
    })
    .await;
    let (held_run, held_zombie) = (Gate::new(), Gate::new());
    env.analyzer
        .script
        .add(Rule::new(Fault::Hold(held_run.clone()), on(ProviderOp::Extract)));
    env.analyzer
        .script
        .add(Rule::new(Fault::Hold(held_zombie.clone()), on(ProviderOp::Extract)));
    let (id, event) = env.upload(KEY, &sample_vtt()).await;
    r.expect(env.ingest(&event).await.is_ok(), || "ingest".into());
    held_run.reached(1).await;
    // A duplicate invocation of run 1's extract (a Lambda the execution no longer waits for).
    let zombie = {
        let services = env.services.clone();
        let input = Env::run_input(&id, 1);
        tokio::spawn(async move { extract::handle(&services, input, Deadline::NONE).await })
    };
    held_zombie.reached(1).await;
    age_past(&env, &id, 30).await;
    let swept = sweep(&env.pipeline, false).await;
    r.expect(swept.as_ref().is_ok_and(|s| s.marked_stale == 1), || {
        format!("sweep: {swept:?}")
    });
    env.wait_idle().await;
    expect_error(&env, &id, Step::Extract, ErrorKind::Stale, &mut r).await;
    let retried = retry(&env.pipeline, &id, false).await;
    r.expect(matches!(&retried, Ok(Ok(s)) if s.run_id.number() == 2), || {
        format!("retry: {retried:?}")
    });
    env.wait_idle().await;
    let Some(ready) = expect_ready(&env, &id, &mut r).await else {
        held_run.open();
        held_zombie.open();
        return finish(&env, r).await;
    };
    let bytes = listed_bytes(&env, &ready).await;
    held_run.open();
    held_zombie.open();
    let late = zombie.await.expect("the zombie task");
    superseded("the zombie's extract", &late, &mut r);
    r.expect(env.settle().await, || "handlers still running".into());
    let after = env.item(&id).await.expect("item");
    same_item(&ready, &after, "run 1's zombies", &mut r);
    r.expect(listed_bytes(&env, &after).await == bytes, || {
        "listed documents changed".into()
    });
    let orphans: Vec<String> = env
        .results(&id)
        .await
        .into_iter()
        .filter(|k| k.contains("/r1/evidence.json"))
        .collect();
    r.expect(orphans.is_empty(), || {
        format!("the superseded run left documents behind: {orphans:?}")
    });
    finish(&env, r).await
}

// ---------------------------------------------------------------------------------------------
// Bad input.

async fn bad_input(b: Backend, name: &'static str, body: Vec<u8>, at_ingest: bool, says: &'static str) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |o| o.settings.max_upload_bytes = 4_000).await;
    let id = env.drop_file(&format!("uploads/acme/{name}"), &body).await;
    if let Some(item) = expect_error(&env, &id, Step::Transcribe, ErrorKind::Input, &mut r).await {
        let message = item.error.map(|e| e.message).unwrap_or_default();
        r.expect(message.contains(says), || {
            format!("message should say `{says}`: {message}")
        });
    }
    r.expect((env.orchestrator.started() == 0) == at_ingest, || {
        format!(
            "{} executions; the input should be refused {}",
            env.orchestrator.started(),
            if at_ingest {
                "at ingest"
            } else {
                "by the transcribe task"
            }
        )
    });
    let refused = retry(&env.pipeline, &id, false).await;
    r.expect(matches!(refused, Ok(Err(_))), || {
        format!("input errors are not retried: {refused:?}")
    });
    finish(&env, r).await
}

// ---------------------------------------------------------------------------------------------
// A task that runs past its timeout.

async fn task_past_its_timeout(b: Backend) -> Report {
    let mut r = Report::new();
    // The task's TimeoutSeconds is 900 s of pipeline time: 0.9 s real at the embedded 1000×,
    // 9 s at moto's 100× (so a slow server never times out the other tasks). Delay by 1.5×.
    let speedup = match b {
        Backend::Embedded => 1000.0,
        Backend::Moto => 100.0,
    };
    let env = Env::new(b, |o| o.speedup = speedup).await;
    env.analyzer.script.add(Rule::new(
        Fault::Delay(Duration::from_secs_f64(900.0 / speedup * 1.5)),
        on(ProviderOp::Extract),
    ));
    let id = env.drop_file(KEY, &sample_vtt()).await;
    expect_error(&env, &id, Step::Extract, ErrorKind::Timeout, &mut r).await;
    r.expect(env.settle().await, || "the timed-out extract never finished".into());
    retry_to_ready(&env, &id, Step::Extract, &mut r).await;
    finish(&env, r).await
}

// ---------------------------------------------------------------------------------------------
// Deletions and the backstop (issue 9.5).

async fn delete_after_ready(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    let id = env.drop_file(KEY, &sample_vtt()).await;
    expect_ready(&env, &id, &mut r).await;
    r.expect(env.remove(KEY).await.is_ok(), || "removal".into());
    env.wait_idle().await;
    if let Some(item) = item(&env, &id, &mut r).await {
        r.expect(item.status == Status::Deleted, || format!("status {}", item.status));
    }
    finish(&env, r).await
}

async fn delete_mid_run(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    let gate = Gate::new();
    env.analyzer
        .script
        .add(Rule::new(Fault::Hold(gate.clone()), on(ProviderOp::Extract)));
    let (id, event) = env.upload(KEY, &sample_vtt()).await;
    r.expect(env.ingest(&event).await.is_ok(), || "ingest".into());
    gate.reached(1).await;
    r.expect(env.remove(KEY).await.is_ok(), || "removal".into());
    env.wait_idle().await;
    // The extract the stopped execution abandoned carries on and tries to write.
    gate.open();
    r.expect(env.settle().await, || "the abandoned extract did not finish".into());
    if let Some(item) = item(&env, &id, &mut r).await {
        r.expect(item.status == Status::Deleted, || format!("status {}", item.status));
    }
    finish(&env, r).await
}

async fn delete_then_upload_again(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    env.drop_file(KEY, SHORT).await;
    r.expect(env.remove(KEY).await.is_ok(), || "removal".into());
    let id = env.drop_file(KEY, &sample_vtt()).await;
    if let Some(item) = expect_ready(&env, &id, &mut r).await {
        r.expect(item.run_id.number() == 2 && item.counts.words > 100, || {
            format!("run {} with {} words", item.run_id, item.counts.words)
        });
    }
    finish(&env, r).await
}

async fn stopped_mid_step(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |_| {}).await;
    let gate = Gate::new();
    env.analyzer
        .script
        .add(Rule::new(Fault::Hold(gate.clone()), on(ProviderOp::Analyze)));
    let (id, event) = env.upload(KEY, &sample_vtt()).await;
    r.expect(env.ingest(&event).await.is_ok(), || "ingest".into());
    gate.reached(1).await;
    stop_and_expect_backstop(&env, &id, Step::Analyze, &mut r).await;
    gate.open();
    r.expect(env.settle().await, || "the abandoned analyze did not finish".into());
    let after = env.item(&id).await;
    r.expect(after.as_ref().is_some_and(|i| i.status == Status::Error), || {
        "the abandoned analyze reopened the item".into()
    });
    retry_to_ready(&env, &id, Step::Analyze, &mut r).await;
    finish(&env, r).await
}

async fn stopped_while_waiting_for_speech(b: Backend) -> Report {
    let mut r = Report::new();
    let env = Env::new(b, |o| {
        o.transcriber = Arc::new(FakeTranscriber::new(0, FakeOutcome::Forever))
    })
    .await;
    let (id, event) = env.upload(KEY.replace(".vtt", ".wav").as_str(), &wav_bytes()).await;
    r.expect(env.ingest(&event).await.is_ok(), || "ingest".into());
    let deadline = Instant::now() + Duration::from_secs(30);
    while env.item(&id).await.is_none_or(|i| i.transcription_job.is_none()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop_and_expect_backstop(&env, &id, Step::Transcribe, &mut r).await;
    finish(&env, r).await
}

async fn stop_and_expect_backstop(env: &Env, id: &InterviewId, step: Step, r: &mut Report) {
    let live = env.item(id).await.expect("item");
    r.expect(live.status == Status::Processing, || format!("status {}", live.status));
    let arn = live.execution_arn.clone().unwrap_or_default();
    use interview_core::ports::Orchestrator;
    env.orchestrator
        .stop(&arn, "OperatorStop", "stopped by the test")
        .await
        .expect("stop");
    env.wait_idle().await;
    if let Some(item) = expect_error(env, id, step, ErrorKind::Internal, r).await {
        let message = item.error.map(|e| e.message).unwrap_or_default();
        r.expect(message.contains("stopped before it finished"), || {
            format!("the backstop should say the execution was stopped: {message}")
        });
    }
}

// ---------------------------------------------------------------------------------------------

fn scenarios() -> Vec<Scenario> {
    let mut all = Vec::new();
    for step in Step::WORK {
        for (write, wname) in [(Write::Begin, "start"), (Write::Finish, "finish")] {
            for after in [false, true] {
                for transient in [true, false] {
                    let name = format!(
                        "crash {} {step} item write ({})",
                        if after { "after" } else { "before" },
                        if transient { "TransientError" } else { "fatal" }
                    );
                    let name = name.replace("item write", &format!("{wname} write"));
                    all.push(scenario(name, move |b| {
                        crash_item_write(b, step, write, after, transient)
                    }));
                }
            }
        }
        for after in [false, true] {
            for transient in [true, false] {
                let name = format!(
                    "crash {} {step} result put ({})",
                    if after { "after" } else { "before" },
                    if transient { "TransientError" } else { "fatal" }
                );
                all.push(scenario(name, move |b| crash_blob_write(b, step, after, transient)));
            }
        }
    }
    all.push(scenario("analyzer transient, then ok", analyzer_transient_then_ok));
    all.push(scenario(
        "analyzer transient past retry budget",
        analyzer_transient_past_the_retry_budget,
    ));
    all.push(scenario("analyzer permanent failure", analyzer_permanent));
    all.push(scenario(
        "speech engine transient, then ok",
        transcriber_transient_then_ok,
    ));
    all.push(scenario("speech engine permanent failure", transcriber_permanent));
    all.push(scenario("speech job fails", transcription_job_fails));
    all.push(scenario("silent recording", silent_recording));
    all.push(scenario("store throttled, then ok", store_throttled_then_ok));
    all.push(scenario(
        "store throttled past retry budget",
        store_throttled_past_the_retry_budget,
    ));
    all.push(scenario("ingest crash after claim", |b| {
        ingest_crash_after_claim(b, false)
    }));
    all.push(scenario("ingest crash after re-claim", |b| {
        ingest_crash_after_claim(b, true)
    }));
    all.push(scenario(
        "throttled re-claim goes back to SQS",
        throttled_claim_goes_back_to_sqs,
    ));
    all.push(scenario(
        "same event x3 concurrently",
        same_event_three_times_concurrently,
    ));
    all.push(scenario("older event after newer", older_event_after_newer));
    all.push(scenario(
        "newer upload while older runs",
        newer_upload_while_the_older_runs,
    ));
    all.push(scenario(
        "retry + sweeper + late old run",
        retry_sweeper_and_late_old_run,
    ));
    all.push(scenario("zombie of a swept run", zombie_of_a_swept_run));
    all.push(scenario("bad input: empty file", |b| {
        bad_input(b, "empty.vtt", Vec::new(), true, "empty")
    }));
    all.push(scenario("bad input: PDF bytes", |b| {
        bad_input(
            b,
            "notes.pdf",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n".to_vec(),
            true,
            "PDF",
        )
    }));
    all.push(scenario("bad input: corrupt VTT", |b| {
        bad_input(
            b,
            "broken.vtt",
            b"WEBVTT\n\n00:00:01.000 --> soon\nHello there\n".to_vec(),
            false,
            "WebVTT",
        )
    }));
    all.push(scenario("bad input: transcript with no words", |b| {
        bad_input(
            b,
            "blank.vtt",
            b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n".to_vec(),
            false,
            "no cues with text, so there are no words to analyse",
        )
    }));
    all.push(scenario("bad input: oversize", |b| {
        bad_input(b, "huge.vtt", sample_vtt(), true, "over the")
    }));
    all.push(scenario("task past its timeout", task_past_its_timeout));
    all.push(scenario("delete after ready", delete_after_ready));
    all.push(scenario("delete mid-run", delete_mid_run));
    all.push(scenario("delete, then upload again", delete_then_upload_again));
    all.push(scenario("stopped mid-step (backstop)", stopped_mid_step));
    all.push(scenario(
        "stopped while polling (backstop)",
        stopped_while_waiting_for_speech,
    ));
    all
}

struct Row {
    scenario: String,
    backend: Backend,
    report: Report,
    seconds: f64,
}

/// Runs every scenario on one backend, `parallel` at a time, each in its own task (so a panic
/// is a violation in the table, not the end of the suite) and under a time limit.
async fn run_backend(backend: Backend, scenarios: Arc<Vec<Scenario>>, parallel: usize) -> Vec<Row> {
    let filter = std::env::var("FAULTS_ONLY").unwrap_or_default();
    let slots = Arc::new(tokio::sync::Semaphore::new(parallel));
    let mut tasks = Vec::new();
    for index in 0..scenarios.len() {
        if !scenarios[index].name.contains(&filter) {
            continue;
        }
        let scenarios = scenarios.clone();
        let slots = slots.clone();
        tasks.push(tokio::spawn(async move {
            let _slot = slots.acquire_owned().await.expect("semaphore");
            let started = Instant::now();
            let run = (scenarios[index].run)(backend);
            let report = match tokio::time::timeout(Duration::from_secs(90), tokio::spawn(run)).await {
                Ok(Ok(report)) => report,
                Ok(Err(join)) => {
                    let mut r = Report::new();
                    r.fail(format!("the scenario panicked: {join}"));
                    r
                }
                Err(_) => {
                    let mut r = Report::new();
                    r.fail("the scenario did not finish within 90 s (something is stuck)");
                    r
                }
            };
            (index, report, started.elapsed().as_secs_f64())
        }));
    }
    let mut rows = Vec::new();
    for task in tasks {
        let (index, report, seconds) = task.await.expect("scenario task");
        rows.push(Row {
            scenario: scenarios[index].name.clone(),
            backend,
            report,
            seconds,
        });
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fault_injection_suite() {
    let only = std::env::var("FAULTS_BACKEND").unwrap_or_default();
    let scenarios = Arc::new(scenarios());
    let started = Instant::now();
    let embedded = async {
        if only.is_empty() || only == "embedded" {
            run_backend(Backend::Embedded, scenarios.clone(), 2).await
        } else {
            Vec::new()
        }
    };
    let moto = async {
        if only.is_empty() || only == "moto" {
            run_backend(Backend::Moto, scenarios.clone(), 4).await
        } else {
            Vec::new()
        }
    };
    let (mut rows, moto_rows) = tokio::join!(embedded, moto);
    rows.extend(moto_rows);
    rows.sort_by_key(|row| {
        (
            scenarios.iter().position(|s| s.name == row.scenario),
            row.backend.name(),
        )
    });

    let width = rows.iter().map(|r| r.scenario.len()).max().unwrap_or(8).max(8);
    let mut table = format!(
        "\n{:<width$}  {:<8}  {:>6}  {:>10}  {:>6}\n",
        "scenario", "backend", "checks", "violations", "secs"
    );
    table.push_str(&format!("{}\n", "-".repeat(width + 38)));
    let (mut checks, mut violations) = (0, 0);
    for row in &rows {
        checks += row.report.checked;
        violations += row.report.violations.len();
        table.push_str(&format!(
            "{:<width$}  {:<8}  {:>6}  {:>10}  {:>6.2}\n",
            row.scenario,
            row.backend.name(),
            row.report.checked,
            row.report.violations.len(),
            row.seconds
        ));
    }
    table.push_str(&format!("{}\n", "-".repeat(width + 38)));
    table.push_str(&format!(
        "{} scenario runs, {checks} checks, {violations} violations, {:.1} s\n",
        rows.len(),
        started.elapsed().as_secs_f64()
    ));
    println!("{table}");
    let mut details = String::new();
    for row in rows.iter().filter(|r| !r.report.is_clean()) {
        for v in &row.report.violations {
            details.push_str(&format!("[{} / {}] {v}\n", row.scenario, row.backend.name()));
        }
    }
    assert!(!rows.is_empty(), "no scenario ran (check FAULTS_ONLY / FAULTS_BACKEND)");
    assert!(details.is_empty(), "invariant violations:\n{details}");
}

#[tokio::test]
async fn a_throttled_claim_goes_back_to_sqs_instead_of_spinning() {
    let env = Env::new(Backend::Embedded, |_| {}).await;
    env.drop_file(KEY, SHORT).await;
    env.store.script.add(Rule::new(Fault::Throttle, is_claim).times(3));
    let (id, event) = env.upload(KEY, &sample_vtt()).await;
    assert_eq!(
        env.ingest(&event).await,
        Ok(4),
        "each throttled claim is one failed delivery; SQS redelivery is the backoff"
    );
    env.wait_idle().await;
    let item = env.item(&id).await.unwrap();
    assert_eq!((item.status, item.run_id.number()), (Status::Ready, 2));
}
