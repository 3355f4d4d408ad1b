//! `GET /v1/overview` and `GET /v1/projects`.

use crate::auth::{Access, Caller};
use crate::interviews::scope;
use crate::problem::{ApiQuery, Problem};
use crate::views::{OverviewView, ProjectsView};
use crate::{AppState, API_SCHEMA_VERSION, STUCK_AFTER};
use axum::extract::State;
use axum::Json;
use interview_core::domain::Status;
use interview_core::listing::{InterviewSummary, PageQuery, MAX_PAGE_LIMIT};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The most index pages one overview reads per project (at [`MAX_PAGE_LIMIT`] rows each):
/// bounds the cost of a very large project; counts beyond it are left out.
const MAX_OVERVIEW_PAGES: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OverviewParams {
    project: Option<String>,
}

/// Counts over the project index (every non-deleted interview of the projects, newest first, a
/// page at a time) and the live index (stuck, oldest live).
pub(crate) async fn overview(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<OverviewParams>,
) -> Result<Json<OverviewView>, Problem> {
    let projects = scope(&caller, params.project.as_deref())?;
    let now = state.pipeline.now();
    let day_ago = now - chrono::Duration::hours(24);
    let mut by_status: BTreeMap<&'static str, BTreeMap<&'static str, u64>> = BTreeMap::new();
    let mut errors: BTreeMap<&'static str, u64> = BTreeMap::new();
    for project in &projects {
        let mut query = PageQuery::project(project, MAX_PAGE_LIMIT);
        for _ in 0..MAX_OVERVIEW_PAGES {
            let page = state.pipeline.store.page(&query).await?;
            for row in &page.items {
                *by_status
                    .entry(row.status.as_str())
                    .or_default()
                    .entry(row.step.as_str())
                    .or_default() += 1;
                if let (Status::Error, Some(kind)) = (row.status, row.error_kind) {
                    if row.updated_at >= day_ago {
                        *errors.entry(kind.as_str()).or_default() += 1;
                    }
                }
            }
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
    }
    let live: Vec<InterviewSummary> = if projects.is_empty() {
        Vec::new()
    } else {
        state
            .pipeline
            .store
            .live_items_updated_before(now)
            .await?
            .iter()
            .filter_map(InterviewSummary::of)
            .filter(|s| projects.contains(&s.project))
            .collect()
    };
    let stuck_cutoff = now - chrono::Duration::from_std(STUCK_AFTER).unwrap_or_default();
    Ok(Json(OverviewView {
        schema_version: API_SCHEMA_VERSION,
        projects,
        by_status,
        stuck: live.iter().filter(|s| s.updated_at < stuck_cutoff).count() as u64,
        stuck_after_seconds: STUCK_AFTER.as_secs(),
        oldest_live_age_seconds: live
            .iter()
            .map(|s| s.created_at)
            .min()
            .map(|t| (now - t).num_seconds().max(0)),
        errors_last_24h: errors,
        generated_at: now,
    }))
}

pub(crate) async fn projects(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(_): ApiQuery<NoParams>,
) -> Result<Json<ProjectsView>, Problem> {
    let (all_projects, projects) = match caller.0 {
        // Those with interviews, where the store can list them cheaply (the embedded store).
        Access::All => (true, state.pipeline.store.projects().await?.unwrap_or_default()),
        Access::Projects(projects) => (false, projects.into_iter().collect()),
    };
    Ok(Json(ProjectsView {
        schema_version: API_SCHEMA_VERSION,
        all_projects,
        projects,
    }))
}

/// An endpoint that takes no query parameters (any given is refused by name).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoParams {}
