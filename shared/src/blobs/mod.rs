//! Blob stores: S3 and a folder under the data dir.
