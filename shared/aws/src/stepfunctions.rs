//! Step Functions as the orchestrator: one Standard-workflow execution per run, named after the
//! run id, so a start repeated by a redelivered ingest message lands on the same execution.

use crate::domain::RunId;
use crate::error::OrchestratorError;
use crate::ports::Orchestrator;
use async_trait::async_trait;
use aws_sdk_sfn::config::http::HttpResponse;
use aws_sdk_sfn::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use aws_sdk_sfn::operation::stop_execution::StopExecutionError;
use aws_sdk_sfn::Client;

/// Error codes Step Functions uses for "back off and retry" (its throttling is not modeled).
const THROTTLING_CODES: [&str; 4] = [
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "KmsThrottlingException",
];

/// [`Orchestrator`] over one state machine.
#[derive(Debug, Clone)]
pub struct StepFunctionsOrchestrator {
    client: Client,
    state_machine_arn: String,
}

impl StepFunctionsOrchestrator {
    /// Starts executions of `state_machine_arn`.
    pub fn new(client: Client, state_machine_arn: impl Into<String>) -> Self {
        Self {
            client,
            state_machine_arn: state_machine_arn.into(),
        }
    }

    /// The state machine this orchestrator starts.
    pub fn state_machine_arn(&self) -> &str {
        &self.state_machine_arn
    }

    /// Finds the execution a refused start collided with. The same name with the same input is
    /// the same run started again (success); the same name with another input is a different
    /// run squatting on the name, which the caller must hear about.
    async fn existing_execution(&self, name: &str, input: &serde_json::Value) -> Result<String, OrchestratorError> {
        let arn = execution_arn(&self.state_machine_arn, name)?;
        let out = self
            .client
            .describe_execution()
            .execution_arn(&arn)
            .send()
            .await
            .map_err(|err| orchestrator_error(&format!("describing execution {arn}"), err))?;
        let existing_input = out
            .input()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok());
        match existing_input {
            Some(existing) if &existing != input => Err(OrchestratorError::NameConflict(name.to_string())),
            _ => Ok(out.execution_arn().to_string()),
        }
    }
}

/// The ARN of execution `name` of the state machine `state_machine_arn`
/// (`arn:<partition>:states:<region>:<account>:stateMachine:<machine>[:<version or alias>]`
/// → `arn:<partition>:states:<region>:<account>:execution:<machine>:<name>`).
pub fn execution_arn(state_machine_arn: &str, name: &str) -> Result<String, OrchestratorError> {
    let parts: Vec<&str> = state_machine_arn.split(':').collect();
    match parts.as_slice() {
        ["arn", partition, "states", region, account, "stateMachine", machine, ..]
            if !machine.is_empty() && parts.len() <= 8 =>
        {
            Ok(format!(
                "arn:{partition}:states:{region}:{account}:execution:{machine}:{name}"
            ))
        }
        _ => Err(OrchestratorError::Other(format!(
            "`{state_machine_arn}` is not a state machine ARN"
        ))),
    }
}

/// Maps an SDK failure: throttling, 5xx, timeouts and network errors are `Unavailable` (a retry
/// may help); anything else is `Other` with the service's code and message.
fn orchestrator_error<E>(doing: &str, err: SdkError<E, HttpResponse>) -> OrchestratorError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(context) => {
            let error = context.err();
            let code = error.code().unwrap_or_default();
            let described = error.to_string();
            let text = match error.message() {
                Some(message) if !described.contains(message) => format!("{doing}: {described}: {message}"),
                _ => format!("{doing}: {described}"),
            };
            if THROTTLING_CODES.contains(&code)
                || code == "ExecutionLimitExceeded"
                || context.raw().status().is_server_error()
            {
                OrchestratorError::Unavailable(text)
            } else {
                OrchestratorError::Other(text)
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            OrchestratorError::Unavailable(format!("{doing}: {}", DisplayErrorContext(&err)))
        }
        _ => OrchestratorError::Other(format!("{doing}: {}", DisplayErrorContext(&err))),
    }
}

#[async_trait]
impl Orchestrator for StepFunctionsOrchestrator {
    fn execution_arn(&self, run: &RunId) -> String {
        execution_arn(&self.state_machine_arn, run.as_str())
            .unwrap_or_else(|_| format!("{}:{run}", self.state_machine_arn))
    }

