//! The cloud item store: one DynamoDB item per interview, with the same conditional-write
//! semantics as the SQLite store (the contract suite in [`super::contract`] runs against both).
//!
//! # Attribute layout
//! - `id` (S): the partition key.
//! - `version` (N), `run_id` (S): what every conditional `replace` checks.
//! - `status` (S), `updated_at` (S, [`sortable_time`]): what `list` filters on and the sweeper's
//!   index sorts on.
//! - `live_shard` (S, `"0"`..`"3"`): present only while the item is live
//!   ([`Interview::live_shard`]). A `replace` is a PutItem of the whole item, so a terminal item
//!   simply has no `live_shard` and drops out of the sparse index [`LIVE_INDEX`].
//! - `item` (S): the whole item as JSON.
//! - `project` (S), `list_key` (S, `<updated_at>|<id>`): the keys of the project index
//!   [`PROJECT_INDEX`], which API listings read a page at a time; `project` is absent for an
//!   upload outside `uploads/<project>/`, which the index then leaves out.
//! - `step` (S), `error_kind` (S, failed items only), `summary` (S, the list row as JSON): the
//!   only attributes the project index projects besides its keys and `status`, so a page reads
//!   rows of a few hundred bytes, not whole items.
//!
//! The item is kept as one JSON string rather than a native map: it round-trips exactly what
//! serde writes (the same encoding the SQLite store uses, so both stores hold identical bytes),
//! needs no hand-written attribute mapping to drift from the domain type, and every write
//! replaces the whole item anyway, so nothing gains from addressing nested attributes. The
//! cost is that the console shows the item as one string; the top-level attributes above keep
//! the fields people filter on readable. A typical item is 1–2 KB (see [`stored_size`]), far
//! below DynamoDB's 400 KB item limit: the transcript and results live in S3, never in the item.

use crate::domain::{Interview, InterviewId, LIVE_SHARDS};
use crate::error::StoreError;
use crate::listing::{list_key, InterviewSummary, PageQuery};
use crate::ports::sortable_time;
use crate::ports::{Expected, ItemStore, ListQuery};
use async_trait::async_trait;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConsumedCapacity, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ReturnConsumedCapacity, ReturnValuesOnConditionCheckFailure,
    ScalarAttributeType, StreamSpecification, StreamViewType,
};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// The sparse global secondary index the sweeper reads: partition `live_shard`, sort `updated_at`.
pub const LIVE_INDEX: &str = "live-by-updated";

/// The index API listings read: partition `project`, sort `list_key`.
pub const PROJECT_INDEX: &str = "by-project";

/// The attributes [`PROJECT_INDEX`] projects besides the keys: what a list row and its filters need.
pub const PROJECT_INDEX_ATTRIBUTES: [&str; 4] = ["status", "step", "error_kind", "summary"];

mod page;

/// Error codes DynamoDB uses when it is shedding load; all mean "back off and retry".
const THROTTLING_CODES: [&str; 4] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "Throttling",
];

type Attributes = HashMap<String, AttributeValue>;

/// Capacity and traffic a [`DynamoStore`] has used since it was built, as DynamoDB reported it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CapacityUsage {
    /// Read capacity units consumed by gets, queries and scans.
    pub read_units: f64,
    /// Write capacity units consumed by successful puts (refused conditional writes report none).
    pub write_units: f64,
    /// Requests sent (every page of a query or scan counts).
    pub requests: u64,
    /// Items DynamoDB examined for queries and scans (`ScannedCount`), before any filter: what
    /// shows whether a read followed the live items or the whole table.
    pub items_examined: u64,
}

/// DynamoDB-backed [`ItemStore`].
#[derive(Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    page_size: Option<i32>,
    usage: Mutex<CapacityUsage>,
}

/// Which capacity a response's consumed units are billed against.
#[derive(Clone, Copy)]
enum Units {
    Read,
    Write,
}

