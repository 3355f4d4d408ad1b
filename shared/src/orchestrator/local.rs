//! The embedded orchestrator: runs `infra/statemachine.asl.json` — the same file Step
//! Functions runs — in-process, with each Lambda resource mapped to the same handler function
//! the Lambda uses. Executions run in the background, bounded by a worker pool.

use crate::asl::{stop_signal, Clock, Definition, ExecutionStatus, Runner, StopHandle, TaskFailure, TaskInvoker};
use crate::domain::RunId;
use crate::error::OrchestratorError;
use crate::handlers::{dispatch, FUNCTIONS};
use crate::ports::Orchestrator;
use crate::services::Services;
use async_trait::async_trait;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use tokio::sync::{watch, Semaphore};

/// The state machine definition, compiled in from `infra/` so the runner always executes the
/// file that is deployed.
pub const STATE_MACHINE_ASL: &str = include_str!("../../../infra/statemachine.asl.json");

/// Resource prefix of in-process functions (`local:function:<name>`).
pub const LOCAL_FUNCTION_PREFIX: &str = "local:function:";

/// The `${…FunctionArn}` substitutions that point the ASL's tasks at in-process handlers.
pub fn local_substitutions() -> BTreeMap<String, String> {
    FUNCTIONS
        .iter()
        .filter_map(|f| {
            f.asl_variable
                .map(|var| (var.to_string(), format!("{LOCAL_FUNCTION_PREFIX}{}", f.name)))
        })
        .collect()
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
    runner: OnceLock<Runner>,
    services: OnceLock<Weak<Services>>,
    executions: Mutex<HashMap<String, Entry>>,
    running: watch::Sender<usize>,
    pool: Arc<Semaphore>,
    manual: std::sync::atomic::AtomicBool,
}

/// Runs executions of the state machine in-process. Cheap to clone.
#[derive(Clone)]
pub struct LocalOrchestrator {
    definition: Arc<Definition>,
    clock: Arc<dyn Clock>,
    inner: Arc<Inner>,
}

/// How many executions run at once by default (a bulk drop queues behind this pool).
pub const DEFAULT_CONCURRENCY: usize = 4;

impl LocalOrchestrator {
    /// Loads and validates the state machine; fails if it uses anything the runner cannot execute.
    pub fn new(clock: Arc<dyn Clock>) -> Result<Self, crate::asl::AslError> {
        Self::with_definition(STATE_MACHINE_ASL, clock, DEFAULT_CONCURRENCY)
    }

    /// Like [`LocalOrchestrator::new`] with another definition text or pool size (tests).
    pub fn with_definition(asl: &str, clock: Arc<dyn Clock>, concurrency: usize) -> Result<Self, crate::asl::AslError> {
        let definition = Arc::new(Definition::from_json(asl, &local_substitutions())?);
        let (running, _) = watch::channel(0usize);
        Ok(Self {
            definition,
            clock,
            inner: Arc::new(Inner {
                runner: OnceLock::new(),
                services: OnceLock::new(),
                executions: Mutex::new(HashMap::new()),
                running,
                pool: Arc::new(Semaphore::new(concurrency.max(1))),
                manual: std::sync::atomic::AtomicBool::new(false),
            }),
        })
    }

    /// Connects the orchestrator to the services its tasks run with (they hold it, so it holds
    /// them weakly).
    pub fn attach(&self, services: &Arc<Services>) {
        let weak = Arc::downgrade(services);
        let invoker = Arc::new(LocalInvoker { services: weak.clone() });
        let _ = self.inner.services.set(weak);
        let _ = self
            .inner
            .runner
            .set(Runner::new(self.definition.clone(), invoker, self.clock.clone()));
    }

    /// Records started executions without running them, so a person can invoke each task by
    /// hand (`cargo lambda invoke`) against the embedded backend.
    pub fn set_manual(&self, manual: bool) {
        self.inner.manual.store(manual, std::sync::atomic::Ordering::Relaxed);
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
        if self.inner.manual.load(std::sync::atomic::Ordering::Relaxed) {
            tracing::info!(execution = %name, "manual mode: the execution is recorded; invoke its tasks by hand");
            return Ok(arn);
        }
        if self.inner.runner.get().is_none() {
            return Err(OrchestratorError::Other(
                "the local orchestrator is not attached to services".into(),
            ));
        }
        self.inner.running.send_modify(|n| *n += 1);
        let inner = self.inner.clone();
        let input = input.clone();
        let arn_for_task = arn.clone();
        tokio::spawn(async move {
            let permit = inner.pool.clone().acquire_owned().await;
            let runner = inner.runner.get().expect("checked before spawning");
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
    let Some(services) = inner.services.get().and_then(Weak::upgrade) else {
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
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "detail": {
            "executionArn": arn,
            "name": name,
            "status": status,
            "error": summary.error,
            "cause": summary.cause,
        }
    });
    if let Err(e) = dispatch(&services, "mark-failed", event).await {
        tracing::error!(execution = name, error = %e, "the backstop could not record the failed execution");
    }
}

struct LocalInvoker {
    services: Weak<Services>,
}

#[async_trait]
impl TaskInvoker for LocalInvoker {
    async fn invoke(&self, resource: &str, input: Value) -> Result<Value, TaskFailure> {
        let failure = |error: &str, message: String| TaskFailure {
            error: error.to_string(),
            cause: serde_json::json!({ "errorType": error, "errorMessage": message }).to_string(),
        };
        let services = self
            .services
            .upgrade()
            .ok_or_else(|| failure("InternalError", "the process is shutting down".into()))?;
        let function = resource
            .strip_prefix(LOCAL_FUNCTION_PREFIX)
            .ok_or_else(|| failure("InternalError", format!("`{resource}` is not a local function")))?;
        dispatch(&services, function, input)
            .await
            .map_err(|e| failure(e.name(), e.message().to_string()))
    }
}
