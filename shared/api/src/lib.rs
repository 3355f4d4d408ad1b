//! The HTTP API: one axum [`Router`] over the ports, served on AWS by the `api` Lambda
//! (`lambda_http`, behind an API Gateway HTTP API with a JWT authorizer) and on one machine by
//! `interviews serve`. JSON under `/v1/`, described by `docs/openapi.json` (served at
//! `/v1/openapi.json`), errors as problem+json, and the dashboard at `/` (its assets under `/assets/`).
//!
//! Every handler takes the [`auth::Caller`] and checks its access where it reads the data: an
//! interview of a project the caller may not see answers exactly as one that does not exist.
#![warn(missing_docs)]

pub mod auth;
mod dashboard;
pub mod events;
mod interviews;
mod overview;
pub mod problem;
mod reports;
mod speakers;
mod uploads;
pub mod views;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
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
        .route("/", get(dashboard::index))
        .route("/assets/{name}", get(dashboard::asset))
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
        .route("/v1/projects/{project}/report", get(reports::report))
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
