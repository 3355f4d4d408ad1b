//! The `ingest` Lambda function: S3 notifications (through SQS) become items and runs. The
//! logic lives in `interview_handlers::ingest`; this shell builds the store, the bucket and the
//! orchestrator once, then hands each batch to the handler.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use interview_core::services::Services;
use interview_handlers::{ingest, Function, Pipeline};
use lambda_runtime::{service_fn, Error, LambdaEvent};

const FUNCTION: Function = Function::Ingest;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = interview_runtime::init(FUNCTION)?;
    settings
        .require_state_machine()
        .map_err(|e| format!("{FUNCTION}: configuration error: {e}"))?;
    let stores = interview_runtime::connect(&settings).await?;
    let services = Services::builder(settings, FUNCTION.name(), stores.store.clone(), stores.blobs.clone()).build();
    let pipeline = Pipeline::new(services, stores.orchestrator());
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let pipeline = &pipeline;
        async move { Ok::<SqsBatchResponse, Error>(ingest::handle_sqs(pipeline, event.payload).await) }
    }))
    .await
}
