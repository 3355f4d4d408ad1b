//! The in-process executor: runs a [`Definition`] the way Step Functions would, calling a
//! [`TaskInvoker`] for each Task and a [`Clock`] for every wait, and records a history a test
//! can assert on and a person can read.
//!
//! Data flow per state follows the States Language: `InputPath` → `Parameters` → (task) →
//! `ResultSelector` → `ResultPath` (into the state's raw input) → `OutputPath`. A path that
//! does not resolve is a `States.Runtime` failure of the execution, which no Retry or Catch
//! handles, exactly as on AWS.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Map, Value};
use tokio::sync::watch;
use tracing::Instrument;

use super::clock::Clock;
use super::definition::{
    error_matches, Definition, FailValue, IoPath, ResultPath, State, StateKind, TaskState, Transition, WaitFor,
    STATES_NO_CHOICE_MATCHED, STATES_RUNTIME, STATES_TASK_FAILED, STATES_TIMEOUT,
};
use super::intrinsics::EvalError;
use super::journal::{Checkpoint, Journal};
use super::path::{kind_of, parse_timestamp, Context};
use super::template::{RenderError, Template};

/// AWS's history limit, used as the bound on state transitions so a runaway loop fails
/// instead of spinning forever.
pub const DEFAULT_MAX_TRANSITIONS: u64 = 25_000;

/// A task's failure as Step Functions sees it: the error name Retry and Catch match, and a
/// human-readable cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct TaskFailure {
    /// The error name (e.g. `TransientError`, `States.Timeout`).
    pub error: String,
    /// What happened, for a person.
    pub cause: String,
}

impl TaskFailure {
    /// A failure with this name and cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        TaskFailure {
            error: error.into(),
            cause: cause.into(),
        }
    }

    fn runtime(state: &str, message: impl std::fmt::Display) -> Self {
        TaskFailure::new(STATES_RUNTIME, format!("state `{state}`: {message}"))
    }
}

/// Runs a task resource: the local stand-in for a Lambda invoke. The product maps each
/// resource name to the same handler the Lambda uses; tests script results.
#[async_trait::async_trait]
pub trait TaskInvoker: Send + Sync {
    /// Runs `resource` with `input`; an `Err` is matched against Retry and Catch by its name.
    async fn invoke(&self, resource: &str, input: Value) -> Result<Value, TaskFailure>;
}

type StopReason = Option<(String, String)>;

/// The caller's side of a stop request (like `StopExecution`). Cloneable; the first stop wins.
#[derive(Debug, Clone)]
pub struct StopHandle {
    sender: Arc<watch::Sender<StopReason>>,
}

impl StopHandle {
    /// Asks the execution to stop with this error and cause. The runner checks between
    /// states and interrupts Waits, retry delays and in-flight tasks (whose result, if it
    /// ever arrives, is discarded).
    pub fn stop(&self, error: impl Into<String>, cause: impl Into<String>) {
        let reason = (error.into(), cause.into());
        self.sender.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(reason);
                true
            } else {
                false
            }
        });
    }
}

/// The runner's side of a stop request.
#[derive(Debug, Clone)]
pub struct StopSignal {
    receiver: watch::Receiver<StopReason>,
}

impl StopSignal {
    /// A signal that never fires, for executions nobody will stop.
    pub fn never() -> Self {
        stop_signal().1
    }

    /// Whether a stop was requested.
    pub fn is_stopped(&self) -> bool {
        self.receiver.borrow().is_some()
    }

