//! The `report` Lambda function, on the stack's `Interview Status Changed` events for ready and
//! deleted interviews: brings the project's report up to date from its interviews' evidence
//! (`interview_reports::lambda`). Reserved concurrency 1 makes it one rebuild at a time.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use interview_core::services::Services;
use interview_handlers::Function;
use interview_reports::lambda::{handle, ProjectChanged};
use lambda_runtime::{service_fn, Error, LambdaEvent};

const FUNCTION: Function = Function::Report;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = interview_runtime::init(FUNCTION)?;
    let stores = interview_runtime::connect(&settings).await?;
    let services = Services::builder(settings, FUNCTION.name(), stores.store.clone(), stores.blobs.clone()).build();
    let synthesizer = interview_analysis::project_synthesizer_for(&services.settings);
    lambda_runtime::run(service_fn(|event: LambdaEvent<EventBridgeEvent<ProjectChanged>>| {
        let (services, synthesizer) = (&services, synthesizer.as_ref());
        async move { handle(services, synthesizer, event.payload).await }
    }))
    .await
}
