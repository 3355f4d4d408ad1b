//! The SQLite store's project listing: a `project` column with an index on
//! `(project, updated_at, id)`, added to data dirs made before it existed, and the page query
//! that reads through that index.

use crate::domain::Status;
use crate::error::StoreError;
use crate::listing::{merge_pages, InterviewSummary, Page, PageQuery};
use crate::ports::sortable_time;
use crate::sqlite::{decode, other, SqliteStore};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, TransactionBehavior};

/// Adds the `project` column and its index when the table lacks them (a data dir from before the
/// API, e.g. the frozen v1 fixtures), filling the column from each item's upload key. New data
/// dirs take the same path, so there is one schema however the file was made. The check and the
/// change share one write transaction, so two processes opening an old data dir at once
/// migrate it once.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(other)?;
    let has_column = tx
        .prepare("SELECT 1 FROM pragma_table_info('interviews') WHERE name = 'project'")
        .and_then(|mut stmt| stmt.exists([]))
        .map_err(other)?;
    if !has_column {
        tx.execute_batch("ALTER TABLE interviews ADD COLUMN project TEXT")
            .map_err(other)?;
        let rows: Vec<(String, String)> = tx
            .prepare("SELECT id, item FROM interviews")
            .and_then(|mut stmt| {
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()
            })
            .map_err(other)?;
        let mut filled = 0usize;
        for (id, json) in rows {
            match decode(&id, &json) {
                Ok(item) => {
                    if let Some(project) = item.source.project() {
                        tx.execute("UPDATE interviews SET project = ?2 WHERE id = ?1", (&id, project))
                            .map_err(other)?;
                        filled += 1;
                    }
                }
                Err(e) => {
                    tracing::warn!(interview_id = %id, error = %e, "cannot read the item to file it under its project; it stays unlisted")
                }
            }
        }
        tracing::info!(filled, "added the project column to the item table");
    }
    tx.execute_batch("CREATE INDEX IF NOT EXISTS by_project ON interviews (project, updated_at, id)")
        .map_err(other)?;
    tx.commit().map_err(other)
}

/// The statement for one project's part of a page, and its parameters.
fn project_statement(query: &PageQuery, project: &str, limit: usize) -> (String, Vec<Value>) {
    let mut sql = String::from("SELECT id, item FROM interviews INDEXED BY by_project WHERE project = ?");
    let mut values: Vec<Value> = vec![Value::Text(project.to_string())];
    if let Some(after) = &query.after {
        let (time, id) = after.parts();
        sql.push_str(" AND (updated_at, id) < (?, ?)");
        values.push(Value::Text(time.to_string()));
        values.push(Value::Text(id.to_string()));
    }
    if let Some(since) = query.updated_since {
        sql.push_str(" AND updated_at >= ?");
        values.push(Value::Text(sortable_time(since)));
    }
    match query.status {
        Some(status) => {
            sql.push_str(" AND status = ?");
            values.push(Value::Text(status.to_string()));
        }
        None => {
            sql.push_str(" AND status != ?");
            values.push(Value::Text(Status::Deleted.to_string()));
        }
    }
    if let Some(step) = query.step {
        sql.push_str(" AND json_extract(item, '$.step') = ?");
        values.push(Value::Text(step.to_string()));
    }
    if let Some(kind) = query.error_kind {
        sql.push_str(" AND json_extract(item, '$.error.kind') = ?");
        values.push(Value::Text(kind.as_str().to_string()));
    }
    sql.push_str(" ORDER BY updated_at DESC, id DESC LIMIT ?");
    values.push(Value::Integer(limit as i64));
    (sql, values)
}