    /// Resolves with the (error, cause) once a stop is requested; never if the handle is
    /// dropped without stopping.
    async fn stopped(&mut self) -> (String, String) {
        loop {
            if let Some(reason) = self.receiver.borrow_and_update().clone() {
                return reason;
            }
            if self.receiver.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// A connected stop handle and signal: give the signal to [`Runner::run`], keep the handle.
pub fn stop_signal() -> (StopHandle, StopSignal) {
    let (sender, receiver) = watch::channel(None);
    (
        StopHandle {
            sender: Arc::new(sender),
        },
        StopSignal { receiver },
    )
}

/// How an execution ended (the Step Functions execution statuses a finished run can have).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    /// Reached a Succeed state or an `End`.
    Succeeded,
    /// A Fail state, an uncaught error, or a `States.Runtime` failure.
    Failed,
    /// Ran past the definition's `TimeoutSeconds`.
    TimedOut,
    /// Stopped through a [`StopHandle`].
    Aborted,
}

impl ExecutionStatus {
    /// The name Step Functions uses (`SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED`).
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
        }
    }
}

impl std::fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing that happened during an execution, in order. Enough to assert retry and catch
/// paths in tests and to show a person what the run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum HistoryEvent {
    /// The execution began with this input.
    ExecutionStarted {
        /// The execution input.
        input: Value,
    },
    /// The execution was carried on by this runner from a journal's checkpoint.
    ExecutionResumed {
        /// The state it resumed in.
        state: String,
    },
    /// A state was entered.
    StateEntered {
        /// The state.
        name: String,
        /// Its raw input.
        input: Value,
        /// When (on the runner's clock).
        entered_at: DateTime<Utc>,
    },
    /// A state finished and passed this output on.
    StateExited {
        /// The state.
        name: String,
        /// Its output.
        output: Value,
    },
    /// A task was invoked (once per attempt).
    TaskScheduled {
        /// The state.
        state: String,
        /// The resource invoked.
        resource: String,
        /// The payload sent.
        input: Value,
    },
    /// A task returned a result.
    TaskSucceeded {
        /// The state.
        state: String,
        /// The raw result.
        output: Value,
    },
    /// A task failed (including `States.Timeout`).
    TaskFailed {
        /// The state.
        state: String,
        /// The error name.
        error: String,
        /// The cause.
        cause: String,
    },
    /// A retrier matched and the task will run again after `delay_ms`.
    RetryScheduled {
        /// The state.
        state: String,
        /// Which retrier (index into `Retry`).
        retrier: usize,
        /// This retrier's retry number, from 1.
        attempt: u64,
        /// The delay before the retry, in milliseconds of clock time.
        delay_ms: u64,
        /// The error that caused it.
        error: String,
    },
    /// A catcher matched and the execution continues at `next`.
    Caught {
        /// The state.
        state: String,
        /// The error caught.
        error: String,
        /// The catcher's target.
        next: String,
    },
    /// A Choice state picked `next` (`rule` is `None` for the `Default`).
    ChoiceMade {
        /// The state.
        state: String,
        /// Index of the matching rule in `Choices`, or `None` for `Default`.
        rule: Option<usize>,
        /// The chosen state.
        next: String,
    },
    /// A Wait state started waiting.
    WaitStarted {
        /// The state.
        state: String,
        /// How long, in milliseconds of clock time.
        delay_ms: u64,
    },
    /// The execution succeeded.
    ExecutionSucceeded {
        /// The final output.
        output: Value,
    },
    /// The execution failed.
    ExecutionFailed {
        /// The error name, if any.
        error: Option<String>,
        /// The cause, if any.
        cause: Option<String>,
    },
    /// The execution ran past its `TimeoutSeconds`.
    ExecutionTimedOut {
        /// Always `States.Timeout`.
        error: String,
        /// Which limit was hit.
        cause: String,
    },
    /// The execution was stopped.
    ExecutionAborted {
        /// The error given to [`StopHandle::stop`].
        error: String,
        /// The cause given to [`StopHandle::stop`].
        cause: String,
    },
}

/// The record of a finished execution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Execution {
    /// The execution name (the run id).
    pub name: String,
    /// How it ended.
    pub status: ExecutionStatus,
    /// The final output, when it succeeded.
    pub output: Option<Value>,
    /// The error name, when it did not succeed.
    pub error: Option<String>,
    /// The cause, when it did not succeed.
    pub cause: Option<String>,
    /// Everything that happened, in order.
    pub history: Vec<HistoryEvent>,
    /// When it started (runner's clock).
    pub started_at: DateTime<Utc>,
    /// When it ended (runner's clock).
    pub stopped_at: DateTime<Utc>,
    /// How many states were entered.
    pub transitions: u64,
}

