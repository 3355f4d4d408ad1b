//! The embedded item store: one SQLite file in the data dir, with the same conditional-write
//! semantics as the DynamoDB table and the same sparse "live" index for the sweeper. Every item
//! write that changes status, step or progress adds its event to the outbox in the same
//! transaction (`outbox.rs`).

use crate::domain::{Interview, InterviewId, LIVE_SHARDS};
use crate::error::StoreError;
use crate::listing::{Page, PageQuery};
use crate::ports::sortable_time;
use crate::ports::{Expected, ItemStore, ListQuery};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// SQLite-backed [`ItemStore`]. The item is stored as JSON beside the columns that conditions
/// and queries need; `live_shard` is NULL for terminal items, so the partial index holds only
/// live items — the same shape as the DynamoDB sparse index.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

/// Why a store call did not run: the runtime is shutting down (the process is exiting).
pub(crate) const SHUTTING_DOWN: &str = "the process is shutting down";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS interviews (
    id TEXT PRIMARY KEY NOT NULL,
    version INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    live_shard INTEGER,
    item TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS live_by_updated ON interviews (live_shard, updated_at) WHERE live_shard IS NOT NULL;
CREATE INDEX IF NOT EXISTS by_updated ON interviews (updated_at);
";

pub(crate) fn other(e: impl std::fmt::Display) -> StoreError {
    let text = e.to_string();
    if text.contains("database is locked") || text.contains("busy") {
        StoreError::Unavailable(text)
    } else {
        StoreError::Other(text)
    }
}

/// Makes the store file private before SQLite opens it: its folder (the data dir) is created
/// 0700 and the file 0600, created here rather than by SQLite so the umask cannot widen it;
/// SQLite gives its `-wal` and `-shm` files the same mode. A file from before is made 0600 too.
fn prepare_private_file(path: &Path) -> Result<(), StoreError> {
    let fail =
        |what: &str, p: &Path, e: std::io::Error| StoreError::Other(format!("cannot {what} {}: {e}", p.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::private::create_private_dir_all(dir).map_err(|e| fail("create", dir, e))?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(crate::private::FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(_) => Ok(()),
        // Through the handle, so a link planted in its place is refused, not its target changed.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .and_then(|f| f.set_permissions(std::fs::Permissions::from_mode(crate::private::FILE_MODE)))
            .map_err(|e| fail("make private", path, e)),
        Err(e) => Err(fail("create", path, e)),
    }
}

impl SqliteStore {
    /// Opens (and creates if needed) the store file.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        prepare_private_file(path)?;
        let conn =
            Connection::open(path).map_err(|e| StoreError::Other(format!("cannot open {}: {e}", path.display())))?;
        Self::init(conn)
    }

    /// An in-memory store for unit tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(other)?)
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(other)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(other)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(other)?;
        conn.execute_batch(SCHEMA).map_err(other)?;
        conn.execute_batch(crate::executions::SCHEMA).map_err(other)?;
        conn.execute_batch(crate::outbox::SCHEMA).map_err(other)?;
        crate::sqlite_listing::migrate(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the store's connection off the async threads (the executions journal shares
    /// the file, so its writes and the items' are ordered by one connection).
    pub(crate) async fn with_connection<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.with_conn(move |conn| f(conn).map_err(other)).await
    }

    pub(crate) async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| StoreError::Other("store lock poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| {
            if e.is_cancelled() {
                StoreError::Unavailable(SHUTTING_DOWN.into())
            } else {
                StoreError::Other(format!("store task failed: {e}"))
            }
        })?
    }
}

pub(crate) fn decode(id: &str, json: &str) -> Result<Interview, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        id: id.to_string(),
        reason: e.to_string(),
    })
}

struct Row {
    id: String,
    version: i64,
    run_id: String,
    status: String,
    updated_at: String,
    live_shard: Option<i64>,
    project: Option<String>,
    item: String,
}

fn row_of(item: &Interview) -> Result<Row, StoreError> {
    Ok(Row {
        id: item.id.to_string(),
        version: i64::try_from(item.version).map_err(other)?,
        run_id: item.run_id.to_string(),
        status: item.status.to_string(),
        updated_at: sortable_time(item.updated_at),
        live_shard: item.live_shard(LIVE_SHARDS).map(i64::from),
        project: item.source.project().map(str::to_string),
        item: serde_json::to_string(item).map_err(other)?,
    })
}

#[async_trait]
impl ItemStore for SqliteStore {
    async fn get(&self, id: &InterviewId) -> Result<Option<Interview>, StoreError> {
        let id = id.to_string();
        self.with_conn(move |conn| {
            let json: Option<String> = conn
                .query_row("SELECT item FROM interviews WHERE id = ?1", params![id], |r| r.get(0))
                .optional()
                .map_err(other)?;
            json.map(|j| decode(&id, &j)).transpose()
        })
        .await
    }