    async fn start(&self, run: &RunId, input: &serde_json::Value) -> Result<String, OrchestratorError> {
        let name = run.to_string();
        let result = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(&name)
            .input(input.to_string())
            .send()
            .await;
        match result {
            Ok(out) => Ok(out.execution_arn().to_string()),
            Err(err) => match err.as_service_error() {
                Some(StartExecutionError::ExecutionAlreadyExists(_)) => self.existing_execution(&name, input).await,
                // A running execution over its open-executions quota, or KMS shedding load:
                // both pass with time.
                Some(StartExecutionError::ExecutionLimitExceeded(_))
                | Some(StartExecutionError::KmsThrottlingException(_)) => Err(OrchestratorError::Unavailable(format!(
                    "starting execution {name}: {}",
                    DisplayErrorContext(&err)
                ))),
                _ => Err(orchestrator_error(&format!("starting execution {name}"), err)),
            },
        }
    }

    /// Stopping an execution that never existed is a no-op, like stopping one that already
    /// ended (which the service accepts): the caller wants it not running, and it is not.
    async fn stop(&self, execution_arn: &str, error: &str, cause: &str) -> Result<(), OrchestratorError> {
        let result = self
            .client
            .stop_execution()
            .execution_arn(execution_arn)
            .error(error)
            .cause(cause)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(StopExecutionError::ExecutionDoesNotExist(_))
                ) =>
            {
                Ok(())
            }
            Err(err) => Err(orchestrator_error(&format!("stopping execution {execution_arn}"), err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::InterviewId;
    use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
    use aws_sdk_sfn::operation::start_execution::StartExecutionOutput;
    use aws_sdk_sfn::operation::stop_execution::StopExecutionOutput;
    use aws_sdk_sfn::primitives::DateTime;
    use aws_sdk_sfn::types::error::{ExecutionAlreadyExists, ExecutionDoesNotExist};
    use aws_sdk_sfn::types::ExecutionStatus;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:interview-pipeline";

    fn run() -> RunId {
        RunId::new(&InterviewId::for_object("bucket", "uploads/p/a.wav"), 1)
    }

    fn described(arn: &str, input: &str) -> DescribeExecutionOutput {
        DescribeExecutionOutput::builder()
            .execution_arn(arn)
            .state_machine_arn(MACHINE)
            .status(ExecutionStatus::Running)
            .start_date(DateTime::from_secs(0))
            .input(input)
            .build()
            .unwrap()
    }

    fn already_exists() -> StartExecutionError {
        StartExecutionError::ExecutionAlreadyExists(
            ExecutionAlreadyExists::builder()
                .message("Execution Already Exists")
                .build(),
        )
    }

    #[test]
    fn execution_arns_are_built_from_the_state_machine_arn() {
        assert_eq!(
            execution_arn(MACHINE, "run-1").unwrap(),
            "arn:aws:states:us-east-1:123456789012:execution:interview-pipeline:run-1"
        );
        assert_eq!(
            execution_arn("arn:aws-cn:states:cn-north-1:1:stateMachine:m:live", "r").unwrap(),
            "arn:aws-cn:states:cn-north-1:1:execution:m:r"
        );
        for bad in [
            "",
            "arn:aws:lambda:us-east-1:1:function:f",
            "arn:aws:states:r:1:stateMachine:",
        ] {
            assert!(
                matches!(execution_arn(bad, "r"), Err(OrchestratorError::Other(_))),
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn starting_a_run_again_returns_the_existing_execution() {
        let run = run();
        let input = serde_json::json!({"interview_id": run.interview_id().to_string(), "run_id": run.to_string(), "wait_seconds": 30});
        let want = execution_arn(MACHINE, run.as_str()).unwrap();
        let name = run.to_string();
        let refused = mock!(Client::start_execution)
            .match_requests(move |req| req.name() == Some(name.as_str()) && req.state_machine_arn() == Some(MACHINE))
            .then_error(already_exists);
        let arn = want.clone();
        // The stored input is the same document, serialized with other spacing and key order.
        let stored = r#"{ "wait_seconds": 30, "run_id": "RUN", "interview_id": "ID" }"#
            .replace("RUN", run.as_str())
            .replace("ID", run.interview_id().as_str());
        let describe = mock!(Client::describe_execution)
            .match_requests(move |req| req.execution_arn() == Some(arn.as_str()))
            .then_output(move || described(&want, &stored));
        let client = mock_client!(aws_sdk_sfn, RuleMode::Sequential, [&refused, &describe]);
        let orchestrator = StepFunctionsOrchestrator::new(client, MACHINE);
        let arn = orchestrator.start(&run, &input).await.unwrap();
        assert_eq!(arn, execution_arn(MACHINE, run.as_str()).unwrap());
        assert_eq!((refused.num_calls(), describe.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn the_same_name_with_another_input_is_a_name_conflict() {
        let run = run();
        let arn = execution_arn(MACHINE, run.as_str()).unwrap();
        let refused = mock!(Client::start_execution).then_error(already_exists);
        let describe = mock!(Client::describe_execution).then_output(move || described(&arn, r#"{"other":true}"#));
        let client = mock_client!(aws_sdk_sfn, RuleMode::Sequential, [&refused, &describe]);
        let err = StepFunctionsOrchestrator::new(client, MACHINE)
            .start(&run, &serde_json::json!({"run_id": run.to_string()}))
            .await
            .unwrap_err();
        assert!(
            matches!(err, OrchestratorError::NameConflict(ref name) if name == run.as_str()),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_first_start_returns_the_new_execution() {
        let run = run();
        let input = serde_json::json!({"run_id": run.to_string()});
        let body = input.to_string();
        let started = mock!(Client::start_execution)
            .match_requests(move |req| req.input() == Some(body.as_str()))
            .then_output(|| {
                StartExecutionOutput::builder()
                    .execution_arn("arn:aws:states:us-east-1:123456789012:execution:interview-pipeline:x")
                    .start_date(DateTime::from_secs(0))
                    .build()
                    .unwrap()
            });
        let client = mock_client!(aws_sdk_sfn, [&started]);
        let arn = StepFunctionsOrchestrator::new(client, MACHINE)
            .start(&run, &input)
            .await
            .unwrap();
        assert!(arn.ends_with(":x"), "{arn}");
    }

    #[tokio::test]
    async fn throttling_is_unavailable_so_the_caller_retries() {
        let throttled = mock!(Client::start_execution)
            .sequence()
            .http_status(
                400,
                Some(r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_string()),
            )
            .repeatedly()
            .build();
        let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&throttled]);
        let err = StepFunctionsOrchestrator::new(client, MACHINE)
            .start(&run(), &serde_json::json!({}))
            .await
            .unwrap_err();
        match &err {
            OrchestratorError::Unavailable(text) => assert!(text.contains("Rate exceeded"), "{text}"),
            other => panic!("expected Unavailable, got {other:?}"),
        }
        assert!(err.is_transient());
        assert!(throttled.num_calls() > 1, "the SDK retried before giving up");

        let broken = mock!(Client::start_execution)
            .sequence()
            .http_status(500, None)
            .repeatedly()
            .build();
        let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&broken]);
        let err = StepFunctionsOrchestrator::new(client, MACHINE)
            .start(&run(), &serde_json::json!({}))
            .await
            .unwrap_err();
        assert!(matches!(err, OrchestratorError::Unavailable(_)), "{err:?}");
    }

    #[tokio::test]
    async fn a_missing_state_machine_is_not_retried() {
        let missing = mock!(Client::start_execution).then_error(|| {
            StartExecutionError::StateMachineDoesNotExist(
                aws_sdk_sfn::types::error::StateMachineDoesNotExist::builder()
                    .message("State Machine Does Not Exist")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_sfn, [&missing]);
        let err = StepFunctionsOrchestrator::new(client, MACHINE)
            .start(&run(), &serde_json::json!({}))
            .await
            .unwrap_err();
        assert!(
            matches!(err, OrchestratorError::Other(ref t) if t.contains("Does Not Exist")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn stopping_is_idempotent() {
        let arn = execution_arn(MACHINE, "r").unwrap();
        let stopped = mock!(Client::stop_execution)
            .match_requests(|req| req.error() == Some("Stale") && req.cause() == Some("no heartbeat"))
            .then_output(|| {
                StopExecutionOutput::builder()
                    .stop_date(DateTime::from_secs(0))
                    .build()
                    .unwrap()
            });
        let gone = mock!(Client::stop_execution).then_error(|| {
            StopExecutionError::ExecutionDoesNotExist(ExecutionDoesNotExist::builder().message("gone").build())
        });
        let client = mock_client!(aws_sdk_sfn, RuleMode::Sequential, [&stopped, &gone]);
        let orchestrator = StepFunctionsOrchestrator::new(client, MACHINE);
        orchestrator.stop(&arn, "Stale", "no heartbeat").await.unwrap();
        orchestrator.stop(&arn, "Stale", "no heartbeat").await.unwrap();
        assert_eq!((stopped.num_calls(), gone.num_calls()), (1, 1));
    }
}
