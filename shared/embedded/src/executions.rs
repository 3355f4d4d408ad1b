//! The local runner's executions, kept in the data dir's SQLite file beside the items, so an
//! execution outlives the process running it: each one's last checkpoint (the state it entered,
//! that state's input) and a lease naming the process that runs it.
//!
//! A process renews its leases while it lives. One that dies, however it dies, stops renewing;
//! once its leases lapse, another process on the same data dir takes the executions over with a
//! conditional update (only one can win it) and carries them on from their checkpoints. Every
//! checkpoint write is conditional on still holding the lease, so a process that was merely
//! frozen past its lease finds out at its next state and stops, instead of running the
//! execution a second time beside the new owner.

use crate::asl::{Checkpoint, ExecutionStatus, Journal, NotOwner};
use crate::ports::sortable_time;
use crate::sqlite::SqliteStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS executions (
    name TEXT PRIMARY KEY NOT NULL,
    status TEXT NOT NULL,
    checkpoint TEXT NOT NULL,
    owner TEXT NOT NULL,
    lease_until TEXT NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS running_by_lease ON executions (lease_until) WHERE status = 'RUNNING';
";

const RUNNING: &str = "RUNNING";

/// Why the journal could not be read or written.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the executions journal: {0}")]
pub struct JournalError(String);

fn fail(e: impl std::fmt::Display) -> JournalError {
    JournalError(e.to_string())
}

impl JournalError {
    /// The call did not run because the process is exiting: nothing to report.
    pub fn is_shutdown(&self) -> bool {
        self.0.contains(crate::sqlite::SHUTTING_DOWN)
    }
}

/// What [`ExecutionJournal::claim`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// A new execution, now owned by this process.
    New,
    /// The execution exists and another live process runs it, or it has ended.
    Taken,
    /// The execution exists and its owner's lease had lapsed: this process took it over and
    /// carries it on from the checkpoint.
    TakenOver(Checkpoint),
}

/// The executions of one data dir, as seen by one process (`owner`).
#[derive(Clone)]
pub struct ExecutionJournal {
    store: SqliteStore,
    owner: String,
    lease: Duration,
    /// Rows written by this process (the cost of durability, for the benchmark).
    writes: Arc<AtomicU64>,
}