impl DynamoStore {
    /// A store over `table`, which must have the layout [`create_table`] makes.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            page_size: None,
            usage: Mutex::new(CapacityUsage::default()),
        }
    }

    /// Caps the items per query or scan page. DynamoDB's own 1 MB pages are the default; a small
    /// page makes the pagination paths observable in tests.
    pub fn with_page_size(mut self, items: i32) -> Self {
        self.page_size = Some(items.max(1));
        self
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// `(read units, write units)` consumed since the store was built, as DynamoDB reported them
    /// (`ReturnConsumedCapacity=TOTAL`), for the per-interview cost figures.
    pub fn consumed_capacity(&self) -> (f64, f64) {
        let usage = self.usage();
        (usage.read_units, usage.write_units)
    }

    /// Everything the store has counted so far.
    pub fn usage(&self) -> CapacityUsage {
        *self.usage.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, units: Units, consumed: Option<&ConsumedCapacity>, examined: i32) {
        let mut usage = self.usage.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        usage.requests += 1;
        usage.items_examined += u64::try_from(examined).unwrap_or(0);
        let Some(consumed) = consumed else { return };
        match units {
            Units::Read => {
                usage.read_units += consumed
                    .read_capacity_units()
                    .or(consumed.capacity_units())
                    .unwrap_or(0.0)
            }
            Units::Write => {
                usage.write_units += consumed
                    .write_capacity_units()
                    .or(consumed.capacity_units())
                    .unwrap_or(0.0)
            }
        }
    }

    fn record_refused(&self) {
        self.usage
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .requests += 1;
    }

    /// Reads the stored `run_id` after a refused replace whose error carried no old item (a
    /// service that ignores `ReturnValuesOnConditionCheckFailure`), so the refusal is still
    /// classified from what is really stored.
    async fn stored_item(&self, id: &str) -> Result<Option<Attributes>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(id.to_string()))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(store_error)?;
        self.record(Units::Read, out.consumed_capacity(), 0);
        Ok(out.item)
    }

    /// Runs one Scan (for `list`) or Query (for the sweeper) to the last page.
    async fn read_all_pages<F, Fut>(&self, mut page: F) -> Result<Vec<Interview>, StoreError>
    where
        F: FnMut(Option<Attributes>) -> Fut,
        Fut: std::future::Future<Output = Result<Page, StoreError>>,
    {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let Page {
                rows,
                consumed,
                examined,
                next,
            } = page(start.take()).await?;
            self.record(Units::Read, consumed.as_ref(), examined);
            for row in &rows {
                items.push(decode(row)?);
            }
            match next {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    async fn query_shard(&self, shard: u32, cutoff: &str, start: Option<Attributes>) -> Result<Page, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(LIVE_INDEX)
            .key_condition_expression("#shard = :shard AND #updated < :cutoff")
            .expression_attribute_names("#shard", "live_shard")
            .expression_attribute_names("#updated", "updated_at")
            .expression_attribute_values(":shard", AttributeValue::S(shard.to_string()))
            .expression_attribute_values(":cutoff", AttributeValue::S(cutoff.to_string()))
            .set_exclusive_start_key(start)
            .set_limit(self.page_size)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(store_error)?;
        Ok(Page {
            examined: out.scanned_count(),
            consumed: out.consumed_capacity,
            next: out.last_evaluated_key,
            rows: out.items.unwrap_or_default(),
        })
    }

    async fn scan_page(&self, query: &ListQuery, start: Option<Attributes>) -> Result<Page, StoreError> {
        let mut request = self
            .client
            .scan()
            .table_name(&self.table)
            .projection_expression("#id, #item")
            .expression_attribute_names("#id", "id")
            .expression_attribute_names("#item", "item")
            .set_exclusive_start_key(start)
            .set_limit(self.page_size)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        if let Some(status) = query.status {
            request = request
                .filter_expression("#status = :status")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":status", AttributeValue::S(status.to_string()));
        } else if !query.include_deleted {
            request = request
                .filter_expression("#status <> :deleted")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(
                    ":deleted",
                    AttributeValue::S(crate::domain::Status::Deleted.to_string()),
                );
        }
        let out = request.send().await.map_err(store_error)?;
        Ok(Page {
            examined: out.scanned_count(),
            consumed: out.consumed_capacity,
            next: out.last_evaluated_key,
            rows: out.items.unwrap_or_default(),
        })
    }
}

/// One page of a Query or Scan.
struct Page {
    rows: Vec<Attributes>,
    consumed: Option<ConsumedCapacity>,
    examined: i32,
    next: Option<Attributes>,
}

