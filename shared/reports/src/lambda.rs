//! The `report` function's handler: an interview's status changed, so its project's report may
//! be out of date. The event names the project (the `Interview Status Changed` detail carries
//! it among other fields, which are ignored); the rebuild compares with the state, so repeated,
//! late or out-of-order events are harmless, and bursts collapse into one real rebuild while
//! the function runs with a concurrency of one.

use crate::rebuild::{rebuild, Rebuilt, ReportError};
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use interview_analysis::ProjectSynthesizer;
use interview_core::services::Services;
use serde::{Deserialize, Serialize};

/// The part of a status-change event's detail this function reads.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ProjectChanged {
    /// The interview's project; an upload outside `uploads/<project>/` has none.
    #[serde(default)]
    pub project: Option<String>,
}

/// What one invocation did, as the function's result (no content: a project name and counts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportOutcome {
    /// The project, if the event named one.
    pub project: Option<String>,
    /// `built`, `already_current`, `removed`, `nothing` or `ignored`.
    pub outcome: &'static str,
    /// Interviews in the new report (when built).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interviews: Option<usize>,
}

/// Handles one status-change event. An error fails the invocation, and Lambda's asynchronous
/// retries (then the on-failure destination) take over.
pub async fn handle(
    services: &Services,
    synthesizer: &dyn ProjectSynthesizer,
    event: EventBridgeEvent<ProjectChanged>,
) -> Result<ReportOutcome, ReportError> {
    let Some(project) = event.detail.project.filter(|p| !p.is_empty()) else {
        return Ok(ReportOutcome {
            project: None,
            outcome: "ignored",
            interviews: None,
        });
    };
    let rebuilt = rebuild(services, &project, synthesizer).await?;
    let (outcome, interviews) = match rebuilt {
        Rebuilt::Built { interviews, .. } => ("built", Some(interviews)),
        Rebuilt::AlreadyCurrent => ("already_current", None),
        Rebuilt::Removed => ("removed", None),
        Rebuilt::Nothing => ("nothing", None),
    };
    Ok(ReportOutcome {
        project: Some(project),
        outcome,
        interviews,
    })
}