/// Executes a definition in-process.
pub struct Runner {
    definition: Arc<Definition>,
    invoker: Arc<dyn TaskInvoker>,
    clock: Arc<dyn Clock>,
    max_transitions: u64,
    journal: Option<Arc<dyn Journal>>,
}

/// The error an execution is stopped with when its journal says another process now runs it.
/// It is not a failure of the execution: whoever runs it must not act on this outcome.
pub const NOT_OWNER: &str = "Local.NotOwner";

/// How `drive` ended (timeouts and stops are decided outside it).
enum Outcome {
    Succeeded(Value),
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
    TimedOut {
        cause: String,
    },
    Aborted {
        error: String,
        cause: String,
    },
}

/// What a state decided.
enum Step {
    Next { next: String, output: Value },
    End(Value),
}

/// Why a state ended the execution: a failure (uncaught error or `States.Runtime`) or a
/// Fail state, whose error and cause may be absent.
struct Halt {
    error: Option<String>,
    cause: Option<String>,
}

impl From<TaskFailure> for Halt {
    fn from(f: TaskFailure) -> Self {
        Halt {
            error: Some(f.error),
            cause: Some(f.cause),
        }
    }
}

/// Per-execution state shared by the states.
struct Run {
    history: Vec<HistoryEvent>,
    transitions: u64,
    execution_id: String,
    execution_name: String,
    execution_input: Value,
    start_time: DateTime<Utc>,
    /// When the state this runner resumed in was first entered, by the process that died: a
    /// resumed Wait owes only the rest of its delay. Taken by the first state.
    resumed_entry: Option<DateTime<Utc>>,
    /// The same time, for the state being run (only the first state after a resume has it).
    resumed_wait: Option<DateTime<Utc>>,
}

impl Run {
    fn context(&self, state: &str, entered: DateTime<Utc>) -> Context {
        Context {
            execution_id: self.execution_id.clone(),
            execution_name: self.execution_name.clone(),
            execution_input: self.execution_input.clone(),
            start_time: self.start_time,
            state_name: state.to_string(),
            entered_time: entered,
            retry_count: 0,
        }
    }
}

impl Runner {
    /// A runner for `definition` that invokes tasks through `invoker` and keeps time with `clock`.
    pub fn new(definition: Arc<Definition>, invoker: Arc<dyn TaskInvoker>, clock: Arc<dyn Clock>) -> Self {
        Runner {
            definition,
            invoker,
            clock,
            max_transitions: DEFAULT_MAX_TRANSITIONS,
            journal: None,
        }
    }

    /// Writes a [`Checkpoint`] to `journal` at every state entered, so [`Runner::resume`] can
    /// carry an execution on after its process died.
    pub fn with_journal(mut self, journal: Arc<dyn Journal>) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Changes the state-transition bound (default [`DEFAULT_MAX_TRANSITIONS`]).
    pub fn with_max_transitions(mut self, max_transitions: u64) -> Self {
        self.max_transitions = max_transitions;
        self
    }

    /// Runs one execution to its end. `execution_name` is the run id: it is `$$.Execution.Name`
    /// and the `execution` field of the tracing span every event of the run is logged in.
    ///
    /// Must be awaited inside a tokio runtime: each task invocation is spawned so that a
    /// timeout or a stop can abandon it without cancelling the handler mid-write.
    pub async fn run(&self, execution_name: &str, input: Value, stop: StopSignal) -> Execution {
        let start = self.start_checkpoint(input);
        let span = tracing::info_span!("execution", execution = %execution_name);
        self.run_in_span(execution_name, start, false, stop)
            .instrument(span)
            .await
    }

