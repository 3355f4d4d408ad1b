//! S3 event notifications: decoding keys and records.
