//! Status events on this machine: the outbox of the data dir's SQLite file, delivered to the
//! webhook (`INTERVIEWS_WEBHOOK_URL` / `INTERVIEWS_WEBHOOK_SECRET`) by `serve`, `watch` and
//! `process`, and streamed by `serve` at `GET /v1/events`.

use anyhow::{Context, Result};
use interview_core::config::Settings;
use interview_core::events::EventOutbox;
use interview_core::webhook::WebhookSettings;
use interview_embedded::webhook::{Delivery, RetryPolicy};
use interview_embedded::Embedded;
use std::sync::Arc;
use std::time::Duration;

/// How long `process` (and `watch --once`) wait for their events to reach the webhook before
/// exiting: long enough for a receiver that is briefly down, short enough not to hang a script.
pub const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

/// The data dir's outbox (a second connection to its SQLite file).
pub fn outbox(settings: &Settings) -> Result<Arc<dyn EventOutbox>> {
    Ok(Embedded::open(settings)?.store)
}

/// Starts delivering to the configured webhook; `None` when none is configured.
pub fn start_webhook(settings: &Settings) -> Result<Option<Delivery>> {
    let Some(webhook) = WebhookSettings::from_env().context("reading the webhook configuration")? else {
        return Ok(None);
    };
    eprintln!("delivering status events to the webhook at {}", origin(&webhook.url));
    let delivery = Delivery::start(outbox(settings)?, webhook, RetryPolicy::default())?;
    Ok(Some(delivery))
}

/// Waits (at most [`FLUSH_TIMEOUT`]) until every event written so far was delivered or given up
/// on, then stops the delivery; says so when some are still pending (the next run sends them).
pub async fn finish(delivery: Option<Delivery>, outbox: &dyn EventOutbox) {
    let Some(delivery) = delivery else { return };
    let last = outbox.last_seq().await.unwrap_or(u64::MAX);
    if !delivery.flush(last, FLUSH_TIMEOUT).await {
        eprintln!(
            "some status events are not delivered yet (the webhook did not accept them within {}s); the next `process`, `watch` or `serve` sends them",
            FLUSH_TIMEOUT.as_secs()
        );
    }
    delivery.stop().await;
}

/// Scheme, host and port only: a webhook URL's path or query may hold a token.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..]
        .find('/')
        .map_or(url, |end| &url[..after_scheme + end])
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_printed_origin_leaves_out_path_and_query() {
        assert_eq!(
            super::origin("https://hooks.example:8443/t/SECRET?k=1"),
            "https://hooks.example:8443"
        );
        assert_eq!(super::origin("http://127.0.0.1:9"), "http://127.0.0.1:9");
    }
}
