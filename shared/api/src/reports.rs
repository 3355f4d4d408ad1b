//! `GET /v1/projects/{project}/report`: the project's stored report, as the report builder
//! wrote it (`docs/schemas.md`, project-report.json). It is rebuilt by itself when the
//! project's interviews change (in-process on `serve`, by the `report` function on AWS), so
//! reading it never starts a build.

use crate::auth::Caller;
use crate::overview::NoParams;
use crate::problem::{ApiQuery, Problem};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use interview_core::domain::project_report_key;
use interview_core::error::BlobError;

/// A report of 1,000 interviews is about 5 MB.
const MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;

pub(crate) async fn report(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    ApiQuery(_): ApiQuery<NoParams>,
) -> Result<Response, Problem> {
    if !caller.0.can_see(&project) {
        return Err(Problem::forbidden_project(&project));
    }
    match state
        .pipeline
        .blobs
        .get(&project_report_key(&project), MAX_REPORT_BYTES)
        .await
    {
        Ok(bytes) => Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response()),
        Err(BlobError::NotFound(_)) => Err(Problem::new(
            StatusCode::NOT_FOUND,
            format!(
                "project {project} has no report yet: it is built once the project has a ready interview, \
                 a few seconds after it becomes ready"
            ),
        )),
        Err(e) => {
            tracing::warn!(%project, error = %e, "cannot read a project report");
            Err(if e.is_transient() {
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the bucket is busy; try again in a moment",
                )
            } else {
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the report cannot be read; the error is logged",
                )
            })
        }
    }
}
