//! The SQLite store's outbox: one row per `Interview Status Changed`, inserted by the item
//! write itself (same transaction), so no event can be lost between a write and its publication
//! and none can exist for a write that was rolled back.
//!
//! Rows stay after delivery: the SSE feed reads them by sequence (`Last-Event-ID`), and the
//! webhook's progress is a mark on each row. A row the webhook kept refusing is marked dead
//! (the dead letters), so it does not hold up the ones behind it.

use crate::error::StoreError;
use crate::ports::sortable_time;
use crate::sqlite::{other, SqliteStore};
use async_trait::async_trait;
use interview_core::domain::Interview;
use interview_core::events::{EventOutbox, InterviewStatusChanged, OutboxEntry};
use rusqlite::{params, Transaction};

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    interview_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    project TEXT,
    event TEXT NOT NULL,
    delivered_at TEXT,
    dead_at TEXT,
    dead_reason TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (seq) WHERE delivered_at IS NULL AND dead_at IS NULL;
";

/// The most characters of a dead letter's reason kept (a status line or a connection error).
const MAX_REASON_CHARS: usize = 200;

/// Adds the event of a write from `before` (the stored JSON, `None` for a new item) to `after`,
/// in the write's transaction. A stored item that no longer decodes counts as a change: an extra
/// event is harmless (consumers de-duplicate by version), a missing one is not.
pub(crate) fn record(tx: &Transaction<'_>, before: Option<&str>, after: &Interview) -> Result<(), StoreError> {
    let before = before.map(serde_json::from_str::<Interview>);
    let event = match &before {
        Some(Ok(before)) => InterviewStatusChanged::for_write(Some(before), after),
        Some(Err(_)) | None => Some(InterviewStatusChanged::of(after)),
    };
    let Some(event) = event else { return Ok(()) };
    let json = serde_json::to_string(&event).map_err(other)?;
    tx.execute(
        "INSERT INTO outbox (interview_id, version, project, event) VALUES (?1, ?2, ?3, ?4)",
        params![
            event.id.as_str(),
            i64::try_from(event.version).map_err(other)?,
            event.project,
            json
        ],
    )
    .map_err(other)?;
    Ok(())
}

fn entries(rows: Vec<(i64, String)>) -> Result<Vec<OutboxEntry>, StoreError> {
    rows.into_iter()
        .map(|(seq, json)| {
            let event = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                id: format!("outbox #{seq}"),
                reason: e.to_string(),
            })?;
            Ok(OutboxEntry { seq: seq as u64, event })
        })
        .collect()
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl SqliteStore {
    async fn select(&self, sql: &'static str, seq: u64, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = self
            .with_connection(move |conn| {
                conn.prepare_cached(sql)?
                    .query_map(params![to_i64(seq), to_i64(limit as u64)], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?
                    .collect::<Result<Vec<(i64, String)>, _>>()
            })
            .await?;
        entries(rows)
    }
}

#[async_trait]
impl EventOutbox for SqliteStore {
    async fn after(&self, seq: u64, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        self.select(
            "SELECT seq, event FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            seq,
            limit,
        )
        .await
    }

    async fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        self.select(
            "SELECT seq, event FROM outbox INDEXED BY outbox_pending
             WHERE seq > ?1 AND delivered_at IS NULL AND dead_at IS NULL ORDER BY seq LIMIT ?2",
            0,
            limit,
        )
        .await
    }

    async fn mark_delivered(&self, seq: u64) -> Result<(), StoreError> {
        let now = sortable_time(chrono::Utc::now());
        self.with_connection(move |conn| {
            conn.execute(
                "UPDATE outbox SET delivered_at = ?2 WHERE seq = ?1",
                params![to_i64(seq), now],
            )
        })
        .await
        .map(drop)
    }

    async fn mark_dead(&self, seq: u64, reason: &str) -> Result<(), StoreError> {
        let now = sortable_time(chrono::Utc::now());
        let reason: String = reason.chars().take(MAX_REASON_CHARS).collect();
        self.with_connection(move |conn| {
            conn.execute(
                "UPDATE outbox SET dead_at = ?2, dead_reason = ?3 WHERE seq = ?1",
                params![to_i64(seq), now, reason],
            )
        })
        .await
        .map(drop)
    }

    async fn last_seq(&self) -> Result<u64, StoreError> {
        self.with_connection(|conn| {
            conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM outbox", [], |r| r.get::<_, i64>(0))
        })
        .await
        .map(|n| n as u64)
    }
}

