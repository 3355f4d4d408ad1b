//! What the status events add per interview on AWS (docs/events.md): the table's stream read by
//! the pipe, the pipe's requests, the enrichment function's invocations and the events put on
//! the bus. Counted from the same measured run as the rest of the cost section: the item writes
//! (every write is a stream record that passes the pipe's INSERT/MODIFY filter) and the events
//! the writes produced (the embedded outbox of that run, which holds exactly the same events).

use crate::cost::{CostCase, LambdaModel, Line, Prices};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// EventBridge prices.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventBridgePrices {
    /// Pricing page.
    pub source: String,
    /// USD per million custom events published to a bus (each 64 KB chunk counts as one).
    pub custom_events_per_million: f64,
    /// USD per million Pipes requests after filtering (each 64 KB chunk of a batch counts as one).
    pub pipes_requests_per_million: f64,
}

/// DynamoDB Streams prices.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamsPrices {
    /// Pricing page.
    pub source: String,
    /// USD per 100,000 stream read request units (one per GetRecords call).
    pub read_request_units_per_100k: f64,
}

/// The modelled time of one enrichment invocation: it decodes a few small items, no AWS call.
const ENRICHMENT_MS: f64 = 5.0;

/// Polls per second per stream shard by the pipe while idle (as Lambda's stream poller does).
const IDLE_POLLS_PER_SECOND: f64 = 4.0;

/// The per-interview line. An upper bound on requests: each write is billed as its own pipe
/// request, enrichment invocation and GetRecords call, as if no two writes shared a batch.
pub fn per_interview(case: &CostCase, prices: &Prices, memory: &BTreeMap<String, u32>) -> Line {
    let records = case.dynamodb.writes as f64;
    let events = case.events as f64;
    let mb = f64::from(*memory.get("events").unwrap_or(&128));
    let eb = &prices.eventbridge;
    let usd = records * prices.dynamodb_streams.read_request_units_per_100k / 1e5
        + records * eb.pipes_requests_per_million / 1e6
        + records
            * (prices.lambda.requests_per_million / 1e6
                + ENRICHMENT_MS / 1e3 * mb / 1024.0 * prices.lambda.arm64_per_gb_second)
        + events * eb.custom_events_per_million / 1e6;
    Line {
        service: "Status events".into(),
        usage: format!(
            "{} stream records → ≤{} pipe requests, ≤{} enrichment invocations ({mb:.0} MB, ~{ENRICHMENT_MS:.0} ms), {} events on the bus",
            case.dynamodb.writes, case.dynamodb.writes, case.dynamodb.writes, case.events
        ),
        usd,
    }
}

/// The fixed monthly cost of the pipe polling an idle stream (one shard).
pub fn idle_monthly(prices: &Prices, _model: &LambdaModel) -> Line {
    let polls = IDLE_POLLS_PER_SECOND * 86_400.0 * 30.0;
    Line {
        service: "Status events (fixed)".into(),
        usage: format!(
            "{polls:.0} GetRecords/month polling one idle stream shard ({IDLE_POLLS_PER_SECOND:.0}/s, assumed)"
        ),
        usd: polls * prices.dynamodb_streams.read_request_units_per_100k / 1e5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_prices_include_eventbridge_and_streams() {
        let prices = Prices::builtin();
        assert!(prices.eventbridge.custom_events_per_million > 0.0);
        assert!(prices.eventbridge.pipes_requests_per_million > 0.0);
        assert!(prices.dynamodb_streams.read_request_units_per_100k > 0.0);
        assert!(prices.eventbridge.source.starts_with("https://"));
    }
}
