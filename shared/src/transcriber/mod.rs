//! Speech-to-text providers.

use crate::error::ProviderError;
use crate::ports::{Transcriber, TranscriptionRequest, TranscriptionState};
use async_trait::async_trait;

/// A transcriber that is not available in this configuration; it fails every recording with a
/// message saying what to do, so a recording never waits on an engine that is not there.
pub struct Unavailable {
    name: String,
    message: String,
}

impl Unavailable {
    /// A stand-in named `name` that fails with `message`.
    pub fn new(name: &str, message: &str) -> Self {
        Self {
            name: name.to_string(),
            message: message.to_string(),
        }
    }

    fn error(&self) -> ProviderError {
        ProviderError::Permanent {
            provider: format!("speech engine `{}`", self.name),
            message: self.message.clone(),
        }
    }
}

#[async_trait]
impl Transcriber for Unavailable {
    fn name(&self) -> &str {
        &self.name
    }

    async fn start(&self, _request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        Err(self.error())
    }

    async fn check(&self, _request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        Err(self.error())
    }
}
