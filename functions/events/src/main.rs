//! The `events` Lambda function: the enrichment of the stack's EventBridge pipe (DynamoDB
//! stream → this → event bus). It turns a batch of the table's stream records into the
//! `Interview Status Changed` events they carry; the logic lives in
//! `interview_handlers::stream_events`. It reads no store: the records hold the items.

use interview_core::events::InterviewStatusChanged;
use interview_handlers::stream_events::{self, StreamRecord};
use interview_handlers::Function;
use lambda_runtime::{service_fn, Error, LambdaEvent};

const FUNCTION: Function = Function::Events;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let _settings = interview_runtime::init(FUNCTION)?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Vec<StreamRecord>>| async move {
        let events: Vec<InterviewStatusChanged> = stream_events::handle(event.payload)?;
        Ok::<_, Error>(events)
    }))
    .await
}
