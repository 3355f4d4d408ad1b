//! The canary test (issue 21): uploads seeded with a unique canary string go down every error
//! path the pipeline has, and the canary may then appear in exactly two places: the upload in
//! the bucket, and the item's `error.excerpt` until the upload is deleted. It must never reach a
//! log line (every tracing event and span field, at every level, is captured), an execution's
//! cause, the item's error message or note, or anything left after the deletion.
//!
//! Paths × backends: every path runs on the embedded backend (SQLite + data dir) and on moto
//! (DynamoDB + S3), with the same handlers and the same state machine file.
//!
//! The transcript readers' cases are in one table, [`READER_CASES`]: the readers name the format
//! and the line, and put the offending line only into `ParseError.excerpt`, which the transcribe
//! step stores on the item's error.

use async_trait::async_trait;
use integration_tests::faults::{Backend, Env, Fault, Gate, ProviderOp, Rule};
use integration_tests::invoke::invoke;
use interview_analysis::{AnalysisDoc, Evidence, EvidenceDoc, EvidenceKind, Insight, LocalAnalyzer};
use interview_core::domain::{ErrorKind, Interview, InterviewId, Status};
use interview_core::ports::Analyzer;
use interview_core::ProviderError;
use interview_handlers::Function;
use interview_transcript::Transcript;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Everything every tracing subscriber call wrote in this test binary.
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the capturing subscriber once (global, so spawned executions are captured too) at
/// TRACE, with span fields, through the same wire-target caps the functions use, and returns
/// the buffer.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(buffer.clone());
        tracing_subscriber::fmt()
            .with_env_filter(interview_core::telemetry::content_safe(
                tracing_subscriber::EnvFilter::new("trace"),
            ))
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .expect("no other subscriber in this binary");
        buffer
    })
    .clone()
}

fn logged(canary: &str) -> Vec<String> {
    let buffer = logs();
    let text = String::from_utf8_lossy(&buffer.lock().unwrap_or_else(|e| e.into_inner())).to_string();
    text.lines()
        .filter(|l| l.contains(canary))
        .map(str::to_string)
        .collect()
}

/// A canary unique to one case and backend, so parallel tests sharing the log buffer stay apart.
fn canary(case: &str, backend: Backend) -> String {
    format!("CANARY-{}-{case}-{}", backend.name(), std::process::id())
}

/// Where a canary was found that it must not be.
#[derive(Debug, Default)]
struct Leaks(Vec<String>);

impl Leaks {
    fn check(&mut self, place: &str, text: &str, canary: &str) {
        if text.contains(canary) {
            self.0
                .push(format!("{place}: {}", text.chars().take(300).collect::<String>()));
        }
    }
}

/// The item with its excerpt removed, as text: what may never hold content.
fn item_without_excerpt(item: &Interview) -> String {
    let mut copy = item.clone();
    if let Some(e) = &mut copy.error {
        e.excerpt = None;
    }
    serde_json::to_string(&copy).unwrap_or_default()
}

/// Runs the checks after a failed interview: item (but its excerpt), execution outcome, logs;
/// then deletes the upload and checks the item and the bucket again.
async fn audit(env: &Env, id: &InterviewId, key: &str, canary: &str, expect_excerpt: bool) -> Leaks {
    let mut leaks = Leaks::default();
    let item = env.item(id).await.expect("the item exists");
    assert_eq!(item.status, Status::Error, "the case must end in error: {item:#?}");
    leaks.check("item (error message, note, …)", &item_without_excerpt(&item), canary);
    if expect_excerpt {
        let excerpt = item.error.as_ref().and_then(|e| e.excerpt.clone()).unwrap_or_default();
        assert!(excerpt.contains(canary), "the excerpt shows the content: {excerpt:?}");
    }
    if let Some(outcome) = env.orchestrator.outcome(&item.run_id) {
        leaks.check("execution error", outcome.error.as_deref().unwrap_or_default(), canary);
        leaks.check("execution cause", outcome.cause.as_deref().unwrap_or_default(), canary);
    }
    env.remove(key).await.expect("the removal is ingested");
    env.wait_idle().await;
    let deleted = env.item(id).await.expect("the item stays, deleted");
    assert_eq!(deleted.status, Status::Deleted);
    leaks.check("item after deletion", &serde_json::to_string(&deleted).unwrap(), canary);
    for result in env.results(id).await {
        leaks.check("result left after deletion", &result, canary);
    }
    for line in logged(canary) {
        leaks.check("log", &line, canary);
    }
    leaks
}

