//! The interview domain and the ports: what every other crate of the pipeline builds on.
//!
//! - [`domain`]: the item (one per interview, the only source of truth), its ids, statuses,
//!   steps and the one table of allowed transitions.
//! - [`error`]: the errors a task can end with; their names are the state machine's
//!   Retry/Catch names.
//! - [`analysis`]: the result documents (`evidence.json`, `analysis.json`) and their validation.
//! - [`quote`]: the rules a quote meets to be evidence (length, word boundaries, roles).
//! - [`ports`]: the traits the handlers speak to; the adapters live in `interview-aws` and
//!   `interview-embedded`, the providers in `interview-speech` and `interview-analysis`.
//! - [`services`]: the set of adapters one process works with, and the one way to build it.
//! - [`progress`]: how far long work has come, as engines report it and items show it.
//! - [`listing`]: one page of a project's interviews; [`uploads`]: the way a file gets in.
//! - [`config`]: settings from the environment; [`s3_event`]: S3 notifications decoded.
//! - [`events`]: `Interview Status Changed` and the outbox port; [`webhook`]: where events
//!   are posted and how they are signed.
#![warn(missing_docs)]

pub mod analysis;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod listing;
pub mod ports;
pub mod progress;
pub mod quote;
pub mod s3_event;
pub mod services;
pub mod telemetry;
pub mod uploads;
pub mod webhook;

pub use error::{BlobError, OrchestratorError, ProviderError, StoreError, TaskError};
pub use interview_asl::{Clock, ScaledClock, SystemClock};

use interview_transcript as transcript;
