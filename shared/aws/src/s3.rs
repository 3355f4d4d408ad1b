//! The cloud bucket: S3, with the same key rules and size checks as the embedded bucket
//! ([`super::fs`]), so a key or a file that works in one mode works in the other.
//!
//! Large objects are never held in memory: a download is refused from its `Content-Length`
//! before any of the body is read, then streamed to the file chunk by chunk; an upload streams
//! from the file.

use crate::error::BlobError;
use crate::ports::{BlobMeta, BlobStore};
use async_trait::async_trait;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use bytes::{Bytes, BytesMut};
use std::path::Path;
use tokio::io::AsyncWriteExt;

/// S3's limit on a key.
const MAX_KEY_BYTES: usize = 1024;
/// S3's limit on one PutObject; larger files need a multipart upload, which recordings (at
/// most 2 GB, Transcribe's own limit) never do.
const MAX_SINGLE_PUT_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// Error codes S3 uses for "back off and retry".
const RETRYABLE_CODES: [&str; 5] = [
    "SlowDown",
    "ServiceUnavailable",
    "InternalError",
    "RequestTimeout",
    "Throttling",
];

/// S3-backed [`BlobStore`].
#[derive(Debug, Clone)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
}

impl S3BlobStore {
    /// A store over `bucket`. For moto or other local endpoints, build the client with
    /// path-style addressing.
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// Starts a GetObject; the body is not read yet.
    async fn get_object(
        &self,
        key: &str,
        range: Option<String>,
    ) -> Result<GetObjectOutput, SdkError<GetObjectError, HttpResponse>> {
        self.client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_range(range)
            .send()
            .await
    }
}

/// Maps a GetObject failure, with "no such key" as [`BlobError::NotFound`].
fn get_error(key: &str, err: SdkError<GetObjectError, HttpResponse>) -> BlobError {
    match err.as_service_error() {
        Some(GetObjectError::NoSuchKey(_)) => BlobError::NotFound(key.to_string()),
        _ if status_of(&err) == Some(404) => BlobError::NotFound(key.to_string()),
        _ => blob_error(key, err),
    }
}

/// Refuses keys the embedded bucket refuses, so both modes accept the same keys.
fn check_key(key: &str) -> Result<(), BlobError> {
    let bad = |reason: &str| {
        Err(BlobError::BadKey {
            key: key.to_string(),
            reason: reason.to_string(),
        })
    };
    if key.is_empty() {
        return bad("the key is empty");
    }
    if key.len() > MAX_KEY_BYTES {
        return bad("the key is longer than 1024 bytes");
    }
    if key.split('/').any(str::is_empty) {
        return bad("the key has an empty path segment (`//`, or a leading or trailing `/`)");
    }
    Ok(())
}

/// S3 quotes ETags; items and events carry them bare.
fn bare_etag(etag: Option<&str>) -> String {
    etag.unwrap_or_default().trim_matches('"').to_string()
}

fn too_large(key: &str, size: u64, limit: u64) -> BlobError {
    BlobError::TooLarge {
        key: key.to_string(),
        size,
        limit,
    }
}

/// The object's size from a GetObject response, refused over `limit` before the body is read.
fn checked_length(key: &str, out: &GetObjectOutput, limit: u64) -> Result<Option<u64>, BlobError> {
    let size = out.content_length().and_then(|n| u64::try_from(n).ok());
    match size {
        Some(size) if size > limit => Err(too_large(key, size, limit)),
        _ => Ok(size),
    }
}

fn status_of<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response().map(|raw| raw.status().as_u16())
}

/// Maps an SDK failure: throttling, 5xx, timeouts and network errors are `Unavailable` (a retry
/// may help); anything else is `Other` with S3's code and message.
fn blob_error<E>(key: &str, err: SdkError<E, HttpResponse>) -> BlobError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(context) => {
            let error = context.err();
            let code = error.code().unwrap_or("Unknown");
            let message = error.message().unwrap_or("no message");
            let status = context.raw().status();
            let text = format!("`{key}`: {code} (HTTP {}): {message}", status.as_u16());
            if RETRYABLE_CODES.contains(&code) || status.is_server_error() {
                BlobError::Unavailable(text)
            } else {
                BlobError::Other(text)
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            BlobError::Unavailable(format!("`{key}`: {}", DisplayErrorContext(&err)))
        }
        _ => BlobError::Other(format!("`{key}`: {}", DisplayErrorContext(&err))),
    }
}

fn body_error(key: &str, err: impl std::fmt::Display) -> BlobError {
    BlobError::Unavailable(format!("`{key}`: reading the body failed: {err}"))
}

/// Reads a body to memory, stopping as soon as it passes `limit` (for a response that did not
/// say its length).
async fn read_capped(key: &str, mut body: ByteStream, limit: u64) -> Result<Bytes, BlobError> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| body_error(key, e))?;
        buf.extend_from_slice(&chunk);
        if buf.len() as u64 > limit {
            return Err(too_large(key, buf.len() as u64, limit));
        }
    }
    Ok(buf.freeze())
}

/// Streams a body into `file`, returning the bytes written.
async fn stream_to(key: &str, mut body: ByteStream, file: &mut tokio::fs::File, limit: u64) -> Result<u64, BlobError> {
    let mut written = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| body_error(key, e))?;
        written += chunk.len() as u64;
        if written > limit {
            return Err(too_large(key, written, limit));
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| BlobError::Other(format!("`{key}`: writing the download failed: {e}")))?;
    }
    file.flush()
        .await
        .map_err(|e| BlobError::Other(format!("`{key}`: writing the download failed: {e}")))?;
    Ok(written)
}

