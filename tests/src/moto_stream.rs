//! Reads a moto table's DynamoDB stream from its start (DescribeStream, GetShardIterator,
//! GetRecords), so tests can pass the records through the events function's code exactly as the
//! stack's pipe does. The streams API is called as JSON over HTTP: moto routes a `dynamodb`
//! request whose target is `DynamoDBStreams_20120810.*` to its streams backend.

use interview_handlers::stream_events::StreamRecord;
use interview_testkit::http::HttpClient;
use serde_json::{json, Value};

/// The most GetRecords calls per shard (a bound, far above what a test table writes).
const MAX_READS: usize = 10_000;

async fn call(client: &HttpClient, endpoint: &str, action: &str, body: Value) -> Result<Value, String> {
    let target = format!("DynamoDBStreams_20120810.{action}");
    let answer = client
        .send(
            "POST",
            endpoint,
            &[
                ("content-type", "application/x-amz-json-1.0"),
                ("x-amz-target", &target),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
                ),
            ],
            body.to_string().into_bytes(),
        )
        .await?;
    if answer.status != 200 {
        return Err(format!(
            "{action}: HTTP {} {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        ));
    }
    Ok(answer.json())
}

/// Every record of `table`'s stream so far, in stream order.
pub async fn records(table: &str) -> Result<Vec<StreamRecord>, String> {
    let config = crate::moto_config().await;
    let endpoint = crate::moto().await.endpoint().to_string();
    let described = aws_sdk_dynamodb::Client::new(&config)
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|e| format!("DescribeTable {table}: {e}"))?;
    let arn = described
        .table()
        .and_then(|t| t.latest_stream_arn())
        .ok_or_else(|| format!("table {table} has no stream"))?
        .to_string();
    let client = HttpClient::default();
    let stream = call(&client, &endpoint, "DescribeStream", json!({ "StreamArn": arn })).await?;
    let shards: Vec<String> = stream["StreamDescription"]["Shards"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["ShardId"].as_str().map(str::to_string))
        .collect();
    let mut records = Vec::new();
    for shard in shards {
        let start = json!({ "StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON" });
        let mut iterator = call(&client, &endpoint, "GetShardIterator", start).await?["ShardIterator"].clone();
        for _ in 0..MAX_READS {
            if !iterator.is_string() {
                break;
            }
            let page = call(
                &client,
                &endpoint,
                "GetRecords",
                json!({ "ShardIterator": iterator, "Limit": 1000 }),
            )
            .await?;
            let batch = page["Records"].as_array().cloned().unwrap_or_default();
            if batch.is_empty() {
                break;
            }
            for record in batch {
                records.push(serde_json::from_value(record).map_err(|e| format!("a stream record: {e}"))?);
            }
            iterator = page["NextShardIterator"].clone();
        }
    }
    Ok(records)
}
