//! The mark-failed function: records a failed run on the item. Called by the state machine's
//! Catch, and by the EventBridge rule on execution status changes (FAILED, TIMED_OUT, ABORTED)
//! as a backstop for executions that died outside any Catch.

use super::TaskInput;
use crate::domain::update::{update_item, Change};
use crate::domain::{ErrorKind, InterviewId, ItemError, RunId, Status, Step};
use crate::error::TaskError;
use crate::services::Services;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::Instrument;

/// The `detail-type` of Step Functions' execution status change events.
pub const STATUS_CHANGE: &str = "Step Functions Execution Status Change";

/// Either a Catch from the state machine or an execution status change event.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum MarkFailedInput {
    /// From the state machine's `MarkFailed` state.
    Task {
        /// Interview and run.
        #[serde(flatten)]
        task: TaskInput,
        /// The step whose task failed, as the Catch's Pass state names it. The item cannot
        /// tell: a task that fails after its finish write has already moved the item on to the
        /// next step. Absent from a payload made before the state machine passed it; then the
        /// item's step is used.
        #[serde(default)]
        step: Option<Step>,
        /// The error name (`InputError`, `States.Timeout`, …).
        error: String,
        /// The cause: Lambda's JSON `{"errorType","errorMessage"}` or plain text.
        #[serde(default)]
        cause: Option<String>,
    },
    /// EventBridge "Step Functions Execution Status Change" (the backstop rule).
    StatusChange(Box<EventBridgeEvent<StatusChangeDetail>>),
}

/// The part of a status change event we use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusChangeDetail {
    /// Execution ARN.
    pub execution_arn: String,
    /// The execution name, which is the run id.
    pub name: String,
    /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED.
    pub status: String,
    /// Error name for FAILED executions.
    #[serde(default)]
    pub error: Option<String>,
    /// Cause for FAILED executions.
    #[serde(default)]
    pub cause: Option<String>,
}

/// What mark-failed did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkFailedOutput {
    /// Whether the item was changed.
    pub recorded: bool,
    /// The item's status afterwards (when it was read).
    pub status: Option<Status>,
    /// Why nothing was recorded, when nothing was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_because: Option<String>,
}

/// Extracts the message from a Lambda error cause, which arrives as JSON text.
pub fn cause_message(cause: &str) -> String {
    match serde_json::from_str::<Value>(cause) {
        Ok(v) => v
            .get("errorMessage")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| cause.to_string()),
        Err(_) => cause.to_string(),
    }
}

/// Records the failure on the item, fenced on the run. A superseded run, or an item that
/// already ended, is left as it is (that is success: there is nothing to record).
pub async fn handle(services: &Services, input: MarkFailedInput) -> Result<MarkFailedOutput, TaskError> {
    let (id, run, step, error, message) = match input {
        MarkFailedInput::Task {
            task,
            step,
            error,
            cause,
        } => {
            task.check()?;
            let message = cause
                .as_deref()
                .map(cause_message)
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| error.clone());
            (
                task.interview_id,
                task.run_id,
                step.filter(|s| *s != Step::Done),
                TaskError::from_name(&error, &message),
                message,
            )
        }
        MarkFailedInput::StatusChange(event) => {
            let EventBridgeEvent {
                detail_type, detail, ..
            } = *event;
            if detail_type != STATUS_CHANGE {
                return Err(TaskError::Input(format!("unexpected event `{detail_type}`")));
            }
            let run = RunId::parse(&detail.name)
                .map_err(|e| TaskError::Input(format!("execution {} is not one of ours: {e}", detail.execution_arn)))?;
            let (error, message) = match detail.status.as_str() {
                "TIMED_OUT" => (
                    TaskError::Timeout(String::new()),
                    "the execution ran past its time limit; run `interviews retry` to resume from the step that was running".to_string(),
                ),
                "ABORTED" => (TaskError::Internal(String::new()), "the execution was stopped before it finished".to_string()),
                "FAILED" => {
                    let name = detail.error.clone().unwrap_or_else(|| "States.Runtime".into());
                    let message = detail.cause.as_deref().map(cause_message).unwrap_or_else(|| name.clone());
                    (TaskError::from_name(&name, &message), format!("the execution failed: {message}"))
                }
                _ => {
                    return Ok(MarkFailedOutput {
                        recorded: false,
                        status: None,
                        skipped_because: Some(format!("status {} is not a failure", detail.status)),
                    })
                }
            };
            // An execution that died outside any Catch does not say which state it was in.
            (run.interview_id(), run, None, error, message)
        }
    };
    let span = tracing::warn_span!("task", function = "mark-failed", interview_id = %id, run_id = %run);
    record(
        services,
        &id,
        &run,
        step,
        Failure {
            kind: error.kind(),
            retryable: error.is_retryable_by_person(),
            message: &message,
            excerpt: None,
        },
    )
    .instrument(span)
    .await
}