    /// Where a new execution with `input` starts: its first state, now.
    pub fn start_checkpoint(&self, input: Value) -> Checkpoint {
        let now = self.clock.now();
        Checkpoint {
            state: self.definition.start_at().to_string(),
            input: input.clone(),
            entered_at: now,
            execution_input: input,
            started_at: now,
            transitions: 0,
        }
    }

    /// Starts an execution from its [`Runner::start_checkpoint`] (recorded beforehand by the
    /// caller, who owns the execution from then on).
    pub async fn run_from_start(&self, execution_name: &str, start: Checkpoint, stop: StopSignal) -> Execution {
        let span = tracing::info_span!("execution", execution = %execution_name);
        self.run_in_span(execution_name, start, false, stop)
            .instrument(span)
            .await
    }

    /// Carries on an execution from `checkpoint` (the last state it entered, from a
    /// [`Journal`]): that state runs again — a Task is invoked again, which the handlers
    /// tolerate as Step Functions' at-least-once delivery; a Wait waits only what is left — and
    /// the execution's timeout still counts from its original start.
    pub async fn resume(&self, execution_name: &str, checkpoint: Checkpoint, stop: StopSignal) -> Execution {
        let span = tracing::info_span!("execution", execution = %execution_name);
        self.run_in_span(execution_name, checkpoint, true, stop)
            .instrument(span)
            .await
    }

    async fn run_in_span(
        &self,
        execution_name: &str,
        from: Checkpoint,
        resumed: bool,
        mut stop: StopSignal,
    ) -> Execution {
        let started_at = from.started_at;
        let first_event = if resumed {
            HistoryEvent::ExecutionResumed {
                state: from.state.clone(),
            }
        } else {
            HistoryEvent::ExecutionStarted {
                input: from.execution_input.clone(),
            }
        };
        let mut run = Run {
            history: vec![first_event],
            transitions: from.transitions,
            execution_id: format!("arn:aws:states:local:000000000000:execution:local:{execution_name}"),
            execution_name: execution_name.to_string(),
            execution_input: from.execution_input.clone(),
            start_time: started_at,
            resumed_entry: resumed.then_some(from.entered_at),
            resumed_wait: None,
        };
        if resumed {
            tracing::info!(state = %from.state, "execution resumed");
        } else {
            tracing::info!(start_at = self.definition.start_at(), "execution started");
        }
        let timeout = self.definition.timeout_seconds();
        let elapsed = (self.clock.now() - started_at).to_std().unwrap_or(Duration::ZERO);
        let outcome = tokio::select! {
            biased;
            (error, cause) = stop.stopped() => Outcome::Aborted { error, cause },
            cause = execution_deadline(self.clock.as_ref(), timeout, elapsed) => Outcome::TimedOut { cause },
            outcome = self.drive(&mut run, from.state, from.input) => outcome,
        };
        let stopped_at = self.clock.now();
        let (status, output, error, cause, event) = match outcome {
            Outcome::Succeeded(output) => {
                tracing::info!(
                    status = "SUCCEEDED",
                    transitions = run.transitions,
                    "execution finished"
                );
                let event = HistoryEvent::ExecutionSucceeded { output: output.clone() };
                (ExecutionStatus::Succeeded, Some(output), None, None, event)
            }
            Outcome::Failed { error, cause } => {
                tracing::info!(status = "FAILED", error = ?error, cause = ?cause, "execution finished");
                let event = HistoryEvent::ExecutionFailed {
                    error: error.clone(),
                    cause: cause.clone(),
                };
                (ExecutionStatus::Failed, None, error, cause, event)
            }
            Outcome::TimedOut { cause } => {
                tracing::info!(status = "TIMED_OUT", cause = %cause, "execution finished");
                let event = HistoryEvent::ExecutionTimedOut {
                    error: STATES_TIMEOUT.to_string(),
                    cause: cause.clone(),
                };
                (
                    ExecutionStatus::TimedOut,
                    None,
                    Some(STATES_TIMEOUT.to_string()),
                    Some(cause),
                    event,
                )
            }
            Outcome::Aborted { error, cause } => {
                tracing::info!(status = "ABORTED", error = %error, cause = %cause, "execution finished");
                let event = HistoryEvent::ExecutionAborted {
                    error: error.clone(),
                    cause: cause.clone(),
                };
                (ExecutionStatus::Aborted, None, Some(error), Some(cause), event)
            }
        };
        run.history.push(event);
        Execution {
            name: execution_name.to_string(),
            status,
            output,
            error,
            cause,
            history: run.history,
            started_at,
            stopped_at,
            transitions: run.transitions,
        }
    }

