//! A blob store wrapper that counts requests by the class S3 bills them in, for the
//! per-interview cost figures (`bench`) and for tests that prove a code path's bucket traffic.
//!
//! Every call is counted when it is made, whatever its outcome: S3 bills a request that finds
//! nothing (a `HEAD` answering 404) the same as one that does.

use crate::error::BlobError;
use crate::ports::{BlobMeta, BlobStore};
use async_trait::async_trait;
use bytes::Bytes;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Running counts of blob requests and bytes, updated as calls go through a [`MeteredBlobStore`].
#[derive(Debug, Default)]
pub struct BlobCounters {
    puts: AtomicU64,
    gets: AtomicU64,
    heads: AtomicU64,
    lists: AtomicU64,
    deletes: AtomicU64,
    bytes_written: AtomicU64,
    bytes_read: AtomicU64,
}

/// A plain copy of [`BlobCounters`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlobCounts {
    /// `PutObject` requests (`put` and `upload_from`).
    pub puts: u64,
    /// `GetObject` requests, whole or ranged (`get`, `get_prefix`, `download_to`).
    pub gets: u64,
    /// `HeadObject` requests.
    pub heads: u64,
    /// `ListObjectsV2` requests (one per call; a listing past 1,000 keys pages on S3).
    pub lists: u64,
    /// `DeleteObject` requests (free on S3, counted for completeness).
    pub deletes: u64,
    /// Bytes sent in successful puts.
    pub bytes_written: u64,
    /// Bytes received from successful gets.
    pub bytes_read: u64,
}

impl BlobCounts {
    /// Requests S3 bills in its PUT, COPY, POST, LIST class.
    pub fn put_class(&self) -> u64 {
        self.puts + self.lists
    }

    /// Requests S3 bills in its GET, SELECT and all-other class.
    pub fn get_class(&self) -> u64 {
        self.gets + self.heads
    }

    /// What happened between `earlier` and `self` (both snapshots of the same counters).
    pub fn since(&self, earlier: &BlobCounts) -> BlobCounts {
        BlobCounts {
            puts: self.puts.saturating_sub(earlier.puts),
            gets: self.gets.saturating_sub(earlier.gets),
            heads: self.heads.saturating_sub(earlier.heads),
            lists: self.lists.saturating_sub(earlier.lists),
            deletes: self.deletes.saturating_sub(earlier.deletes),
            bytes_written: self.bytes_written.saturating_sub(earlier.bytes_written),
            bytes_read: self.bytes_read.saturating_sub(earlier.bytes_read),
        }
    }
}

impl BlobCounters {
    /// The counts as they stand now.
    pub fn snapshot(&self) -> BlobCounts {
        BlobCounts {
            puts: self.puts.load(Ordering::Relaxed),
            gets: self.gets.load(Ordering::Relaxed),
            heads: self.heads.load(Ordering::Relaxed),
            lists: self.lists.load(Ordering::Relaxed),
            deletes: self.deletes.load(Ordering::Relaxed),
            bytes_written: self.bytes_written.load(Ordering::Relaxed),
            bytes_read: self.bytes_read.load(Ordering::Relaxed),
        }
    }

    fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }
}

/// Wraps any blob store and counts what goes through it.
pub struct MeteredBlobStore {
    inner: Arc<dyn BlobStore>,
    /// The counters, shared so a caller can keep reading them.
    pub counters: Arc<BlobCounters>,
}

impl MeteredBlobStore {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn BlobStore>) -> Self {
        Self {
            inner,
            counters: Arc::default(),
        }
    }

    fn read(&self, result: Result<Bytes, BlobError>) -> Result<Bytes, BlobError> {
        if let Ok(bytes) = &result {
            BlobCounters::bump(&self.counters.bytes_read, bytes.len() as u64);
        }
        result
    }

    fn written(&self, result: Result<BlobMeta, BlobError>) -> Result<BlobMeta, BlobError> {
        if let Ok(meta) = &result {
            BlobCounters::bump(&self.counters.bytes_written, meta.size);
        }
        result
    }
}

#[async_trait]
impl BlobStore for MeteredBlobStore {
    fn bucket(&self) -> &str {
        self.inner.bucket()
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError> {
        BlobCounters::bump(&self.counters.heads, 1);
        self.inner.head(key).await
    }

    async fn get(&self, key: &str, limit: u64) -> Result<Bytes, BlobError> {
        BlobCounters::bump(&self.counters.gets, 1);
        let result = self.inner.get(key, limit).await;
        self.read(result)
    }

    async fn get_prefix(&self, key: &str, len: u64) -> Result<Bytes, BlobError> {
        BlobCounters::bump(&self.counters.gets, 1);
        let result = self.inner.get_prefix(key, len).await;
        self.read(result)
    }

    async fn download_to(&self, key: &str, dest: &Path, limit: u64) -> Result<u64, BlobError> {
        BlobCounters::bump(&self.counters.gets, 1);
        let result = self.inner.download_to(key, dest, limit).await;
        if let Ok(n) = &result {
            BlobCounters::bump(&self.counters.bytes_read, *n);
        }
        result
    }

    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<BlobMeta, BlobError> {
        BlobCounters::bump(&self.counters.puts, 1);
        let result = self.inner.put(key, body, content_type).await;
        self.written(result)
    }

    async fn upload_from(&self, key: &str, src: &Path, content_type: &str) -> Result<BlobMeta, BlobError> {
        BlobCounters::bump(&self.counters.puts, 1);
        let result = self.inner.upload_from(key, src, content_type).await;
        self.written(result)
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        BlobCounters::bump(&self.counters.deletes, 1);
        self.inner.delete(key).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        BlobCounters::bump(&self.counters.lists, 1);
        self.inner.list(prefix).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use interview_embedded::fs::FsBlobStore;

    #[tokio::test]
    async fn every_call_is_counted_in_its_billing_class_whatever_its_outcome() {
        let dir = tempfile::tempdir().unwrap();
        let fs = FsBlobStore::new(dir.path(), "b").unwrap();
        let metered = MeteredBlobStore::new(Arc::new(fs));
        let before = metered.counters.snapshot();
        metered
            .put("a/x.txt", Bytes::from_static(b"hello"), "text/plain")
            .await
            .unwrap();
        assert!(metered.head("a/missing").await.unwrap().is_none());
        assert!(metered.head("a/x.txt").await.unwrap().is_some());
        assert_eq!(&metered.get("a/x.txt", 100).await.unwrap()[..], b"hello");
        assert_eq!(&metered.get_prefix("a/x.txt", 2).await.unwrap()[..], b"he");
        assert!(metered.get("a/missing", 100).await.is_err());
        assert_eq!(metered.list("a/").await.unwrap(), vec!["a/x.txt".to_string()]);
        metered.delete("a/x.txt").await.unwrap();
        let counts = metered.counters.snapshot().since(&before);
        assert_eq!(
            counts,
            BlobCounts {
                puts: 1,
                gets: 3,
                heads: 2,
                lists: 1,
                deletes: 1,
                bytes_written: 5,
                bytes_read: 7,
            }
        );
        assert_eq!((counts.put_class(), counts.get_class()), (2, 5));
        assert_eq!(metered.bucket(), "b");
    }
}