/// Records a task's terminal failure on the item itself, with an excerpt of the content it is
/// about, then hands the error back for the state machine. The excerpt reaches only the item:
/// the returned error (the execution's cause, MarkFailed's input, the Lambda log) carries the
/// content-free message, and MarkFailed then finds the item already ended and leaves it.
///
/// Transient errors are returned untouched (the state machine retries them), as is every
/// error when recording fails: MarkFailed still records it, without the excerpt.
pub(crate) async fn fail_with_excerpt(
    services: &Services,
    input: &TaskInput,
    step: Step,
    error: TaskError,
    excerpt: Option<&str>,
) -> TaskError {
    if error.is_transient() || excerpt.is_none() {
        return error;
    }
    let recorded = record(
        services,
        &input.interview_id,
        &input.run_id,
        Some(step),
        Failure {
            kind: error.kind(),
            retryable: error.is_retryable_by_person(),
            message: error.message(),
            excerpt,
        },
    )
    .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, kind = e.name(), "could not record the failure with its excerpt; MarkFailed records it without");
    }
    error
}

/// What [`record`] writes into the item's error.
pub(crate) struct Failure<'a> {
    /// Input, provider, …
    pub kind: ErrorKind,
    /// Whether `interviews retry` may help.
    pub retryable: bool,
    /// The content-free message.
    pub message: &'a str,
    /// A piece of the content, for the item only.
    pub excerpt: Option<&'a str>,
}

/// Marks the item `error` for `run` unless it already ended or moved on. The error names
/// `step` when the caller knows which step failed, else the step the item is at.
pub(crate) async fn record(
    services: &Services,
    id: &InterviewId,
    run: &RunId,
    step: Option<Step>,
    failure: Failure<'_>,
) -> Result<MarkFailedOutput, TaskError> {
    let Failure {
        kind,
        retryable,
        message,
        excerpt,
    } = failure;
    let now = services.now();
    let mut skipped = None;
    let result = update_item(
        services.store.as_ref(),
        id,
        Some(run),
        || services.now(),
        |item| {
            if item.status.is_terminal() {
                skipped = Some(format!("the interview already ended as {}", item.status));
                return Ok(Change::Skip);
            }
            skipped = None;
            item.status = Status::Error;
            item.error = Some(
                ItemError {
                    step: step.unwrap_or(item.step),
                    kind,
                    message: message.to_string(),
                    at: now,
                    retryable,
                    excerpt: None,
                }
                .with_excerpt(excerpt),
            );
            Ok(Change::Write)
        },
    )
    .await;
    match result {
        Ok(item) => {
            if skipped.is_none() {
                let step = item.error.as_ref().map_or(item.step, |e| e.step);
                // The message is on the item; a log line names step and kind only, so a cause
                // that carries content (an older reader, a third-party error) never reaches logs.
                tracing::warn!(%step, kind = kind.as_str(), retryable, "interview failed");
            }
            Ok(MarkFailedOutput {
                recorded: skipped.is_none(),
                status: Some(item.status),
                skipped_because: skipped,
            })
        }
        Err(TaskError::Superseded(why)) => {
            tracing::info!(%why, "run was superseded; nothing to record");
            Ok(MarkFailedOutput {
                recorded: false,
                status: None,
                skipped_because: Some(why),
            })
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catch_payload_names_the_failed_step_and_older_payloads_still_read() {
        let catch: MarkFailedInput =
            serde_json::from_str(include_str!("../../../events/mark-failed-catch.json")).unwrap();
        assert!(
            matches!(&catch, MarkFailedInput::Task { step: Some(Step::Transcribe), error, .. } if error == "ProviderError"),
            "{catch:?}"
        );
        let older: MarkFailedInput = serde_json::from_value(serde_json::json!({
            "interview_id": "iv-29fa89ca241c682d25361ea4",
            "run_id": "iv-29fa89ca241c682d25361ea4-r1",
            "error": "InputError",
            "cause": "the file is not audio"
        }))
        .unwrap();
        assert!(matches!(older, MarkFailedInput::Task { step: None, .. }), "{older:?}");
    }
}