    async fn create(&self, item: &Interview) -> Result<(), StoreError> {
        let row = row_of(item)?;
        let item = item.clone();
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(other)?;
            let inserted = tx
                .execute(
                    "INSERT INTO interviews (id, version, run_id, status, updated_at, live_shard, item, project)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO NOTHING",
                    params![
                        row.id,
                        row.version,
                        row.run_id,
                        row.status,
                        row.updated_at,
                        row.live_shard,
                        row.item,
                        row.project
                    ],
                )
                .map_err(other)?;
            if inserted == 0 {
                return Err(StoreError::AlreadyExists(row.id));
            }
            crate::outbox::record(&tx, None, &item)?;
            tx.commit().map_err(other)
        })
        .await
    }

    async fn replace(&self, item: &Interview, expected: &Expected) -> Result<(), StoreError> {
        let row = row_of(item)?;
        let want_version = i64::try_from(expected.version).map_err(other)?;
        let want_run = expected.run_id.to_string();
        let item = item.clone();
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(other)?;
            let current: Option<(i64, String, String)> = tx
                .query_row(
                    "SELECT version, run_id, item FROM interviews WHERE id = ?1",
                    params![row.id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(other)?;
            let before = match current {
                None => return Err(StoreError::NotFound(row.id)),
                Some((_, run, _)) if run != want_run => {
                    return Err(StoreError::RunFenced { id: row.id, current: run, attempted: want_run })
                }
                Some((version, _, _)) if version != want_version => return Err(StoreError::VersionConflict(row.id)),
                Some((_, _, before)) => before,
            };
            tx.execute(
                "UPDATE interviews SET version = ?2, run_id = ?3, status = ?4, updated_at = ?5, live_shard = ?6, item = ?7,
                 project = ?8 WHERE id = ?1",
                params![row.id, row.version, row.run_id, row.status, row.updated_at, row.live_shard, row.item, row.project],
            )
            .map_err(other)?;
            crate::outbox::record(&tx, Some(&before), &item)?;
            tx.commit().map_err(other)
        })
        .await
    }

    async fn list(&self, query: &ListQuery) -> Result<Vec<Interview>, StoreError> {
        let status = query.status.map(|s| s.to_string());
        let include_deleted = query.include_deleted;
        let limit = query.limit.map_or(-1, |l| l as i64);
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT id, item FROM interviews
                     WHERE (?1 IS NULL OR status = ?1) AND (?2 OR status != 'deleted' OR ?1 = 'deleted')
                     ORDER BY updated_at DESC, id LIMIT ?3",
                )
                .map_err(other)?;
            let rows = stmt
                .query_map(params![status, include_deleted, limit], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(other)?;
            let mut items = Vec::new();
            for row in rows {
                let (id, json) = row.map_err(other)?;
                items.push(decode(&id, &json)?);
            }
            Ok(items)
        })
        .await
    }

    async fn live_items_updated_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<Interview>, StoreError> {
        let cutoff = sortable_time(cutoff);
        self.with_conn(move |conn| {
            let mut items = Vec::new();
            let mut stmt = conn
                .prepare(
                    "SELECT id, item FROM interviews INDEXED BY live_by_updated
                     WHERE live_shard = ?1 AND updated_at < ?2 ORDER BY updated_at",
                )
                .map_err(other)?;
            for shard in 0..LIVE_SHARDS {
                let rows = stmt
                    .query_map(params![shard, cutoff], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                    })
                    .map_err(other)?;
                for row in rows {
                    let (id, json) = row.map_err(other)?;
                    items.push(decode(&id, &json)?);
                }
            }
            items.sort_by(|a, b| a.updated_at.cmp(&b.updated_at).then_with(|| a.id.cmp(&b.id)));
            Ok(items)
        })
        .await
    }

    async fn page(&self, query: &PageQuery) -> Result<Page, StoreError> {
        crate::sqlite_listing::page(self, query).await
    }

    async fn projects(&self) -> Result<Option<Vec<String>>, StoreError> {
        crate::sqlite_listing::projects(self).await.map(Some)
    }
}

impl SqliteStore {
    /// How many rows the sweeper's index holds: the live items. Used to show that a sweep's
    /// cost follows live items, not the table.
    pub async fn live_index_size(&self) -> Result<u64, StoreError> {
        self.with_conn(|conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM interviews WHERE live_shard IS NOT NULL",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(other)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_store_passes_the_contract_suite() {
        let store = SqliteStore::in_memory().unwrap();
        let passed = interview_testkit::store_contract::run_all(&store).await;
        assert!(passed.len() >= 12, "{passed:?}");
    }

    #[tokio::test]
    async fn file_store_persists_across_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("items.sqlite");
        let item = interview_testkit::store_contract::sample_item("persist");
        SqliteStore::open(&path).unwrap().create(&item).await.unwrap();
        let reopened = SqliteStore::open(&path).unwrap();
        assert_eq!(reopened.get(&item.id).await.unwrap(), Some(item));
        assert_eq!(reopened.live_index_size().await.unwrap(), 1);
    }

    #[tokio::test]
    async fn the_sweeper_query_uses_the_partial_index() {
        let store = SqliteStore::in_memory().unwrap();
        let plan: String = store
            .with_conn(|conn| {
                conn.query_row(
                    "EXPLAIN QUERY PLAN SELECT id, item FROM interviews INDEXED BY live_by_updated
                     WHERE live_shard = 0 AND updated_at < 'z'",
                    [],
                    |r| r.get(3),
                )
                .map_err(other)
            })
            .await
            .unwrap();
        assert!(plan.contains("live_by_updated"), "{plan}");
    }
}
