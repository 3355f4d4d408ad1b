//! The embedded backend: the ports' adapters for one machine, with no cloud and no
//! credentials. A data directory holds the item table (SQLite, `items.sqlite`) and the bucket
//! (a folder, `blobs/`); the state machine deployed to Step Functions runs in-process
//! ([`local::LocalOrchestrator`]), its tasks mapped to the same typed handlers the Lambdas run
//! ([`tasks::HandlerInvoker`]).
#![warn(missing_docs)]

pub mod executions;
pub mod fs;
pub mod local;
mod outbox;
pub mod private;
pub mod sqlite;
mod sqlite_listing;
pub mod tasks;
pub mod uploads;
pub mod webhook;

use interview_asl as asl;
use interview_core::{domain, error, listing, ports, services};

use interview_asl::Clock;
use interview_core::config::{Backend, LocalExecutions, Settings};
use interview_core::services::{BuildError, Services};
use interview_handlers::Pipeline;
use std::path::PathBuf;
use std::sync::Arc;

/// The stores under one data directory.
pub struct Embedded {
    /// The item table.
    pub store: Arc<sqlite::SqliteStore>,
    /// The bucket.
    pub blobs: Arc<fs::FsBlobStore>,
    /// The data directory.
    pub data_dir: PathBuf,
}

impl Embedded {
    /// Opens (creating if needed) the store and the bucket of the data dir the settings name.
    pub fn open(settings: &Settings) -> Result<Self, BuildError> {
        let Backend::Embedded { data_dir } = &settings.backend else {
            return Err(BuildError(
                "the embedded backend needs INTERVIEWS_BACKEND=embedded".into(),
            ));
        };
        let store = sqlite::SqliteStore::open(&data_dir.join("items.sqlite")).map_err(|e| BuildError(e.to_string()))?;
        let blobs = fs::FsBlobStore::new(&data_dir.join("blobs"), "local").map_err(|e| BuildError(e.to_string()))?;
        Ok(Self {
            store: Arc::new(store),
            blobs: Arc::new(blobs),
            data_dir: data_dir.clone(),
        })
    }
}

impl Embedded {
    /// The whole pipeline on this data dir: `services` run by a local orchestrator executing
    /// the deployed state machine with their handlers, each execution kept in the data dir's
    /// SQLite file as it moves, so it survives this process (see [`local::LocalOrchestrator::durable`]).
    /// In manual mode executions are only recorded. Returns the orchestrator too, so callers can
    /// resume executions and wait for them.
    pub fn pipeline(
        &self,
        services: Arc<Services>,
        clock: Arc<dyn Clock>,
    ) -> Result<(Pipeline, Arc<local::LocalOrchestrator>), BuildError> {
        let journal = self.journal(services.settings.local_lease);
        durable_pipeline(services, clock, journal)
    }

    /// This process's view of the data dir's executions.
    pub fn journal(&self, lease: std::time::Duration) -> executions::ExecutionJournal {
        executions::ExecutionJournal::new(
            self.store.as_ref().clone(),
            executions::ExecutionJournal::process_name(),
            lease,
        )
    }
}

/// The pipeline with its executions kept in `journal` (see [`Embedded::pipeline`]).
pub fn durable_pipeline(
    services: Arc<Services>,
    clock: Arc<dyn Clock>,
    journal: executions::ExecutionJournal,
) -> Result<(Pipeline, Arc<local::LocalOrchestrator>), BuildError> {
    build_pipeline(services, clock, Some(journal))
}

/// The whole pipeline in this process only: `services` run by a local orchestrator executing
/// the deployed state machine with their handlers, executions kept in memory (tests whose stores
/// are not a data dir, and measurements of the in-memory baseline). Returns the orchestrator too,
/// so callers can wait for executions.
pub fn local_pipeline(
    services: Arc<Services>,
    clock: Arc<dyn Clock>,
) -> Result<(Pipeline, Arc<local::LocalOrchestrator>), BuildError> {
    build_pipeline(services, clock, None)
}

fn build_pipeline(
    services: Arc<Services>,
    clock: Arc<dyn Clock>,
    journal: Option<executions::ExecutionJournal>,
) -> Result<(Pipeline, Arc<local::LocalOrchestrator>), BuildError> {
    let orchestrator = Arc::new(match services.settings.local_executions {
        LocalExecutions::Manual => local::LocalOrchestrator::recording_only(),
        LocalExecutions::Run => {
            let definition = local::local_definition().map_err(|e| BuildError(e.to_string()))?;
            let invoker = Arc::new(tasks::HandlerInvoker::new(services.clone()));
            let concurrency = services.settings.local_concurrency;
            match journal {
                Some(journal) => local::LocalOrchestrator::durable(definition, invoker, clock, concurrency, journal),
                None => local::LocalOrchestrator::new(definition, invoker, clock, concurrency),
            }
        }
    });
    Ok((Pipeline::new(services, orchestrator.clone()), orchestrator))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TaskError;

    /// The transcription bound and the execution's timeout are one budget: the transcribe step
    /// gives up (a `TimeoutError` naming the job) no later than the execution would time out.
    /// A longer max wait would never be reached; changing one without the other fails here.
    #[test]
    fn the_transcription_bound_is_the_executions_timeout() {
        let definition = local::local_definition().expect("the deployed definition loads");
        let settings = interview_core::config::Settings::embedded("/nonexistent");
        assert_eq!(
            Some(settings.transcribe_max_wait.as_secs()),
            definition.timeout_seconds(),
            "TRANSCRIBE_MAX_WAIT_SECONDS' default and the state machine's TimeoutSeconds"
        );
    }

    /// The state machine retries exactly the errors the handlers call transient: a retried
    /// deterministic failure wastes time and money, an unretried transient one fails a run.
    #[test]
    fn the_state_machine_retries_exactly_the_transient_task_errors() {
        let definition = local::local_definition().expect("the deployed definition loads");
        let retried = definition.retried_error_names();
        for name in TaskError::NAMES {
            let transient = TaskError::from_name(name, "").is_transient();
            assert_eq!(
                retried.contains(name),
                transient,
                "{name}: retried by the state machine exactly when the handlers call it transient"
            );
        }
    }
}
