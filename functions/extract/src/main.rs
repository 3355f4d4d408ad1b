//! The `extract` Lambda function: finds the evidence in a transcript for the state machine. The
//! logic lives in `interview_handlers::extract`; this shell builds the store, the bucket and the
//! analyzer once.

use interview_analysis::analyzer_for;
use interview_core::services::Services;
use interview_handlers::{extract, Function, TaskInput};
use lambda_runtime::{service_fn, Error, LambdaEvent};

const FUNCTION: Function = Function::Extract;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = interview_runtime::init(FUNCTION)?;
    let stores = interview_runtime::connect(&settings).await?;
    let analyzer = analyzer_for(&settings);
    let services = Services::builder(settings, FUNCTION.name(), stores.store.clone(), stores.blobs.clone())
        .analyzer(analyzer)
        .build();
    lambda_runtime::run(service_fn(|event: LambdaEvent<TaskInput>| {
        let services = &services;
        async move { extract::handle(services, event.payload, interview_runtime::deadline(&event.context)).await }
    }))
    .await
}
