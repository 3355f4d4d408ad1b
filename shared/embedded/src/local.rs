//! The embedded orchestrator: runs `infra/statemachine.asl.json` — the same file Step
//! Functions runs — in-process, each Task resource invoked through a [`TaskInvoker`] (in the
//! product, [`crate::tasks::HandlerInvoker`]: the same typed handlers the Lambdas run).
//! Executions run in the background, bounded by a worker pool.

use crate::asl::{
    stop_signal, Checkpoint, Clock, Definition, ExecutionStatus, Runner, StopHandle, TaskInvoker, NOT_OWNER,
};
use crate::domain::RunId;
use crate::error::OrchestratorError;
use crate::executions::{Claim, ExecutionJournal, JournalError};
use crate::ports::Orchestrator;
use crate::tasks::resource_of;
use async_trait::async_trait;
use interview_handlers::mark_failed::STATUS_CHANGE;
use interview_handlers::TaskFunction;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
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
    /// Where executions are kept so they outlive this process; `None` keeps them in memory only
    /// (tests, and the benchmark's in-memory baseline).
    journal: Option<ExecutionJournal>,
    executions: Mutex<HashMap<String, Entry>>,
    running: watch::Sender<usize>,
    pool: Arc<Semaphore>,
}

/// How an execution begins in this process.
enum Begin {
    /// A new execution from its start.
    Fresh(Checkpoint),
    /// One carried on from another process's checkpoint.
    Resumed(Checkpoint),
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
    /// `concurrency` at a time. They live in this process only.
    pub fn new(
        definition: Arc<Definition>,
        invoker: Arc<dyn TaskInvoker>,
        clock: Arc<dyn Clock>,
        concurrency: usize,
    ) -> Self {
        let runner = Runner::new(definition, invoker.clone(), clock);
        Self::with_runner(Some(runner), Some(invoker), None, concurrency)
    }

    /// Like [`LocalOrchestrator::new`], with every execution kept in `journal` as it moves, so
    /// that it survives this process: see [`LocalOrchestrator::resume_orphans`].
    pub fn durable(
        definition: Arc<Definition>,
        invoker: Arc<dyn TaskInvoker>,
        clock: Arc<dyn Clock>,
        concurrency: usize,
        journal: ExecutionJournal,
    ) -> Self {
        let runner = Runner::new(definition, invoker.clone(), clock).with_journal(Arc::new(journal.clone()));
        Self::with_runner(Some(runner), Some(invoker), Some(journal), concurrency)
    }

    /// Records started executions without running them, so a person can invoke each task by
    /// hand (`cargo lambda invoke`) against the embedded backend.
    pub fn recording_only() -> Self {
        Self::with_runner(None, None, None, 1)
    }

    fn with_runner(
        runner: Option<Runner>,
        invoker: Option<Arc<dyn TaskInvoker>>,
        journal: Option<ExecutionJournal>,
        concurrency: usize,
    ) -> Self {
        let (running, _) = watch::channel(0usize);
        Self {
            inner: Arc::new(Inner {
                runner,
                invoker,
                journal,
                executions: Mutex::new(HashMap::new()),
                running,
                pool: Arc::new(Semaphore::new(concurrency.max(1))),
            }),
        }
    }

    /// Waits until no execution is running in this process.
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

    /// Carries on every execution whose process died (its lease lapsed) from the last state it
    /// entered; the names of those this process took over. Without a journal there is nothing
    /// to resume.
    pub async fn resume_orphans(&self) -> Result<Vec<String>, JournalError> {
        let Some(journal) = self.inner.journal.as_ref() else {
            return Ok(Vec::new());
        };
        if self.inner.runner.is_none() {
            return Ok(Vec::new());
        }
        let mut resumed = Vec::new();
        for name in journal.orphans().await? {
            if self.is_local(&name) {
                continue;
            }
            if let Some(checkpoint) = journal.take_over(&name).await? {
                tracing::info!(execution = %name, state = %checkpoint.state, "resuming an execution whose process stopped");
                if self.spawn(name.clone(), Begin::Resumed(checkpoint)) {
                    resumed.push(name);
                }
            }
        }
        Ok(resumed)
    }

