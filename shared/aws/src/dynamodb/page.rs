//! The API's listing on DynamoDB: one Query of the project index per project, one index page
//! each (`Limit` = the page size), merged newest first. Filters are a `FilterExpression` over
//! projected attributes, so a page examines at most `limit` index entries per project (one more
//! when it continues below a cursor within an `updated_since` range) and may return fewer.

use super::{attr_str, store_error, Attributes, DynamoStore, Units, PROJECT_INDEX};
use crate::domain::Status;
use crate::error::StoreError;
use crate::listing::{merge_pages, InterviewSummary, Page, PageQuery};
use crate::ports::sortable_time;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};

fn summary_of(row: &Attributes) -> Result<InterviewSummary, StoreError> {
    let id = attr_str(row, "id").unwrap_or("<no id>");
    let json = attr_str(row, "summary").ok_or_else(|| StoreError::Corrupt {
        id: id.to_string(),
        reason: "the project index row has no `summary` attribute".into(),
    })?;
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        id: id.to_string(),
        reason: format!("the list row cannot be read: {e}"),
    })
}

/// One project's part of the page: the rows it returned and the key its read stopped at when
/// the index has more below it.
async fn query_project(
    store: &DynamoStore,
    query: &PageQuery,
    project: &str,
) -> Result<(Vec<InterviewSummary>, Option<String>), StoreError> {
    let limit = query.bounded_limit();
    let before = query.after.as_ref().map(|c| c.key().to_string());
    let since = query.updated_since.map(sortable_time);
    let mut request = store
        .client
        .query()
        .table_name(&store.table)
        .index_name(PROJECT_INDEX)
        .scan_index_forward(false)
        .expression_attribute_names("#project", "project")
        .expression_attribute_values(":project", AttributeValue::S(project.to_string()))
        .return_consumed_capacity(ReturnConsumedCapacity::Total);
    // A key condition takes one range on the sort key: below the cursor, from `since`, or both
    // (BETWEEN is inclusive, so the cursor's own row is read once more and dropped below).
    let (range, extra) = match (&before, &since) {
        (None, None) => ("", 0),
        (Some(_), None) => (" AND #key < :before", 0),
        (None, Some(_)) => (" AND #key >= :since", 0),
        (Some(_), Some(_)) => (" AND #key BETWEEN :since AND :before", 1),
    };
    request = request
        .key_condition_expression(format!("#project = :project{range}"))
        .limit(i32::try_from(limit + extra).unwrap_or(i32::MAX));
    if !range.is_empty() {
        request = request.expression_attribute_names("#key", "list_key");
    }
    if let Some(before) = &before {
        request = request.expression_attribute_values(":before", AttributeValue::S(before.clone()));
    }
    if let Some(since) = &since {
        request = request.expression_attribute_values(":since", AttributeValue::S(since.clone()));
    }
    let mut filters = Vec::new();
    request = request.expression_attribute_names("#status", "status");
    match query.status {
        Some(status) => {
            filters.push("#status = :status");
            request = request.expression_attribute_values(":status", AttributeValue::S(status.to_string()));
        }
        None => {
            filters.push("#status <> :deleted");
            request = request.expression_attribute_values(":deleted", AttributeValue::S(Status::Deleted.to_string()));
        }
    }
    if let Some(step) = query.step {
        filters.push("#step = :step");
        request = request
            .expression_attribute_names("#step", "step")
            .expression_attribute_values(":step", AttributeValue::S(step.to_string()));
    }
    if let Some(kind) = query.error_kind {
        filters.push("#kind = :kind");
        request = request
            .expression_attribute_names("#kind", "error_kind")
            .expression_attribute_values(":kind", AttributeValue::S(kind.as_str().to_string()));
    }
    let out = request
        .filter_expression(filters.join(" AND "))
        .send()
        .await
        .map_err(store_error)?;
    store.record(Units::Read, out.consumed_capacity(), out.scanned_count());
    let mut items = Vec::new();
    for row in out.items() {
        if before.is_some() && attr_str(row, "list_key") == before.as_deref() {
            continue;
        }
        items.push(summary_of(row)?);
    }
    let stop = out
        .last_evaluated_key()
        .and_then(|key| attr_str(key, "list_key"))
        .map(str::to_string);
    Ok((items, stop))
}

pub(super) async fn page(store: &DynamoStore, query: &PageQuery) -> Result<Page, StoreError> {
    let mut parts = Vec::with_capacity(query.projects.len());
    for project in &query.projects {
        parts.push(query_project(store, query, project).await?);
    }
    Ok(merge_pages(parts, query.bounded_limit()))
}
