//! `/v1/interviews`: the listing, one interview, its documents, retry and delete.

use crate::auth::{Access, Caller};
use crate::problem::{parse_field, parse_json, ApiQuery, Problem};
use crate::views::{DeleteView, InterviewList, InterviewView, RetryView};
use crate::{AppState, API_SCHEMA_VERSION, STUCK_AFTER};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use interview_core::domain::{ArtifactName, ErrorKind, Interview, InterviewId, Status, Step};
use interview_core::listing::{InterviewSummary, Page, PageCursor, PageQuery, MAX_PAGE_LIMIT};
use interview_handlers::retry::RetryRefused;
use serde::Deserialize;

/// Items per page when the caller does not say.
const DEFAULT_LIMIT: usize = 50;

/// The most a result document may weigh when the API reads it (a 4-hour transcript is ~10 MB).
const MAX_DOCUMENT_BYTES: u64 = 64 * 1024 * 1024;

/// `GET /v1/interviews` parameters, as sent (each parsed with its name in any error).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    project: Option<String>,
    status: Option<String>,
    step: Option<String>,
    error_kind: Option<String>,
    stuck: Option<String>,
    updated_since: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// The projects a request covers: the one it names (if the caller may see it), or every
/// project the caller's token names.
pub(crate) fn scope(caller: &Caller, project: Option<&str>) -> Result<Vec<String>, Problem> {
    match (project, &caller.0) {
        (Some(project), access) if access.can_see(project) => Ok(vec![project.to_string()]),
        (Some(project), _) => Err(Problem::forbidden_project(project)),
        (None, Access::Projects(projects)) => Ok(projects.iter().cloned().collect()),
        (None, Access::All) => Err(Problem::bad_field(
            "project",
            "you may see every project: name one with ?project=<name>",
        )),
    }
}

fn page_query(params: &ListParams, projects: Vec<String>) -> Result<PageQuery, Problem> {
    let limit = match &params.limit {
        Some(limit) => parse_field::<usize>("limit", limit, "a whole number from 1 to 200")?,
        None => DEFAULT_LIMIT,
    };
    if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
        return Err(Problem::bad_field(
            "limit",
            "`limit` must be a whole number from 1 to 200",
        ));
    }
    let statuses = "one of queued, processing, ready, error, deleted";
    let steps = "one of transcribe, extract, analyze, done";
    let kinds = "one of input, provider, unavailable, timeout, stale, internal";
    Ok(PageQuery {
        projects,
        status: params
            .status
            .as_deref()
            .map(|s| parse_field::<Status>("status", s, statuses))
            .transpose()?,
        step: params
            .step
            .as_deref()
            .map(|s| parse_field::<Step>("step", s, steps))
            .transpose()?,
        error_kind: params
            .error_kind
            .as_deref()
            .map(|s| parse_field::<ErrorKind>("error_kind", s, kinds))
            .transpose()?,
        updated_since: params
            .updated_since
            .as_deref()
            .map(|s| {
                DateTime::parse_from_rfc3339(s)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| Problem::bad_field("updated_since", "`updated_since` must be an RFC 3339 time"))
            })
            .transpose()?,
        limit,
        after: params
            .cursor
            .as_deref()
            .map(|c| PageCursor::decode(c).map_err(|e| Problem::bad_field("cursor", e.to_string())))
            .transpose()?,
    })
}

/// Stuck interviews come from the sweeper's sparse index of live items (small by design), not
/// from the project index: they are filtered to the caller's projects and paged here.
async fn stuck_page(state: &AppState, query: &PageQuery) -> Result<Page, Problem> {
    let cutoff = state.pipeline.now() - chrono::Duration::from_std(STUCK_AFTER).unwrap_or_default();
    let live = state.pipeline.store.live_items_updated_before(cutoff).await?;
    let mut rows: Vec<(String, InterviewSummary)> = live
        .iter()
        .filter_map(InterviewSummary::of)
        .filter(|s| query.projects.contains(&s.project) && query.admits(s))
        .map(|s| (s.list_key(), s))
        .filter(|(key, _)| query.after.as_ref().is_none_or(|after| key.as_str() < after.key()))
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0));
    let limit = query.bounded_limit();
    let next = (rows.len() > limit).then(|| PageCursor::after(rows[limit - 1].0.clone()));
    rows.truncate(limit);
    Ok(Page {
        items: rows.into_iter().map(|(_, s)| s).collect(),
        next,
    })
}

pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<InterviewList>, Problem> {
    let projects = scope(&caller, params.project.as_deref())?;
    let query = page_query(&params, projects)?;
    let stuck = match params.stuck.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(Problem::bad_field("stuck", "`stuck` must be true or false")),
    };
    let page = if query.projects.is_empty() {
        Page::default()
    } else if stuck {
        stuck_page(&state, &query).await?
    } else {
        state.pipeline.store.page(&query).await?
    };
    Ok(Json(InterviewList {
        schema_version: API_SCHEMA_VERSION,
        items: page.items,
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// The interview, if it exists and the caller may see its project; otherwise the same 404.
pub(crate) async fn visible(state: &AppState, caller: &Caller, id: &str) -> Result<(Interview, String), Problem> {
    let parsed = InterviewId::parse(id).map_err(|_| Problem::no_interview(id))?;
    let item = state
        .pipeline
        .store
        .get(&parsed)
        .await?
        .ok_or_else(|| Problem::no_interview(id))?;
    let project = item
        .source
        .project()
        .filter(|p| caller.0.can_see(p))
        .map(str::to_string)
        .ok_or_else(|| Problem::no_interview(id))?;
    Ok((item, project))
}

pub(crate) async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<InterviewView>, Problem> {
    let (item, project) = visible(&state, &caller, &id).await?;
    Ok(Json(InterviewView::of(&item, &project)))
}

async fn document(state: AppState, caller: Caller, id: String, name: ArtifactName) -> Result<Response, Problem> {
    let (item, _) = visible(&state, &caller, &id).await?;
    let label = name.file_name().trim_end_matches(".json");
    let Some(key) = item.artifacts.get(name) else {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            format!(
                "interview {id} has no {label} yet (it is {} at {})",
                item.status, item.step
            ),
        ));
    };
    let bytes = state.pipeline.blobs.get(key, MAX_DOCUMENT_BYTES).await.map_err(|e| {
        tracing::warn!(interview_id = %id, error = %e, "cannot read a result document");
        if e.is_transient() {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the bucket is busy; try again in a moment",
            )
        } else {
            Problem::new(
                StatusCode::NOT_FOUND,
                format!("the {label} of interview {id} cannot be read; POST /v1/interviews/{id}/retry redoes it"),
            )
        }
    })?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

pub(crate) async fn transcript(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    document(state, caller, id, ArtifactName::Transcript).await
}

pub(crate) async fn evidence(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    document(state, caller, id, ArtifactName::Evidence).await
}

pub(crate) async fn analysis(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    document(state, caller, id, ArtifactName::Analysis).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryBody {
    #[serde(default)]
    force: bool,
}

pub(crate) async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<RetryView>), Problem> {
    let body: RetryBody = if body.iter().all(u8::is_ascii_whitespace) {
        RetryBody::default()
    } else {
        parse_json(&body)?
    };
    let (item, _) = visible(&state, &caller, &id).await?;
    match interview_handlers::retry::retry(&state.pipeline, &item.id, body.force).await? {
        Ok(started) => Ok((
            StatusCode::ACCEPTED,
            Json(RetryView {
                schema_version: API_SCHEMA_VERSION,
                interview_id: started.interview_id,
                run: started.run_id.number(),
                resumes_at: started.resumes_at,
            }),
        )),
        Err(RetryRefused::NotFound(_)) => Err(Problem::no_interview(&id)),
        Err(why @ (RetryRefused::NotFailed { .. } | RetryRefused::UploadChanged(_))) => {
            Err(Problem::new(StatusCode::CONFLICT, why.to_string()))
        }
        Err(RetryRefused::InputError(_)) => Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("interview {id} failed on its input; fix the file and upload it again, or retry with {{\"force\": true}}"),
        )),
    }
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<DeleteView>), Problem> {
    let (item, _) = visible(&state, &caller, &id).await?;
    if item.status == Status::Deleted {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            format!("interview {id} is already deleted"),
        ));
    }
    state.uploads.remove(&item.source.key).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(DeleteView {
            schema_version: API_SCHEMA_VERSION,
            interview_id: item.id,
            upload_removed: true,
        }),
    ))
}