impl SqliteStore {
    /// The dead letters: events the webhook kept refusing, with why, oldest first.
    pub async fn dead_letters(&self) -> Result<Vec<(OutboxEntry, String)>, StoreError> {
        let rows = self
            .with_connection(|conn| {
                conn.prepare(
                    "SELECT seq, event, COALESCE(dead_reason, '') FROM outbox WHERE dead_at IS NOT NULL ORDER BY seq",
                )?
                .query_map([], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        let reasons: Vec<String> = rows.iter().map(|r| r.2.clone()).collect();
        let entries = entries(rows.into_iter().map(|(seq, json, _)| (seq, json)).collect())?;
        Ok(entries.into_iter().zip(reasons).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::update::{update_item, Change};
    use crate::domain::{Status, Step};
    use crate::ports::ItemStore;
    use interview_core::events::EVENT_SCHEMA_VERSION;

    #[tokio::test]
    async fn every_status_step_or_progress_write_leaves_one_event_and_other_writes_none() {
        let store = SqliteStore::in_memory().unwrap();
        let item = interview_testkit::store_contract::sample_item("outbox");
        store.create(&item).await.unwrap();
        let now = chrono::Utc::now;
        let write = |f: fn(&mut Interview)| {
            let store = store.clone();
            let id = item.id.clone();
            async move {
                update_item(&store, &id, None, now, |i| {
                    f(i);
                    Ok(Change::Write)
                })
                .await
                .unwrap()
            }
        };
        write(|i| i.status = Status::Processing).await;
        write(|i| i.note = Some("a heartbeat-like write".into())).await;
        write(|i| i.progress = 30).await;
        write(|i| i.step = Step::Extract).await;
        let events = store.after(0, 100).await.unwrap();
        let versions: Vec<u64> = events.iter().map(|e| e.event.version).collect();
        assert_eq!(versions, [1, 2, 4, 5]);
        assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
        assert!(events.iter().all(|e| e.event.schema_version == EVENT_SCHEMA_VERSION));
        assert_eq!(store.last_seq().await.unwrap(), events[3].seq);
        assert_eq!(store.after(events[1].seq, 1).await.unwrap()[0].event.version, 4);
    }

    #[tokio::test]
    async fn a_rejected_write_leaves_no_event_and_delivery_marks_move_the_queue() {
        let store = SqliteStore::in_memory().unwrap();
        let item = interview_testkit::store_contract::sample_item("rejected");
        store.create(&item).await.unwrap();
        let mut stale = item.clone();
        stale.status = Status::Processing;
        stale.version = 2;
        let wrong = crate::ports::Expected {
            version: 7,
            run_id: item.run_id.clone(),
        };
        assert!(store.replace(&stale, &wrong).await.is_err());
        let pending = store.pending(10).await.unwrap();
        assert_eq!(pending.len(), 1, "only the create");
        store
            .mark_dead(pending[0].seq, "HTTP 500 after 8 attempts")
            .await
            .unwrap();
        assert!(store.pending(10).await.unwrap().is_empty());
        assert_eq!(store.dead_letters().await.unwrap()[0].1, "HTTP 500 after 8 attempts");
        assert_eq!(store.after(0, 10).await.unwrap().len(), 1, "the feed keeps it");
    }
}
