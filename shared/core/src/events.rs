//! `Interview Status Changed`: what leaves the pipeline when an interview's status, step or
//! progress changes, and the outbox port that holds those events until they are delivered.
//!
//! An event is derived from the item a write stored, never published by a handler after its
//! write: the embedded store writes it in the same transaction as the item (an outbox row), the
//! stack derives it from the table's change stream. So a process that dies right after a write
//! still leaves its event behind. Delivery is at-least-once; consumers order and de-duplicate by
//! (`id`, `version`) — `docs/events.md` is the contract, `docs/events.schema.json` its schema.

use crate::domain::{Counts, ErrorKind, Interview, InterviewId, RunId, Status, Step};
use crate::error::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The event format this release writes; bumped when a field changes meaning or goes away.
pub const EVENT_SCHEMA_VERSION: u32 = 1;

/// The EventBridge `source` of the stack's events.
pub const EVENT_SOURCE: &str = "interviews";

/// The EventBridge `detail-type`, and the name the docs use.
pub const DETAIL_TYPE: &str = "Interview Status Changed";

/// The `type` field of the body, as Standard Webhooks payloads name their kind.
pub const EVENT_TYPE: &str = "interview.status_changed";

/// The most characters of an error message an event carries. Messages are written by the
/// pipeline and name formats, lines and fields, never content; the bound keeps an unexpected
/// long cause (a runtime error recorded by MarkFailed) from inflating every copy of the event.
pub const MAX_EVENT_MESSAGE_CHARS: usize = 300;

/// The error of an interview in `error`, as events carry it: no excerpt, ever.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventError {
    /// The step that failed.
    pub step: Step,
    /// Input, provider, unavailable, timeout, stale or internal.
    pub kind: ErrorKind,
    /// What went wrong and what to do next (content-free, bounded).
    pub message: String,
    /// Whether a retry can be expected to help.
    pub retryable: bool,
}

/// One change of an interview's status, step or progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterviewStatusChanged {
    /// [`EVENT_SCHEMA_VERSION`] when written by this release.
    pub schema_version: u32,
    /// Always [`EVENT_TYPE`].
    #[serde(rename = "type")]
    pub event_type: String,
    /// The interview.
    pub id: InterviewId,
    /// The project folder of the upload, if it was dropped in one.
    pub project: Option<String>,
    /// The upload's object key.
    pub key: String,
    /// The status after the change.
    pub status: Status,
    /// The step after the change.
    pub step: Step,
    /// 0–100.
    pub progress: u8,
    /// Set when status is `error`.
    pub error: Option<EventError>,
    /// Headline numbers (words, speakers, evidence, themes).
    pub counts: Counts,
    /// The run that made the change.
    pub run_id: RunId,
    /// The item version the change was written as: with `id`, the order and de-duplication key.
    pub version: u64,
    /// When the item was written.
    pub at: DateTime<Utc>,
}

impl InterviewStatusChanged {
    /// The event describing `item` as stored.
    pub fn of(item: &Interview) -> Self {
        Self {
            schema_version: EVENT_SCHEMA_VERSION,
            event_type: EVENT_TYPE.to_string(),
            id: item.id.clone(),
            project: item.source.project().map(str::to_string),
            key: item.source.key.clone(),
            status: item.status,
            step: item.step,
            progress: item.progress,
            error: item.error.as_ref().map(|e| EventError {
                step: e.step,
                kind: e.kind,
                message: bounded_message(&e.message),
                retryable: e.retryable,
            }),
            counts: item.counts.clone(),
            run_id: item.run_id.clone(),
            version: item.version,
            at: item.updated_at,
        }
    }

    /// The event a write from `before` (none for a new item) to `after` produces: one when the
    /// status, step or progress differ, none for a write that changes anything else (a
    /// heartbeat, a timeline entry).
    pub fn for_write(before: Option<&Interview>, after: &Interview) -> Option<Self> {
        changes_status(before, after).then(|| Self::of(after))
    }