    async fn drive(&self, run: &mut Run, first: String, input: Value) -> Outcome {
        let mut current = first;
        let mut data = input;
        loop {
            // Let the caller's select see a stop or a timeout between states, even in a loop
            // of states that never await anything themselves.
            tokio::task::yield_now().await;
            if run.transitions >= self.max_transitions {
                return Outcome::Failed {
                    error: Some(STATES_RUNTIME.to_string()),
                    cause: Some(format!(
                        "the execution reached {} state transitions without finishing (before entering `{current}`); \
                         a loop in the state machine does not terminate",
                        self.max_transitions
                    )),
                };
            }
            let Some(state) = self.definition.state(&current) else {
                return Outcome::Failed {
                    error: Some(STATES_RUNTIME.to_string()),
                    cause: Some(format!("no state named `{current}`")),
                };
            };
            run.transitions += 1;
            // A resumed state keeps the time it was first entered.
            let resumed_entry = run.resumed_entry.take();
            let entered = resumed_entry.unwrap_or_else(|| self.clock.now());
            if let Some(journal) = &self.journal {
                let checkpoint = Checkpoint {
                    state: state.name.clone(),
                    input: data.clone(),
                    entered_at: entered,
                    execution_input: run.execution_input.clone(),
                    started_at: run.start_time,
                    transitions: run.transitions - 1,
                };
                if let Err(lost) = journal.entered(&run.execution_name, &checkpoint).await {
                    return Outcome::Aborted {
                        error: NOT_OWNER.to_string(),
                        cause: lost.to_string(),
                    };
                }
            }
            run.history.push(HistoryEvent::StateEntered {
                name: state.name.clone(),
                input: data.clone(),
                entered_at: entered,
            });
            tracing::debug!(state = %state.name, "state entered");
            let context = run.context(&state.name, entered);
            run.resumed_wait = resumed_entry;
            match self.step(run, state, data, context).await {
                Ok(Step::Next { next, output }) => {
                    run.history.push(HistoryEvent::StateExited {
                        name: state.name.clone(),
                        output: output.clone(),
                    });
                    current = next;
                    data = output;
                }
                Ok(Step::End(output)) => {
                    run.history.push(HistoryEvent::StateExited {
                        name: state.name.clone(),
                        output: output.clone(),
                    });
                    return Outcome::Succeeded(output);
                }
                Err(Halt { error, cause }) => return Outcome::Failed { error, cause },
            }
        }
    }

