//! Blob stores: S3 and a folder under the data dir, and a counting wrapper for either.

pub mod fs;
pub mod metered;
pub mod s3;

/// The content type recorded for JSON result documents.
pub const JSON_CONTENT_TYPE: &str = "application/json";