/// Uploads `body` and runs it to its end, then audits it.
async fn run_case(env: &Env, key: &str, body: &[u8], canary: &str, expect_excerpt: bool) -> Leaks {
    let id = env.drop_file(key, body).await;
    audit(env, &id, key, canary, expect_excerpt).await
}

// ---------------------------------------------------------------------------------------------
// Transcript readers: fail today (the readers quote the line); pass after the readers' branch.

/// (case, file name, body with `{}` where the canary goes).
const READER_CASES: &[(&str, &str, &str)] = &[
    (
        "vtt",
        "a.vtt",
        // The readers skip a malformed cue and read the rest (with a warning): here it is the
        // only cue, so nothing readable remains and the file is refused.
        "WEBVTT\n\n00:00:0x {} --> nonsense\nAna: more\n",
    ),
    ("srt", "a.srt", "1\n{} --> 00:00:05,000\nAna: more\n"),
    (
        "plain",
        "a.txt",
        "Jane Doe, SSN 123-45-6789 {} rang about the invoice\nAna: hello\n",
    ),
    (
        "amazon-json",
        "a.json",
        r#"{"jobName":"j","results":{"transcripts":[{"transcript":"hi"}],"items":[{"type":"pronunciation","start_time":"{}","end_time":"1.0","alternatives":[{"content":"hi","confidence":"1.0"}]}]}}"#,
    ),
    (
        "transcript-json",
        "transcript.json",
        r#"{"schema_version":1,"source_format":"webvtt","segments":[{"speaker":"Ana","start":"{}","end":1.0,"text":"hello"}]}"#,
    ),
];

async fn reader_cases(backend: Backend) {
    let env = Env::new(backend, |_| {}).await;
    let mut found = Vec::new();
    for (case, file, template) in READER_CASES {
        let canary = canary(case, backend);
        let body = template.replace("{}", &canary);
        let key = format!("uploads/acme/{case}-{file}");
        let leaks = run_case(&env, &key, body.as_bytes(), &canary, false).await;
        let error = env.item(&env.id_of(&key)).await.and_then(|i| i.error);
        assert!(
            error.as_ref().is_some_and(|e| e.kind == ErrorKind::Input),
            "{case}: {error:?}"
        );
        if !leaks.0.is_empty() {
            found.push(format!("{case}: {:#?}", leaks.0));
        }
    }
    assert!(
        found.is_empty(),
        "transcript readers leak content on {} (expected until the readers' branch is merged):\n{}",
        backend.name(),
        found.join("\n")
    );
}

#[tokio::test]
async fn reader_errors_keep_content_out_of_logs_causes_and_the_item_embedded() {
    reader_cases(Backend::Embedded).await;
}

#[tokio::test]
async fn reader_errors_keep_content_out_of_logs_causes_and_the_item_moto() {
    reader_cases(Backend::Moto).await;
}

// ---------------------------------------------------------------------------------------------
// Intake: a file that is neither media nor text, with the canary inside.

