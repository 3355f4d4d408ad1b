//! The `mark-failed` Lambda function: records a failure on the item, from the state machine's
//! Catch or from the EventBridge rule on execution status changes (the backstop). The logic
//! lives in `interview_handlers::mark_failed`; this shell builds the store and the bucket once.

use interview_core::services::Services;
use interview_handlers::mark_failed::{self, MarkFailedInput};
use interview_handlers::Function;
use lambda_runtime::{service_fn, Error, LambdaEvent};

const FUNCTION: Function = Function::MarkFailed;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = interview_runtime::init(FUNCTION)?;
    let stores = interview_runtime::connect(&settings).await?;
    let services = Services::builder(settings, FUNCTION.name(), stores.store.clone(), stores.blobs.clone()).build();
    lambda_runtime::run(service_fn(|event: LambdaEvent<MarkFailedInput>| {
        let services = &services;
        async move { mark_failed::handle(services, event.payload).await }
    }))
    .await
}