/// The attributes written for an item (see the module docs for the layout).
fn attributes_of(item: &Interview) -> Result<Attributes, StoreError> {
    let json = serde_json::to_string(item).map_err(|e| StoreError::Corrupt {
        id: item.id.to_string(),
        reason: format!("cannot encode the item: {e}"),
    })?;
    let mut attrs = HashMap::from([
        ("id".to_string(), AttributeValue::S(item.id.to_string())),
        ("version".to_string(), AttributeValue::N(item.version.to_string())),
        ("run_id".to_string(), AttributeValue::S(item.run_id.to_string())),
        ("status".to_string(), AttributeValue::S(item.status.to_string())),
        (
            "updated_at".to_string(),
            AttributeValue::S(sortable_time(item.updated_at)),
        ),
        ("item".to_string(), AttributeValue::S(json)),
    ]);
    if let Some(shard) = item.live_shard(LIVE_SHARDS) {
        attrs.insert("live_shard".to_string(), AttributeValue::S(shard.to_string()));
    }
    attrs.insert("step".to_string(), AttributeValue::S(item.step.to_string()));
    attrs.insert("list_key".to_string(), AttributeValue::S(list_key(item)));
    if let Some(error) = &item.error {
        attrs.insert(
            "error_kind".to_string(),
            AttributeValue::S(error.kind.as_str().to_string()),
        );
    }
    if let Some(summary) = InterviewSummary::of(item) {
        let json = serde_json::to_string(&summary).map_err(|e| StoreError::Corrupt {
            id: item.id.to_string(),
            reason: format!("cannot encode the list row: {e}"),
        })?;
        attrs.insert("project".to_string(), AttributeValue::S(summary.project));
        attrs.insert("summary".to_string(), AttributeValue::S(json));
    }
    Ok(attrs)
}

/// The size DynamoDB bills for an item as this store writes it: attribute names plus values
/// (strings as UTF-8 bytes, numbers as about one byte per two digits plus one).
///
/// A write costs one write unit per started KB of this size, plus the same again for the sparse
/// index while the item is live (the index projects every attribute).
pub fn stored_size(item: &Interview) -> Result<usize, StoreError> {
    Ok(attributes_of(item)?
        .iter()
        .map(|(name, value)| {
            name.len()
                + match value {
                    AttributeValue::S(s) => s.len(),
                    AttributeValue::N(n) => n.trim_start_matches('-').len().div_ceil(2) + 1,
                    _ => 0,
                }
        })
        .sum())
}

fn attr_str<'a>(attrs: &'a Attributes, name: &str) -> Option<&'a str> {
    attrs.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

fn decode(attrs: &Attributes) -> Result<Interview, StoreError> {
    let id = attr_str(attrs, "id").unwrap_or("<no id>");
    let json = attr_str(attrs, "item").ok_or_else(|| StoreError::Corrupt {
        id: id.to_string(),
        reason: "the `item` attribute is missing or not a string".into(),
    })?;
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        id: id.to_string(),
        reason: e.to_string(),
    })
}

/// What an operation's modeled errors say about retrying. Modeled errors are matched by variant
/// (a deserialized error also carries its code, but one built in code or by a mock does not).
trait Fault {
    /// DynamoDB is shedding load.
    fn throttled(&self) -> bool;
    /// DynamoDB failed on its side.
    fn server_fault(&self) -> bool;
}

macro_rules! data_plane_fault {
    ($($error:ty),*) => {$(
        impl Fault for $error {
            fn throttled(&self) -> bool {
                self.is_provisioned_throughput_exceeded_exception()
                    || self.is_throttling_exception()
                    || self.is_request_limit_exceeded()
            }
            fn server_fault(&self) -> bool {
                self.is_internal_server_error()
            }
        }
    )*};
}

data_plane_fault!(
    aws_sdk_dynamodb::operation::get_item::GetItemError,
    PutItemError,
    aws_sdk_dynamodb::operation::query::QueryError,
    aws_sdk_dynamodb::operation::scan::ScanError
);

impl Fault for CreateTableError {
    fn throttled(&self) -> bool {
        self.is_limit_exceeded_exception()
    }
    fn server_fault(&self) -> bool {
        self.is_internal_server_error()
    }
}

