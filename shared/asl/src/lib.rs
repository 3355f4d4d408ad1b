//! The Amazon States Language: the definition model and an in-process runner.
//!
//! The embedded (no-cloud) mode executes the same `infra/statemachine.asl.json` that Step
//! Functions runs: [`Definition::from_json`] loads it (substituting the SAM
//! `DefinitionSubstitutions` placeholders) and refuses anything the runner would not execute
//! faithfully; [`Runner`] then executes it, invoking each Task resource through a
//! [`TaskInvoker`] and keeping time with a [`Clock`].
//!
//! Supported: Task, Pass, Choice, Wait, Succeed and Fail states in the JSONPath query
//! language; reference paths and the context object; `Parameters`/`ResultSelector` with
//! `States.Format`, `States.StringToJson`, `States.JsonToString` and `States.Array`; Retry
//! (without `JitterStrategy`) and Catch with the `States.ALL` / `States.TaskFailed` wildcards;
//! task and execution `TimeoutSeconds`. `HeartbeatSeconds` is refused: in-process handlers
//! cannot send heartbeats, so accepting it would either mean nothing or time tasks out.

mod choice;
mod clock;
mod definition;
mod error;
mod intrinsics;
mod journal;
mod path;
mod runner;
mod template;

#[cfg(test)]
mod test_support;

#[cfg(test)]
mod runner_tests;

#[cfg(test)]
mod real_definition_tests;

pub use clock::{Clock, ScaledClock, SystemClock};
pub use definition::Definition;
pub use error::AslError;
pub use journal::{Checkpoint, Journal, NotOwner};
pub use runner::{
    stop_signal, Execution, ExecutionStatus, HistoryEvent, Runner, StopHandle, StopSignal, TaskFailure, TaskInvoker,
    DEFAULT_MAX_TRANSITIONS, NOT_OWNER,
};
