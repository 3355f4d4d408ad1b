//! Uploads on AWS: a presigned S3 PUT (15 minutes, `Content-Length` and `Content-Type` among
//! the signed headers, so the client can send neither more bytes nor another type), and removal
//! by deleting the object. In both cases the bucket's own notification (S3 → SQS → ingest)
//! does the rest, exactly as for a file a person drops into `uploads/`.

use async_trait::async_trait;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use chrono::{DateTime, Utc};
use interview_core::uploads::{UploadError, UploadRequest, UploadTicket, Uploads, UPLOAD_URL_LIFETIME};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// The S3 side of the [`Uploads`] port.
#[derive(Debug, Clone)]
pub struct S3Uploads {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Uploads {
    /// Uploads into `bucket` through `client` (path-style against a local endpoint, as
    /// [`crate::Aws::connect`] builds it).
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

#[async_trait]
impl Uploads for S3Uploads {
    fn bucket(&self) -> &str {
        &self.bucket
    }

    async fn issue_put(&self, request: &UploadRequest, now: DateTime<Utc>) -> Result<UploadTicket, UploadError> {
        let size = i64::try_from(request.size_bytes)
            .map_err(|_| UploadError::Other(format!("{} bytes is more than S3 takes", request.size_bytes)))?;
        let config = PresigningConfig::builder()
            .start_time(SystemTime::from(now))
            .expires_in(UPLOAD_URL_LIFETIME)
            .build()
            .map_err(|e| UploadError::Other(e.to_string()))?;
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&request.key)
            .content_type(&request.content_type)
            .content_length(size)
            .presigned(config)
            .await
            .map_err(|e| UploadError::Other(DisplayErrorContext(e).to_string()))?;
        let headers: BTreeMap<String, String> = presigned
            .headers()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        Ok(UploadTicket {
            url: presigned.uri().to_string(),
            method: presigned.method().to_string(),
            headers,
            expires_at: now + chrono::Duration::from_std(UPLOAD_URL_LIFETIME).unwrap_or_default(),
        })
    }

    async fn remove(&self, key: &str) -> Result<(), UploadError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                let text = DisplayErrorContext(&e).to_string();
                match e {
                    aws_sdk_s3::error::SdkError::ServiceError(ref context)
                        if !context.raw().status().is_server_error() =>
                    {
                        UploadError::Other(text)
                    }
                    _ => UploadError::Unavailable(text),
                }
            })
    }
}