/// Maps an SDK failure onto the store's errors: throttling → `Throttled`, network, timeouts and
/// 5xx → `Unavailable`, anything else → `Other` with the service's code and message.
fn store_error<E>(err: SdkError<E, HttpResponse>) -> StoreError
where
    E: Fault + ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(context) => {
            let error = context.err();
            let code = error.code().unwrap_or_default();
            let described = error.to_string();
            let text = match error.message() {
                Some(message) if !described.contains(message) => format!("{described}: {message}"),
                _ => described,
            };
            if error.throttled() || THROTTLING_CODES.contains(&code) {
                StoreError::Throttled(text)
            } else if error.server_fault()
                || context.raw().status().is_server_error()
                || matches!(code, "InternalServerError" | "ServiceUnavailable")
            {
                StoreError::Unavailable(text)
            } else {
                StoreError::Other(text)
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(DisplayErrorContext(&err).to_string())
        }
        _ => StoreError::Other(DisplayErrorContext(&err).to_string()),
    }
}

/// Classifies a refused conditional replace from the item that was stored at that moment.
fn refused_replace(id: &str, old: Option<&Attributes>, expected: &Expected) -> StoreError {
    let Some(old) = old else {
        return StoreError::NotFound(id.to_string());
    };
    let attempted = expected.run_id.to_string();
    match attr_str(old, "run_id") {
        Some(current) if current != attempted => StoreError::RunFenced {
            id: id.to_string(),
            current: current.to_string(),
            attempted,
        },
        _ => StoreError::VersionConflict(id.to_string()),
    }
}

#[async_trait]
impl ItemStore for DynamoStore {
    async fn get(&self, id: &InterviewId) -> Result<Option<Interview>, StoreError> {
        self.stored_item(id.as_str()).await?.as_ref().map(decode).transpose()
    }

    async fn create(&self, item: &Interview) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(attributes_of(item)?))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", "id")
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(out) => {
                self.record(Units::Write, out.consumed_capacity(), 0);
                Ok(())
            }
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                self.record_refused();
                Err(StoreError::AlreadyExists(item.id.to_string()))
            }
            Err(err) => Err(store_error(err)),
        }
    }

    async fn replace(&self, item: &Interview, expected: &Expected) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(attributes_of(item)?))
            .condition_expression("#version = :version AND #run_id = :run_id")
            .expression_attribute_names("#version", "version")
            .expression_attribute_names("#run_id", "run_id")
            .expression_attribute_values(":version", AttributeValue::N(expected.version.to_string()))
            .expression_attribute_values(":run_id", AttributeValue::S(expected.run_id.to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        let err = match result {
            Ok(out) => {
                self.record(Units::Write, out.consumed_capacity(), 0);
                return Ok(());
            }
            Err(err) => err,
        };
        let id = item.id.as_str();
        match err.as_service_error() {
            Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                self.record_refused();
                match failed.item() {
                    Some(old) => Err(refused_replace(id, Some(old), expected)),
                    None => {
                        let old = self.stored_item(id).await?;
                        Err(refused_replace(id, old.as_ref(), expected))
                    }
                }
            }
            _ => Err(store_error(err)),
        }
    }

    /// Scans the whole table (filtering on `status`) and sorts newest first. This is the
    /// operator's listing, not a hot path: its cost grows with the table, which is why the
    /// sweeper uses [`ItemStore::live_items_updated_before`] instead.
    async fn list(&self, query: &ListQuery) -> Result<Vec<Interview>, StoreError> {
        let mut items = self.read_all_pages(|start| self.scan_page(query, start)).await?;
        items.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then_with(|| a.id.cmp(&b.id)));
        if let Some(limit) = query.limit {
            items.truncate(limit);
        }
        Ok(items)
    }

    /// Queries the sparse index once per shard (following every page), never the table.
    async fn live_items_updated_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<Interview>, StoreError> {
        let cutoff = sortable_time(cutoff);
        let mut items = Vec::new();
        for shard in 0..LIVE_SHARDS {
            let cutoff = cutoff.as_str();
            items.extend(
                self.read_all_pages(|start| self.query_shard(shard, cutoff, start))
                    .await?,
            );
        }
        items.sort_by(|a, b| a.updated_at.cmp(&b.updated_at).then_with(|| a.id.cmp(&b.id)));
        Ok(items)
    }

    /// Queries the project index once per project (one page of it each), never the table.
    async fn page(&self, query: &PageQuery) -> Result<crate::listing::Page, StoreError> {
        page::page(self, query).await
    }
}

