//! Invoking a function with a JSON event, as Lambda does (see [`interview_embedded::tasks::invoke`]).

pub use interview_embedded::tasks::invoke;

use interview_core::TaskError;
use interview_handlers::{Function, Pipeline};
use serde_json::Value;

/// One SQS batch to ingest.
pub async fn ingest_batch(pipeline: &Pipeline, event: Value) -> Result<Value, TaskError> {
    invoke(pipeline, Function::Ingest, event).await
}
