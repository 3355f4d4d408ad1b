//! Status events to a deployment's webhook, signed the Standard Webhooks way
//! (`interview_core::webhook`). [`sender`] is the one HTTP POST every delivery path sends: the
//! embedded outbox loop and the AWS webhook function ([`sqs`]), so both sign and judge answers
//! alike. The AWS part ([`secret`], feature `aws`) is optional so the embedded build links no
//! AWS SDK.
#![warn(missing_docs)]

#[cfg(feature = "aws")]
pub mod secret;
pub mod sender;
pub mod sqs;

pub use sender::{DeliveryError, Sender};
