//! The one read-modify-write path for items: fenced on the run, conditional on the version,
//! checked against the transition table, bumping `version` and `updated_at` on every write.

use super::{check_transition, Interview, InterviewId, RunId, ITEM_SCHEMA_VERSION};
use crate::error::{StoreError, TaskError};
use crate::ports::{Expected, ItemStore};
use chrono::{DateTime, Utc};

/// What an update closure decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Write the modified item.
    Write,
    /// Nothing to change (an idempotent repeat); no write is made.
    Skip,
}

/// How many times a write is re-tried after losing a version race before giving up.
const MAX_VERSION_RACES: u32 = 8;

/// Reads the item, applies `change`, and writes it back conditionally.
///
/// With `run = Some(r)`, the item must belong to run `r`, or the caller is superseded and gets
/// [`TaskError::Superseded`] without anything being written. A lost version race re-reads and
/// re-applies `change`, so `change` must be a pure function of the item it is given.
pub async fn update_item<F>(
    store: &dyn ItemStore,
    id: &InterviewId,
    run: Option<&RunId>,
    now: impl Fn() -> DateTime<Utc>,
    mut change: F,
) -> Result<Interview, TaskError>
where
    F: FnMut(&mut Interview) -> Result<Change, TaskError>,
{
    let mut races = 0;
    loop {
        let current = store
            .get(id)
            .await?
            .ok_or_else(|| TaskError::Internal(format!("no item with id {id}")))?;
        if let Some(run) = run {
            if &current.run_id != run {
                return Err(TaskError::Superseded(format!(
                    "interview {id} now belongs to run {}, not {run}; this run stops here",
                    current.run_id
                )));
            }
        }
        let mut next = current.clone();
        if change(&mut next)? == Change::Skip {
            return Ok(current);
        }
        check_transition(Some(current.status), next.status)
            .map_err(|e| TaskError::Internal(format!("interview {id}: {e}")))?;
        next.id = current.id.clone();
        next.schema_version = ITEM_SCHEMA_VERSION;
        next.version = current.version + 1;
        next.updated_at = now().max(current.updated_at);
        let expected = Expected {
            version: current.version,
            run_id: current.run_id.clone(),
        };
        match store.replace(&next, &expected).await {
            Ok(()) => return Ok(next),
            Err(StoreError::VersionConflict(_)) if races < MAX_VERSION_RACES => {
                races += 1;
                tracing::debug!(interview_id = %id, races, "lost a version race; re-reading");
            }
            Err(e) => return Err(e.into()),
        }
    }
}
