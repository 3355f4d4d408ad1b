//! One signed POST of one event to the webhook.

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use interview_core::webhook::WebhookSettings;
use std::time::Duration;

/// Why one delivery attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The receiver answered with a status other than 2xx.
    #[error("the webhook answered HTTP {0}")]
    Refused(u16),
    /// No answer: connection refused, DNS, TLS.
    #[error("the webhook could not be reached: {0}")]
    Unreachable(String),
    /// No answer within the request timeout.
    #[error("the webhook did not answer within {0:?}")]
    Timeout(Duration),
    /// The request could not be built (a URL the HTTP library refuses).
    #[error("the webhook request could not be built: {0}")]
    Request(String),
    /// No TLS root certificates could be loaded, so no HTTPS request can be made.
    #[error("no TLS root certificates: {0}")]
    Tls(String),
}

impl DeliveryError {
    /// Whether another attempt may succeed. Standard Webhooks retries every non-2xx answer (a
    /// receiver may be mid-deploy, and a misconfigured one becomes a dead letter after the last
    /// attempt anyway); only a request that cannot even be built, or a client without TLS
    /// roots, fails the same way every time.
    pub fn is_retryable(&self) -> bool {
        match self {
            DeliveryError::Refused(_) | DeliveryError::Unreachable(_) | DeliveryError::Timeout(_) => true,
            DeliveryError::Request(_) | DeliveryError::Tls(_) => false,
        }
    }
}

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Posts events to one webhook; cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Sender {
    settings: WebhookSettings,
    request_timeout: Duration,
    client: HttpsClient,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("settings", &self.settings)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl Sender {
    /// A sender to `settings`' URL, each request given at most `request_timeout`.
    pub fn new(settings: WebhookSettings, request_timeout: Duration) -> Result<Self, DeliveryError> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| DeliveryError::Tls(e.to_string()))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            settings,
            request_timeout,
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// Posts `event_json` (one event's JSON, sent byte for byte) signed as `webhook_id` now.
    /// `webhook_id` must be the same on every attempt of one event (`msg_<id>_<version>`):
    /// receivers de-duplicate on it.
    pub async fn post(&self, event_json: &[u8], webhook_id: &str) -> Result<(), DeliveryError> {
        let timestamp = chrono::Utc::now().timestamp();
        let signature = self.settings.secret.sign(webhook_id, timestamp, event_json);
        let request = Request::post(&self.settings.url)
            .header("content-type", "application/json")
            .header("user-agent", "interviews-webhook/1")
            .header("webhook-id", webhook_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(Full::new(Bytes::copy_from_slice(event_json)))
            .map_err(|e| DeliveryError::Request(e.to_string()))?;
        let response = tokio::time::timeout(self.request_timeout, self.client.request(request))
            .await
            .map_err(|_| DeliveryError::Timeout(self.request_timeout))?
            .map_err(|e| DeliveryError::Unreachable(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(DeliveryError::Refused(status.as_u16()))
        }
    }
}
