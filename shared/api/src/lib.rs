//! The HTTP API: one axum [`Router`] over the ports, served on AWS by the `api` Lambda
//! (`lambda_http`, behind an API Gateway HTTP API with a JWT authorizer) and on one machine by
//! `interviews serve`. JSON under `/v1/`, described by `docs/openapi.json` (served at
//! `/v1/openapi.json`), errors as problem+json, and a placeholder page at `/`.
//!
//! Every handler takes the [`auth::Caller`] and checks its access where it reads the data: an
//! interview of a project the caller may not see answers exactly as one that does not exist.
#![warn(missing_docs)]

pub mod auth;
mod interviews;
mod overview;
pub mod problem;
mod speakers;
mod uploads;
pub mod views;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use interview_core::uploads::Uploads;
use interview_handlers::Pipeline;
use std::sync::Arc;
use std::time::Duration;

pub use auth::{Access, Auth, Caller, LocalToken};
pub use problem::Problem;
pub use uploads::{object_key, sanitise_file_name};

/// The format of every API body; bumped when a field changes meaning or goes away.
pub const API_SCHEMA_VERSION: u32 = 1;

/// The OpenAPI document, as kept in the repository.
pub const OPENAPI: &str = include_str!("../../../docs/openapi.json");

/// The placeholder page served at `/` (the dashboard comes later).
const INDEX_HTML: &str = include_str!("index.html");

/// A live interview with no change for this long counts as stuck in listings and the overview.
/// Well below the sweeper's threshold, so a person sees it before the sweeper ends it.
pub const STUCK_AFTER: Duration = Duration::from_secs(15 * 60);

/// The largest request body the API reads (upload requests and retry options are tiny).
const MAX_BODY_BYTES: usize = 64 * 1024;

/// What every handler works with.
#[derive(Clone)]
pub struct AppState {
    /// The store, the bucket, the orchestrator (for retry), settings and clock.
    pub pipeline: Pipeline,
    /// Issues upload URLs and removes uploads.
    pub uploads: Arc<dyn Uploads>,
    /// How callers are identified.
    pub auth: Auth,
}

/// The API's router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/interviews", get(interviews::list))
        .route("/v1/interviews/{id}", get(interviews::get).delete(interviews::delete))
        .route("/v1/interviews/{id}/transcript", get(interviews::transcript))
        .route("/v1/interviews/{id}/evidence", get(interviews::evidence))
        .route("/v1/interviews/{id}/analysis", get(interviews::analysis))
        .route("/v1/interviews/{id}/retry", post(interviews::retry))
        .route("/v1/interviews/{id}/speakers", put(speakers::put))
        .route("/v1/uploads", post(uploads::create))
        .route("/v1/overview", get(overview::overview))
        .route("/v1/projects", get(overview::projects))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "no such endpoint; GET /v1/openapi.json lists them",
    )
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// The page. On `serve`, `?token=` is moved into an HttpOnly, SameSite=Strict cookie (only when
/// it is the right token), so the page's own requests carry it and scripts cannot read it.
async fn index(State(state): State<AppState>, query: axum::extract::RawQuery) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    if let (Auth::Local(token), Some(query)) = (&state.auth, query.0) {
        let presented = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(name, _)| *name == "token")
            .map(|(_, value)| value);
        if let Some(presented) = presented.filter(|p| token.matches(p)) {
            let cookie = format!("{}={presented}; HttpOnly; SameSite=Strict; Path=/", auth::TOKEN_COOKIE);
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                headers.insert(header::SET_COOKIE, value);
            }
        }
    }
    (headers, Html(INDEX_HTML)).into_response()
}
