//! The one table from the state machine's Task resources to the typed handlers: what a Lambda
//! integration does on AWS, done in-process. The ASL names `local:function:<name>`; the name is
//! read into a [`TaskFunction`] and every task function is matched, so a resource the table
//! does not serve fails the execution with a clear error and a handler the table forgets fails
//! to compile.

use crate::asl::{TaskFailure, TaskInvoker};
use crate::error::TaskError;
use crate::services::Services;
use async_trait::async_trait;
use interview_handlers::{
    analyze, extract, ingest, mark_failed, sweeper, transcribe, Deadline, Function, Pipeline, TaskFunction,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// Resource prefix of in-process functions (`local:function:<name>`).
pub const LOCAL_FUNCTION_PREFIX: &str = "local:function:";

/// The resource the local definition names `task` by.
pub fn resource_of(task: TaskFunction) -> String {
    format!("{LOCAL_FUNCTION_PREFIX}{}", task.function().name())
}

/// Invokes the typed task handlers with the services they run with, as each Lambda would.
pub struct HandlerInvoker {
    services: Arc<Services>,
}

impl HandlerInvoker {
    /// An invoker running the handlers over `services`.
    pub fn new(services: Arc<Services>) -> Self {
        Self { services }
    }

    /// Runs `task` with a JSON input, as its Lambda would be invoked.
    pub async fn run(&self, task: TaskFunction, input: Value) -> Result<Value, TaskError> {
        let services = self.services.as_ref();
        // The state machine's own task timeouts bound a local task; there is no Lambda deadline.
        let deadline = Deadline::NONE;
        match task {
            TaskFunction::Transcribe => encode(transcribe::handle(services, decode(task, input)?, deadline).await?),
            TaskFunction::Extract => encode(extract::handle(services, decode(task, input)?, deadline).await?),
            TaskFunction::Analyze => encode(analyze::handle(services, decode(task, input)?, deadline).await?),
            TaskFunction::MarkFailed => encode(mark_failed::handle(services, decode(task, input)?).await?),
        }
    }
}

/// Runs any function with a JSON event over `pipeline`, as Lambda's runtime does: the event is
/// decoded into the function's typed event, its answer encoded. The tests, the benchmark and
/// the Lambda-service stand-in for moto's Step Functions invoke functions this way.
pub async fn invoke(pipeline: &Pipeline, function: Function, event: Value) -> Result<Value, TaskError> {
    match function {
        Function::Ingest => encode(ingest::handle_sqs(pipeline, decode(function, event)?).await),
        Function::Sweeper => encode(sweeper::handle(pipeline, decode(function, event)?).await?),
        Function::Events => encode(interview_handlers::stream_events::handle(decode(function, event)?)?),
        Function::Api => Err(TaskError::Input(
            "the api function answers HTTP requests, not JSON events; run `interviews serve` to call it locally".into(),
        )),
        Function::Report => Err(TaskError::Input(
            "the report function runs on status-change events on AWS; on this machine `serve` and `watch` rebuild \
             reports in-process, and `interviews report --project P` rebuilds one now"
                .into(),
        )),
        Function::Webhook => Err(TaskError::Input(
            "the webhook function posts the stack's status events from its SQS queue on AWS; on this machine \
             `serve` and `watch` deliver them to INTERVIEWS_WEBHOOK_URL from the outbox"
                .into(),
        )),
        Function::Transcribe | Function::Extract | Function::Analyze | Function::MarkFailed => {
            let task = function
                .task()
                .ok_or_else(|| TaskError::Internal(format!("{function} is not a task")))?;
            HandlerInvoker::new(pipeline.services.clone()).run(task, event).await
        }
    }
}

/// The typed input of `function`, or the input error Lambda's runtime would answer with. Only
/// serde's category is kept: its message can quote values from the event.
fn decode<T: DeserializeOwned>(function: impl Into<Function>, input: Value) -> Result<T, TaskError> {
    let function = function.into();
    serde_json::from_value(input).map_err(|e| {
        TaskError::Input(format!(
            "the input for `{function}` is not what it expects ({:?} error at line {}, column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

fn encode<T: Serialize>(output: T) -> Result<Value, TaskError> {
    serde_json::to_value(output).map_err(|e| TaskError::Internal(format!("cannot encode the task output: {e}")))
}

/// The task function a local resource names.
pub fn task_of(resource: &str) -> Result<TaskFunction, TaskError> {
    let name = resource
        .strip_prefix(LOCAL_FUNCTION_PREFIX)
        .ok_or_else(|| TaskError::Internal(format!("`{resource}` is not a local function")))?;
    let function: Function = name.parse().map_err(|e| TaskError::Internal(format!("{e}")))?;
    function
        .task()
        .ok_or_else(|| TaskError::Internal(format!("`{function}` is not a state machine task")))
}

#[async_trait]
impl TaskInvoker for HandlerInvoker {
    async fn invoke(&self, resource: &str, input: Value) -> Result<Value, TaskFailure> {
        let result = match task_of(resource) {
            Ok(task) => self.run(task, input).await,
            Err(e) => Err(e),
        };
        result.map_err(|e| TaskFailure {
            error: e.name().to_string(),
            cause: serde_json::json!({ "errorType": e.name(), "errorMessage": e.message() }).to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_function_is_served_and_nothing_else() {
        for task in TaskFunction::ALL {
            assert_eq!(task_of(&resource_of(task)).unwrap(), task);
        }
        assert!(
            task_of("local:function:ingest").is_err(),
            "ingest is not a state machine task"
        );
        assert!(task_of("local:function:nope").is_err());
        assert!(task_of("arn:aws:lambda:us-east-1:1:function:extract").is_err());
    }
}
