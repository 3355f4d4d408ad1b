//! `GET /v1/events?project=`: the outbox as Server-Sent Events, so a page updates without
//! polling the API. Each message is one `Interview Status Changed` (`docs/events.md`), its `id:`
//! the outbox sequence, so a reconnecting browser's `Last-Event-ID` resumes right after the
//! last one it saw. Without it, the stream starts with the next change.
//!
//! Only where an outbox exists (`interviews serve`); on AWS the API Gateway cannot hold a
//! stream open, and the stack's EventBridge bus carries the same events.

use crate::auth::Caller;
use crate::interviews::scope;
use crate::problem::{ApiQuery, Problem};
use crate::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, StreamExt};
use interview_core::events::{EventOutbox, EVENT_TYPE};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// How often the outbox is read for new events while a stream is open.
const POLL: Duration = Duration::from_millis(250);

/// The most events one read of the outbox takes (a client far behind catches up in steps).
const BATCH: usize = 100;

/// The route with the outbox it reads, to merge into [`crate::router`]'s.
pub fn router(state: AppState, outbox: Arc<dyn EventOutbox>) -> Router {
    Router::new()
        .route("/v1/events", get(events))
        .with_state(EventsState { app: state, outbox })
}

#[derive(Clone)]
struct EventsState {
    app: AppState,
    outbox: Arc<dyn EventOutbox>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsParams {
    project: Option<String>,
}

async fn events(State(state): State<EventsState>, request: Request) -> Result<Response, Problem> {
    let (mut parts, _) = request.into_parts();
    let caller = Caller::from_request_parts(&mut parts, &state.app).await?;
    let ApiQuery(params) = ApiQuery::<EventsParams>::from_request_parts(&mut parts, &()).await?;
    let projects: BTreeSet<String> = scope(&caller, params.project.as_deref())?.into_iter().collect();
    let resume = match parts.headers.get("last-event-id") {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    Problem::bad_field("Last-Event-ID", "`Last-Event-ID` must be an event id sent earlier")
                })?,
        ),
        None => None,
    };
    let cursor = match resume {
        Some(seq) => seq,
        None => state.outbox.last_seq().await?,
    };
    let feed = Feed {
        outbox: state.outbox,
        projects,
        cursor,
        caught_up: false,
    };
    let stream = stream::unfold(feed, |mut feed| async move {
        if feed.caught_up {
            tokio::time::sleep(POLL).await;
        }
        let events = feed.next_batch().await;
        Some((events, feed))
    })
    .flat_map(|events| stream::iter(events.into_iter().map(Ok::<_, Infallible>)));
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

/// One stream's position in the outbox and what its caller may see.
struct Feed {
    outbox: Arc<dyn EventOutbox>,
    projects: BTreeSet<String>,
    cursor: u64,
    caught_up: bool,
}

impl Feed {
    /// The next events after the cursor that the caller may see; advances past the ones it
    /// may not, so they are never read again.
    async fn next_batch(&mut self) -> Vec<Event> {
        let entries = match self.outbox.after(self.cursor, BATCH).await {
            Ok(entries) => entries,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the outbox for a stream; trying again");
                self.caught_up = true;
                return Vec::new();
            }
        };
        self.caught_up = entries.len() < BATCH;
        let mut events = Vec::new();
        for entry in entries {
            self.cursor = self.cursor.max(entry.seq);
            let visible = entry.event.project.as_ref().is_some_and(|p| self.projects.contains(p));
            if !visible {
                continue;
            }
            match Event::default()
                .id(entry.seq.to_string())
                .event(EVENT_TYPE)
                .json_data(&entry.event)
            {
                Ok(event) => events.push(event),
                Err(e) => tracing::warn!(seq = entry.seq, error = %e, "cannot encode an event"),
            }
        }
        events
    }
}
