//! One rebuild of one project's report.

use bytes::Bytes;
use interview_analysis::{
    render_project_json, validate_project_report, EvidenceDoc, InterviewEvidence, ProjectReport, ProjectSynthesizer,
    ReportInput,
};
use interview_core::domain::{project_report_key, ArtifactName, InterviewId, Status};
use interview_core::error::{BlobError, ProviderError, StoreError, TaskError};
use interview_core::listing::{PageQuery, MAX_PAGE_LIMIT};
use interview_core::services::Services;
use interview_handlers::load_artifact;
use interview_transcript::Transcript;

/// The most a stored report may weigh when read back (1,000 interviews make ~5 MB).
const MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// Why a rebuild did not finish. The report stays as it was; a later trigger tries again.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Listing the project's interviews failed.
    #[error("cannot list the project's interviews: {0}")]
    Store(#[from] StoreError),
    /// Reading an interview's documents failed.
    #[error("cannot read the documents of interview {id}: {source}")]
    Documents {
        /// The interview.
        id: String,
        /// What failed.
        source: TaskError,
    },
    /// Reading or writing the stored report failed.
    #[error("cannot read or store the report: {0}")]
    Blob(#[from] BlobError),
    /// The built report does not match its evidence: a bug, never stored.
    #[error("the built report does not match its evidence (a bug): {0}")]
    Invalid(String),
    /// The synthesiser (local clustering or a model) failed.
    #[error("cannot synthesise the report: {0}")]
    Synthesis(#[from] ProviderError),
}

impl ReportError {
    /// Whether trying again later can help (the services were busy, or an interview changed
    /// while it was read); the other errors need a fix.
    pub fn is_transient(&self) -> bool {
        match self {
            ReportError::Store(e) => e.is_transient(),
            ReportError::Documents { source, .. } => {
                matches!(
                    source,
                    TaskError::Transient(_) | TaskError::Unavailable(_) | TaskError::Input(_)
                )
            }
            ReportError::Blob(e) => e.is_transient(),
            ReportError::Synthesis(e) => matches!(e, ProviderError::Transient { .. }),
            ReportError::Invalid(_) => false,
        }
    }
}

impl ReportError {
    /// The error type Lambda reports (and its retries and destination record).
    pub fn name(&self) -> &'static str {
        if self.is_transient() {
            "TransientError"
        } else {
            "InternalError"
        }
    }
}

impl From<ReportError> for lambda_runtime::Diagnostic {
    fn from(e: ReportError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.name().to_string(),
            error_message: e.to_string(),
        }
    }
}

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rebuilt {
    /// The stored report already covers exactly the project's ready interviews.
    AlreadyCurrent,
    /// A new report was stored.
    Built {
        /// Interviews it covers.
        interviews: usize,
        /// Recurring themes found.
        themes: usize,
    },
    /// The project has no ready interview left, so its report was removed.
    Removed,
    /// The project has no ready interview and never had a report.
    Nothing,
}

/// The stored report of `project`, if there is one.
pub async fn load_report(services: &Services, project: &str) -> Result<Option<ProjectReport>, ReportError> {
    let key = project_report_key(project);
    let bytes = match services.blobs.get(&key, MAX_REPORT_BYTES).await {
        Ok(bytes) => bytes,
        Err(BlobError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    match serde_json::from_slice(&bytes) {
        Ok(report) => Ok(Some(report)),
        Err(e) => {
            // An unreadable report is rebuilt, not served: say so without its content.
            tracing::warn!(%project, error = %e.classify_name(), line = e.line(), "stored project report unreadable; rebuilding it");
            Ok(None)
        }
    }
}

/// Names a serde_json error's category (its message could quote the document).
trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "eof",
        }
    }
}

/// The project's ready interviews, with what a report records of each, sorted.
async fn ready_inputs(services: &Services, project: &str) -> Result<Vec<(InterviewId, ReportInput)>, ReportError> {
    let mut query = PageQuery::project(project, MAX_PAGE_LIMIT);
    query.status = Some(Status::Ready);
    let mut inputs = Vec::new();
    loop {
        let page = services.store.page(&query).await?;
        inputs.extend(page.items.into_iter().map(|s| {
            let input = ReportInput {
                interview_id: s.id.to_string(),
                updated_at: s.updated_at,
            };
            (s.id, input)
        }));
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    inputs.sort_by(|a, b| a.1.cmp(&b.1));
    inputs.dedup_by(|a, b| a.0 == b.0);
    Ok(inputs)
}

/// Brings the stored report of `project` up to date with its ready interviews (see the crate
/// docs). `synthesizer` groups the evidence into themes (`project_synthesizer_for`).
pub async fn rebuild(
    services: &Services,
    project: &str,
    synthesizer: &dyn ProjectSynthesizer,
) -> Result<Rebuilt, ReportError> {
    let ready = ready_inputs(services, project).await?;
    let stored = load_report(services, project).await?;
    if stored
        .as_ref()
        .is_some_and(|report| report.inputs.iter().eq(ready.iter().map(|(_, input)| input)))
    {
        return Ok(Rebuilt::AlreadyCurrent);
    }
    let key = project_report_key(project);
    if ready.is_empty() {
        if stored.is_none() {
            return Ok(Rebuilt::Nothing);
        }
        services.blobs.delete(&key).await?;
        tracing::info!(%project, "project report removed: no ready interview left");
        return Ok(Rebuilt::Removed);
    }
    let mut interviews = Vec::with_capacity(ready.len());
    let mut read = Vec::with_capacity(ready.len());
    for (id, _) in &ready {
        let documents = |source| ReportError::Documents {
            id: id.to_string(),
            source,
        };
        // Read the item again: it may have changed since the listing (then the inputs recorded
        // are what was really read, and the next trigger sees the difference).
        let Some(item) = services.store.get(id).await? else {
            continue;
        };
        if item.status != Status::Ready {
            continue;
        }
        // With the names a person gave, as the evidence has them.
        let transcript = load_artifact::<Transcript>(services, &item, ArtifactName::Transcript)
            .await
            .map_err(documents)?
            .with_speakers(&item.speakers);
        let evidence: EvidenceDoc = load_artifact(services, &item, ArtifactName::Evidence)
            .await
            .map_err(documents)?;
        interviews.push(InterviewEvidence::from_transcript(
            item.id.to_string(),
            &transcript,
            evidence,
        ));
        read.push(ReportInput {
            interview_id: item.id.to_string(),
            updated_at: item.updated_at,
        });
    }
    if interviews.is_empty() {
        return Ok(Rebuilt::Nothing);
    }
    let report = synthesizer.synthesise(&interviews).await?;
    validate_project_report(&report, &interviews).map_err(|e| ReportError::Invalid(e.to_string()))?;
    let mut report = report;
    read.sort();
    report.inputs = read;
    let body = Bytes::from(render_project_json(&report));
    services.blobs.put(&key, body, "application/json").await?;
    tracing::info!(%project, interviews = interviews.len(), themes = report.themes.len(), "project report rebuilt");
    Ok(Rebuilt::Built {
        interviews: interviews.len(),
        themes: report.themes.len(),
    })
}
