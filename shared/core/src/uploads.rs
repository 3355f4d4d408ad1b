//! The one way a file gets into the pipeline from the API: a URL the client PUTs the bytes to,
//! into `uploads/<project>/…`, after which the bucket's own notification reaches ingest exactly
//! as for any other upload (S3 event → SQS on AWS; on `interviews serve` the local upload
//! endpoint delivers the same notification). There is no second way in.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long an issued upload URL stays valid.
pub const UPLOAD_URL_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// What the server decided an upload will be: the key it built, and what the client declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    /// `uploads/<project>/<sanitised file name>`.
    pub key: String,
    /// The content type the client must send (signed, so it cannot send another).
    pub content_type: String,
    /// The exact size the client must send (signed, so it cannot send more).
    pub size_bytes: u64,
}

/// A URL the client sends the file to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadTicket {
    /// Where to send it.
    pub url: String,
    /// The HTTP method (`PUT`).
    pub method: String,
    /// Headers the request must carry exactly as given (they are part of the signature).
    pub headers: BTreeMap<String, String>,
    /// After this the URL is refused.
    pub expires_at: DateTime<Utc>,
}

/// Why no URL could be issued, or an upload could not be removed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The bucket or signer did not answer; trying again later may work.
    #[error("the bucket is unavailable: {0}")]
    Unavailable(String),
    /// A mistake on our side (configuration, a key the bucket refuses).
    #[error("cannot prepare the upload: {0}")]
    Other(String),
}

impl UploadError {
    /// Whether waiting and retrying can help.
    pub fn is_transient(&self) -> bool {
        matches!(self, UploadError::Unavailable(_))
    }
}

/// Issues upload URLs and removes uploads, each in the way that makes the bucket tell ingest.
#[async_trait]
pub trait Uploads: Send + Sync {
    /// The bucket name recorded on items (the interview id derives from it and the key).
    fn bucket(&self) -> &str;

    /// A URL to PUT exactly `request.size_bytes` bytes of `request.content_type` to
    /// `request.key`, valid for [`UPLOAD_URL_LIFETIME`] from `now`.
    async fn issue_put(&self, request: &UploadRequest, now: DateTime<Utc>) -> Result<UploadTicket, UploadError>;

    /// Removes the upload at `key`; the bucket's ObjectRemoved notification then marks the
    /// interview deleted and removes its results, as when a person deletes the file.
    async fn remove(&self, key: &str) -> Result<(), UploadError>;
}
