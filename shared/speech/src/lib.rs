//! Speech-to-text providers.
//!
//! - [`amazon::AmazonTranscriber`]: Amazon Transcribe batch jobs (the cloud default), polled by
//!   the state machine.
//! - `whisper::WhisperTranscriber` (feature `whisper`): Whisper in-process through CTranslate2,
//!   finishing inside `start` (the embedded default when built with the feature).
//! - [`Unavailable`]: a stand-in that fails with a message saying what to install.
//!
//! [`audio`] decodes and resamples recordings ([`stream`]: window by window, in bounded memory), [`segment`] turns recognised text into speaker
//! turns, and [`probe`] reads recordings' headers (the `MediaProbe` port's adapter).

pub mod amazon;
pub mod audio;
mod guard;
pub mod probe;
pub mod segment;
pub mod stream;
pub mod vad;
#[cfg(feature = "whisper")]
pub mod whisper;

use crate::error::ProviderError;
use crate::ports::{BlobStore, Transcriber, TranscriptionRequest, TranscriptionState};
use async_trait::async_trait;
use interview_core::config::{Settings, TranscriberChoice};
use interview_core::{error, ports};
use interview_transcript::{self as transcript, media};
use std::sync::Arc;

pub use probe::SymphoniaProbe;

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

/// The speech engine the settings ask for, or one that explains what is missing.
///
/// `blobs` is the bucket recordings are read from (and Amazon Transcribe writes its output to);
/// `aws` is the SDK configuration on the AWS backend (Amazon Transcribe needs it).
pub fn transcriber_for(
    settings: &Settings,
    blobs: Arc<dyn BlobStore>,
    aws: Option<&aws_config::SdkConfig>,
) -> Arc<dyn Transcriber> {
    match settings.transcriber {
        TranscriberChoice::None => Arc::new(Unavailable::new(
            "none",
            "no speech engine is configured for recordings (TRANSCRIBER=none). Upload a transcript instead \
             (.vtt, .srt, .txt with `Speaker: text` lines, or Amazon Transcribe .json), or enable a speech engine \
             (see the README, section Recordings) and run `interviews retry <id>`",
        )),
        TranscriberChoice::AmazonTranscribe => match aws {
            Some(sdk) => Arc::new(crate::amazon::AmazonTranscriber::new(
                aws_sdk_transcribe::Client::new(sdk),
                blobs,
                crate::amazon::TranscribeOptions {
                    language: settings.transcribe_language.clone(),
                    max_speakers: settings.transcribe_max_speakers,
                    data_access_role_arn: settings.transcribe_data_access_role_arn.clone(),
                },
            )),
            None => Arc::new(Unavailable::new(
                crate::amazon::NAME,
                "Amazon Transcribe reads recordings from S3, so it needs the AWS backend (INTERVIEWS_BACKEND=aws). \
                 On the embedded backend use TRANSCRIBER=whisper (build with `--features whisper` and run \
                 `scripts/setup-whisper.sh`), or upload a transcript",
            )),
        },
        TranscriberChoice::Whisper => whisper_for(settings, blobs),
    }
}

#[cfg(feature = "whisper")]
fn whisper_for(settings: &Settings, blobs: Arc<dyn BlobStore>) -> Arc<dyn Transcriber> {
    Arc::new(crate::whisper::WhisperTranscriber::from_settings(settings, blobs))
}

#[cfg(not(feature = "whisper"))]
fn whisper_for(_settings: &Settings, _blobs: Arc<dyn BlobStore>) -> Arc<dyn Transcriber> {
    Arc::new(Unavailable::new(
        "whisper",
        "this build has no offline Whisper engine: build with `cargo build --features whisper` (see the README, \
         section Recordings) and run `scripts/setup-whisper.sh`, or upload a transcript instead",
    ))
}
