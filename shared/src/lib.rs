//! Interview pipeline library: the domain, the ports, and their AWS and embedded adapters.
//!
//! Every Lambda function and the CLI are thin shells around the handlers in [`handlers`];
//! the same handlers run under `lambda_runtime` and under the in-process ASL runner.
#![warn(missing_docs)]

pub mod analysis;
pub mod asl;
pub mod blobs;
pub mod config;
pub mod domain;
pub mod error;
pub mod handlers;
pub mod lambda;
pub mod media;
pub mod orchestrator;
pub mod ports;
pub mod s3_event;
pub mod services;
pub mod store;
pub mod telemetry;
pub mod transcriber;
pub mod transcript;

pub use error::{BlobError, OrchestratorError, ProviderError, StoreError, TaskError};