impl ExecutionJournal {
    /// The journal in `store`'s file, for a process named `owner` holding leases of `lease`.
    pub fn new(store: SqliteStore, owner: impl Into<String>, lease: Duration) -> Self {
        Self {
            store,
            owner: owner.into(),
            lease,
            writes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Rows this process has written to the journal so far.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    fn wrote(&self, rows: usize) {
        self.writes.fetch_add(rows as u64, Ordering::Relaxed);
    }

    /// A name for this process that no other process on the machine shares.
    pub fn process_name() -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        format!("pid-{}-{nanos:x}", std::process::id())
    }

    /// The process this journal writes as.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    fn lease_until(&self, now: DateTime<Utc>) -> String {
        let lease = chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::seconds(30));
        sortable_time(now + lease)
    }

    /// Records a new execution `name` as this process's, starting at `start`; or reports that it
    /// exists, taking it over when its owner's lease has lapsed.
    pub async fn claim(&self, name: &str, start: &Checkpoint) -> Result<Claim, JournalError> {
        let checkpoint = serde_json::to_string(start).map_err(fail)?;
        let (row_name, owner) = (name.to_string(), self.owner.clone());
        let now = Utc::now();
        let (now_s, lease_until) = (sortable_time(now), self.lease_until(now));
        let started = sortable_time(start.started_at);
        let inserted = self
            .store
            .with_connection(move |conn| {
                conn.execute(
                    "INSERT OR IGNORE INTO executions (name, status, checkpoint, owner, lease_until, started_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![row_name, RUNNING, checkpoint, owner, lease_until, started, now_s],
                )
            })
            .await
            .map_err(fail)?;
        self.wrote(inserted);
        if inserted == 1 {
            return Ok(Claim::New);
        }
        Ok(match self.take_over(name).await? {
            Some(checkpoint) => Claim::TakenOver(checkpoint),
            None => Claim::Taken,
        })
    }

    /// Takes `name` over if it is running under a lapsed lease; its checkpoint when it did.
    pub async fn take_over(&self, name: &str) -> Result<Option<Checkpoint>, JournalError> {
        let (name, owner) = (name.to_string(), self.owner.clone());
        let now = Utc::now();
        let (now_s, lease_until) = (sortable_time(now), self.lease_until(now));
        let taken: Option<String> = self
            .store
            .with_connection(move |conn| {
                let tx = conn.transaction()?;
                let changed = tx.execute(
                    "UPDATE executions SET owner = ?1, lease_until = ?2, updated_at = ?3
                     WHERE name = ?4 AND status = ?5 AND lease_until < ?3",
                    params![owner, lease_until, now_s, name, RUNNING],
                )?;
                let checkpoint = if changed == 1 {
                    tx.query_row(
                        "SELECT checkpoint FROM executions WHERE name = ?1",
                        params![name],
                        |row| row.get(0),
                    )
                    .optional()?
                } else {
                    None
                };
                tx.commit()?;
                Ok(checkpoint)
            })
            .await
            .map_err(fail)?;
        taken.map(|json| serde_json::from_str(&json).map_err(fail)).transpose()
    }

    /// Running executions whose owner's lease has lapsed: their process is gone.
    pub async fn orphans(&self) -> Result<Vec<String>, JournalError> {
        let now = sortable_time(Utc::now());
        self.store
            .with_connection(move |conn| {
                let mut statement = conn.prepare(
                    "SELECT name FROM executions WHERE status = ?1 AND lease_until < ?2 ORDER BY lease_until",
                )?;
                let names = statement
                    .query_map(params![RUNNING, now], |row| row.get(0))?
                    .collect::<Result<Vec<String>, _>>()?;
                Ok(names)
            })
            .await
            .map_err(fail)
    }

    /// Extends every lease this process holds; how many it holds.
    pub async fn renew(&self) -> Result<usize, JournalError> {
        let owner = self.owner.clone();
        let lease_until = self.lease_until(Utc::now());
        let renewed = self
            .store
            .with_connection(move |conn| {
                conn.execute(
                    "UPDATE executions SET lease_until = ?1 WHERE owner = ?2 AND status = ?3",
                    params![lease_until, owner, RUNNING],
                )
            })
            .await
            .map_err(fail)?;
        self.wrote(renewed);
        Ok(renewed)
    }

    /// Records how `name` ended (if this process still owns it).
    pub async fn finish(&self, name: &str, status: ExecutionStatus) -> Result<(), JournalError> {
        let (name, owner) = (name.to_string(), self.owner.clone());
        let now = sortable_time(Utc::now());
        self.store
            .with_connection(move |conn| {
                conn.execute(
                    "UPDATE executions SET status = ?1, updated_at = ?2 WHERE name = ?3 AND owner = ?4 AND status = ?5",
                    params![status.as_str(), now, name, owner, RUNNING],
                )
            })
            .await
            .map_err(fail)?;
        self.wrote(1);
        Ok(())
    }

    /// Asks whoever runs `name` to stop: its next checkpoint finds it no longer running.
    pub async fn abort(&self, name: &str) -> Result<(), JournalError> {
        let name = name.to_string();
        let now = sortable_time(Utc::now());
        self.store
            .with_connection(move |conn| {
                conn.execute(
                    "UPDATE executions SET status = 'ABORTED', updated_at = ?1 WHERE name = ?2 AND status = ?3",
                    params![now, name, RUNNING],
                )
            })
            .await
            .map_err(fail)?;
        Ok(())
    }

    /// The status of `name`, if it exists (`RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED`).
    pub async fn status(&self, name: &str) -> Result<Option<String>, JournalError> {
        let name = name.to_string();
        self.store
            .with_connection(move |conn| {
                conn.query_row("SELECT status FROM executions WHERE name = ?1", params![name], |row| {
                    row.get(0)
                })
                .optional()
            })
            .await
            .map_err(fail)
    }
}

