//! What the handlers that start or stop runs (ingest, retry, the sweeper) work with.

use crate::ports::Orchestrator;
use crate::services::Services;
use std::ops::Deref;
use std::sync::Arc;

/// The services, plus the orchestrator that starts and stops executions.
///
/// Kept apart from [`Services`] because the local orchestrator runs the task handlers, which
/// hold the services: were the orchestrator inside them, each would own the other.
#[derive(Clone)]
pub struct Pipeline {
    /// The adapters every handler uses.
    pub services: Arc<Services>,
    /// Starts and stops executions of the state machine.
    pub orchestrator: Arc<dyn Orchestrator>,
}

impl Pipeline {
    /// The pipeline of `services` run by `orchestrator`.
    pub fn new(services: Arc<Services>, orchestrator: Arc<dyn Orchestrator>) -> Self {
        Self { services, orchestrator }
    }
}

impl Deref for Pipeline {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.services
    }
}
