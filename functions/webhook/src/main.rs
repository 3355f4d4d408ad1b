//! The `webhook` Lambda function, on the SQS queue a rule on the stack's bus fills with every
//! `Interview Status Changed` event: posts each to the deployment's webhook, signed with the
//! secret from Secrets Manager (`interview_webhook::sqs`). It reads no store, so it needs none
//! of the pipeline's settings: only the URL and the secret's ARN.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use interview_handlers::Function;
use interview_webhook::{secret, sqs, Sender};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::time::Duration;

const FUNCTION: Function = Function::Webhook;

/// One POST's limit: with the template's batch size (5) the batch fits the function's timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

#[tokio::main]
async fn main() -> Result<(), Error> {
    interview_core::telemetry::init();
    let vars = std::env::vars().collect();
    let settings = secret::settings(&secret::client().await, &vars)
        .await
        .map_err(|e| format!("{FUNCTION}: configuration error: {e}"))?;
    let sender = Sender::new(settings, REQUEST_TIMEOUT).map_err(|e| format!("{FUNCTION}: {e}"))?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let sender = &sender;
        async move { Ok::<SqsBatchResponse, Error>(sqs::handle(sender, event.payload).await) }
    }))
    .await
}
