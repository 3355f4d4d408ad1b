//! The AWS webhook function's handler: an SQS batch of EventBridge events from the stack's bus
//! (a rule forwards every `Interview Status Changed` event to the queue), each one's `detail`
//! posted to the webhook. A message that fails is reported in the partial batch response, so
//! SQS redelivers it after the queue's visibility timeout (the backoff) and, after the redrive
//! limit, moves it to the dead-letter queue; its neighbours are not retried.

use crate::sender::{DeliveryError, Sender};
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use interview_core::events::{InterviewStatusChanged, DETAIL_TYPE};
use serde::Deserialize;

/// Why one message was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The body is not an EventBridge status event; no retry helps, it ends in the DLQ.
    #[error("the message is not an `{DETAIL_TYPE}` event: {0}")]
    Malformed(String),
    /// The POST failed; [`DeliveryError::is_retryable`] says whether another attempt may help.
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
}

/// The part of an EventBridge event the webhook needs.
#[derive(Deserialize)]
struct BusEvent {
    #[serde(rename = "detail-type")]
    detail_type: String,
    detail: serde_json::Value,
}

/// Delivers every message of `event`; the failed ones are named in the response.
pub async fn handle(sender: &Sender, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let message_id = message.message_id.unwrap_or_default();
        let result = match message.body.as_deref() {
            Some(body) => deliver(sender, body).await,
            None => Err(MessageError::Malformed("the SQS message has no body".into())),
        };
        if let Err(error) = result {
            tracing::warn!(%message_id, %error, retryable = error.is_retryable(),
                "webhook delivery failed; SQS redelivers the message and, after the redrive limit, moves it to the dead-letter queue");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message_id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// Posts one message body's event, signed with its `msg_<id>_<version>` webhook id (the same on
/// every redelivery, and the same the embedded delivery uses).
pub async fn deliver(sender: &Sender, body: &str) -> Result<(), MessageError> {
    let event: BusEvent = serde_json::from_str(body).map_err(|e| malformed("the body", &e))?;
    if event.detail_type != DETAIL_TYPE {
        return Err(MessageError::Malformed("another detail-type".into()));
    }
    let status = InterviewStatusChanged::deserialize(&event.detail).map_err(|e| malformed("the detail", &e))?;
    // The detail as it came, not re-encoded from the typed event: fields a newer producer adds
    // reach the receiver too.
    let json = serde_json::to_vec(&event.detail).map_err(|e| malformed("the detail", &e))?;
    sender.post(&json, &status.message_id()).await?;
    tracing::info!(interview_id = %status.id, version = status.version, "event delivered to the webhook");
    Ok(())
}

/// Only serde's category and position: its message can quote values from the event.
fn malformed(what: &str, e: &serde_json::Error) -> MessageError {
    MessageError::Malformed(format!(
        "{what} does not parse ({:?} error at line {}, column {})",
        e.classify(),
        e.line(),
        e.column()
    ))
}

impl MessageError {
    /// Whether a redelivery may succeed (a malformed message never will).
    pub fn is_retryable(&self) -> bool {
        match self {
            MessageError::Malformed(_) => false,
            MessageError::Delivery(e) => e.is_retryable(),
        }
    }
}
