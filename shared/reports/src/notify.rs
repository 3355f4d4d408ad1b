//! The embedded backend's change stream for reports: an [`ItemStore`] that tells the
//! [`Coalescer`](crate::Coalescer) when a project's set of ready interviews may have changed.
//! On AWS the status-change events play this part.

use crate::coalesce::Notifier;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use interview_core::domain::{Interview, InterviewId, Status};
use interview_core::error::StoreError;
use interview_core::listing::{Page, PageQuery};
use interview_core::ports::{Expected, ItemStore, ListQuery};
use std::sync::Arc;

/// Wraps a store; after each successful write of an item that is (or stops being) ready, marks
/// its project changed. A write that leaves an interview ready (a re-analysis), deletes it or
/// makes it ready all change the report's inputs (a retry that leaves "ready" is seen when the
/// interview is ready again).
pub struct ChangeNotifyingStore {
    inner: Arc<dyn ItemStore>,
    notifier: Notifier,
}

impl ChangeNotifyingStore {
    /// `inner`, reporting to `notifier`.
    pub fn new(inner: Arc<dyn ItemStore>, notifier: Notifier) -> Self {
        Self { inner, notifier }
    }

    fn written(&self, item: &Interview) {
        if matches!(item.status, Status::Ready | Status::Deleted) {
            if let Some(project) = item.source.project() {
                self.notifier.changed(project);
            }
        }
    }
}

#[async_trait]
impl ItemStore for ChangeNotifyingStore {
    async fn get(&self, id: &InterviewId) -> Result<Option<Interview>, StoreError> {
        self.inner.get(id).await
    }

    async fn create(&self, item: &Interview) -> Result<(), StoreError> {
        self.inner.create(item).await?;
        self.written(item);
        Ok(())
    }

    async fn replace(&self, item: &Interview, expected: &Expected) -> Result<(), StoreError> {
        self.inner.replace(item, expected).await?;
        self.written(item);
        Ok(())
    }

    async fn list(&self, query: &ListQuery) -> Result<Vec<Interview>, StoreError> {
        self.inner.list(query).await
    }

    async fn live_items_updated_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<Interview>, StoreError> {
        self.inner.live_items_updated_before(cutoff).await
    }

    async fn page(&self, query: &PageQuery) -> Result<Page, StoreError> {
        self.inner.page(query).await
    }

    async fn projects(&self) -> Result<Option<Vec<String>>, StoreError> {
        self.inner.projects().await
    }
}
