//! A store wrapper that counts reads and writes, for the per-interview cost figures and for
//! tests that prove a code path's store traffic.

use crate::domain::{Interview, InterviewId};
use crate::error::StoreError;
use crate::ports::{Expected, ItemStore, ListQuery};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use interview_core::listing::{Page, PageQuery};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Counts of store calls, by kind.
#[derive(Debug, Default)]
pub struct StoreCounters {
    /// `get` calls.
    pub reads: AtomicU64,
    /// Successful `create` and `replace` calls.
    pub writes: AtomicU64,
    /// Refused conditional writes (conflicts, fences, duplicates).
    pub refused_writes: AtomicU64,
    /// `list` and `live_items_updated_before` calls.
    pub queries: AtomicU64,
    /// Items returned by queries.
    pub items_returned: AtomicU64,
}

impl StoreCounters {
    /// A plain snapshot: (reads, writes, refused writes, queries, items returned).
    pub fn snapshot(&self) -> (u64, u64, u64, u64, u64) {
        (
            self.reads.load(Ordering::Relaxed),
            self.writes.load(Ordering::Relaxed),
            self.refused_writes.load(Ordering::Relaxed),
            self.queries.load(Ordering::Relaxed),
            self.items_returned.load(Ordering::Relaxed),
        )
    }
}

/// Wraps any store and counts what goes through it.
pub struct MeteredStore {
    inner: Arc<dyn ItemStore>,
    /// The counters, shared so a caller can keep reading them.
    pub counters: Arc<StoreCounters>,
}

impl MeteredStore {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn ItemStore>) -> Self {
        Self {
            inner,
            counters: Arc::default(),
        }
    }

    fn write_result(&self, r: Result<(), StoreError>) -> Result<(), StoreError> {
        let counter = if r.is_ok() {
            &self.counters.writes
        } else {
            &self.counters.refused_writes
        };
        counter.fetch_add(1, Ordering::Relaxed);
        r
    }
}

#[async_trait]
impl ItemStore for MeteredStore {
    async fn get(&self, id: &InterviewId) -> Result<Option<Interview>, StoreError> {
        self.counters.reads.fetch_add(1, Ordering::Relaxed);
        self.inner.get(id).await
    }

    async fn create(&self, item: &Interview) -> Result<(), StoreError> {
        let r = self.inner.create(item).await;
        self.write_result(r)
    }

    async fn replace(&self, item: &Interview, expected: &Expected) -> Result<(), StoreError> {
        let r = self.inner.replace(item, expected).await;
        self.write_result(r)
    }

    async fn list(&self, query: &ListQuery) -> Result<Vec<Interview>, StoreError> {
        self.counters.queries.fetch_add(1, Ordering::Relaxed);
        let items = self.inner.list(query).await?;
        self.counters
            .items_returned
            .fetch_add(items.len() as u64, Ordering::Relaxed);
        Ok(items)
    }

    async fn live_items_updated_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<Interview>, StoreError> {
        self.counters.queries.fetch_add(1, Ordering::Relaxed);
        let items = self.inner.live_items_updated_before(cutoff).await?;
        self.counters
            .items_returned
            .fetch_add(items.len() as u64, Ordering::Relaxed);
        Ok(items)
    }

    async fn page(&self, query: &PageQuery) -> Result<Page, StoreError> {
        self.counters.queries.fetch_add(1, Ordering::Relaxed);
        let page = self.inner.page(query).await?;
        self.counters
            .items_returned
            .fetch_add(page.items.len() as u64, Ordering::Relaxed);
        Ok(page)
    }

    async fn projects(&self) -> Result<Option<Vec<String>>, StoreError> {
        self.inner.projects().await
    }
}