    async fn step(&self, run: &mut Run, state: &State, raw: Value, context: Context) -> Result<Step, Halt> {
        let name = state.name.as_str();
        match &state.kind {
            StateKind::Task(task) => self.task(run, state, task, raw, context).await.map_err(Halt::from),
            StateKind::Pass(pass) => {
                let effective = select(name, "InputPath", &state.input_path, &raw, &context)?;
                let result = match (&pass.result, &pass.parameters) {
                    (Some(result), _) => result.clone(),
                    (None, Some(parameters)) => render(name, "Parameters", parameters, &effective, &context)?,
                    (None, None) => effective,
                };
                let combined = place(name, "ResultPath", &pass.result_path, raw, result)?;
                let output = select(name, "OutputPath", &state.output_path, &combined, &context)?;
                Ok(follow(&pass.transition, output))
            }
            StateKind::Choice(choice) => {
                let effective = select(name, "InputPath", &state.input_path, &raw, &context)?;
                let mut chosen = None;
                for (i, rule) in choice.choices.iter().enumerate() {
                    let holds = rule.rule.eval(&effective, &context).map_err(|missing| {
                        TaskFailure::runtime(
                            name,
                            format_args!("Choices[{i}]: the path `{}` was not found in the input", missing.0),
                        )
                    })?;
                    if holds {
                        chosen = Some((Some(i), rule.next.clone()));
                        break;
                    }
                }
                let Some((rule, next)) = chosen.or_else(|| choice.default.clone().map(|d| (None, d))) else {
                    return Err(TaskFailure::new(
                        STATES_NO_CHOICE_MATCHED,
                        format!("state `{name}`: no Choice rule matched the input and there is no Default"),
                    )
                    .into());
                };
                run.history.push(HistoryEvent::ChoiceMade {
                    state: name.to_string(),
                    rule,
                    next: next.clone(),
                });
                let output = select(name, "OutputPath", &state.output_path, &effective, &context)?;
                Ok(Step::Next { next, output })
            }
            StateKind::Wait(wait) => {
                let effective = select(name, "InputPath", &state.input_path, &raw, &context)?;
                let delay = self.wait_delay(name, &wait.wait, &effective, &context)?;
                let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
                run.history.push(HistoryEvent::WaitStarted {
                    state: name.to_string(),
                    delay_ms,
                });
                tracing::debug!(state = %name, delay_ms, "waiting");
                // A resumed Wait counts from when it was first entered, before the process that
                // entered it died.
                let waited = match run.resumed_wait.take() {
                    Some(since) => (self.clock.now() - since).to_std().unwrap_or(Duration::ZERO),
                    None => Duration::ZERO,
                };
                self.clock.sleep(delay.saturating_sub(waited)).await;
                let output = select(name, "OutputPath", &state.output_path, &effective, &context)?;
                Ok(follow(&wait.transition, output))
            }
            StateKind::Succeed => {
                let effective = select(name, "InputPath", &state.input_path, &raw, &context)?;
                let output = select(name, "OutputPath", &state.output_path, &effective, &context)?;
                Ok(Step::End(output))
            }
            StateKind::Fail(fail) => {
                let error = fail_value(name, "ErrorPath", fail.error.as_ref(), &raw, &context)?;
                let cause = fail_value(name, "CausePath", fail.cause.as_ref(), &raw, &context)?;
                Err(Halt { error, cause })
            }
        }
    }

    fn wait_delay(&self, name: &str, wait: &WaitFor, data: &Value, context: &Context) -> Result<Duration, TaskFailure> {
        let until = |at: DateTime<Utc>| (at - self.clock.now()).to_std().unwrap_or(Duration::ZERO);
        match wait {
            WaitFor::Seconds(s) => Ok(Duration::from_secs(*s)),
            WaitFor::Timestamp(at) => Ok(until(*at)),
            WaitFor::SecondsPath(path) => {
                let value = path.get(data, context).ok_or_else(|| {
                    TaskFailure::runtime(
                        name,
                        format_args!("field `SecondsPath`: the path `{path}` was not found in the input"),
                    )
                })?;
                value.as_u64().map(Duration::from_secs).ok_or_else(|| {
                    TaskFailure::runtime(
                        name,
                        format_args!("field `SecondsPath`: `{path}` must be a non-negative integer, got {value}"),
                    )
                })
            }
            WaitFor::TimestampPath(path) => {
                let value = path.get(data, context).ok_or_else(|| {
                    TaskFailure::runtime(
                        name,
                        format_args!("field `TimestampPath`: the path `{path}` was not found in the input"),
                    )
                })?;
                let at = value.as_str().and_then(parse_timestamp).ok_or_else(|| {
                    TaskFailure::runtime(
                        name,
                        format_args!("field `TimestampPath`: `{path}` must be an RFC 3339 timestamp, got {value}"),
                    )
                })?;
                Ok(until(at))
            }
        }
    }

