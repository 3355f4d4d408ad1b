//! Item stores: DynamoDB and SQLite, with one contract suite for both.

pub mod contract;
pub mod dynamodb;
pub mod metered;
pub mod sqlite;

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats a time so that string order is time order (fixed precision, UTC, `Z`).
///
/// Both stores sort and range-query `updated_at` as a string, so every writer must use this.
pub fn sortable_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}