/// Creates the interview table as `infra/template.yaml` declares it (on-demand billing, partition
/// key `id`, the sparse index [`LIVE_INDEX`] projecting every attribute, the project index
/// [`PROJECT_INDEX`] projecting the list row, the stream of both images the status events read)
/// and waits until it is active. For tests and local setups; deployments get the table from the template.
///
/// A table that already exists is left as it is and counts as success, so setup can be rerun.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let string_attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))
    };
    let index = GlobalSecondaryIndex::builder()
        .index_name(LIVE_INDEX)
        .key_schema(key("live_shard", KeyType::Hash)?)
        .key_schema(key("updated_at", KeyType::Range)?)
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()
        .map_err(|e| StoreError::Other(e.to_string()))?;
    let mut projected = Projection::builder().projection_type(ProjectionType::Include);
    for name in PROJECT_INDEX_ATTRIBUTES {
        projected = projected.non_key_attributes(name);
    }
    let by_project = GlobalSecondaryIndex::builder()
        .index_name(PROJECT_INDEX)
        .key_schema(key("project", KeyType::Hash)?)
        .key_schema(key("list_key", KeyType::Range)?)
        .projection(projected.build())
        .build()
        .map_err(|e| StoreError::Other(e.to_string()))?;
    let result = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attr("id")?)
        .attribute_definitions(string_attr("live_shard")?)
        .attribute_definitions(string_attr("updated_at")?)
        .attribute_definitions(string_attr("project")?)
        .attribute_definitions(string_attr("list_key")?)
        .key_schema(key("id", KeyType::Hash)?)
        .global_secondary_indexes(index)
        .global_secondary_indexes(by_project)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?,
        )
        .send()
        .await;
    match result {
        Ok(_) => {}
        Err(err)
            if matches!(
                err.as_service_error(),
                Some(CreateTableError::ResourceInUseException(_))
            ) => {}
        Err(err) => return Err(store_error(err)),
    }
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(Duration::from_secs(300))
        .await
        .map_err(|e| {
            StoreError::Unavailable(format!(
                "table {table} did not become active: {}",
                DisplayErrorContext(&e)
            ))
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{RunId, Status};
    use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
    use aws_sdk_dynamodb::types::error::{ConditionalCheckFailedException, ProvisionedThroughputExceededException};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use interview_testkit::store_contract::sample_item;

    fn expected(item: &Interview) -> Expected {
        Expected {
            version: item.version,
            run_id: item.run_id.clone(),
        }
    }

    fn refusal(old: Option<&Interview>) -> PutItemError {
        let mut failed = ConditionalCheckFailedException::builder().message("The conditional request failed");
        if let Some(old) = old {
            failed = failed.set_item(Some(attributes_of(old).unwrap()));
        }
        PutItemError::ConditionalCheckFailedException(failed.build())
    }

    #[tokio::test]
    async fn a_refused_replace_is_classified_from_the_old_item_it_returns() {
        let item = sample_item("mock-fence");
        let mut newer_run = item.clone();
        newer_run.run_id = RunId::new(&item.id, 2);
        newer_run.version = 5;
        let mut moved_on = item.clone();
        moved_on.version = 2;

        let fenced_old = newer_run.clone();
        let conflict_old = moved_on.clone();
        let fenced = mock!(Client::put_item).then_error(move || refusal(Some(&fenced_old)));
        let conflict = mock!(Client::put_item).then_error(move || refusal(Some(&conflict_old)));
        let ok = mock!(Client::put_item)
            .match_requests(|req| {
                req.condition_expression() == Some("#version = :version AND #run_id = :run_id")
                    && req.return_values_on_condition_check_failure()
                        == Some(&ReturnValuesOnConditionCheckFailure::AllOld)
                    && req.item().and_then(|i| i.get("live_shard")).is_none()
            })
            .then_output(|| PutItemOutput::builder().build());
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&fenced, &conflict, &ok]);
        let store = DynamoStore::new(client, "t");

        match store.replace(&item, &expected(&item)).await.unwrap_err() {
            StoreError::RunFenced { current, attempted, .. } => {
                assert_eq!(current, newer_run.run_id.to_string());
                assert_eq!(attempted, item.run_id.to_string());
            }
            other => panic!("another run's item must fence the write, got {other:?}"),
        }
        let err = store.replace(&item, &expected(&item)).await.unwrap_err();
        assert!(matches!(err, StoreError::VersionConflict(_)), "{err:?}");

        let mut done = item.clone();
        done.status = Status::Ready;
        store.replace(&done, &expected(&item)).await.unwrap();
        assert_eq!((fenced.num_calls(), conflict.num_calls(), ok.num_calls()), (1, 1, 1));
    }

    #[tokio::test]
    async fn a_refusal_without_an_old_item_is_checked_with_a_consistent_read() {
        let item = sample_item("mock-missing");
        let refused = mock!(Client::put_item).then_error(|| refusal(None));
        let read = mock!(Client::get_item)
            .match_requests(|req| req.consistent_read() == Some(true))
            .then_output(|| aws_sdk_dynamodb::operation::get_item::GetItemOutput::builder().build());
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&refused, &read]);
        let store = DynamoStore::new(client, "t");
        let err = store.replace(&item, &expected(&item)).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
        assert_eq!(read.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_refused_create_means_the_id_exists() {
        let item = sample_item("mock-dup");
        let refused = mock!(Client::put_item)
            .match_requests(|req| req.condition_expression() == Some("attribute_not_exists(#id)"))
            .then_error(|| refusal(None));
        let client = mock_client!(aws_sdk_dynamodb, [&refused]);
        let err = DynamoStore::new(client, "t").create(&item).await.unwrap_err();
        assert!(matches!(err, StoreError::AlreadyExists(_)), "{err:?}");
    }

    #[tokio::test]
    async fn throttling_is_reported_as_throttled_after_the_sdk_retries() {
        let item = sample_item("mock-throttle");
        let throttled = mock!(Client::put_item)
            .sequence()
            .error(|| {
                PutItemError::ProvisionedThroughputExceededException(
                    ProvisionedThroughputExceededException::builder()
                        .message("Rate of requests exceeds the allowed throughput")
                        .build(),
                )
            })
            .repeatedly()
            .build();
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&throttled]);
        let err = DynamoStore::new(client, "t").create(&item).await.unwrap_err();
        match &err {
            StoreError::Throttled(message) => assert!(message.contains("allowed throughput"), "{message}"),
            other => panic!("expected Throttled, got {other:?}"),
        }
        assert!(err.is_transient());
        assert!(throttled.num_calls() >= 1);
    }

    #[tokio::test]
    async fn server_errors_are_unavailable_and_client_errors_are_other() {
        let item = sample_item("mock-5xx");
        let unavailable = mock!(Client::get_item)
            .sequence()
            .http_status(503, None)
            .repeatedly()
            .build();
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&unavailable]);
        let err = DynamoStore::new(client, "t").get(&item.id).await.unwrap_err();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");

        let missing_table = mock!(Client::get_item).then_error(|| {
            aws_sdk_dynamodb::operation::get_item::GetItemError::ResourceNotFoundException(
                aws_sdk_dynamodb::types::error::ResourceNotFoundException::builder()
                    .message("Requested resource not found")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_dynamodb, [&missing_table]);
        match DynamoStore::new(client, "t").get(&item.id).await.unwrap_err() {
            StoreError::Other(message) => assert!(message.contains("Requested resource not found"), "{message}"),
            other => panic!("expected Other, got {other:?}"),
        }
    }

    #[test]
    fn only_live_items_carry_the_sparse_index_key() {
        let item = sample_item("layout");
        let attrs = attributes_of(&item).unwrap();
        assert_eq!(
            attr_str(&attrs, "live_shard"),
            Some(item.live_shard(LIVE_SHARDS).unwrap().to_string().as_str())
        );
        assert_eq!(
            attr_str(&attrs, "updated_at"),
            Some(sortable_time(item.updated_at).as_str())
        );
        assert_eq!(decode(&attrs).unwrap(), item);
        let mut done = item;
        done.status = Status::Error;
        assert!(!attributes_of(&done).unwrap().contains_key("live_shard"));
        assert!(stored_size(&done).unwrap() > serde_json::to_string(&done).unwrap().len());
    }
}