    async fn task(
        &self,
        run: &mut Run,
        state: &State,
        task: &TaskState,
        raw: Value,
        mut context: Context,
    ) -> Result<Step, TaskFailure> {
        let name = state.name.as_str();
        let effective = select(name, "InputPath", &state.input_path, &raw, &context)?;
        let mut retries_done = vec![0u64; task.retry.len()];
        loop {
            let payload = match &task.parameters {
                Some(parameters) => render(name, "Parameters", parameters, &effective, &context)?,
                None => effective.clone(),
            };
            run.history.push(HistoryEvent::TaskScheduled {
                state: name.to_string(),
                resource: task.resource.clone(),
                input: payload.clone(),
            });
            let failure = match self.invoke(&task.resource, payload, task.timeout_seconds).await {
                Ok(result) => {
                    run.history.push(HistoryEvent::TaskSucceeded {
                        state: name.to_string(),
                        output: result.clone(),
                    });
                    let selected = match &task.result_selector {
                        Some(selector) => render(name, "ResultSelector", selector, &result, &context)?,
                        None => result,
                    };
                    let combined = place(name, "ResultPath", &task.result_path, raw, selected)?;
                    let output = select(name, "OutputPath", &state.output_path, &combined, &context)?;
                    return Ok(follow(&task.transition, output));
                }
                Err(failure) => failure,
            };
            run.history.push(HistoryEvent::TaskFailed {
                state: name.to_string(),
                error: failure.error.clone(),
                cause: failure.cause.clone(),
            });
            tracing::debug!(state = %name, error = %failure.error, cause = %failure.cause, "task failed");
            if let Some((index, retrier)) = task
                .retry
                .iter()
                .enumerate()
                .find(|(_, r)| error_matches(&r.error_equals, &failure.error))
            {
                let done = retries_done.get(index).copied().unwrap_or(u64::MAX);
                if done < retrier.max_attempts {
                    let delay_ms = retrier.delay_ms(done);
                    let attempt = done + 1;
                    if let Some(slot) = retries_done.get_mut(index) {
                        *slot = attempt;
                    }
                    context.retry_count = context.retry_count.saturating_add(1);
                    run.history.push(HistoryEvent::RetryScheduled {
                        state: name.to_string(),
                        retrier: index,
                        attempt,
                        delay_ms,
                        error: failure.error.clone(),
                    });
                    tracing::info!(state = %name, error = %failure.error, retrier = index, attempt, delay_ms, "retrying task");
                    self.clock.sleep(Duration::from_millis(delay_ms)).await;
                    continue;
                }
            }
            if let Some((index, catcher)) = task
                .catch
                .iter()
                .enumerate()
                .find(|(_, c)| error_matches(&c.error_equals, &failure.error))
            {
                run.history.push(HistoryEvent::Caught {
                    state: name.to_string(),
                    error: failure.error.clone(),
                    next: catcher.next.clone(),
                });
                tracing::info!(state = %name, error = %failure.error, next = %catcher.next, "error caught");
                let error_output = json!({"Error": failure.error, "Cause": failure.cause});
                let field = format!("Catch[{index}].ResultPath");
                let output = place(name, &field, &catcher.result_path, raw, error_output)?;
                return Ok(Step::Next {
                    next: catcher.next.clone(),
                    output,
                });
            }
            return Err(failure);
        }
    }

