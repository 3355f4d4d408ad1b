//! Test doubles for the runner: a scripted task invoker and a clock that records completed
//! sleeps.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::clock::{Clock, ScaledClock};
use super::runner::{HistoryEvent, TaskFailure, TaskInvoker};

/// One scripted reply from a fake task.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// Return this result.
    Ok(Value),
    /// Fail with this error name and cause.
    Err(String, String),
    /// Never answer.
    Hang,
}

/// A failure reply.
pub(crate) fn fail(error: &str) -> Reply {
    Reply::Err(error.to_string(), format!("scripted {error}"))
}

/// Replies per resource, in order; the last reply repeats once the others are used up.
#[derive(Default)]
pub(crate) struct FakeInvoker {
    scripts: Mutex<HashMap<String, VecDeque<Reply>>>,
    calls: Mutex<Vec<(String, Value)>>,
}

impl FakeInvoker {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn script(self, resource: &str, replies: impl IntoIterator<Item = Reply>) -> Self {
        if let Ok(mut scripts) = self.scripts.lock() {
            scripts.insert(resource.to_string(), replies.into_iter().collect());
        }
        self
    }

    pub(crate) fn calls_to(&self, resource: &str) -> Vec<Value> {
        self.calls
            .lock()
            .map(|calls| {
                calls
                    .iter()
                    .filter(|(r, _)| r == resource)
                    .map(|(_, v)| v.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn call_order(&self) -> Vec<String> {
        self.calls
            .lock()
            .map(|calls| calls.iter().map(|(r, _)| r.clone()).collect())
            .unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl TaskInvoker for FakeInvoker {
    async fn invoke(&self, resource: &str, input: Value) -> Result<Value, TaskFailure> {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push((resource.to_string(), input));
        }
        let reply = self.scripts.lock().ok().and_then(|mut scripts| {
            let queue = scripts.get_mut(resource)?;
            if queue.len() > 1 {
                queue.pop_front()
            } else {
                queue.front().cloned()
            }
        });
        match reply {
            Some(Reply::Ok(value)) => Ok(value),
            Some(Reply::Err(error, cause)) => Err(TaskFailure::new(error, cause)),
            Some(Reply::Hang) => std::future::pending().await,
            None => Err(TaskFailure::new("NoScript", format!("no script for `{resource}`"))),
        }
    }
}

/// A [`ScaledClock`] (1000×) that also records every sleep that ran to completion.
pub(crate) struct RecordingClock {
    inner: ScaledClock,
    completed: Mutex<Vec<Duration>>,
}

impl RecordingClock {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(RecordingClock {
            inner: ScaledClock::new(1000.0),
            completed: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn completed_sleeps(&self) -> Vec<Duration> {
        self.completed.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl Clock for RecordingClock {
    fn now(&self) -> DateTime<Utc> {
        self.inner.now()
    }

    async fn sleep(&self, d: Duration) {
        self.inner.sleep(d).await;
        if let Ok(mut done) = self.completed.lock() {
            done.push(d);
        }
    }
}

/// The (retrier, attempt, delay_ms) of every retry in a history.
pub(crate) fn retries(history: &[HistoryEvent]) -> Vec<(usize, u64, u64)> {
    history
        .iter()
        .filter_map(|e| match e {
            HistoryEvent::RetryScheduled {
                retrier,
                attempt,
                delay_ms,
                ..
            } => Some((*retrier, *attempt, *delay_ms)),
            _ => None,
        })
        .collect()
}

/// The names of the states entered, in order.
pub(crate) fn path_taken(history: &[HistoryEvent]) -> Vec<String> {
    history
        .iter()
        .filter_map(|e| match e {
            HistoryEvent::StateEntered { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect()
}
