//! Uploads on `interviews serve`: the embedded side of the [`Uploads`] port.
//!
//! An issued URL points at serve's own upload endpoint and carries what S3 would sign (key,
//! size, content type, expiry) with an HMAC-SHA256 under a key that lives only in the serving
//! process. A verified PUT lands in the data dir's bucket and then takes the drop folder's
//! path: the same ObjectCreated notification, delivered to the real ingest handler. Removing
//! an upload delivers ObjectRemoved the same way. There is no second way in.

use crate::error::BlobError;
use async_trait::async_trait;
use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{DateTime, Utc};
use interview_core::domain::InterviewId;
use interview_core::s3_event::{created_notification, removed_notification};
use interview_core::uploads::{UploadError, UploadRequest, UploadTicket, Uploads, UPLOAD_URL_LIFETIME};
use interview_handlers::{ingest, Pipeline};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

/// Where serve accepts uploads: `PUT /local-uploads/<percent-encoded key>?…`.
pub const UPLOAD_PATH: &str = "/local-uploads/";

/// Characters a key keeps in the URL path; everything else is `%XX` (so `/` too: one segment).
const PATH_SAFE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// Why an upload was refused; each says what the client should do.
#[derive(Debug, thiserror::Error)]
pub enum LocalUploadRefused {
    /// Not a URL this process issued, or altered.
    #[error("the upload URL is not valid; ask POST /v1/uploads for a new one")]
    BadSignature,
    /// Issued, but too long ago.
    #[error("the upload URL has expired; ask POST /v1/uploads for a new one")]
    Expired,
    /// The request does not match what was signed.
    #[error("the upload does not match its URL: {0}")]
    Mismatch(String),
    /// The bucket or ingest failed.
    #[error("the upload could not be stored: {0}")]
    Failed(String),
}

/// What a verified upload URL allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedUpload {
    /// The object key.
    pub key: String,
    /// The exact size the body must have.
    pub size_bytes: u64,
    /// The content type the request must declare.
    pub content_type: String,
}

/// The embedded [`Uploads`]: URLs on serve, deliveries to ingest in-process.
pub struct LocalUploads {
    pipeline: Pipeline,
    base_url: String,
    key: [u8; 32],
}

fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// Equal bytes, compared without an early exit, so timing says nothing about the signature.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn signed_text(key: &str, expires: i64, size: u64, content_type: &str) -> String {
    format!("PUT\n{key}\n{expires}\n{size}\n{content_type}")
}

/// A per-process, increasing S3-style sequencer (hex), so later events order after earlier ones.
fn sequencer() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{nanos:020X}")
}

/// Hands one S3 notification body to the ingest handler, as the SQS event source would.
pub async fn deliver_notification(pipeline: &Pipeline, body: String) -> Result<(), String> {
    let event = serde_json::json!({ "Records": [{
        "messageId": format!("local-{}", sequencer()),
        "receiptHandle": "local",
        "body": body,
        "attributes": {},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:local:000000000000:ingest",
        "awsRegion": "local"
    }]});
    let event: SqsEvent = serde_json::from_value(event).map_err(|e| e.to_string())?;
    let failures = ingest::handle_sqs(pipeline, event).await.batch_item_failures.len();
    if failures == 0 {
        Ok(())
    } else {
        Err("ingest could not take the event (it would be redelivered on AWS); see the log".into())
    }
}

impl LocalUploads {
    /// Uploads into `pipeline`'s bucket through URLs under `base_url` (`http://host:port`),
    /// signed with `key` (random per process: URLs die with the server).
    pub fn new(pipeline: Pipeline, base_url: impl Into<String>, key: [u8; 32]) -> Self {
        Self {
            pipeline,
            base_url: base_url.into().trim_end_matches('/').to_string(),
            key,
        }
    }