#[async_trait]
impl BlobStore for S3BlobStore {
    fn bucket(&self) -> &str {
        &self.bucket
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError> {
        check_key(key)?;
        let result = self.client.head_object().bucket(&self.bucket).key(key).send().await;
        let out = match result {
            Ok(out) => out,
            Err(err) if matches!(err.as_service_error(), Some(HeadObjectError::NotFound(_))) => return Ok(None),
            Err(err) if status_of(&err) == Some(404) => return Ok(None),
            Err(err) => return Err(blob_error(key, err)),
        };
        Ok(Some(BlobMeta {
            size: out.content_length().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
            etag: bare_etag(out.e_tag()),
            content_type: out.content_type().map(str::to_string),
        }))
    }

    /// Refuses an object over `limit` from the response's `Content-Length`, before reading
    /// any of its body.
    async fn get(&self, key: &str, limit: u64) -> Result<Bytes, BlobError> {
        check_key(key)?;
        let out = self.get_object(key, None).await.map_err(|err| get_error(key, err))?;
        let size = checked_length(key, &out, limit)?;
        let bytes = read_capped(key, out.body, limit).await?;
        if let Some(size) = size {
            if bytes.len() as u64 != size {
                return Err(body_error(key, format!("got {} of {size} bytes", bytes.len())));
            }
        }
        Ok(bytes)
    }

    /// A ranged GET of the first `len` bytes; a shorter object gives all of itself.
    async fn get_prefix(&self, key: &str, len: u64) -> Result<Bytes, BlobError> {
        check_key(key)?;
        if len == 0 {
            return match self.head(key).await? {
                Some(_) => Ok(Bytes::new()),
                None => Err(BlobError::NotFound(key.to_string())),
            };
        }
        let out = match self.get_object(key, Some(format!("bytes=0-{}", len - 1))).await {
            Ok(out) => out,
            // An empty object has no byte 0, so S3 refuses any range on it.
            Err(err) if err.code() == Some("InvalidRange") || status_of(&err) == Some(416) => return Ok(Bytes::new()),
            Err(err) => return Err(get_error(key, err)),
        };
        let mut bytes = read_capped(key, out.body, u64::MAX).await?;
        bytes.truncate(usize::try_from(len).unwrap_or(usize::MAX));
        Ok(bytes)
    }

    /// Refuses an object over `limit` before reading its body, then streams it into `dest`
    /// (created or truncated). A failed download leaves no partial file behind.
    async fn download_to(&self, key: &str, dest: &Path, limit: u64) -> Result<u64, BlobError> {
        check_key(key)?;
        let out = self.get_object(key, None).await.map_err(|err| get_error(key, err))?;
        let size = checked_length(key, &out, limit)?;
        let mut file = tokio::fs::File::create(dest)
            .await
            .map_err(|e| BlobError::Other(format!("cannot create {}: {e}", dest.display())))?;
        let result = match stream_to(key, out.body, &mut file, limit).await {
            Ok(written) if size.is_some_and(|size| size != written) => Err(body_error(
                key,
                format!("got {written} of {} bytes", size.unwrap_or_default()),
            )),
            other => other,
        };
        drop(file);
        if result.is_err() {
            let _ = tokio::fs::remove_file(dest).await;
        }
        result
    }

    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<BlobMeta, BlobError> {
        check_key(key)?;
        let size = body.len() as u64;
        let out = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|err| blob_error(key, err))?;
        Ok(BlobMeta {
            size,
            etag: bare_etag(out.e_tag()),
            content_type: Some(content_type.to_string()),
        })
    }

    /// Streams the file from disk (single PutObject, so at most 5 GB).
    async fn upload_from(&self, key: &str, src: &Path, content_type: &str) -> Result<BlobMeta, BlobError> {
        check_key(key)?;
        let local = |e: &dyn std::fmt::Display| BlobError::Other(format!("cannot read {}: {e}", src.display()));
        let size = tokio::fs::metadata(src).await.map_err(|e| local(&e))?.len();
        if size > MAX_SINGLE_PUT_BYTES {
            return Err(BlobError::Other(format!(
                "{} is {size} bytes, over the 5 GB a single upload allows",
                src.display()
            )));
        }
        let body = ByteStream::from_path(src).await.map_err(|e| local(&e))?;
        let out = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(i64::try_from(size).map_err(|e| local(&e))?)
            .body(body)
            .send()
            .await
            .map_err(|err| blob_error(key, err))?;
        Ok(BlobMeta {
            size,
            etag: bare_etag(out.e_tag()),
            content_type: Some(content_type.to_string()),
        })
    }

    /// S3's DeleteObject already succeeds for a missing key.
    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        check_key(key)?;
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|err| blob_error(key, err))?;
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| blob_error(prefix, err))?;
            keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        }
        keys.sort();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_embedded_buckets_rules() {
        for key in ["uploads/a b/c+d.vtt", "uploads/ünï/日本語.srt", "uploads/../x", "k"] {
            assert!(check_key(key).is_ok(), "{key}");
        }
        for key in ["", "a//b", "/abs", "trailing/", &"x".repeat(1025)] {
            assert!(matches!(check_key(key), Err(BlobError::BadKey { .. })), "{key:?}");
        }
        assert_eq!(bare_etag(Some("\"abc-2\"")), "abc-2");
        assert_eq!(bare_etag(None), "");
    }
}