async fn intake(backend: Backend) {
    let env = Env::new(backend, |_| {}).await;
    let canary = canary("intake", backend);
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend_from_slice(format!("Jane Doe {canary}\n").as_bytes());
    let leaks = run_case(&env, "uploads/acme/notes.pdf", &pdf, &canary, false).await;
    assert!(leaks.0.is_empty(), "{:#?}", leaks.0);
    let mut binary = vec![0u8, 1, 2, 3];
    binary.extend_from_slice(canary.as_bytes());
    let leaks = run_case(&env, "uploads/acme/blob.bin", &binary, &canary, false).await;
    assert!(leaks.0.is_empty(), "{:#?}", leaks.0);
}

#[tokio::test]
async fn intake_rejections_keep_content_out_embedded() {
    intake(Backend::Embedded).await;
}

#[tokio::test]
async fn intake_rejections_keep_content_out_moto() {
    intake(Backend::Moto).await;
}

// ---------------------------------------------------------------------------------------------
// Model output that quotes the canary: an invented quote (extract) and an invented evidence id
// (analyze). The transcript itself holds the canary too, as a real interview would.

/// The local analyzer, plus what a misbehaving model adds.
struct QuotingModel {
    inner: LocalAnalyzer,
    canary: String,
    invent_quote: bool,
}

#[async_trait]
impl Analyzer for QuotingModel {
    fn name(&self) -> &str {
        "quoting-model/1"
    }

    async fn extract(&self, transcript: &Transcript) -> Result<EvidenceDoc, ProviderError> {
        let mut doc = self.inner.extract(transcript).await?;
        if self.invent_quote {
            doc.items.push(Evidence {
                id: format!("E{}", doc.items.len() + 1),
                quote: format!("{} said we would pay double", self.canary),
                speaker: "Rosa".into(),
                start: 1.0,
                end: 2.0,
                kind: EvidenceKind::Praise,
                confidence: 0.9,
                tags: Vec::new(),
            });
        }
        Ok(doc)
    }

    async fn analyze(&self, transcript: &Transcript, evidence: &EvidenceDoc) -> Result<AnalysisDoc, ProviderError> {
        let mut doc = self.inner.analyze(transcript, evidence).await?;
        doc.insights.push(Insight {
            text: format!("insight about {}", self.canary),
            evidence_ids: vec![format!("{} says", self.canary)],
        });
        Ok(doc)
    }
}

async fn model_output(backend: Backend, invent_quote: bool) {
    let case = if invent_quote { "extract" } else { "analyze" };
    let canary = canary(case, backend);
    let model = QuotingModel {
        inner: LocalAnalyzer::new(),
        canary: canary.clone(),
        invent_quote,
    };
    let env = Env::new(backend, |o| o.analyzer = Arc::new(model)).await;
    let body = format!("Ana: How do you plan the week?\nRosa: {canary} is what I call the rota and it takes hours every Sunday night.\nAna: Why?\nRosa: Because the spreadsheet breaks whenever someone swaps a shift.\n");
    let leaks = run_case(&env, "uploads/acme/model.txt", body.as_bytes(), &canary, invent_quote).await;
    assert!(leaks.0.is_empty(), "{:#?}", leaks.0);
}

#[tokio::test]
async fn an_invented_quote_reaches_only_the_excerpt_embedded() {
    model_output(Backend::Embedded, true).await;
}

#[tokio::test]
async fn an_invented_quote_reaches_only_the_excerpt_moto() {
    model_output(Backend::Moto, true).await;
}

#[tokio::test]
async fn an_invented_evidence_id_is_not_quoted_embedded() {
    model_output(Backend::Embedded, false).await;
}

#[tokio::test]
async fn an_invented_evidence_id_is_not_quoted_moto() {
    model_output(Backend::Moto, false).await;
}

// ---------------------------------------------------------------------------------------------
// MarkFailed and the backstop: a cause that carries content (from a component outside our
// control) is stored as the item's message, but never logged.