    /// Checks a PUT against its URL: `encoded_key` is the path after [`UPLOAD_PATH`], `query`
    /// the raw query string, `content_type` the request's header. Reads no body.
    pub fn verify(
        &self,
        encoded_key: &str,
        query: &str,
        content_type: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<VerifiedUpload, LocalUploadRefused> {
        let key = percent_decode_str(encoded_key)
            .decode_utf8()
            .map_err(|_| LocalUploadRefused::BadSignature)?
            .into_owned();
        let params: BTreeMap<String, String> = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_string(), percent_decode_str(v).decode_utf8_lossy().into_owned()))
            .collect();
        let field = |name: &str| params.get(name).ok_or(LocalUploadRefused::BadSignature);
        let expires: i64 = field("expires")?
            .parse()
            .map_err(|_| LocalUploadRefused::BadSignature)?;
        let size: u64 = field("size")?.parse().map_err(|_| LocalUploadRefused::BadSignature)?;
        let signed_type = field("type")?;
        let signature = hex::decode(field("sig")?).map_err(|_| LocalUploadRefused::BadSignature)?;
        let expected = hmac_sha256(&self.key, signed_text(&key, expires, size, signed_type).as_bytes());
        if !same(&signature, &expected) {
            return Err(LocalUploadRefused::BadSignature);
        }
        if now.timestamp() > expires {
            return Err(LocalUploadRefused::Expired);
        }
        if content_type != Some(signed_type.as_str()) {
            return Err(LocalUploadRefused::Mismatch(format!(
                "send Content-Type: {signed_type}, as the URL was issued for"
            )));
        }
        Ok(VerifiedUpload {
            key,
            size_bytes: size,
            content_type: signed_type.clone(),
        })
    }

    /// Stores a verified upload from `file` (already checked to hold exactly its size) and
    /// delivers its ObjectCreated notification to ingest.
    pub async fn store(&self, upload: &VerifiedUpload, file: &Path) -> Result<InterviewId, LocalUploadRefused> {
        let blobs = &self.pipeline.blobs;
        let meta = blobs
            .upload_from(&upload.key, file, &upload.content_type)
            .await
            .map_err(|e| LocalUploadRefused::Failed(e.to_string()))?;
        let body = created_notification(blobs.bucket(), &upload.key, &meta.etag, meta.size, &sequencer());
        deliver_notification(&self.pipeline, body)
            .await
            .map_err(LocalUploadRefused::Failed)?;
        Ok(InterviewId::for_object(blobs.bucket(), &upload.key))
    }
}

fn upload_error(e: BlobError) -> UploadError {
    if e.is_transient() {
        UploadError::Unavailable(e.to_string())
    } else {
        UploadError::Other(e.to_string())
    }
}

#[async_trait]
impl Uploads for LocalUploads {
    fn bucket(&self) -> &str {
        self.pipeline.blobs.bucket()
    }

    async fn issue_put(&self, request: &UploadRequest, now: DateTime<Utc>) -> Result<UploadTicket, UploadError> {
        let expires_at = now + chrono::Duration::from_std(UPLOAD_URL_LIFETIME).unwrap_or_default();
        let expires = expires_at.timestamp();
        let signature = hmac_sha256(
            &self.key,
            signed_text(&request.key, expires, request.size_bytes, &request.content_type).as_bytes(),
        );
        let url = format!(
            "{}{UPLOAD_PATH}{}?expires={expires}&size={}&type={}&sig={}",
            self.base_url,
            utf8_percent_encode(&request.key, PATH_SAFE),
            request.size_bytes,
            utf8_percent_encode(&request.content_type, PATH_SAFE),
            hex::encode(signature)
        );
        Ok(UploadTicket {
            url,
            method: "PUT".into(),
            headers: BTreeMap::from([("Content-Type".to_string(), request.content_type.clone())]),
            expires_at,
        })
    }

    async fn remove(&self, key: &str) -> Result<(), UploadError> {
        self.pipeline.blobs.delete(key).await.map_err(upload_error)?;
        let body = removed_notification(self.pipeline.blobs.bucket(), key, &sequencer());
        deliver_notification(&self.pipeline, body)
            .await
            .map_err(UploadError::Unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_1() {
        // RFC 4231 test case 1 uses a 20-byte key of 0x0b; zero-padded to 32 bytes the HMAC is
        // the same (keys shorter than the block are zero-padded by definition).
        let mut key = [0u8; 32];
        key[..20].fill(0x0b);
        assert_eq!(
            hex::encode(hmac_sha256(&key, b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"ab", b"abc"));
    }
}
