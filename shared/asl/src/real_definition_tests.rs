//! The project's real `infra/statemachine.asl.json`, loaded and executed with scripted tasks:
//! the paths the product depends on (happy path, polling, retry, failure recording).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::test_support::{fail, path_taken, retries, FakeInvoker, RecordingClock, Reply};
use super::*;

const REAL_DEFINITION: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../infra/statemachine.asl.json"
));

fn substitutions() -> BTreeMap<String, String> {
    [
        ("TranscribeFunctionArn", "transcribe"),
        ("ExtractFunctionArn", "extract"),
        ("AnalyzeFunctionArn", "analyze"),
        ("MarkFailedFunctionArn", "mark_failed"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn real_definition() -> Arc<Definition> {
    Arc::new(Definition::from_json(REAL_DEFINITION, &substitutions()).expect("the real definition loads"))
}

fn input() -> Value {
    json!({"interview_id": "i-1", "run_id": "r-1"})
}

async fn run_real(invoker: &Arc<FakeInvoker>, clock: Arc<RecordingClock>) -> Execution {
    let invoker: Arc<dyn TaskInvoker> = invoker.clone();
    Runner::new(real_definition(), invoker, clock)
        .run("r-1", input(), StopSignal::never())
        .await
}

fn completed(status: &str) -> Reply {
    Reply::Ok(json!({"status": status}))
}

fn in_progress() -> Reply {
    Reply::Ok(json!({"status": "IN_PROGRESS", "wait_seconds": 30}))
}

fn actions(calls: &[Value]) -> Vec<String> {
    calls
        .iter()
        .map(|c| c["action"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn the_real_definition_loads_and_describes_itself() {
    let def = real_definition();
    let resources: Vec<String> = def.task_resources().into_iter().collect();
    assert_eq!(resources, vec!["analyze", "extract", "mark_failed", "transcribe"]);
    let retried = def.retried_error_names();
    for name in [
        "TransientError",
        "UnavailableError",
        "Lambda.ServiceException",
        "Lambda.TooManyRequestsException",
    ] {
        assert!(retried.contains(name), "{name} is retried");
    }
    assert!(
        !retried.contains("States.ALL"),
        "deterministic failures must never be retried"
    );
    assert!(!retried.contains("InputError"), "input errors must never be retried");
    assert_eq!(def.start_at(), "StartTranscription");
    assert_eq!(def.timeout_seconds(), Some(21600));
    assert_eq!(
        def.state_names().first().map(String::as_str),
        Some("StartTranscription")
    );
    assert_eq!(def.state_names().len(), 13);

    let missing = Definition::from_json(REAL_DEFINITION, &BTreeMap::new()).expect_err("placeholders unresolved");
    assert!(missing.to_string().contains("${TranscribeFunctionArn}"), "{missing}");
    let unique: BTreeSet<String> = def.state_names().into_iter().collect();
    assert_eq!(unique.len(), 13);
}

#[tokio::test]
async fn happy_path() {
    let invoker = Arc::new(
        FakeInvoker::new()
            .script("transcribe", [completed("COMPLETED")])
            .script("extract", [Reply::Ok(json!({"evidence": 3}))])
            .script("analyze", [Reply::Ok(json!({"themes": 2}))]),
    );
    let exec = run_real(&invoker, RecordingClock::new()).await;
    assert_eq!(exec.status, ExecutionStatus::Succeeded, "{exec:?}");
    assert_eq!(
        path_taken(&exec.history),
        vec![
            "StartTranscription",
            "IsTranscriptionDone",
            "Extract",
            "Analyze",
            "Succeeded"
        ]
    );
    assert_eq!(
        invoker.calls_to("transcribe"),
        vec![json!({"action": "start", "interview_id": "i-1", "run_id": "r-1"})]
    );
    assert_eq!(
        invoker.calls_to("extract"),
        vec![json!({"interview_id": "i-1", "run_id": "r-1"})]
    );
    assert_eq!(invoker.call_order(), vec!["transcribe", "extract", "analyze"]);
    assert_eq!(
        exec.output,
        Some(json!({
            "interview_id": "i-1",
            "run_id": "r-1",
            "transcription": {"status": "COMPLETED"},
            "extract": {"evidence": 3},
            "analyze": {"themes": 2}
        }))
    );
    assert!(invoker.calls_to("mark_failed").is_empty());
}

#[tokio::test]
async fn polling_loop_waits_on_the_clock() {
    let invoker = Arc::new(
        FakeInvoker::new()
            .script(
                "transcribe",
                [in_progress(), in_progress(), in_progress(), completed("COMPLETED")],
            )
            .script("extract", [Reply::Ok(json!({}))])
            .script("analyze", [Reply::Ok(json!({}))]),
    );
    let clock = RecordingClock::new();
    let exec = run_real(&invoker, clock.clone()).await;
    assert_eq!(exec.status, ExecutionStatus::Succeeded, "{exec:?}");
    assert_eq!(
        actions(&invoker.calls_to("transcribe")),
        vec!["start", "check", "check", "check"]
    );
    assert_eq!(clock.completed_sleeps(), vec![Duration::from_secs(30); 3]);
    assert!(exec.stopped_at - exec.started_at >= chrono::Duration::seconds(90));
    let waits = path_taken(&exec.history)
        .iter()
        .filter(|s| *s == "WaitForTranscription")
        .count();
    assert_eq!(waits, 3);
}

#[tokio::test]
async fn transient_errors_are_retried_with_backoff() {
    let invoker = Arc::new(
        FakeInvoker::new()
            .script(
                "transcribe",
                [fail("TransientError"), fail("TransientError"), completed("COMPLETED")],
            )
            .script("extract", [Reply::Ok(json!({}))])
            .script("analyze", [Reply::Ok(json!({}))]),
    );
    let exec = run_real(&invoker, RecordingClock::new()).await;
    assert_eq!(exec.status, ExecutionStatus::Succeeded, "{exec:?}");
    assert_eq!(retries(&exec.history), vec![(0, 1, 2000), (0, 2, 4000)]);
    assert_eq!(invoker.calls_to("transcribe").len(), 3);
    assert!(invoker.calls_to("mark_failed").is_empty());
}

#[tokio::test]
async fn an_input_error_is_not_retried_and_is_recorded_by_mark_failed() {
    let invoker = Arc::new(
        FakeInvoker::new()
            .script(
                "transcribe",
                [Reply::Err("InputError".into(), "the file is not audio".into())],
            )
            .script("mark_failed", [Reply::Ok(json!({"recorded": true}))]),
    );
    let exec = run_real(&invoker, RecordingClock::new()).await;
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert_eq!(
        exec.error.as_deref(),
        Some("InputError"),
        "the Fail state carries the step's own error"
    );
    assert_eq!(exec.cause.as_deref(), Some("the file is not audio"));
    assert!(retries(&exec.history).is_empty());
    assert_eq!(invoker.calls_to("transcribe").len(), 1);
    assert_eq!(
        invoker.calls_to("mark_failed"),
        vec![
            json!({"interview_id": "i-1", "run_id": "r-1", "step": "transcribe", "error": "InputError", "cause": "the file is not audio"})
        ],
        "MarkFailed is told which step's task failed"
    );
    assert_eq!(
        path_taken(&exec.history),
        vec!["StartTranscription", "TranscribeFailed", "MarkFailed", "Failed"]
    );
    assert!(invoker.calls_to("extract").is_empty());
}

#[tokio::test]
async fn an_unexpected_status_goes_through_pass_to_mark_failed() {
    let invoker = Arc::new(
        FakeInvoker::new()
            .script("transcribe", [completed("FAILED")])
            .script("mark_failed", [Reply::Ok(json!(null))]),
    );
    let exec = run_real(&invoker, RecordingClock::new()).await;
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert_eq!(exec.error.as_deref(), Some("InternalError"));
    assert_eq!(
        path_taken(&exec.history),
        vec![
            "StartTranscription",
            "IsTranscriptionDone",
            "UnexpectedTranscriptionStatus",
            "TranscribeFailed",
            "MarkFailed",
            "Failed"
        ]
    );
    let calls = invoker.calls_to("mark_failed");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["error"], json!("InternalError"));
    assert_eq!(calls[0]["step"], json!("transcribe"));
    assert!(calls[0]["cause"]
        .as_str()
        .unwrap_or("")
        .contains("COMPLETED or IN_PROGRESS"));
}

#[tokio::test]
async fn a_transiently_failing_mark_failed_is_retried_then_still_ends_failed() {
    let invoker = Arc::new(
        FakeInvoker::new()
            .script("extract", [fail("InputError")])
            .script("transcribe", [completed("COMPLETED")])
            .script("mark_failed", [fail("TransientError")]),
    );
    let exec = run_real(&invoker, RecordingClock::new()).await;
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert_eq!(
        exec.error.as_deref(),
        Some("InputError"),
        "the original error survives a failing MarkFailed"
    );
    let delays: Vec<u64> = retries(&exec.history).into_iter().map(|(_, _, d)| d).collect();
    assert_eq!(delays, vec![2000, 4000, 8000, 16000, 32000, 60000]);
    assert_eq!(invoker.calls_to("mark_failed").len(), 7);
    assert_eq!(path_taken(&exec.history).last().map(String::as_str), Some("Failed"));
}

#[tokio::test]
async fn a_deterministic_mark_failed_error_is_not_retried() {
    let invoker = Arc::new(
        FakeInvoker::new()
            .script("extract", [fail("InputError")])
            .script("transcribe", [completed("COMPLETED")])
            .script("mark_failed", [fail("InternalError")]),
    );
    let exec = run_real(&invoker, RecordingClock::new()).await;
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert!(retries(&exec.history).is_empty());
    assert_eq!(invoker.calls_to("mark_failed").len(), 1);
}

/// The item cannot tell which step failed (a task that fails after its finish write has moved
/// it on), so every Catch names its own step on the way to MarkFailed.
#[tokio::test]
async fn every_catch_tells_mark_failed_which_step_failed() {
    let ok = || Reply::Ok(json!({}));
    let cases = [
        (
            FakeInvoker::new().script("transcribe", [in_progress(), fail("InternalError")]),
            "transcribe",
            "TranscribeFailed",
        ),
        (
            FakeInvoker::new()
                .script("transcribe", [completed("COMPLETED")])
                .script("extract", [fail("InternalError")]),
            "extract",
            "ExtractFailed",
        ),
        (
            FakeInvoker::new()
                .script("transcribe", [completed("COMPLETED")])
                .script("extract", [ok()])
                .script("analyze", [fail("TimeoutError")]),
            "analyze",
            "AnalyzeFailed",
        ),
    ];
    for (invoker, step, pass) in cases {
        let invoker = Arc::new(invoker.script("mark_failed", [ok()]));
        let exec = run_real(&invoker, RecordingClock::new()).await;
        assert_eq!(exec.status, ExecutionStatus::Failed, "{step}");
        let path = path_taken(&exec.history);
        assert_eq!(&path[path.len() - 3..], [pass, "MarkFailed", "Failed"], "{step}");
        let calls = invoker.calls_to("mark_failed");
        assert_eq!(calls.len(), 1, "{step}");
        assert_eq!(calls[0]["step"], json!(step));
    }
}
