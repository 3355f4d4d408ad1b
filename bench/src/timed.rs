//! Adapters that time what goes through them, so the pipeline bench can split wall time into
//! provider work and orchestration overhead.

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use interview_analysis::{AnalysisDoc, EvidenceDoc};
use interview_core::domain::{Interview, InterviewId};
use interview_core::listing::{Page, PageQuery};
use interview_core::ports::{Analyzer, BlobMeta, BlobStore, Expected, ItemStore, ListQuery};
use interview_core::{BlobError, ProviderError, StoreError};
use interview_transcript::Transcript;
use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Time spent in one kind of call, summed over every call, and how many calls there were.
#[derive(Debug, Default)]
pub struct Timer {
    nanos: AtomicU64,
    calls: AtomicU64,
}

/// A plain copy of a [`Timer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimerSnapshot {
    /// Total time, nanoseconds.
    pub nanos: u64,
    /// Calls.
    pub calls: u64,
}

impl TimerSnapshot {
    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &TimerSnapshot) -> TimerSnapshot {
        TimerSnapshot {
            nanos: self.nanos.saturating_sub(earlier.nanos),
            calls: self.calls.saturating_sub(earlier.calls),
        }
    }

    /// Total time.
    pub fn duration(&self) -> Duration {
        Duration::from_nanos(self.nanos)
    }
}

impl Timer {
    /// Adds one call that took `d`.
    pub fn add(&self, d: Duration) {
        self.nanos.fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// Times `f` and adds it.
    pub async fn time<T>(&self, f: impl Future<Output = T>) -> T {
        let start = Instant::now();
        let out = f.await;
        self.add(start.elapsed());
        out
    }

    /// The totals now.
    pub fn snapshot(&self) -> TimerSnapshot {
        TimerSnapshot {
            nanos: self.nanos.load(Ordering::Relaxed),
            calls: self.calls.load(Ordering::Relaxed),
        }
    }
}

/// Every timer the pipeline bench keeps.
#[derive(Debug, Default)]
pub struct Timers {
    /// Analyzer calls (extract and analyze): the provider in the embedded pipeline.
    pub analyzer: Timer,
    /// Transcript conversion: from the moment the upload's bytes were read to the moment
    /// `transcript.json` is handed to the bucket (parsing and encoding the transcript), the
    /// embedded stand-in for the speech provider. Measured per interview by [`TimedBlobs`].
    pub transcript: Timer,
    /// Item store calls.
    pub store: Timer,
    /// Blob store calls.
    pub blobs: Timer,
}

/// A timed [`Analyzer`].
pub struct TimedAnalyzer {
    inner: Arc<dyn Analyzer>,
    timers: Arc<Timers>,
}

impl TimedAnalyzer {
    /// Wraps `inner`, adding to `timers.analyzer`.
    pub fn new(inner: Arc<dyn Analyzer>, timers: Arc<Timers>) -> Self {
        Self { inner, timers }
    }
}

#[async_trait]
impl Analyzer for TimedAnalyzer {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn extract(&self, transcript: &Transcript) -> Result<EvidenceDoc, ProviderError> {
        self.timers.analyzer.time(self.inner.extract(transcript)).await
    }

    async fn analyze(&self, transcript: &Transcript, evidence: &EvidenceDoc) -> Result<AnalysisDoc, ProviderError> {
        self.timers
            .analyzer
            .time(self.inner.analyze(transcript, evidence))
            .await
    }
}

/// A timed [`ItemStore`].
pub struct TimedStore {
    inner: Arc<dyn ItemStore>,
    timers: Arc<Timers>,
}

impl TimedStore {
    /// Wraps `inner`, adding to `timers.store`.
    pub fn new(inner: Arc<dyn ItemStore>, timers: Arc<Timers>) -> Self {
        Self { inner, timers }
    }
}

#[async_trait]
impl ItemStore for TimedStore {
    async fn get(&self, id: &InterviewId) -> Result<Option<Interview>, StoreError> {
        self.timers.store.time(self.inner.get(id)).await
    }

    async fn create(&self, item: &Interview) -> Result<(), StoreError> {
        self.timers.store.time(self.inner.create(item)).await
    }

    async fn replace(&self, item: &Interview, expected: &Expected) -> Result<(), StoreError> {
        self.timers.store.time(self.inner.replace(item, expected)).await
    }

    async fn list(&self, query: &ListQuery) -> Result<Vec<Interview>, StoreError> {
        self.timers.store.time(self.inner.list(query)).await
    }

    async fn live_items_updated_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<Interview>, StoreError> {
        self.timers
            .store
            .time(self.inner.live_items_updated_before(cutoff))
            .await
    }

    async fn page(&self, query: &PageQuery) -> Result<Page, StoreError> {
        self.timers.store.time(self.inner.page(query)).await
    }

    async fn projects(&self) -> Result<Option<Vec<String>>, StoreError> {
        self.inner.projects().await
    }
}

/// A timed [`BlobStore`] that also measures transcript conversion (see [`Timers::transcript`]).
pub struct TimedBlobs {
    inner: Arc<dyn BlobStore>,
    timers: Arc<Timers>,
    /// When each interview's upload was last read in full, by interview id.
    upload_read: Mutex<HashMap<String, Instant>>,
}

impl TimedBlobs {
    /// Wraps `inner`, adding to `timers.blobs` and `timers.transcript`.
    pub fn new(inner: Arc<dyn BlobStore>, timers: Arc<Timers>) -> Self {
        Self {
            inner,
            timers,
            upload_read: Mutex::default(),
        }
    }
}

#[async_trait]
impl BlobStore for TimedBlobs {
    fn bucket(&self) -> &str {
        self.inner.bucket()
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError> {
        self.timers.blobs.time(self.inner.head(key)).await
    }

    async fn get(&self, key: &str, limit: u64) -> Result<Bytes, BlobError> {
        let out = self.timers.blobs.time(self.inner.get(key, limit)).await;
        if key.starts_with("uploads/") && out.is_ok() {
            let id = InterviewId::for_object(self.inner.bucket(), key).to_string();
            if let Ok(mut map) = self.upload_read.lock() {
                map.insert(id, Instant::now());
            }
        }
        out
    }

    async fn get_prefix(&self, key: &str, len: u64) -> Result<Bytes, BlobError> {
        self.timers.blobs.time(self.inner.get_prefix(key, len)).await
    }

    async fn download_to(&self, key: &str, dest: &Path, limit: u64) -> Result<u64, BlobError> {
        self.timers.blobs.time(self.inner.download_to(key, dest, limit)).await
    }

    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<BlobMeta, BlobError> {
        // `results/<id>/r<run>/transcript.json`
        if let Some(id) = key
            .strip_prefix("results/")
            .filter(|rest| rest.ends_with("/transcript.json"))
            .and_then(|rest| rest.split('/').next())
        {
            let read_at = self.upload_read.lock().ok().and_then(|mut map| map.remove(id));
            if let Some(read_at) = read_at {
                self.timers.transcript.add(read_at.elapsed());
            }
        }
        self.timers.blobs.time(self.inner.put(key, body, content_type)).await
    }

    async fn upload_from(&self, key: &str, src: &Path, content_type: &str) -> Result<BlobMeta, BlobError> {
        self.timers
            .blobs
            .time(self.inner.upload_from(key, src, content_type))
            .await
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.timers.blobs.time(self.inner.delete(key)).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        self.timers.blobs.time(self.inner.list(prefix)).await
    }
}