    /// The Standard Webhooks message id: the same for every delivery of this change, so a
    /// receiver can de-duplicate on the header too.
    pub fn message_id(&self) -> String {
        format!("msg_{}_{}", self.id, self.version)
    }
}

/// Whether a write from `before` to `after` changes what events report.
pub fn changes_status(before: Option<&Interview>, after: &Interview) -> bool {
    before.is_none_or(|b| (b.status, b.step, b.progress) != (after.status, after.step, after.progress))
}

fn bounded_message(message: &str) -> String {
    let mut out: String = message
        .chars()
        .take(MAX_EVENT_MESSAGE_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if message.chars().nth(MAX_EVENT_MESSAGE_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// An event in the outbox, numbered in write order.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// Increasing with every write (the SSE `id:`, so `Last-Event-ID` resumes after it).
    pub seq: u64,
    /// The event.
    pub event: InterviewStatusChanged,
}

/// The events the embedded store wrote beside its items, until delivered.
///
/// Written only by the store's own item writes (same transaction); this port reads them and
/// records the webhook's progress.
#[async_trait]
pub trait EventOutbox: Send + Sync {
    /// Events after `seq` in write order, at most `limit` (the SSE feed; delivered or not).
    async fn after(&self, seq: u64, limit: usize) -> Result<Vec<OutboxEntry>, StoreError>;

    /// The oldest events the webhook has not taken yet, at most `limit`, in write order.
    async fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError>;

    /// The webhook accepted event `seq`.
    async fn mark_delivered(&self, seq: u64) -> Result<(), StoreError>;

    /// The webhook kept refusing event `seq`: it leaves the queue for the dead letters, so the
    /// events behind it are not held up for ever.
    async fn mark_dead(&self, seq: u64, reason: &str) -> Result<(), StoreError>;

    /// The newest sequence number written (0 when empty).
    async fn last_seq(&self) -> Result<u64, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ItemError, Source, SourceKind};

    fn item() -> Interview {
        Interview::new_queued(
            Source {
                bucket: "local".into(),
                key: "uploads/acme/a.vtt".into(),
                etag: "e1".into(),
                size: 10,
                content_type: None,
                kind: SourceKind::Transcript,
                sequencer: None,
            },
            Utc::now(),
        )
    }

    #[test]
    fn a_new_item_and_every_status_step_or_progress_change_is_an_event_and_nothing_else() {
        let first = item();
        assert!(InterviewStatusChanged::for_write(None, &first).is_some());
        let mut heartbeat = first.clone();
        heartbeat.version += 1;
        heartbeat.note = Some("a note".into());
        assert!(InterviewStatusChanged::for_write(Some(&first), &heartbeat).is_none());
        for change in [
            |i: &mut Interview| i.status = Status::Processing,
            |i: &mut Interview| i.step = Step::Extract,
            |i: &mut Interview| i.progress = 40,
        ] {
            let mut next = first.clone();
            change(&mut next);
            let event = InterviewStatusChanged::for_write(Some(&first), &next).expect("a change");
            assert_eq!(
                (event.status, event.step, event.progress),
                (next.status, next.step, next.progress)
            );
        }
    }

    #[test]
    fn events_carry_no_excerpt_and_a_bounded_message() {
        let mut failed = item();
        failed.status = Status::Error;
        failed.error = Some(
            ItemError {
                step: Step::Transcribe,
                kind: ErrorKind::Input,
                message: format!("line 3:\n{}", "m".repeat(1000)),
                at: Utc::now(),
                retryable: false,
                excerpt: None,
            }
            .with_excerpt(Some("Jane Doe said something private")),
        );
        let event = InterviewStatusChanged::of(&failed);
        let json = serde_json::to_string(&event).unwrap();
        assert!(!json.contains("Jane Doe"), "{json}");
        let message = &event.error.as_ref().unwrap().message;
        assert_eq!(message.chars().count(), MAX_EVENT_MESSAGE_CHARS + 1);
        assert!(!message.contains('\n'));
        assert_eq!(event.project.as_deref(), Some("acme"));
        assert_eq!(event.message_id(), format!("msg_{}_1", failed.id));
    }
}