    /// Invokes a task on its own tokio task, so a timeout or a stop abandons the invocation
    /// the way Step Functions abandons a Lambda call: it may run to completion, but its result
    /// is discarded (handlers are fenced by `run_id` for exactly this case).
    async fn invoke(&self, resource: &str, payload: Value, timeout_seconds: Option<u64>) -> Result<Value, TaskFailure> {
        let invoker = Arc::clone(&self.invoker);
        let owned_resource = resource.to_string();
        let handle = tokio::spawn(async move { invoker.invoke(&owned_resource, payload).await });
        let joined = match timeout_seconds {
            None => handle.await,
            Some(seconds) => tokio::select! {
                joined = handle => joined,
                () = self.clock.sleep(Duration::from_secs(seconds)) => {
                    return Err(TaskFailure::new(
                        STATES_TIMEOUT,
                        format!("task `{resource}` did not finish within its TimeoutSeconds ({seconds} s)"),
                    ));
                }
            },
        };
        joined.unwrap_or_else(|join_error| {
            let why = if join_error.is_panic() {
                let payload = join_error.into_panic();
                payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a non-string panic".to_string())
            } else {
                "the task was cancelled".to_string()
            };
            Err(TaskFailure::new(
                STATES_TASK_FAILED,
                format!("task `{resource}` panicked: {why}"),
            ))
        })
    }
}

/// Resolves when the execution's `TimeoutSeconds` passes on `clock` (never without one),
/// `elapsed` of it having passed before this runner took the execution on.
async fn execution_deadline(clock: &dyn Clock, timeout_seconds: Option<u64>, elapsed: Duration) -> String {
    match timeout_seconds {
        Some(seconds) => {
            clock.sleep(Duration::from_secs(seconds).saturating_sub(elapsed)).await;
            format!("the execution ran longer than its TimeoutSeconds ({seconds} s)")
        }
        None => std::future::pending().await,
    }
}

fn follow(transition: &Transition, output: Value) -> Step {
    match transition {
        Transition::Next(next) => Step::Next {
            next: next.clone(),
            output,
        },
        Transition::End => Step::End(output),
    }
}

/// Applies `InputPath` / `OutputPath`.
fn select(state: &str, field: &str, io: &IoPath, data: &Value, context: &Context) -> Result<Value, TaskFailure> {
    match io {
        IoPath::Null => Ok(Value::Object(Map::new())),
        IoPath::Path(path) => path.get(data, context).ok_or_else(|| {
            TaskFailure::runtime(
                state,
                format_args!("field `{field}`: the path `{path}` was not found in the input"),
            )
        }),
    }
}

/// Applies a `ResultPath` (state or catcher) to the state's raw input.
fn place(state: &str, field: &str, result_path: &ResultPath, raw: Value, result: Value) -> Result<Value, TaskFailure> {
    match result_path {
        ResultPath::Discard => Ok(raw),
        ResultPath::Path(path) => {
            let mut target = raw;
            path.set(&mut target, result)
                .map_err(|why| TaskFailure::runtime(state, format_args!("field `{field}`: {why}")))?;
            Ok(target)
        }
    }
}

fn render(
    state: &str,
    field: &str,
    template: &Template,
    data: &Value,
    context: &Context,
) -> Result<Value, TaskFailure> {
    template.render(data, context).map_err(|RenderError { key, error }| {
        let why = match error {
            EvalError::PathNotFound(path) => format!("the path `{path}` was not found"),
            EvalError::Function(message) => message,
        };
        TaskFailure::runtime(state, format_args!("field `{field}.{key}`: {why}"))
    })
}

fn fail_value(
    state: &str,
    field: &str,
    value: Option<&FailValue>,
    data: &Value,
    context: &Context,
) -> Result<Option<String>, TaskFailure> {
    match value {
        None => Ok(None),
        Some(FailValue::Literal(text)) => Ok(Some(text.clone())),
        Some(FailValue::Dynamic(expr)) => match expr.eval(data, context) {
            Ok(Value::String(text)) => Ok(Some(text)),
            Ok(other) => Err(TaskFailure::runtime(
                state,
                format_args!("field `{field}`: must be a string, got {}", kind_of(&other)),
            )),
            Err(EvalError::PathNotFound(path)) => Err(TaskFailure::runtime(
                state,
                format_args!("field `{field}`: the path `{path}` was not found"),
            )),
            Err(EvalError::Function(message)) => {
                Err(TaskFailure::runtime(state, format_args!("field `{field}`: {message}")))
            }
        },
    }
}