/// One page: each project read through the index (filters applied before the limit, so a
/// project's part is exact), then merged newest first.
pub(crate) async fn page(store: &SqliteStore, query: &PageQuery) -> Result<Page, StoreError> {
    let query = query.clone();
    store
        .with_conn(move |conn| {
            let limit = query.bounded_limit();
            let mut parts = Vec::with_capacity(query.projects.len());
            for project in &query.projects {
                let (sql, values) = project_statement(&query, project, limit);
                let mut stmt = conn.prepare_cached(&sql).map_err(other)?;
                let rows = stmt
                    .query_map(params_from_iter(values), |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                    })
                    .map_err(other)?;
                let mut items = Vec::new();
                for row in rows {
                    let (id, json) = row.map_err(other)?;
                    items.extend(InterviewSummary::of(&decode(&id, &json)?));
                }
                let stop = (items.len() == limit)
                    .then(|| items.last().map(InterviewSummary::list_key))
                    .flatten();
                parts.push((items, stop));
            }
            Ok(merge_pages(parts, limit))
        })
        .await
}

impl SqliteStore {
    /// SQLite's plan for one project's page query, to show that it searches the index.
    pub async fn page_query_plan(&self, query: &PageQuery) -> Result<String, StoreError> {
        let query = query.clone();
        self.with_conn(move |conn| {
            let project = query.projects.first().cloned().unwrap_or_default();
            let (sql, values) = project_statement(&query, &project, query.bounded_limit());
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).map_err(other)?;
            let details = stmt
                .query_map(params_from_iter(values), |r| r.get::<_, String>(3))
                .map_err(other)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(other)?;
            Ok(details.join("; "))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::ItemStore;
    use interview_testkit::store_contract::{project_item, unique_project};

    #[tokio::test]
    async fn the_page_query_searches_the_project_index() {
        let store = SqliteStore::in_memory().unwrap();
        let mut query = PageQuery::project("acme", 50);
        query.status = Some(Status::Ready);
        query.after = Some(crate::listing::PageCursor::after(
            "2026-01-01T00:00:00.000000Z|iv-000000000000000000000000".into(),
        ));
        let plan = store.page_query_plan(&query).await.unwrap();
        assert!(
            plan.contains("SEARCH interviews USING INDEX by_project (project=?"),
            "{plan}"
        );
        assert!(
            !plan.contains("TEMP B-TREE"),
            "the index gives the order, nothing is sorted: {plan}"
        );
    }

    #[tokio::test]
    async fn a_table_from_before_the_project_column_gets_it_filled_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("items.sqlite");
        let project = unique_project("old");
        let item = project_item(&project, "old", 1);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE interviews (id TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL,
                 run_id TEXT NOT NULL, status TEXT NOT NULL, updated_at TEXT NOT NULL,
                 live_shard INTEGER, item TEXT NOT NULL);",
            )
            .unwrap();
            conn.execute(
                "INSERT INTO interviews VALUES (?1, 1, ?2, 'queued', ?3, 0, ?4)",
                (
                    item.id.as_str(),
                    item.run_id.as_str(),
                    sortable_time(item.updated_at),
                    serde_json::to_string(&item).unwrap(),
                ),
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let page = store.page(&PageQuery::project(&project, 5)).await.unwrap();
        assert_eq!(page.items.len(), 1, "the old item is listed under its project");
        drop(store);
        let reopened = SqliteStore::open(&path).unwrap();
        assert_eq!(
            reopened
                .page(&PageQuery::project(&project, 5))
                .await
                .unwrap()
                .items
                .len(),
            1
        );
    }
}

/// The projects with interviews that are not deleted, sorted, read from the project index.
pub(crate) async fn projects(store: &SqliteStore) -> Result<Vec<String>, StoreError> {
    store
        .with_conn(|conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT DISTINCT project FROM interviews INDEXED BY by_project \
                     WHERE project IS NOT NULL AND status != ?1 ORDER BY project LIMIT ?2",
                )
                .map_err(other)?;
            let rows = stmt
                .query_map(
                    rusqlite::params![Status::Deleted.to_string(), crate::ports::MAX_LISTED_PROJECTS as i64],
                    |r| r.get::<_, String>(0),
                )
                .map_err(other)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(other)
        })
        .await
}
