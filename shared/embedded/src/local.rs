//! The embedded orchestrator: runs `infra/statemachine.asl.json` — the same file Step
//! Functions runs — in-process, each Task resource invoked through a [`TaskInvoker`] (in the
//! product, [`crate::tasks::HandlerInvoker`]: the same typed handlers the Lambdas run).
//! Executions run in the background, bounded by a worker pool.

use crate::asl::{stop_signal, Clock, Definition, ExecutionStatus, Runner, StopHandle, TaskInvoker};
use crate::domain::RunId;
use crate::error::OrchestratorError;
use crate::ports::Orchestrator;
use crate::tasks::resource_of;
use async_trait::async_trait;
use interview_handlers::mark_failed::STATUS_CHANGE;
use interview_handlers::TaskFunction;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::{watch, Semaphore};

/// The state machine definition, compiled in from `infra/` so the runner always executes the
/// file that is deployed.
pub const STATE_MACHINE_ASL: &str = include_str!("../../../infra/statemachine.asl.json");

/// The `${…FunctionArn}` substitutions that point the ASL's tasks at in-process handlers.
pub fn local_substitutions() -> BTreeMap<String, String> {
    TaskFunction::ALL
        .into_iter()
        .map(|task| (task.asl_variable().to_string(), resource_of(task)))
        .collect()
}

/// The deployed state machine, loaded for the local runner; fails if it uses anything the
/// runner cannot execute faithfully.
pub fn local_definition() -> Result<Arc<Definition>, crate::asl::AslError> {
    Definition::from_json(STATE_MACHINE_ASL, &local_substitutions()).map(Arc::new)
}

/// How an execution ended, kept for `wait` and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionSummary {
    /// Succeeded, failed, timed out or aborted.
    pub status: ExecutionStatus,
    /// The error name, when it did not succeed.
    pub error: Option<String>,
    /// The cause, when it did not succeed.
    pub cause: Option<String>,
}

struct Entry {
    stop: StopHandle,
    outcome: Option<ExecutionSummary>,
}

struct Inner {
    /// `None` when executions are only recorded (manual mode).
    runner: Option<Runner>,
    invoker: Option<Arc<dyn TaskInvoker>>,
    executions: Mutex<HashMap<String, Entry>>,
    running: watch::Sender<usize>,
    pool: Arc<Semaphore>,
}

/// Runs executions of the state machine in-process. Cheap to clone.
#[derive(Clone)]
pub struct LocalOrchestrator {
    inner: Arc<Inner>,
}

/// How many executions run at once by default (a bulk drop queues behind this pool).
pub const DEFAULT_CONCURRENCY: usize = 4;

impl LocalOrchestrator {
    /// Runs executions of `definition`, invoking its tasks through `invoker`, at most
    /// `concurrency` at a time.
    pub fn new(
        definition: Arc<Definition>,
        invoker: Arc<dyn TaskInvoker>,
        clock: Arc<dyn Clock>,
        concurrency: usize,
    ) -> Self {
        let runner = Runner::new(definition, invoker.clone(), clock);
        Self::with_runner(Some(runner), Some(invoker), concurrency)
    }

    /// Records started executions without running them, so a person can invoke each task by
    /// hand (`cargo lambda invoke`) against the embedded backend.
    pub fn recording_only() -> Self {
        Self::with_runner(None, None, 1)
    }

    fn with_runner(runner: Option<Runner>, invoker: Option<Arc<dyn TaskInvoker>>, concurrency: usize) -> Self {
        let (running, _) = watch::channel(0usize);
        Self {
            inner: Arc::new(Inner {
                runner,
                invoker,
                executions: Mutex::new(HashMap::new()),
                running,
                pool: Arc::new(Semaphore::new(concurrency.max(1))),
            }),
        }
    }

    /// Waits until no execution is running.
    pub async fn wait_idle(&self) {
        let mut rx = self.inner.running.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    /// How an execution ended, or `None` while it runs (or if it is unknown).
    pub fn outcome(&self, run: &RunId) -> Option<ExecutionSummary> {
        let map = self.inner.executions.lock().ok()?;
        map.get(run.as_str()).and_then(|e| e.outcome.clone())
    }

    /// How many executions were ever started by this process.
    pub fn started(&self) -> usize {
        self.inner.executions.lock().map(|m| m.len()).unwrap_or(0)
    }
}

#[async_trait]
impl Orchestrator for LocalOrchestrator {
    fn execution_arn(&self, run: &RunId) -> String {
        format!("local:execution:interviews:{run}")
    }

    async fn start(&self, run: &RunId, input: &Value) -> Result<String, OrchestratorError> {
        let arn = self.execution_arn(run);
        let name = run.to_string();
        let signal = {
            let mut map = self
                .inner
                .executions
                .lock()
                .map_err(|_| OrchestratorError::Other("lock poisoned".into()))?;
            if map.contains_key(&name) {
                return Ok(arn);
            }
            let (stop, signal) = stop_signal();
            map.insert(name.clone(), Entry { stop, outcome: None });
            signal
        };
        if self.inner.runner.is_none() {
            tracing::info!(execution = %name, "manual mode: the execution is recorded; invoke its tasks by hand");
            return Ok(arn);
        }
        self.inner.running.send_modify(|n| *n += 1);
        let inner = self.inner.clone();
        let input = input.clone();
        let arn_for_task = arn.clone();
        tokio::spawn(async move {
            let permit = inner.pool.clone().acquire_owned().await;
            let Some(runner) = inner.runner.as_ref() else {
                return;
            };
            let execution = runner.run(&name, input, signal).await;
            drop(permit);
            let summary = ExecutionSummary {
                status: execution.status,
                error: execution.error.clone(),
                cause: execution.cause.clone(),
            };
            if summary.status != ExecutionStatus::Succeeded {
                backstop(&inner, &arn_for_task, &name, &summary).await;
            }
            if let Ok(mut map) = inner.executions.lock() {
                if let Some(entry) = map.get_mut(&name) {
                    entry.outcome = Some(summary);
                }
            }
            inner.running.send_modify(|n| *n -= 1);
        });
        Ok(arn)
    }

    async fn stop(&self, execution_arn: &str, error: &str, cause: &str) -> Result<(), OrchestratorError> {
        let name = execution_arn.rsplit(':').next().unwrap_or(execution_arn);
        if let Ok(map) = self.inner.executions.lock() {
            if let Some(entry) = map.get(name) {
                entry.stop.stop(error, cause);
            }
        }
        Ok(())
    }
}

/// What the EventBridge rule on execution status changes does on AWS: hands failed, timed-out
/// and aborted executions to mark-failed, so one that died outside any Catch still lands on
/// the item.
async fn backstop(inner: &Inner, arn: &str, name: &str, summary: &ExecutionSummary) {
    let Some(invoker) = inner.invoker.as_ref() else {
        return;
    };
    let status = match summary.status {
        ExecutionStatus::Succeeded => return,
        ExecutionStatus::Failed => "FAILED",
        ExecutionStatus::TimedOut => "TIMED_OUT",
        ExecutionStatus::Aborted => "ABORTED",
    };
    let event = serde_json::json!({
        "version": "0",
        "detail-type": STATUS_CHANGE,
        "source": "aws.states",
        "detail": {
            "executionArn": arn,
            "name": name,
            "status": status,
            "error": summary.error,
            "cause": summary.cause,
        }
    });
    if let Err(e) = invoker.invoke(&resource_of(TaskFunction::MarkFailed), event).await {
        tracing::error!(execution = name, error = %e.error, "the backstop could not record the failed execution");
    }
}
