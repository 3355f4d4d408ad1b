//! Speech-to-text providers.
//!
//! - [`amazon::AmazonTranscriber`]: Amazon Transcribe batch jobs (the cloud default), polled by
//!   the state machine.
//! - `whisper::WhisperTranscriber` (feature `whisper`): Whisper in-process through CTranslate2,
//!   finishing inside `start` (the embedded default when built with the feature).
//! - [`Unavailable`]: a stand-in that fails with a message saying what to install.
//!
//! [`audio`] decodes and resamples recordings, [`segment`] turns recognised text into speaker
//! turns, and [`wer`] scores a recognition against a script (tests and the benchmark).

pub mod amazon;
pub mod audio;
pub mod segment;
pub mod wer;
#[cfg(feature = "whisper")]
pub mod whisper;

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

/// Shortest first wait after starting a job, in seconds.
pub const FIRST_WAIT_MIN: u64 = 15;
/// Longest first wait after starting a job, in seconds.
pub const FIRST_WAIT_MAX: u64 = 600;
/// Share of the recording's duration to wait before the first check.
pub const FIRST_WAIT_SHARE: f64 = 0.25;

/// Seconds to wait before the first check of a job just started: a quarter of the recording's
/// duration (batch jobs rarely finish faster), within 15 s and 10 min; the poll interval when
/// the duration is unknown.
pub fn first_wait_seconds(media_seconds: Option<f64>, poll_seconds: u64) -> u64 {
    match media_seconds {
        Some(d) if d.is_finite() && d > 0.0 => {
            ((d * FIRST_WAIT_SHARE).round() as u64).clamp(FIRST_WAIT_MIN, FIRST_WAIT_MAX)
        }
        _ => poll_seconds.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_wait_scales_with_the_recording() {
        assert_eq!(first_wait_seconds(Some(10.0), 30), 15);
        assert_eq!(first_wait_seconds(Some(240.0), 30), 60);
        assert_eq!(first_wait_seconds(Some(4.0 * 3600.0), 30), 600);
        assert_eq!(first_wait_seconds(None, 30), 30);
        assert_eq!(first_wait_seconds(Some(f64::NAN), 0), 1);
    }
}
