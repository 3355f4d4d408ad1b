//! Delivers the outbox to the deployment's webhook, signed the Standard Webhooks way, one event
//! at a time in write order, each retried with backoff until accepted or given up on (then it
//! is a dead letter and the next one goes).
//!
//! It runs beside the pipeline and only reads the outbox: a webhook that is down, slow or wrong
//! delays its own deliveries and nothing else — no handler waits for it or fails because of it.

use interview_core::events::{EventOutbox, OutboxEntry};
use interview_core::webhook::WebhookSettings;
pub use interview_webhook::DeliveryError;
use interview_webhook::Sender;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How deliveries are paced and when one is given up on.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// The wait after the first failed attempt; each further failure doubles it.
    pub first_backoff: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
    /// Attempts before the event becomes a dead letter.
    pub max_attempts: u32,
    /// How often an empty outbox is looked at again.
    pub idle_poll: Duration,
    /// How long one request may take.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    /// Eight attempts over about two minutes (1 s, 2 s, … capped at 60 s).
    fn default() -> Self {
        Self {
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_attempts: 8,
            idle_poll: Duration::from_millis(100),
            request_timeout: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, failed_attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(failed_attempts.saturating_sub(1).min(16));
        self.first_backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// The running delivery; dropping it stops it (the worker sees its stop channel close).
pub struct Delivery {
    outbox: Arc<dyn EventOutbox>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Delivery {
    /// Starts delivering `outbox` to `settings`' URL on the current runtime.
    pub fn start(
        outbox: Arc<dyn EventOutbox>,
        settings: WebhookSettings,
        policy: RetryPolicy,
    ) -> Result<Self, DeliveryError> {
        let sender = Sender::new(settings, policy.request_timeout)?;
        let (stop, stopped) = watch::channel(false);
        let worker = Worker {
            outbox: outbox.clone(),
            sender,
            policy,
        };
        Ok(Self {
            outbox,
            stop,
            task: tokio::spawn(worker.run(stopped)),
        })
    }

    /// Waits until every event up to `seq` was delivered or given up on, at most `timeout`.
    /// Returns whether it got there (a process about to exit says so when it did not).
    pub async fn flush(&self, seq: u64, timeout: Duration) -> bool {
        let reached = async {
            loop {
                match self.outbox.pending(1).await {
                    Ok(next) if next.first().is_none_or(|e| e.seq > seq) => return,
                    Ok(_) => {}
                    Err(e) => tracing::debug!(error = %e, "cannot read the outbox while flushing"),
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(timeout, reached).await.is_ok()
    }

    /// Stops delivering (an attempt in flight is abandoned; its event stays pending).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

struct Worker {
    outbox: Arc<dyn EventOutbox>,
    sender: Sender,
    policy: RetryPolicy,
}

impl Worker {
    async fn run(self, mut stopped: watch::Receiver<bool>) {
        loop {
            let batch = match self.outbox.pending(64).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the outbox; trying again");
                    Vec::new()
                }
            };
            if batch.is_empty() && !pause(&mut stopped, self.policy.idle_poll).await {
                return;
            }
            for entry in batch {
                if !self.deliver(&entry, &mut stopped).await {
                    return;
                }
            }
        }
    }

    /// Delivers one event, retrying; false when asked to stop meanwhile.
    async fn deliver(&self, entry: &OutboxEntry, stopped: &mut watch::Receiver<bool>) -> bool {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outcome = tokio::select! {
                outcome = self.post(entry) => outcome,
                _ = stopped.changed() => return false,
            };
            let marked = match outcome {
                Ok(()) => self.outbox.mark_delivered(entry.seq).await,
                Err(e) if attempts >= self.policy.max_attempts => {
                    tracing::warn!(seq = entry.seq, interview_id = %entry.event.id, version = entry.event.version,
                        attempts, error = %e, "the webhook kept failing; the event is a dead letter");
                    self.outbox
                        .mark_dead(entry.seq, &format!("{e} (after {attempts} attempts)"))
                        .await
                }
                Err(e) => {
                    tracing::info!(seq = entry.seq, attempts, error = %e, "webhook delivery failed; retrying");
                    if !pause(stopped, self.policy.backoff(attempts)).await {
                        return false;
                    }
                    continue;
                }
            };
            if let Err(e) = marked {
                // Delivered (or dead) but not recorded: it goes again, which at-least-once allows.
                tracing::warn!(seq = entry.seq, error = %e, "cannot record the delivery");
            }
            return true;
        }
    }

    async fn post(&self, entry: &OutboxEntry) -> Result<(), DeliveryError> {
        let body = serde_json::to_vec(&entry.event).map_err(|e| DeliveryError::Request(e.to_string()))?;
        self.sender.post(&body, &entry.event.message_id()).await
    }
}

/// Sleeps `wait` unless told to stop first; false when told to stop.
async fn pause(stopped: &mut watch::Receiver<bool>, wait: Duration) -> bool {
    if *stopped.borrow() {
        return false;
    }
    tokio::select! {
        _ = tokio::time::sleep(wait) => true,
        _ = stopped.changed() => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_first_wait_and_is_capped() {
        let policy = RetryPolicy::default();
        let waits: Vec<u64> = (1..=9).map(|n| policy.backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(policy.backoff(u32::MAX), policy.max_backoff);
    }
}
