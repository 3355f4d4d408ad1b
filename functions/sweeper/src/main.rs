//! The `sweeper` Lambda function, on an EventBridge schedule: ends live items that stopped making
//! progress. The logic lives in `interview_handlers::sweeper`; this shell builds the store, the
//! bucket and the orchestrator (to stop the stale runs' executions) once.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use interview_core::services::Services;
use interview_handlers::{sweeper, Function, Pipeline};
use lambda_runtime::{service_fn, Error, LambdaEvent};

const FUNCTION: Function = Function::Sweeper;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = interview_runtime::init(FUNCTION)?;
    let stores = interview_runtime::connect(&settings).await?;
    let services = Services::builder(settings, FUNCTION.name(), stores.store.clone(), stores.blobs.clone()).build();
    let pipeline = Pipeline::new(services, stores.orchestrator());
    lambda_runtime::run(service_fn(|event: LambdaEvent<EventBridgeEvent>| {
        let pipeline = &pipeline;
        async move { sweeper::handle(pipeline, event.payload).await }
    }))
    .await
}