    /// Renews this process's leases every third of `lease` and takes over executions whose
    /// process died, until the returned guard is dropped.
    pub fn keep_leases(&self, lease: Duration) -> LeaseKeeper {
        let this = self.clone();
        let period = (lease / 3).max(Duration::from_millis(100));
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Some(journal) = this.inner.journal.as_ref() {
                    match journal.renew().await {
                        Err(e) if e.is_shutdown() => return,
                        Err(e) => tracing::warn!(error = %e, "could not renew this process's executions"),
                        Ok(_) => {}
                    }
                }
                match this.resume_orphans().await {
                    Ok(names) if !names.is_empty() => {
                        tracing::info!(count = names.len(), "resumed executions whose process stopped");
                    }
                    Ok(_) => {}
                    Err(e) if e.is_shutdown() => return,
                    Err(e) => tracing::warn!(error = %e, "could not look for executions to resume"),
                }
            }
        });
        LeaseKeeper(task)
    }

    fn is_local(&self, name: &str) -> bool {
        self.inner
            .executions
            .lock()
            .map(|map| map.contains_key(name))
            .unwrap_or(false)
    }

    /// Runs an execution in the background under the pool; false if this process already has it.
    fn spawn(&self, name: String, begin: Begin) -> bool {
        let signal = {
            let Ok(mut map) = self.inner.executions.lock() else {
                return false;
            };
            if map.contains_key(&name) {
                return false;
            }
            let (stop, signal) = stop_signal();
            map.insert(name.clone(), Entry { stop, outcome: None });
            signal
        };
        self.inner.running.send_modify(|n| *n += 1);
        let inner = self.inner.clone();
        let arn = execution_arn_of(&name);
        tokio::spawn(async move {
            let permit = inner.pool.clone().acquire_owned().await;
            let Some(runner) = inner.runner.as_ref() else {
                inner.running.send_modify(|n| *n -= 1);
                return;
            };
            let execution = match begin {
                Begin::Fresh(start) => runner.run_from_start(&name, start, signal).await,
                Begin::Resumed(checkpoint) => runner.resume(&name, checkpoint, signal).await,
            };
            drop(permit);
            let summary = ExecutionSummary {
                status: execution.status,
                error: execution.error.clone(),
                cause: execution.cause.clone(),
            };
            // Another process took the execution over: its outcome is that process's to record.
            let handed_over = summary.error.as_deref() == Some(NOT_OWNER);
            if !handed_over {
                if summary.status != ExecutionStatus::Succeeded {
                    backstop(&inner, &arn, &name, &summary).await;
                }
                if let Some(journal) = &inner.journal {
                    if let Err(e) = journal.finish(&name, summary.status).await {
                        tracing::warn!(execution = %name, error = %e, "could not record how the execution ended");
                    }
                }
            }
            if let Ok(mut map) = inner.executions.lock() {
                if let Some(entry) = map.get_mut(&name) {
                    entry.outcome = Some(summary);
                }
            }
            inner.running.send_modify(|n| *n -= 1);
        });
        true
    }
}

/// Keeps a process's leases renewed (see [`LocalOrchestrator::keep_leases`]); stops when dropped.
pub struct LeaseKeeper(tokio::task::JoinHandle<()>);

impl Drop for LeaseKeeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn execution_arn_of(name: &str) -> String {
    format!("local:execution:interviews:{name}")
}

#[async_trait]
impl Orchestrator for LocalOrchestrator {
    fn execution_arn(&self, run: &RunId) -> String {
        execution_arn_of(run.as_str())
    }

    async fn start(&self, run: &RunId, input: &Value) -> Result<String, OrchestratorError> {
        let arn = self.execution_arn(run);
        let name = run.to_string();
        if self.is_local(&name) {
            return Ok(arn);
        }
        let Some(runner) = self.inner.runner.as_ref() else {
            if let Ok(mut map) = self.inner.executions.lock() {
                let (stop, _) = stop_signal();
                map.entry(name.clone()).or_insert(Entry { stop, outcome: None });
            }
            tracing::info!(execution = %name, "manual mode: the execution is recorded; invoke its tasks by hand");
            return Ok(arn);
        };
        let start = runner.start_checkpoint(input.clone());
        let begin = match &self.inner.journal {
            None => Begin::Fresh(start),
            // Recorded before this call returns, so once ingest has started a run, the run
            // survives this process whatever happens next.
            Some(journal) => match journal
                .claim(&name, &start)
                .await
                .map_err(|e| OrchestratorError::Unavailable(e.to_string()))?
            {
                Claim::New => Begin::Fresh(start),
                Claim::TakenOver(checkpoint) => Begin::Resumed(checkpoint),
                // The same execution, run by another live process or already ended, as Step
                // Functions answers a repeated name.
                Claim::Taken => return Ok(arn),
            },
        };
        self.spawn(name, begin);
        Ok(arn)
    }

    async fn stop(&self, execution_arn: &str, error: &str, cause: &str) -> Result<(), OrchestratorError> {
        let name = execution_arn.rsplit(':').next().unwrap_or(execution_arn);
        if let Ok(map) = self.inner.executions.lock() {
            if let Some(entry) = map.get(name) {
                entry.stop.stop(error, cause);
                return Ok(());
            }
        }
        // Run by another process (or by none): it stops at its next state.
        if let Some(journal) = &self.inner.journal {
            journal
                .abort(name)
                .await
                .map_err(|e| OrchestratorError::Unavailable(e.to_string()))?;
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
