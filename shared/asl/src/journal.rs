//! Where an execution stands, written down as it moves, so that an execution whose process
//! died can be carried on by another: the in-process counterpart of Step Functions keeping an
//! execution's state in the service rather than in the worker.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Enough to carry an execution on from the state it was in: the state, that state's input and
/// when it was entered (a resumed Wait waits only what is left; a resumed Task runs again, which
/// Step Functions also does after a lost invocation), plus what the execution's context holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The state entered.
    pub state: String,
    /// Its raw input.
    pub input: Value,
    /// When it was entered (runner's clock).
    pub entered_at: DateTime<Utc>,
    /// The execution's input (`$$.Execution.Input`).
    pub execution_input: Value,
    /// When the execution started (its `TimeoutSeconds` counts from here).
    pub started_at: DateTime<Utc>,
    /// State transitions so far (the runaway-loop bound counts across resumes).
    pub transitions: u64,
}

/// The execution may no longer be run by this runner: another process took it over (its lease
/// on the execution lapsed). The runner stops without recording an outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("execution {0} is now run by another process")]
pub struct NotOwner(pub String);

/// Told of every state an execution enters, before the state runs.
#[async_trait]
pub trait Journal: Send + Sync {
    /// Records `checkpoint` for `execution`; `Err` if this runner no longer owns it.
    async fn entered(&self, execution: &str, checkpoint: &Checkpoint) -> Result<(), NotOwner>;
}