async fn mark_failed_and_backstop(backend: Backend) {
    let env = Env::new(backend, |_| {}).await;
    for (case, backstop) in [("catch", false), ("backstop", true)] {
        let canary = canary(case, backend);
        let key = format!("uploads/acme/{case}.wav");
        let (id, _) = env.upload(&key, &integration_tests::faults::wav_bytes()).await;
        let item = Interview::new_queued(
            interview_core::domain::Source {
                bucket: env.bucket().to_string(),
                key: key.clone(),
                etag: "e".into(),
                size: 1,
                content_type: None,
                kind: interview_core::domain::SourceKind::Audio,
                sequencer: None,
            },
            chrono::Utc::now(),
        );
        env.base_store.create(&item).await.unwrap();
        let cause =
            json!({"errorType": "Runtime.ExitError", "errorMessage": format!("panicked near `{canary}`")}).to_string();
        let event = if backstop {
            json!({
                "detail-type": "Step Functions Execution Status Change",
                "source": "aws.states",
                "detail": {"executionArn": format!("arn:aws:states:us-east-1:1:execution:sm:{}", item.run_id), "name": item.run_id.to_string(), "status": "FAILED", "error": "States.Runtime", "cause": cause}
            })
        } else {
            json!({"interview_id": id, "run_id": item.run_id, "step": "transcribe", "error": "Runtime.ExitError", "cause": cause})
        };
        invoke(&env.pipeline, Function::MarkFailed, event)
            .await
            .expect("mark-failed records it");
        let stored = env.item(&id).await.unwrap();
        assert_eq!(stored.status, Status::Error);
        let lines = logged(&canary);
        assert!(lines.is_empty(), "{case} logged the cause: {lines:#?}");
        env.remove(&key).await.unwrap();
        let deleted = env.item(&id).await.unwrap();
        let text = serde_json::to_string(&deleted).unwrap();
        assert!(
            !text.contains(&canary),
            "{case}: the deleted item still holds the cause: {text}"
        );
    }
}

#[tokio::test]
async fn mark_failed_and_the_backstop_do_not_log_causes_embedded() {
    mark_failed_and_backstop(Backend::Embedded).await;
}

#[tokio::test]
async fn mark_failed_and_the_backstop_do_not_log_causes_moto() {
    mark_failed_and_backstop(Backend::Moto).await;
}

// ---------------------------------------------------------------------------------------------
// The sweeper ends an interview whose transcript (with the canary) is stuck in extract.

async fn sweeper(backend: Backend) {
    let env = Env::new(backend, |o| {
        o.settings.stale_after = Duration::from_secs(30);
        o.settings.stale_after_transcribe = Duration::from_secs(30);
    })
    .await;
    let canary = canary("sweeper", backend);
    let gate = Gate::new();
    env.analyzer.script.add(Rule::new(
        Fault::Hold(gate.clone()),
        |c: &integration_tests::faults::ProviderCall| c.op == ProviderOp::Extract,
    ));
    let key = "uploads/acme/stuck.txt";
    let body = format!("Ana: What happened?\nRosa: {canary} broke the schedule again on Sunday night.\n");
    let (id, event) = env.upload(key, body.as_bytes()).await;
    env.ingest(&event).await.unwrap();
    gate.reached(1).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while (env.services.now() - env.item(&id).await.unwrap().updated_at).num_seconds() <= 30
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let swept = invoke(
        &env.pipeline,
        Function::Sweeper,
        json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}),
    )
    .await
    .expect("the sweep runs");
    assert!(swept.to_string().contains("\"marked_stale\":1"), "{swept}");
    gate.open();
    env.wait_idle().await;
    let leaks = audit(&env, &id, key, &canary, false).await;
    assert!(leaks.0.is_empty(), "{:#?}", leaks.0);
}

#[tokio::test]
async fn the_sweeper_keeps_content_out_embedded() {
    sweeper(Backend::Embedded).await;
}

#[tokio::test]
async fn the_sweeper_keeps_content_out_moto() {
    sweeper(Backend::Moto).await;
}