#[async_trait]
impl Journal for ExecutionJournal {
    async fn entered(&self, execution: &str, checkpoint: &Checkpoint) -> Result<(), NotOwner> {
        let lost = || NotOwner(execution.to_string());
        let json = serde_json::to_string(checkpoint).map_err(|_| lost())?;
        let (name, owner) = (execution.to_string(), self.owner.clone());
        let now = Utc::now();
        let (now_s, lease_until) = (sortable_time(now), self.lease_until(now));
        let changed = self
            .store
            .with_connection(move |conn| {
                conn.execute(
                    "UPDATE executions SET checkpoint = ?1, lease_until = ?2, updated_at = ?3
                     WHERE name = ?4 AND owner = ?5 AND status = ?6",
                    params![json, lease_until, now_s, name, owner, RUNNING],
                )
            })
            .await;
        match changed {
            Ok(1) => {
                self.wrote(1);
                Ok(())
            }
            Ok(_) => Err(lost()),
            // The journal could not be written (a full disk, a locked file past the busy
            // timeout): the execution carries on, durable again at its next state.
            Err(e) => {
                tracing::warn!(execution, error = %e, "could not record the execution's state");
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn checkpoint(state: &str) -> Checkpoint {
        Checkpoint {
            state: state.into(),
            input: json!({"n": 1}),
            entered_at: Utc::now(),
            execution_input: json!({"n": 1}),
            started_at: Utc::now(),
            transitions: 0,
        }
    }

    fn two_processes(lease: Duration) -> (tempfile::TempDir, ExecutionJournal, ExecutionJournal) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("items.sqlite");
        let a = ExecutionJournal::new(SqliteStore::open(&path).unwrap(), "a", lease);
        let b = ExecutionJournal::new(SqliteStore::open(&path).unwrap(), "b", lease);
        (dir, a, b)
    }

    #[tokio::test]
    async fn a_live_lease_keeps_an_execution_with_its_process() {
        let (_dir, a, b) = two_processes(Duration::from_secs(30));
        assert_eq!(a.claim("run-1", &checkpoint("Start")).await.unwrap(), Claim::New);
        assert_eq!(b.claim("run-1", &checkpoint("Start")).await.unwrap(), Claim::Taken);
        assert!(b.orphans().await.unwrap().is_empty());
        assert_eq!(b.take_over("run-1").await.unwrap(), None);
        a.entered("run-1", &checkpoint("Extract"))
            .await
            .expect("a still owns it");
        assert_eq!(a.renew().await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_lapsed_lease_hands_the_execution_over_once_and_the_old_owner_finds_out() {
        let (_dir, a, b) = two_processes(Duration::from_millis(50));
        a.claim("run-1", &checkpoint("Start")).await.unwrap();
        a.entered("run-1", &checkpoint("Extract")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(b.orphans().await.unwrap(), vec!["run-1".to_string()]);
        let taken = b.take_over("run-1").await.unwrap().expect("b takes it over");
        assert_eq!(taken.state, "Extract", "from the last state a entered");
        assert_eq!(a.take_over("run-1").await.unwrap(), None, "b's lease is fresh");
        assert_eq!(
            a.entered("run-1", &checkpoint("Analyze")).await,
            Err(NotOwner("run-1".into())),
            "a, back from a freeze, must stop"
        );
        a.finish("run-1", ExecutionStatus::Failed).await.unwrap();
        assert_eq!(
            b.status("run-1").await.unwrap().as_deref(),
            Some("RUNNING"),
            "a cannot end b's execution"
        );
        b.finish("run-1", ExecutionStatus::Succeeded).await.unwrap();
        assert_eq!(b.status("run-1").await.unwrap().as_deref(), Some("SUCCEEDED"));
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(
            a.orphans().await.unwrap().is_empty(),
            "an ended execution is nobody's orphan"
        );
    }

    #[tokio::test]
    async fn an_abort_stops_the_owner_at_its_next_state() {
        let (_dir, a, b) = two_processes(Duration::from_secs(30));
        a.claim("run-1", &checkpoint("Start")).await.unwrap();
        b.abort("run-1").await.unwrap();
        assert!(a.entered("run-1", &checkpoint("Extract")).await.is_err());
        assert_eq!(a.status("run-1").await.unwrap().as_deref(), Some("ABORTED"));
    }
}
